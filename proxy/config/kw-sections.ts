/** Keywords of the small sections: `resolvers` (DNS discovery) and `userlist` (HTTP auth). */
import type { DirectiveContext } from './keywords.ts';
import { parseAddress, parseInteger, parseTime } from './values.ts';
import type { Resolvers, Userlist } from './model.ts';

const HOLD_STATUSES = new Set(['nx', 'other', 'refused', 'timeout', 'valid', 'obsolete']);

export const RESOLVERS_KEYWORDS = ['nameserver', 'parse-resolv-conf', 'hold', 'accepted_payload_size', 'resolve_retries', 'timeout'];

export function parseResolversDirective(ctx: DirectiveContext, r: Resolvers, keyword: string): void {
  const a = ctx.args;
  switch (keyword) {
    case 'nameserver': {
      // resolvers.c reads two words and ignores the rest (a stream nameserver's are server options).
      if (!a[1]) return ctx.error(`'nameserver' expects <name> and <addr>[:<port>] as arguments.`);
      // HAProxy sends stream nameservers (tcp@) DNS over TCP; Loadstar's resolvers speak UDP only.
      if (/^(?:tcp|tcp4|tcp6|ssl)@/i.test(a[1]!)) return ctx.error(`'nameserver ${a[0]}' : DNS over TCP ('${a[1]}') is not supported by Loadstar yet; use a UDP nameserver (no prefix, or udp@).`, 1, 'LS_ERR_CFG_UNSUPPORTED');
      // A nameserver is a datagram address: udp@/udp4@/udp6@ say so explicitly (HAProxy accepts them).
      const written = a[1]!.replace(/^udp@/i, '').replace(/^udp4@/i, 'ipv4@').replace(/^udp6@/i, 'ipv6@');
      const addr = parseAddress(written, { kind: 'generic', keyword: 'nameserver' });
      if (addr.error !== undefined) return ctx.error(addr.error, 1);
      // resolvers.c asks str2sa_range for a mandatory port: none is refused, not taken as 53.
      if (!/:\d+$/.test(written)) return ctx.error(`'nameserver ${a[0]}' : missing port specification in '${a[1]}'`, 1);
      if (addr.value.port === 0) return ctx.error(`'nameserver ${a[0]}' : invalid port '0'`, 1);
      if (r.nameservers.some((n) => n.name === a[0])) return ctx.error(`'nameserver' : another nameserver named '${a[0]}' was already defined.`, 0, 'LS_ERR_CFG_DUPLICATE');
      r.nameservers.push({ name: a[0]!, address: { ...addr.value, portEnd: addr.value.port }, loc: ctx.directive.loc });
      return;
    }
    case 'parse-resolv-conf':
      r.parseResolvConf = true;
      return;
    case 'hold': {
      // resolvers.c: two words (the rest ignored), the time read before the event is checked.
      if (!a[1]) return ctx.error(`'hold' expects an <event> and a <time> as arguments.`);
      const t = parseTime(a[1], `hold ${a[0]}`);
      if (t.error !== undefined) return ctx.error(t.error, 1);
      if (t.warning) ctx.warn(t.warning, 1, 'LS_WARN_CFG_SUSPICIOUS');
      if (!HOLD_STATUSES.has(a[0]!)) return ctx.error(`'hold' unknown <event>: '${a[0]}', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.`, 0);
      r.hold[a[0]!] = t.value;
      return;
    }
    case 'accepted_payload_size': {
      const v = parseInteger(a[0] ?? '', 'accepted_payload_size', 512, 65535);
      if (v.error !== undefined) return ctx.error(v.error, 0);
      r.acceptedPayloadSize = v.value;
      return;
    }
    case 'resolve_retries': {
      const v = parseInteger(a[0] ?? '', 'resolve_retries', 1);
      if (v.error !== undefined) return ctx.error(v.error, 0);
      r.resolveRetries = v.value;
      return;
    }
    case 'timeout': {
      if (a[0] !== 'resolve' && a[0] !== 'retry') return ctx.error(`'timeout' expects 'resolve' or 'retry' in a resolvers section (got '${a[0] ?? ''}').`, 0);
      const t = parseTime(a[1] ?? '', `timeout ${a[0]}`);
      if (t.error !== undefined) return ctx.error(t.error, 1);
      if (t.warning) ctx.warn(t.warning, 1, 'LS_WARN_CFG_SUSPICIOUS');
      r.timeouts[a[0]] = t.value;
      return;
    }
  }
}

export const USERLIST_KEYWORDS = ['user', 'group'];

export function parseUserlistDirective(ctx: DirectiveContext, u: Userlist, keyword: string): void {
  const [name, ...rest] = ctx.args;
  if (name === undefined) return ctx.error(`'${keyword}' expects a name.`);
  // cfgparse.c reads option words in pairs; an option's missing value is an empty word.
  if (keyword === 'group') {
    let users: string[] = [];
    for (let i = 0; i < rest.length && rest[i] !== ''; i += 2) {
      if (rest[i] !== 'users') return ctx.error(`'group' only supports 'users' option.`, i + 1);
      users = rest[i + 1] ? rest[i + 1]!.split(',') : [];
    }
    if (u.groups.some((g) => g.name === name)) return ctx.error(`duplicate group '${name}' in userlist '${u.name}'.`, 0, 'LS_ERR_CFG_DUPLICATE');
    u.groups.push({ name, users, loc: ctx.directive.loc });
    return;
  }
  let password: string | undefined;
  let insecure = false;
  let groups: string[] = [];
  for (let i = 0; i < rest.length && rest[i] !== ''; i += 2) {
    const w = rest[i]!;
    const v = rest[i + 1];
    if (w === 'password' || w === 'insecure-password') {
      // An insecure-password without its word is the empty password (HAProxy compares it as is); a
      // crypt(3) hash that is empty matches nothing, which Loadstar does not model: refused.
      if (v === undefined && w === 'password') return ctx.error(`'user' : 'password' expects a value.`, i + 1);
      password = v ?? '';
      insecure = w === 'insecure-password';
    } else if (w === 'groups') {
      groups = v ? v.split(',') : [];
    } else return ctx.error(`'user' only supports 'password', 'insecure-password' and 'groups' options.`, i + 1);
  }
  if (password === undefined) return ctx.error(`'user' : user '${name}' needs 'password' or 'insecure-password'.`);
  if (u.users.some((x) => x.name === name)) return ctx.error(`duplicate user '${name}' in userlist '${u.name}'.`, 0, 'LS_ERR_CFG_DUPLICATE');
  u.users.push({ name, password, insecure, groups, loc: ctx.directive.loc });
}
