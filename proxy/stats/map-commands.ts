/**
 * The runtime API's map and ACL commands (map.c cli_parse_*_map, management.txt §9.3): `show`,
 * `get`, `add`, `set`, `del` and `clear` of `map` and `acl`, on the pattern references of the
 * running configuration (acl/pattern-ref.ts), with HAProxy 2.6's texts. Like HAProxy 2.6, they
 * need no particular level. HAProxy prints element addresses where Loadstar has none: each entry
 * gets a stable made-up one, which `set map` / `del map` take back as `#0x…`.
 *
 * Versions work as in HAProxy 2.6 (`prepare` a new one, `add @<ver>` entries to it, `commit` it:
 * the older ones go; lookups see the entries of every version meanwhile). `add map|acl` take a
 * payload (`add map <map> <<`, one entry per line). Their refusals are cli_err messages, `prepare`'s
 * answer a LOG_INFO one; what `show` and `get` print is a dump.
 */
import { strtol } from './cli-numbers.ts';
import type { PatternEntry, PatternRef, PatternRefs } from '../acl/index.ts';
import { cliErr, cliMsg } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';

type Kind = 'map' | 'acl';

const BASE = 0x55e000000000;
const address = (e: PatternEntry): string => `0x${(BASE + e.id * 0x90).toString(16)}`;

/** `#0x…` → the entry id it names; undefined when malformed (HAProxy's strtoll check). */
function idOfAddress(word: string): number | undefined {
  const hex = word.slice(3);
  if (!/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  const n = Number.parseInt(hex, 16) - BASE;
  return n > 0 && n % 0x90 === 0 ? n / 0x90 : -1;
}

const unknown = (kind: Kind): CliAnswer => cliErr(`Unknown ${kind === 'map' ? 'map' : 'ACL'} identifier. Please use #<id> or <file>.\n`);

/** pat_ref_lookup_ref: `#<id>` (strtol to an int, nothing after it; `#` alone is 0) or the file name as written. */
function lookup(refs: PatternRefs | undefined, name: string): PatternRef | undefined {
  if (!refs) return undefined;
  if (name.startsWith('#')) {
    const n = strtol(name.slice(1));
    if (n ? n.rest !== '' : name !== '#') return undefined;
    const id = n ? Number(BigInt.asIntN(32, n.value)) : 0;
    return refs.all().find((r) => r.uniqueId === id);
  }
  return refs.lookup(name);
}

const usedAs = (ref: PatternRef, kind: Kind): boolean => (kind === 'map' ? ref.usedByMap : ref.usedByAcl);

/** `show map|acl [@<ver>] [<name>]`. */
export function showPatterns(refs: PatternRefs | undefined, kind: Kind, args: readonly string[]): CliAnswer {
  let i = 2;
  if (args[i] === undefined) {
    let out = '# id (file) description\n';
    for (const ref of refs?.all() ?? []) {
      if (!usedAs(ref, kind)) continue;
      out += `${ref.uniqueId} (${ref.name}) ${ref.display}. curr_ver=${ref.currGen} next_ver=${ref.nextGen} entry_cnt=${ref.entries.length * ref.users.length}\n`;
    }
    return out;
  }
  let version: number | undefined;
  if (args[i]!.startsWith('@')) version = versionOf(args[i++]!);
  const ref = lookup(refs, args[i] ?? '');
  if (!ref || !usedAs(ref, kind)) return unknown(kind);
  const gen = version ?? ref.currGen;
  let out = '';
  for (const e of ref.entries) if (e.gen === gen) out += e.value === undefined ? `${address(e)} ${e.key}\n` : `${address(e)} ${e.key} ${e.value}\n`;
  return out;
}

/** `get map|acl <name> <value>`: what each reader of the file finds for the value. */
export function getPattern(refs: PatternRefs | undefined, kind: Kind, args: readonly string[]): CliAnswer {
  const name = args[2];
  const value = args[3];
  if (name === undefined || value === undefined) return cliErr(kind === 'map' ? 'Missing map identifier and/or key.\n' : 'Missing ACL identifier and/or key.\n');
  const ref = lookup(refs, name);
  if (!ref) return unknown(kind);
  let out = '';
  const seen = new Set<string>();
  for (const user of ref.users) {
    // HAProxy shares one expression between the readers with the same method and case.
    const id = `${user.method} ${user.ignoreCase}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out += `type=${user.method}, case=${user.ignoreCase ? 'insensitive' : 'sensitive'}`;
    const found = user.lookup(value);
    if (!found) {
      out += kind === 'map' ? ', found=no\n' : ', match=no\n';
      continue;
    }
    out += `${kind === 'map' ? ', found=yes' : ', match=yes'}, idx=${found.tree ? 'tree' : 'list'}`;
    if (kind === 'acl') {
      out += `, pattern="${found.entry.key}"\n`;
      continue;
    }
    out += `, key="${found.entry.key}"`;
    out += found.entry.value !== undefined && found.valueType !== undefined ? `, value="${found.entry.value}", type="${found.valueType}"\n` : ', value=none\n';
  }
  return out;
}

/**
 * `add map [@<ver>] <map> <key> <value>` / `add acl [@<ver>] <acl> <pattern>`, or with a payload
 * (`add map <map> <<`, one `<key> <value>` per line; HAProxy 2.6's `add acl` still wants its pattern
 * argument then, and takes the payload's).
 */
export function addPattern(refs: PatternRefs | undefined, kind: Kind, args: readonly string[], payload?: string): CliAnswer {
  let i = 2;
  let version: number | undefined;
  if (args[i]?.startsWith('@')) version = versionOf(args[i++]!);
  const [name, key, value] = [args[i], args[i + 1], args[i + 2]];
  if (kind === 'map' && payload !== undefined && name === undefined) {
    return cliErr("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n");
  }
  if (kind === 'map' && payload === undefined && (name === undefined || key === undefined || value === undefined)) {
    return cliErr("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n");
  }
  if (kind === 'acl' && (name === undefined || key === undefined)) return cliErr("'add acl' expects two parameters: ACL identifier and pattern.\n");
  const ref = lookup(refs, name!);
  if (!ref) return unknown(kind);
  if (version !== undefined && ((version - ref.nextGen) | 0) > 0) return cliErr(`Version number in the future, please use 'prepare ${kind}' before.\n`);
  if (kind === 'acl' && ref.twoColumn) return cliErr("This ACL is shared with a map containing samples. You must use the command 'add map' to add values.\n");
  if (payload === undefined) {
    const error = ref.add(key!, kind === 'map' ? value : undefined, version ?? ref.currGen);
    return error === undefined ? '' : cliErr(`${error}.\n`);
  }
  // cli_parse_add_map's reading of a payload: the key up to a space or tab, the value to the end of the line.
  let rest = payload;
  while (rest !== '') {
    const l = rest.search(/[ \t]/);
    const k = l < 0 ? rest : rest.slice(0, l);
    rest = l < 0 ? '' : rest.slice(l);
    if (rest === '' && kind === 'map') return cliErr(`Missing value for key '${k}'.\n`);
    rest = rest.slice(1).replace(/^[ \t]*/, '');
    const nl = rest.indexOf('\n');
    const v = nl < 0 ? rest : rest.slice(0, nl);
    rest = nl < 0 ? '' : rest.slice(nl + 1);
    const error = ref.add(k, kind === 'map' ? v : undefined, version ?? ref.currGen);
    if (error !== undefined) return cliErr(`${error}.\n`);
  }
  return '';
}

/** `set map <map> <key>|#<ref> <value>`. */
export function setPattern(refs: PatternRefs | undefined, args: readonly string[]): CliAnswer {
  const [name, key, value] = [args[2], args[3], args[4]];
  if (name === undefined || key === undefined || value === undefined) return cliErr("'set map' expects three parameters: map identifier, key and value.\n");
  const ref = lookup(refs, name);
  if (!ref) return unknown('map');
  let error: string | undefined;
  if (key.startsWith('#0x')) {
    const id = idOfAddress(key);
    if (id === undefined) return cliErr('Malformed identifier. Please use #<id> or <file>.\n');
    error = ref.setById(id, value);
  } else error = ref.set(key, value);
  return error === undefined ? '' : cliErr(`${error}.\n`);
}

/** `del map|acl <name> <key>|#<ref>`. */
export function delPattern(refs: PatternRefs | undefined, kind: Kind, args: readonly string[]): CliAnswer {
  const [name, key] = [args[2], args[3]];
  if (name === undefined || key === undefined) return cliErr(`This command expects two parameters: ${kind === 'map' ? 'map' : 'ACL'} identifier and key.\n`);
  const ref = lookup(refs, name);
  // HAProxy 2.6 names the map here for both.
  if (!ref || !usedAs(ref, kind)) return unknown('map');
  if (key.startsWith('#0x')) {
    const id = idOfAddress(key);
    if (id === undefined) return cliErr('Malformed identifier. Please use #<id> or <file>.\n');
    return ref.deleteById(id) ? '' : cliErr('Key not found.\n');
  }
  return ref.delete(key) ? '' : cliErr('Key not found.\n');
}

/** `clear map|acl [@<ver>] <name>`. */
export function clearPatterns(refs: PatternRefs | undefined, kind: Kind, args: readonly string[]): CliAnswer {
  let i = 2;
  let version: number | undefined;
  if (args[i]?.startsWith('@')) version = versionOf(args[i++]!);
  const name = args[i];
  if (name === undefined) return cliErr(kind === 'map' ? 'Missing map identifier.\n' : 'Missing ACL identifier.\n');
  const ref = lookup(refs, name);
  if (!ref || !usedAs(ref, kind)) return unknown(kind);
  const gen = version ?? ref.currGen;
  ref.purge((g) => g === gen);
  return '';
}

/** `prepare map|acl <name>`: a new version to fill, then commit. */
export function preparePatterns(refs: PatternRefs | undefined, kind: Kind, args: readonly string[]): CliAnswer {
  const ref = lookup(refs, args[2] ?? '');
  if (!ref || !usedAs(ref, kind)) return unknown(kind);
  return cliMsg(`New version created: ${ref.newVersion()}\n`);
}

/** `commit map|acl @<ver> <name>`: the version becomes the current one; the older ones go. */
export function commitPatterns(refs: PatternRefs | undefined, kind: Kind, args: readonly string[]): CliAnswer {
  if (!args[2]?.startsWith('@')) return cliErr('Missing version number.\n');
  const version = versionOf(args[2]);
  const name = args[3];
  if (name === undefined) return cliErr(kind === 'map' ? 'Missing map identifier.\n' : 'Missing ACL identifier.\n');
  const ref = lookup(refs, name);
  if (!ref || !usedAs(ref, kind)) return unknown(kind);
  return ref.commit(version) ? '' : cliErr('Version number out of range.\n');
}

/** `@<ver>` as HAProxy's str2uic reads it: the leading digits, as an unsigned 32-bit number. */
function versionOf(word: string): number {
  const digits = /^\d*/.exec(word.slice(1))![0];
  return digits === '' ? 0 : Number(BigInt(digits) & 0xffffffffn);
}
