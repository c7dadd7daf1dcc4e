/** `balance` and `hash-type` (configuration.txt §4.2 "balance"). */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext } from './keywords.ts';
import { ENGINE } from './status.ts';
import { atoi, strtol0 } from './values.ts';
import type { Balance, BalanceAlgorithm, HashType } from './model.ts';

const ONLY_SUPPORTS = `balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.`;

/**
 * HAProxy 2.6's backend_parse_balance(), word for word: what it does not read it does not refuse
 * (`balance source x`, `random(2)x`, `hdr(host) use_domain_only y` load), and its messages follow
 * "balance" as haproxy prints them.
 */
function parseBalance(ctx: ProxyDirectiveContext): void {
  const [word, ...rest] = ctx.args;
  const loc = ctx.directive.loc;
  // `balance` alone is round robin.
  if (word === undefined || word === '') {
    ctx.proxy.balance = { algorithm: 'roundrobin', loc };
    return;
  }
  if (word === 'roundrobin' || word === 'static-rr' || word === 'leastconn' || word === 'first' || word === 'source') {
    ctx.proxy.balance = { algorithm: word, loc };
    return;
  }
  if (word.startsWith('random')) return parseRandom(ctx, word);
  if (word === 'uri') return parseUri(ctx, rest);
  if (word === 'url_param') {
    const param = rest[0];
    if (param === undefined || param === '') return ctx.error(`balance url_param requires an URL parameter name.`, 0);
    // The word after `check_post` (its former byte limit) is not read.
    if (rest[1] !== undefined && rest[1] !== 'check_post') return ctx.error(`balance url_param only accepts 'check_post' modifier (got '${rest[1]}').`, 2);
    ctx.proxy.balance = { algorithm: 'url_param', param, loc };
    return;
  }
  if (word === 'hash') {
    // One word; the expression is compiled once the section is read (validate.ts).
    if (rest[0] === undefined || rest[0] === '') return ctx.error(`balance hash requires a sample expression.`, 0);
    if (rest.length > 1) return ctx.error(`balance hash takes no other argument (got '${rest[1]}').`, 2);
    ctx.proxy.balance = { algorithm: 'hash', expression: rest[0], loc };
    return;
  }
  if (word.startsWith('hdr(')) {
    // The name ends at the first ')'; what follows it is not read.
    const close = word.indexOf(')', 4);
    if (close <= 4) return ctx.error(`balance hdr requires an http header field name.`, 0);
    if (rest[0] !== undefined && rest[0] !== 'use_domain_only') return ctx.error(`balance ${word} only accepts 'use_domain_only' modifier (got '${rest[0]}').`, 1);
    ctx.proxy.balance = { algorithm: 'hdr', header: word.slice(4, close), useDomainOnly: rest[0] === 'use_domain_only', loc };
    return;
  }
  if (word.startsWith('rdp-cookie')) {
    if (word === 'rdp-cookie') {
      ctx.proxy.balance = { algorithm: 'rdp-cookie', header: 'mstshash', loc };
      return;
    }
    const close = word.indexOf(')', 11);
    if (word[10] !== '(' || close <= 11) return ctx.error(`balance rdp-cookie : missing cookie name.`, 0);
    ctx.proxy.balance = { algorithm: 'rdp-cookie', header: word.slice(11, close), loc };
    return;
  }
  ctx.error(ONLY_SUPPORTS, 0);
}

/** `random` and `random(<draws>)`: the count is read as strtol(…, 0) reads it (0x10, 010), up to its ')'. */
function parseRandom(ctx: ProxyDirectiveContext, word: string): void {
  let draws = 2;
  if (word[6] === '(' && word[7] !== ')') {
    const number = strtol0(word.slice(7));
    const after = number.rest[0];
    if (after !== ')') return ctx.error(after === undefined ? `balance random : missing closing parenthesis.` : `balance random : unexpected character '${after}' after argument.`, 0);
    draws = number.value;
    if (draws < 1) return ctx.error(`balance random : number of draws must be at least 1.`, 0);
  }
  ctx.proxy.balance = { algorithm: 'random', draws, loc: ctx.directive.loc };
}

function parseUri(ctx: ProxyDirectiveContext, rest: string[]): void {
  const uri: NonNullable<Balance['uri']> = { whole: false, pathOnly: false };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === 'whole') uri.whole = true;
    else if (w === 'path-only') uri.pathOnly = true;
    else if (w === 'len' || w === 'depth') {
      // atoi(): "3x" is 3.
      const v = rest[i + 1] ?? '';
      if (v === '' || atoi(v) <= 0) return ctx.error(`balance uri : '${w}' expects a positive integer (got '${v}').`, i + 1);
      uri[w] = atoi(v);
      i++;
    } else return ctx.error(`balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '${w}').`, i + 1);
  }
  ctx.proxy.balance = { algorithm: 'uri', uri, loc: ctx.directive.loc };
}

function parseHashType(ctx: ProxyDirectiveContext): void {
  const [method, func, modifier] = ctx.args;
  if (method !== 'map-based' && method !== 'consistent') return ctx.error(`'hash-type' only supports 'consistent' and 'map-based'.`, 0);
  const hash: HashType = { method, avalanche: false };
  if (func !== undefined) {
    if (!['sdbm', 'djb2', 'wt6', 'crc32'].includes(func)) return ctx.error(`'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.`, 1);
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
      // strtol(…, 0): nothing may follow the number.
      const number = strtol0(word);
      if (number.rest !== '') return ctx.error(`'max-keep-alive-queue' : unexpected character '${number.rest[0]}' in integer value '${word}'`, 0);
      if (ctx.kind === 'frontend') ctx.warn(`max-keep-alive-queue will be ignored because frontend '${ctx.proxy.name}' has no backend capability`, undefined, 'LS_WARN_CFG_IGNORED');
      ctx.proxy.maxKeepAliveQueue = number.value;
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
