/**
 * A one-line summary of what a configuration change does, computed from the
 * two parsed models ("added backend api (2 servers)", "changed weight of
 * web/s1 to 3"), for the version history. Only what a person would name is
 * compared: frontends and their binds and routing, backends, their balancing
 * and servers; anything else becomes "changed settings of X".
 */
import type { BackendProxy, Config, Proxy, Server } from '../config/model.ts';
import { directiveText } from '../config/serialize.ts';

const MAX_PHRASES = 3;

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

function serverPhrases(backend: string, before: Proxy, after: Proxy): string[] {
  const phrases: string[] = [];
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
    if (o.options.weight !== s.options.weight) phrases.push(`changed weight of ${backend}/${name} to ${s.options.weight}`);
    if (o.options.backup !== s.options.backup) phrases.push(`made ${backend}/${name} ${s.options.backup ? 'a backup' : 'an active'} server`);
    if (o.options.disabled !== s.options.disabled) phrases.push(`${s.options.disabled ? 'disabled' : 'enabled'} ${backend}/${name}`);
    if (o.options.check !== s.options.check) phrases.push(`${s.options.check ? 'enabled' : 'disabled'} health checks of ${backend}/${name}`);
  }
  const kept = new Set(renamed.values());
  for (const name of old.keys()) if (!now.has(name) && !kept.has(name)) phrases.push(`removed server ${backend}/${name}`);
  return phrases;
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
    if (bindText(o) !== bindText(p)) changed.push(`listening address of frontend ${name}`);
    if (routingText(o) !== routingText(p)) changed.push(`routing of frontend ${name}`);
    if (changed.length > 0) phrases.push(`changed ${changed.join(' and ')}`);
    else if (sectionText(o) !== sectionText(p) && p.kind === 'frontend') phrases.push(`changed settings of frontend ${name}`);
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
    const algo = (x: BackendProxy): string => x.balance.algorithm;
    const own: string[] = [];
    if (algo(o) !== algo(p)) own.push(`changed balancing of ${name} to ${algo(p)}`);
    own.push(...serverPhrases(name, o, p));
    if (own.length === 0 && sectionText(o) !== sectionText(p)) own.push(`changed settings of backend ${name}`);
    phrases.push(...own);
  }
  const keptBackends = new Set(renamedBackends.values());
  for (const name of bb.keys()) if (!ba.has(name) && !keptBackends.has(name)) phrases.push(`removed backend ${name}`);
  // A listen section is both: its servers count like a backend's.
  for (const [name, p] of fa) {
    const o = fb.get(name);
    if (p.kind === 'listen' && o?.kind === 'listen') {
      const own = serverPhrases(name, o, p);
      if (own.length === 0 && sectionText(o) !== sectionText(p) && bindText(o) === bindText(p) && routingText(o) === routingText(p)) own.push(`changed settings of ${name}`);
      phrases.push(...own);
    }
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
