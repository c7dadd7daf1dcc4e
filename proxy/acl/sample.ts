/**
 * Sample expressions: `fetch(args),conv1(args),conv2…` (manual 7.3), parsed
 * like HAProxy's sample_parse_expr(): keyword characters are letters, digits
 * and `._-+:`; arguments use second-level quoting (args.ts); converters are
 * chained with commas and, when the expression is given as separate words
 * (e.g. `http-request set-var(txn.x) req.hdr(host) lower`), may also follow
 * as further words. Log-format strings are in logformat.ts.
 */
import type { AclParseError, ConverterCall, SampleArg, SampleExpr, SampleType } from './types.ts';
import { fetchValidator, findFetch, idLength, suggestFetch } from './fetches.ts';
import { canCast, converterValidator, findConverter, suggestConverter } from './converters.ts';
import { compileRegexArgs, parseArgList } from './args.ts';
import type { FetchEntry } from './fetches.ts';

/** Result of parseSampleExpression(). */
export type SampleParseResult = { readonly expr: SampleExpr; readonly warnings: string[] } | AclParseError;

/** Result of parseSampleWords(). */
export type SampleWordsResult =
  | { readonly expr: SampleExpr; readonly nextIndex: number; readonly warnings: string[] }
  | AclParseError;

/** "; did you mean 'x'?" or ''. */
export const hint = (name: string | undefined): string => (name ? `; did you mean '${name}'?` : '');

/**
 * Parses a sample expression held in one string, e.g. the argument of
 * `stick on` or `http-request set-var(txn.x)`. The whole text must be used.
 */
export function parseSampleExpression(text: string): SampleParseResult {
  const r = parseSampleCore([text], 0, false);
  if ('error' in r) return { error: r.error + (r.hint ?? ''), wordIndex: 0 };
  return { expr: r.expr, warnings: r.warnings };
}

/**
 * Parses a sample expression starting at words[index]; following words that
 * start with a converter name are taken as more converters (HAProxy's
 * "one converter per word" syntax). `nextIndex` is the first unused word.
 */
export function parseSampleWords(words: readonly string[], index: number): SampleWordsResult {
  const r = parseSampleCore(words, index, false);
  if ('error' in r) return { error: r.error + (r.hint ?? ''), wordIndex: r.wordIndex };
  return { expr: r.expr, nextIndex: r.wordIndex + 1, warnings: r.warnings };
}

/** Internal result: `wordIndex`/`end` locate where parsing stopped. */
export type CoreResult =
  | { expr: SampleExpr; wordIndex: number; end: number; warnings: string[] }
  /** `hint`: "did you mean" suffix, kept apart so callers can place it after their own wording. */
  | { error: string; wordIndex: number; hint?: string };

/**
 * sample_parse_expr(). With `embedded` (log-format `%[…]`), parsing stops at
 * the first character that cannot continue the expression and `end` is its
 * offset in words[wordIndex]; otherwise trailing junk is an error.
 */
export function parseSampleCore(words: readonly string[], index: number, embedded: boolean): CoreResult {
  const text = words[index] ?? '';
  const warnings: string[] = [];
  const kwLen = idLength(text, 0);
  if (kwLen === 0) return { error: 'missing fetch method', wordIndex: index };
  const fkw = text.slice(0, kwLen);
  const fetch = findFetch(fkw);
  if (!fetch) return { error: `unknown fetch method '${fkw}'`, wordIndex: index, hint: hint(suggestFetch(fkw)) };
  const parsed = parseFetchArgs(fetch, text, kwLen, warnings);
  if ('error' in parsed) {
    return { error: parsed.kind === 'args' ? `fetch method '${fkw}' : ${parsed.error}` : `invalid args in fetch method '${fkw}' : ${parsed.error}`, wordIndex: index };
  }
  const chain = parseConverterChain({ words, wordIndex: index, pos: parsed.end, type: fetch.output, fetchName: fkw, embedded, warnings });
  if ('error' in chain) return chain;
  const consumed = chain.wordIndex === index
    ? text.slice(0, chain.end)
    : [text, ...words.slice(index + 1, chain.wordIndex), (words[chain.wordIndex] ?? '').slice(0, chain.end)].filter((w) => w !== '').join(' ');
  const expr: SampleExpr = { text: consumed, fetch, args: parsed.args, converters: chain.converters, type: chain.type };
  return { expr, wordIndex: chain.wordIndex, end: chain.end, warnings };
}

/** Parses and validates the fetch arguments found at text[pos]. */
export function parseFetchArgs(fetch: FetchEntry, text: string, pos: number, warnings: string[]):
  { args: SampleArg[]; end: number } | { error: string; kind: 'args' | 'val' } {
  const r = parseArgList(text, pos, fetch.args);
  if ('error' in r) return { error: r.error, kind: 'args' };
  const validator = fetchValidator(fetch.name);
  if (validator && r.args.length > 0) {
    const err = validator(r.args, warnings);
    if (err) return { error: err, kind: 'val' };
  }
  return r;
}

interface ChainInput {
  readonly words: readonly string[];
  readonly wordIndex: number;
  /** Offset in words[wordIndex] just after the fetch (and its arguments). */
  readonly pos: number;
  /** Output type of the fetch. */
  readonly type: SampleType;
  /** Fetch keyword as written, for messages. */
  readonly fetchName: string;
  readonly embedded: boolean;
  /** Set for ACL-specific keywords: only the first word is used and messages differ. */
  readonly aclKeyword?: string;
  readonly warnings: string[];
}

type ChainResult =
  | { converters: ConverterCall[]; type: SampleType; wordIndex: number; end: number }
  | { error: string; wordIndex: number; hint?: string };

/** The converter loop of sample_parse_expr() / parse_acl_expr(). */
export function parseConverterChain(input: ChainInput): ChainResult {
  const { words, aclKeyword, embedded } = input;
  let wordIndex = input.wordIndex;
  let text = words[wordIndex] ?? '';
  let pos = input.pos;
  let type = input.type;
  let ckw: string | undefined;
  const converters: ConverterCall[] = [];
  const acl = aclKeyword !== undefined ? `ACL keyword '${aclKeyword}' : ` : '';
  const fail = (error: string): ChainResult => ({ error, wordIndex });

  for (;;) {
    if (pos < text.length && text[pos] !== ',') {
      if (embedded) break;
      if (ckw !== undefined) return fail(`${acl}missing comma after converter '${ckw}'`);
      return fail(aclKeyword !== undefined ? `${acl}missing comma after fetch keyword` : `missing comma after fetch keyword '${input.fetchName}'`);
    }
    while (text[pos] === ',') pos++;
    let newWord = false;
    if (pos >= text.length) {
      if (aclKeyword !== undefined || embedded) break;
      const next = words[wordIndex + 1];
      if (next === undefined || next === '') break;
      wordIndex++;
      text = next;
      pos = 0;
      newWord = true;
    }
    const len = idLength(text, pos);
    const name = text.slice(pos, pos + len);
    const conv = findConverter(name);
    if (!conv) {
      if (newWord) { // an isolated unknown word is not ours
        wordIndex--;
        text = words[wordIndex] ?? '';
        pos = text.length;
        break;
      }
      return { error: `${acl}unknown converter '${name}'`, wordIndex, hint: hint(suggestConverter(name)) };
    }
    ckw = name;
    if (!canCast(type, conv.input)) return fail(`${acl}converter '${name}' cannot be applied`);
    type = conv.output;
    const r = parseArgList(text, pos + len, conv.args);
    if ('error' in r) {
      return fail(`${acl}invalid arg ${r.errArg + 1} in converter '${name}' : ${r.error}`);
    }
    const validator = converterValidator(name);
    const err = validator?.(r.args, input.warnings);
    if (err) return fail(`${acl}invalid args in converter '${name}' : ${err}`);
    const where = `conversion keyword '${name}' for ${aclKeyword !== undefined ? 'ACL' : 'sample fetch'} keyword '${aclKeyword ?? input.fetchName}'`;
    const regexErr = compileRegexArgs(r.args, where);
    if (regexErr) return fail(regexErr);
    converters.push({ def: conv, args: r.args });
    pos = r.end;
  }
  return { converters, type, wordIndex, end: pos };
}
