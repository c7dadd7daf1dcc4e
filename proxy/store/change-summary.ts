/**
 * A one-line summary of what a configuration change does, computed from the
 * two parsed models ("added backend api (2 servers)", "changed weight of
 * web/s1 to 3"), for the version history. Frontends and their binds and
 * routing, backends, their balancing and servers are told in words; every
 * other kind of directive that changed is named by its keyword ("added cookie
 * and option httpchk to app", "changed inter to 3s of app/web2"), so no kind
 * of change is left out.
 */
import type { BackendProxy, BalancingProxy, Config, Proxy, Server } from '../config/model.ts';
import { directiveText } from '../config/serialize.ts';

const MAX_PHRASES = 6;

function frontends(config: Config): Map<string, Proxy> {
  return new Map(config.proxies.filter((p) => p.kind === 'frontend' || p.kind === 'listen').map((p) => [p.name, p]));
}

function backends(config: Config): Map<string, BackendProxy> {
  return new Map(config.proxies.filter((p) => p.kind === 'backend').map((p) => [p.name, p]));
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Renames: a name that went away paired with a new one that has the same `key`
 * (a server's address, a section's text without its name), each used once.
 * A form's rename is then told as one, not as a removal and an addition.
 */
function renames<T>(before: Map<string, T>, after: Map<string, T>, key: (x: T) => string): Map<string, string> {
  const gone = [...before].filter(([name]) => !after.has(name));
  const paired = new Map<string, string>();
  for (const [name, x] of after) {
    // An empty key (a backend without servers) says nothing about where it came from.
    if (before.has(name) || key(x) === '') continue;
    const at = gone.findIndex(([, o]) => key(o) === key(x));
    if (at < 0) continue;
    paired.set(name, gone[at]![0]);
    gone.splice(at, 1);
  }
  return paired;
}

/** The section's directives as text, to notice any change at all. */
function sectionText(p: Proxy): string {
  return p.section.directives.map(directiveText).join('\n');
}

function bindText(p: Proxy): string {
  return p.section.directives.filter((d) => d.keyword === 'bind').map(directiveText).join('\n');
}

function routingText(p: Proxy): string {
  return p.section.directives.filter((d) => ['acl', 'use_backend', 'default_backend'].includes(d.keyword)).map(directiveText).join('\n');
}

function serverAddress(s: Server): string {
  return `${s.host}:${s.port}`;
}

/** Keywords whose first argument says what the line does (`http-request redirect`, `http-check expect`). */
const BY_FIRST_ARG = new Set(['http-request', 'http-response', 'http-after-response', 'tcp-request', 'tcp-response', 'http-check', 'tcp-check', 'stats', 'email-alert']);

function kindOf(d: Proxy['section']['directives'][number]): string {
  return BY_FIRST_ARG.has(d.keyword) && d.args[0] !== undefined ? `${d.keyword} ${d.args[0]}` : d.keyword;
}

/**
 * The kinds of directive (keyword, with the action for rule keywords) added to, changed in or
 * removed from a section, leaving out the kinds told elsewhere: "added cookie and option httpchk to app".
 */
function directivePhrases(name: string, before: Proxy, after: Proxy, told: ReadonlySet<string>): string[] {
  const lines = (p: Proxy): Map<string, string[]> => {
    const out = new Map<string, string[]>();
    for (const d of p.section.directives) {
      const k = kindOf(d);
      if (told.has(d.keyword) || told.has(k)) continue;
      out.set(k, [...(out.get(k) ?? []), directiveText(d)]);
    }
    return out;
  };
  const o = lines(before);
  const n = lines(after);
  const added = [...n.keys()].filter((k) => !o.has(k));
  const removed = [...o.keys()].filter((k) => !n.has(k));
  const changed = [...n.keys()].filter((k) => o.has(k) && o.get(k)!.join('\n') !== n.get(k)!.join('\n'));
  return [
    ...(added.length ? [`added ${andList(added)} to ${name}`] : []),
    ...(changed.length ? [`changed ${andList(changed)} of ${name}`] : []),
    ...(removed.length ? [`removed ${andList(removed)} from ${name}`] : []),
  ];
}

function andList(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** Server options the summary names on their own (or with the server's line). */
const TOLD_OPTIONS = new Set(['weight', 'backup', 'disabled', 'check']);

/** A provisioned option's name as written (`checkSni` → `check-sni`) and its value in words. */
function optionWords(key: string, value: unknown): string {
  const kw = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  if (value === undefined || value === false) return `${kw} off`;
  if (value === true) return `${kw} on`;
  if (typeof value === 'number' && /inter$|^slowstart$/.test(key)) return `${kw} to ${value % 1000 === 0 ? `${value / 1000}s` : `${value}ms`}`;
  if (typeof value === 'number' || typeof value === 'string') return `${kw} to ${value}`;
  return kw;
}

/** The options of a server that changed, in words (`inter to 3s`), leaving out `skip`. */
function optionChanges(o: Server, s: Server, skip: ReadonlySet<string>): string[] {
  const a = o.options as unknown as Record<string, unknown>;
  const b = s.options as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  // fastinter and downinter follow inter unless written: not a change of their own then.
  const follows = (k: string): boolean => (k === 'fastinter' || k === 'downinter') && a[k] === a['inter'] && b[k] === b['inter'];
  return keys.filter((k) => !TOLD_OPTIONS.has(k) && !skip.has(k) && !follows(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => optionWords(k, b[k]));
}

/** Servers named briefly: `app/s1`, `app/s1, s2, s3`, or `5 servers of app`. */
function serversNamed(backend: string, names: readonly string[]): string {
  return names.length > 3 ? `${names.length} servers of ${backend}` : `${backend}/${names.join(', ')}`;
}

function serverPhrases(backend: string, before: Proxy, after: Proxy, skip: ReadonlySet<string> = new Set()): string[] {
  const phrases: string[] = [];
  /** The same change on several servers is told once: "changed inter to 3s of app/a1, a2" (`{}`: where the servers go). */
  const grouped = new Map<string, string[]>();
  const group = (phrase: string, name: string): void => {
    // Told where it first happened, among the additions and removals.
    if (!grouped.has(phrase)) phrases.push(phrase);
    grouped.set(phrase, [...(grouped.get(phrase) ?? []), name]);
  };
  const old = new Map(before.servers.map((s) => [s.name, s]));
  const now = new Map(after.servers.map((s) => [s.name, s]));
  const renamed = renames(old, now, serverAddress);
  for (const [name, s] of now) {
    const was = renamed.get(name);
    if (was !== undefined) phrases.push(`renamed server ${backend}/${was} to ${name}`);
    const o = old.get(was ?? name);
    if (!o) {
      phrases.push(`added server ${backend}/${name} (${serverAddress(s)})`);
      continue;
    }
    if (serverAddress(o) !== serverAddress(s)) phrases.push(`moved ${backend}/${name} to ${serverAddress(s)}`);
    if (o.options.weight !== s.options.weight) group(`changed weight of {} to ${s.options.weight}`, name);
    if (o.options.backup !== s.options.backup) group(`made {} ${s.options.backup ? 'backup' : 'active'}`, name);
    if (o.options.disabled !== s.options.disabled) group(`${s.options.disabled ? 'disabled' : 'enabled'} {}`, name);
    if (o.options.check !== s.options.check) group(`${s.options.check ? 'enabled' : 'disabled'} health checks of {}`, name);
    const changes = optionChanges(o, s, skip);
    if (changes.length) group(`changed ${changes.join(', ')} of {}`, name);
  }
  const kept = new Set(renamed.values());
  for (const name of old.keys()) if (!now.has(name) && !kept.has(name)) phrases.push(`removed server ${backend}/${name}`);
  return phrases.map((phrase) => (grouped.has(phrase) ? phrase.replace('{}', serversNamed(backend, grouped.get(phrase)!)) : phrase));
}

/** Lines told in words: a frontend's binds and routing; a backend's balancing and servers. */
const FRONTEND_TOLD = new Set(['bind', 'acl', 'use_backend', 'default_backend']);
const BACKEND_TOLD = new Set(['server', 'balance']);

/** A backend's (or a listen section's) balancing, servers and other lines that changed. */
function backendPhrases(name: string, o: BalancingProxy, p: BalancingProxy, told: ReadonlySet<string>): string[] {
  const algo = (x: BalancingProxy): string => x.balance.algorithm;
  const own: string[] = [];
  if (algo(o) !== algo(p)) own.push(`changed balancing of ${name} to ${algo(p)}`);
  const balance = (x: Proxy): string => x.section.directives.filter((d) => d.keyword === 'balance').map(directiveText).join('\n');
  if (algo(o) === algo(p) && balance(o) !== balance(p)) own.push(`changed balance of ${name}`);
  // With the backend's cookie line changed, the servers' cookie values go with it.
  const cookieLine = (x: Proxy): string => x.section.directives.filter((d) => d.keyword === 'cookie').map(directiveText).join('\n');
  own.push(...directivePhrases(name, o, p, told));
  own.push(...serverPhrases(name, o, p, cookieLine(o) !== cookieLine(p) ? new Set(['cookie']) : new Set()));
  if (own.length === 0 && sectionText(o) !== sectionText(p)) own.push(`changed settings of ${name}`);
  return own;
}

function compare(before: Config, after: Config): string[] {
  const phrases: string[] = [];
  const fb = frontends(before);
  const fa = frontends(after);
  const renamedFrontends = renames(fb, fa, sectionText);
  for (const [name, p] of fa) {
    const was = renamedFrontends.get(name);
    if (was !== undefined) {
      phrases.push(`renamed frontend ${was} to ${name}`);
      continue;
    }
    const o = fb.get(name);
    if (!o) {
      const first = p.binds[0]?.addresses[0];
      phrases.push(`added frontend ${name}${first ? ` on ${first.host || '*'}:${first.port}` : ''}`);
      continue;
    }
    const changed: string[] = [];
    const addresses = (x: Proxy): string => x.binds.flatMap((b) => b.addresses.map((a) => `${a.host}:${a.port}`)).join(' ');
    const tls = (x: Proxy): boolean => x.binds.some((b) => b.ssl);
    if (tls(o) !== tls(p)) phrases.push(`turned TLS ${tls(p) ? 'on' : 'off'} for frontend ${name}`);
    if (addresses(o) !== addresses(p) || (tls(o) === tls(p) && bindText(o) !== bindText(p))) changed.push(`listening address of frontend ${name}`);
    if (routingText(o) !== routingText(p)) changed.push(`routing of frontend ${name}`);
    if (changed.length > 0) phrases.push(`changed ${changed.join(' and ')}`);
    // A listen section's other lines are told with its servers, below.
    if (p.kind === 'frontend') phrases.push(...directivePhrases(`frontend ${name}`, o, p, FRONTEND_TOLD));
  }
  const keptFrontends = new Set(renamedFrontends.values());
  for (const name of fb.keys()) if (!fa.has(name) && !keptFrontends.has(name)) phrases.push(`removed frontend ${name}`);
  const bb = backends(before);
  const ba = backends(after);
  // A backend renamed by the form keeps its servers; the rest of its section may change with it.
  const renamedBackends = renames(bb, ba, (b) => b.servers.map((x) => `${x.name}=${serverAddress(x)}`).join(' '));
  for (const [name, p] of ba) {
    const was = renamedBackends.get(name);
    if (was !== undefined) phrases.push(`renamed backend ${was} to ${name}`);
    const o = bb.get(was ?? name);
    if (!o) {
      phrases.push(`added backend ${name} (${plural(p.servers.length, 'server')})`);
      continue;
    }
    phrases.push(...backendPhrases(name, o, p, BACKEND_TOLD));
  }
  const keptBackends = new Set(renamedBackends.values());
  for (const name of bb.keys()) if (!ba.has(name) && !keptBackends.has(name)) phrases.push(`removed backend ${name}`);
  // A listen section is both: its servers count like a backend's.
  for (const [name, p] of fa) {
    const o = fb.get(name);
    if (p.kind === 'listen' && o?.kind === 'listen') phrases.push(...backendPhrases(name, o, p, new Set([...BACKEND_TOLD, ...FRONTEND_TOLD])));
  }
  const global = (c: Config): string => c.sections.filter((s) => s.kind === 'global' || s.kind === 'defaults').map((s) => s.directives.map(directiveText).join('\n')).join('\n--\n');
  if (global(before) !== global(after)) phrases.push('changed global settings or defaults');
  return phrases;
}

/**
 * One line for people. `before` absent: the first version. Either side
 * unparsable (undefined config): a plain line count summary.
 */
export function summarizeChange(before: { text: string; config?: Config } | undefined, after: { text: string; config?: Config }): string {
  if (!before) return 'initial configuration';
  if (before.text === after.text) return 'no change';
  if (!before.config || !after.config) return 'edited the configuration text';
  const phrases = compare(before.config, after.config);
  if (phrases.length === 0) return 'edited comments or formatting';
  if (phrases.length <= MAX_PHRASES) return phrases.join('; ');
  return `${phrases.slice(0, MAX_PHRASES).join('; ')} and ${plural(phrases.length - MAX_PHRASES, 'more change')}`;
}

/**
 * The backends and servers a change renamed, as history ids (`backend:<name>`,
 * `server:<backend>/<name>`): new id → old id, found as the summary finds them
 * (a server by its address, a backend by its servers). A server of a renamed
 * backend is renamed with it.
 */
export function renamedObjects(before: Config, after: Config): Map<string, string> {
  const out = new Map<string, string>();
  const withServers = (c: Config): Map<string, Proxy> => new Map(c.proxies.filter((p) => p.kind === 'backend' || p.kind === 'listen').map((p) => [p.name, p]));
  const bb = withServers(before);
  const ba = withServers(after);
  const renamedBackends = renames(bb, ba, (b) => (b.servers ?? []).map((x) => `${x.name}=${serverAddress(x)}`).join(' '));
  for (const [name, p] of ba) {
    const was = renamedBackends.get(name);
    if (was !== undefined) out.set(`backend:${name}`, `backend:${was}`);
    const o = bb.get(was ?? name);
    if (!o) continue;
    const old = new Map((o.servers ?? []).map((s) => [s.name, s]));
    const now = new Map((p.servers ?? []).map((s) => [s.name, s]));
    const renamedServers = renames(old, now, serverAddress);
    for (const server of now.keys()) {
      const from = renamedServers.get(server) ?? (was !== undefined && old.has(server) ? server : undefined);
      if (from !== undefined) out.set(`server:${name}/${server}`, `server:${was ?? name}/${from}`);
    }
  }
  return out;
}
