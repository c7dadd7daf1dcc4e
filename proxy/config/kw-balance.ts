/** `balance` and `hash-type` (configuration.txt §4.2 "balance"). */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext } from './keywords.ts';
import { ENGINE } from './status.ts';
import { atoi } from './values.ts';
import type { Balance, BalanceAlgorithm, HashType } from './model.ts';

const ONLY_SUPPORTS = `balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.`;

function parseBalance(ctx: ProxyDirectiveContext): void {
  const [word, ...rest] = ctx.args;
  if (word === undefined) return ctx.error(ONLY_SUPPORTS);
  const loc = ctx.directive.loc;
  const simple = ['roundrobin', 'static-rr', 'leastconn', 'first', 'source'] as const;
  if ((simple as readonly string[]).includes(word)) {
    if (rest.length > 0) return ctx.error(`'balance ${word}' takes no argument (got '${rest[0]}').`, 1);
    ctx.proxy.balance = { algorithm: word as BalanceAlgorithm, loc };
    return;
  }
  const fn = /^(hdr|rdp-cookie|random)(?:\((.*)\))?$/.exec(word);
  if (word === 'uri') return parseUri(ctx, rest);
  if (word === 'hash') {
    // backend_parse_balance(): one word; the expression is compiled once the section is read (validate.ts).
    if (rest[0] === undefined || rest[0] === '') return ctx.error(`balance hash requires a sample expression.`, 0);
    if (rest.length > 1) return ctx.error(`balance hash takes no other argument (got '${rest[1]}').`, 2);
    ctx.proxy.balance = { algorithm: 'hash', expression: rest[0], loc };
    return;
  }
  if (word === 'url_param') {
    const param = rest[0];
    if (param === undefined) return ctx.error(`'balance url_param' requires an URL parameter name.`);
    for (let i = 1; i < rest.length; i++) {
      if (rest[i] === 'check_post') {
        if (rest[i + 1] !== undefined && /^\d+$/.test(rest[i + 1]!)) i++;
      } else return ctx.error(`'balance url_param' only accepts check_post modifier.`, i + 1);
    }
    ctx.proxy.balance = { algorithm: 'url_param', param, loc };
    return;
  }
  if (fn && fn[1] === 'hdr') {
    if (fn[2] === undefined) return ctx.error(ONLY_SUPPORTS, 0);
    if (fn[2] === '') return ctx.error(`hdr requires an http header field name.`, 0);
    if (rest.length > 1 || (rest[0] !== undefined && rest[0] !== 'use_domain_only')) return ctx.error(`'balance hdr()' only accepts 'use_domain_only' modifier.`, 1);
    ctx.proxy.balance = { algorithm: 'hdr', header: fn[2], useDomainOnly: rest[0] === 'use_domain_only', loc };
    return;
  }
  if (fn && fn[1] === 'rdp-cookie') {
    ctx.proxy.balance = { algorithm: 'rdp-cookie', header: fn[2] || 'mstshash', loc };
    return;
  }
  if (fn && fn[1] === 'random') {
    let draws = 2;
    if (fn[2] !== undefined) {
      if (!/^\d+$/.test(fn[2]) || Number(fn[2]) < 1) return ctx.error(`random : number of draws must be at least 1.`, 0);
      draws = Number(fn[2]);
    }
    ctx.proxy.balance = { algorithm: 'random', draws, loc };
    return;
  }
  ctx.error(ONLY_SUPPORTS, 0);
}

function parseUri(ctx: ProxyDirectiveContext, rest: string[]): void {
  const uri: NonNullable<Balance['uri']> = { whole: false, pathOnly: false };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === 'whole') uri.whole = true;
    else if (w === 'path-only') uri.pathOnly = true;
    else if (w === 'len' || w === 'depth') {
      const v = rest[i + 1] ?? '';
      if (!/^\d+$/.test(v) || Number(v) < 1) return ctx.error(`balance uri : '${w}' expects a positive integer (got '${v}').`, i + 1);
      uri[w] = Number(v);
      i++;
    } else return ctx.error(`balance uri : unknown parameter '${w}', expects 'whole', 'len', 'depth' or 'path-only'.`, i + 1);
  }
  ctx.proxy.balance = { algorithm: 'uri', uri, loc: ctx.directive.loc };
}

function parseHashType(ctx: ProxyDirectiveContext): void {
  const [method, func, modifier] = ctx.args;
  if (method !== 'map-based' && method !== 'consistent') return ctx.error(`'hash-type' only supports 'consistent' and 'map-based'.`, 0);
  const hash: HashType = { method, avalanche: false };
  if (func !== undefined) {
    if (!['sdbm', 'djb2', 'wt6', 'crc32'].includes(func)) return ctx.error(`'hash-type' : hash function '${func}' is not supported (use sdbm, djb2, wt6 or crc32).`, 1);
    hash.func = func as HashType['func'];
  }
  if (modifier !== undefined) {
    if (modifier !== 'avalanche') return ctx.error(`'hash-type' : unknown modifier '${modifier}' (only 'avalanche').`, 2);
    hash.avalanche = true;
  }
  ctx.proxy.hashType = hash;
}

registerProxyKeywords([
  {
    name: 'balance',
    sections: 'dlb',
    status: ENGINE,
    summary: 'Load-balancing algorithm: roundrobin, static-rr, leastconn, first, source, uri, url_param, hdr(name), random[(n)], rdp-cookie, `hash <expr>` (the bytes of the value of a sample expression, e.g. `hash req.cook(sid),lower`).',
    parse: parseBalance,
  },
  {
    name: 'hash-type',
    sections: 'dlb',
    status: ENGINE,
    summary: 'How hash-based algorithms map keys to servers: map-based or consistent, with hash function and avalanche.',
    parse: parseHashType,
  },
  {
    name: 'hash-balance-factor',
    sections: 'dlb',
    status: ENGINE,
    summary: 'Consistent hashing with bounded loads (`hash-type consistent`, and `balance random`): a server is skipped, for the next one on the ring, while its connections would exceed `<factor>`% of the average load (weighted); 0 (the default) turns it off, otherwise more than 100.',
    parse(ctx) {
      const word = ctx.args[0];
      if (!word) return ctx.error(`'hash-balance-factor' expects an integer argument.`);
      // atol(): a word that is not a number reads as 0 (off).
      const factor = atoi(word);
      if (factor !== 0 && factor <= 100) return ctx.error(`'hash-balance-factor' must be 0 or greater than 100.`, 0);
      ctx.proxy.hashBalanceFactor = factor;
    },
  },
  {
    name: 'max-keep-alive-queue',
    sections: 'dlb',
    status: ENGINE,
    summary: 'With `option prefer-last-server`: a request goes back to the server of the connection its client connection owns even when that server is full (it waits in its queue) while fewer than `<n>` requests wait there; at `<n>` the balancer picks a server instead. -1 (the default): no limit; 0: only while the server has room.',
    parse(ctx) {
      const word = ctx.args[0];
      if (!word) return ctx.error(`'max-keep-alive-queue' expects expects an integer value (or -1 to disable)`);
      // strtol(…, 0): decimal, 0x hexadecimal or 0 octal, with a sign; nothing may follow the number.
      const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)?(.*)$/.exec(word)!;
      if (m[3] !== '') return ctx.error(`'max-keep-alive-queue' : unexpected character '${m[3]![0]}' in integer value '${word}'`, 0);
      const digits = m[2] ?? '0';
      const magnitude = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : Number(digits);
      if (ctx.kind === 'frontend') ctx.warn(`max-keep-alive-queue will be ignored because frontend '${ctx.proxy.name}' has no backend capability`, undefined, 'LS_WARN_CFG_IGNORED');
      ctx.proxy.maxKeepAliveQueue = m[1] === '-' ? -magnitude : magnitude;
    },
  },
  {
    name: 'http-reuse',
    sections: 'dlb',
    status: ENGINE,
    summary: 'Which idle server connections a request may take: never, safe (the default), aggressive, always. NTLM/Negotiate connections stay private to their client.',
    parse(ctx) {
      if (!['never', 'safe', 'aggressive', 'always'].includes(ctx.args[0] ?? '')) {
        return ctx.error(`'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.`, 0);
      }
      ctx.proxy.options['http-reuse'] = { enabled: true, args: ctx.args, loc: ctx.directive.loc };
    },
  },
]);
