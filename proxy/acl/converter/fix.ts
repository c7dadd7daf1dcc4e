/**
 * FIX protocol converters (HAProxy 2.6's fix.c, sample.c sample_conv_fix_*): fix_is_valid checks a
 * whole FIX message (tag order, known tag ids per version, BodyLength, CheckSum); fix_tag_value
 * returns a tag's value. A message not yet complete fails the converter (HAProxy marks it "may
 * change"; here the payload fetch before it already says whether more data may come, so an invalid
 * message in a buffer that may still grow waits like an incomplete one, until the inspect-delay).
 */
import type { SampleArg } from '../types.ts';
import type { ConverterDefinition } from './define.ts';
import { converter, bytesOf, intArg } from './define.ts';
import { strOf as argStr } from '../validators.ts';
import { mkBin, mkBool } from '../eval-sample.ts';

const DELIMITER = 0x01;
const EQUALS = 0x3d;
const TAG = { BeginString: 8, BodyLength: 9, CheckSum: 10, MsgType: 35, SenderCompID: 49, TargetCompID: 56 } as const;
/** Each version's string and highest standard tag id (fix_check_id). */
const VERSIONS: ReadonlyMap<string, number> = new Map([['FIX.4.0', 140], ['FIX.4.1', 211], ['FIX.4.2', 446], ['FIX.4.3', 659], ['FIX.4.4', 956], ['FIXT.1.1', 1621]]);
const MIN_SIZE = 26;

const ascii = (b: Uint8Array, from: number, to: number): string => String.fromCharCode(...b.subarray(from, to));

/** A tag id: digits only, not 0, within the version's range unless user-defined (10000-19999); 0 when invalid. */
function checkId(text: string, version: string | undefined): number {
  if (!/^\d+$/.test(text)) return 0;
  const id = Number(text);
  if (id === 0 || id > 0xffffffff) return 0;
  if (version === undefined || (id >= 10000 && id <= 19999)) return id;
  return id <= (VERSIONS.get(version) ?? -1) ? id : 0;
}

/** One `tag=value<SOH>` from `at`: 'more' when its delimiter is not there yet, 'invalid' when a side is empty. */
function field(b: Uint8Array, at: number): { tag: string; start: number; end: number } | 'more' | 'invalid' {
  let eq = at;
  while (eq < b.length && b[eq] !== EQUALS) eq++;
  let end = eq;
  while (end < b.length && b[end] !== DELIMITER) end++;
  if (end >= b.length) return 'more';
  if (eq === at || eq + 1 === end) return 'invalid';
  return { tag: ascii(b, at, eq), start: eq + 1, end };
}

/** fix_validate_message: 1 valid, -1 invalid, 0 more data needed. */
function validate(b: Uint8Array): -1 | 0 | 1 {
  if (b.length < MIN_SIZE) return 0;
  let at = 0;
  let count = 0;
  let version: string | undefined;
  let bodyLength = 0;
  let body = -1;
  let checksum = 0;
  while (at < b.length) {
    const f = field(b, at);
    if (f === 'more') return 0;
    if (f === 'invalid') return -1;
    const id = checkId(f.tag, version);
    if (!id) return -1;
    count++;
    const value = ascii(b, f.start, f.end);
    if (count === 1) {
      if (id !== TAG.BeginString || !VERSIONS.has(value)) return -1;
      version = value;
    } else if (count === 2) {
      if (id !== TAG.BodyLength || !/^\d+$/.test(value) || Number(value) === 0) return -1;
      bodyLength = Number(value);
      body = f.end + 1;
    } else if (count === 3) {
      if (id !== TAG.MsgType) return -1;
    } else if (id === TAG.CheckSum) {
      if (bodyLength !== at - body || value.length !== 3 || !/^\d+$/.test(value)) return -1;
      return (checksum & 0xff) === Number(value) ? 1 : -1;
    }
    for (let i = at; i <= f.end; i++) checksum += b[i]!;
    at = f.end + 1;
  }
  return 0;
}

/** fix_tag_value: the value, or undefined (not found, invalid, or more data needed). */
function tagValue(b: Uint8Array, tag: number): Uint8Array | undefined {
  let at = 0;
  while (at < b.length) {
    const f = field(b, at);
    if (f === 'more' || f === 'invalid') return undefined;
    const id = checkId(f.tag, undefined);
    if (!id) return undefined;
    if (id === tag) return f.end > f.start ? b.subarray(f.start, f.end) : undefined;
    if (id === TAG.CheckSum) return undefined;
    at = f.end + 1;
  }
  return undefined;
}

/** A tag id or one of the names HAProxy knows (fix_tagid), made an integer argument. */
function tagArgument(a: SampleArg[]): string | undefined {
  const text = argStr(a[0]) ?? '';
  const byName = Object.entries(TAG).find(([name]) => name.toLowerCase() === text.toLowerCase())?.[1];
  const id = checkId(text, undefined) || byName;
  if (!id) return `Unknown FIX tag name '${text}'`;
  a[0] = { type: 'int', value: id };
  return undefined;
}

export const FIX_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['fix_is_valid', '', 'bin', 'bool'], () => (s) => {
    const r = validate(bytesOf(s));
    return r === 0 ? undefined : mkBool(r === 1);
  }),
  converter(['fix_tag_value', 'str', 'bin', 'bin'], ({ args }) => {
    const tag = intArg(args, 0) ?? 0;
    return (s) => {
      const v = tagValue(bytesOf(s), tag);
      return v && mkBin(v);
    };
  }, tagArgument),
];
