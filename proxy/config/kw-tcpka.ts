/**
 * TCP keep-alive on the client and server sockets (HAProxy 2.6's session.c and proto_tcp.c):
 * `option clitcpka` / `option srvtcpka` / `option tcpka` switch SO_KEEPALIVE on, `clitcpka-idle` /
 * `srvtcpka-idle` set the idle time before the first probe (TCP_KEEPIDLE, in seconds). Node sets
 * those two (socket.setKeepAlive) but not the probe count and interval (TCP_KEEPCNT, TCP_KEEPINTVL):
 * `*tcpka-cnt` and `*tcpka-intvl` are checked as HAProxy checks them and warned about.
 */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyDirectiveContext, ProxyKeyword } from './keywords.ts';
import { ENGINE, NO_EFFECT } from './status.ts';
import { strtol0 } from './values.ts';

/** HAProxy's parse_time_err() into seconds (a bare number is seconds, other units round up); an error message, or the value. */
function parseSeconds(keyword: string, word: string): { seconds: number } | { error: string } {
  const m = /^(\d*)(.*)$/.exec(word)!;
  const units: Record<string, [mult: number, div: number]> = { '': [1, 1], us: [1, 1_000_000], ms: [1, 1000], s: [1, 1], m: [60, 1], h: [3600, 1], d: [86400, 1] };
  // HAProxy reads the unit's letters and warns about (ignores) what follows them; Loadstar refuses an unknown unit as it does.
  const unit = Object.keys(units).filter((u) => u !== '' && m[2]!.startsWith(u)).sort((a, b) => b.length - a.length)[0] ?? (m[2] === '' ? '' : undefined);
  if (unit === undefined) return { error: `unexpected character '${m[2]![0]}' in argument to <${keyword}>.` };
  const value = Number(m[1] || 0);
  const [mult, div] = units[unit]!;
  const seconds = Math.ceil((value * mult) / div);
  if (seconds >= 0x80000000) return { error: `timer overflow in argument '${word}' to '${keyword}' (maximum value is 2147483647 ms or ~24.8 days)` };
  return { seconds };
}

/** The proxy lacks the side the keyword is for: HAProxy parses it, warns, and keeps the value (unused). */
function sideMissing(ctx: ProxyDirectiveContext, side: 'cli' | 'srv'): void {
  const missing = side === 'cli' ? ctx.kind === 'backend' : ctx.kind === 'frontend';
  if (missing) ctx.warn(`${ctx.directive.keyword} will be ignored because ${ctx.kind} '${ctx.proxy.name}' has no ${side === 'cli' ? 'frontend' : 'backend'} capability`, undefined, 'LS_WARN_CFG_IGNORED');
}

const tuning: ProxyKeyword[] = (['cli', 'srv'] as const).flatMap((side): ProxyKeyword[] => {
  const sections = side === 'cli' ? 'dfl' : 'dlb';
  const sockets = side === 'cli' ? 'client' : 'server';
  return [
    {
      name: `${side}tcpka-idle`,
      sections,
      status: ENGINE,
      summary: `With \`option ${side}tcpka\` (or \`tcpka\`): the idle time before the first TCP keep-alive probe on ${sockets} connections (TCP_KEEPIDLE; a bare number is seconds). Unset: the system's (net.ipv4.tcp_keepalive_time).`,
      parse(ctx) {
        const keyword = ctx.directive.keyword;
        if (!ctx.args[0]) return ctx.error(`'${keyword}' expects an integer value`);
        const parsed = parseSeconds(keyword, ctx.args[0]);
        if ('error' in parsed) return ctx.error(parsed.error, 0);
        sideMissing(ctx, side);
        ctx.proxy[side === 'cli' ? 'clitcpkaIdle' : 'srvtcpkaIdle'] = parsed.seconds;
      },
    },
    {
      name: `${side}tcpka-intvl`,
      sections,
      status: NO_EFFECT,
      summary: 'The interval between TCP keep-alive probes (TCP_KEEPINTVL): Node.js cannot set it, the system\'s applies (net.ipv4.tcp_keepalive_intvl).',
      parse(ctx) {
        const keyword = ctx.directive.keyword;
        if (!ctx.args[0]) return ctx.error(`'${keyword}' expects an integer value`);
        const parsed = parseSeconds(keyword, ctx.args[0]);
        if ('error' in parsed) return ctx.error(parsed.error, 0);
        sideMissing(ctx, side);
        ctx.warn(`'${keyword}' has no effect in Loadstar and is ignored (Node.js cannot set TCP_KEEPINTVL: the system's interval applies).`, undefined, 'LS_WARN_CFG_IGNORED');
      },
    },
    {
      name: `${side}tcpka-cnt`,
      sections,
      status: NO_EFFECT,
      summary: 'The number of unanswered TCP keep-alive probes before the connection is dropped (TCP_KEEPCNT): Node.js cannot set it, the system\'s applies (net.ipv4.tcp_keepalive_probes).',
      parse(ctx) {
        const keyword = ctx.directive.keyword;
        const word = ctx.args[0];
        if (!word) return ctx.error(`'${keyword}' expects an integer value`);
        // strtol(…, 0): a character after the number is refused.
        const rest = strtol0(word).rest;
        if (rest !== '') return ctx.error(`'${keyword}' : unexpected character '${rest[0]}' in integer value '${word}'`, 0);
        sideMissing(ctx, side);
        ctx.warn(`'${keyword}' has no effect in Loadstar and is ignored (Node.js cannot set TCP_KEEPCNT: the system's count applies).`, undefined, 'LS_WARN_CFG_IGNORED');
      },
    },
  ];
});

function noArgs(ctx: ProxyDirectiveContext): boolean {
  if (ctx.args.length === 0) return true;
  ctx.error(`'option ${ctx.directive.keyword.split(' ').pop()}' cannot handle unexpected argument '${ctx.args[0]}'.`, 0);
  return false;
}

/** HAProxy keeps one flag per side: `option tcpka` sets both (as far as the section has them), `no option clitcpka` clears one. */
function setSide(ctx: ProxyDirectiveContext, name: 'clitcpka' | 'srvtcpka'): void {
  if (ctx.restoresDefault) delete ctx.proxy.options[name];
  else ctx.proxy.options[name] = { enabled: !ctx.negated, args: [], loc: ctx.directive.loc };
}

const options: ProxyKeyword[] = [
  {
    name: 'option clitcpka',
    sections: 'dfl',
    status: ENGINE,
    summary: 'TCP keep-alive (SO_KEEPALIVE) on client connections, HTTP and TCP, with `clitcpka-idle` as the idle time before the first probe.',
    negatable: true,
    parse(ctx) {
      if (noArgs(ctx)) setSide(ctx, 'clitcpka');
    },
  },
  {
    name: 'option srvtcpka',
    sections: 'dlb',
    status: ENGINE,
    summary: 'TCP keep-alive (SO_KEEPALIVE) on server connections, HTTP and TCP (not health checks), with `srvtcpka-idle` as the idle time before the first probe.',
    negatable: true,
    parse(ctx) {
      if (noArgs(ctx)) setSide(ctx, 'srvtcpka');
    },
  },
  {
    name: 'option tcpka',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Both `option clitcpka` and `option srvtcpka` (the sides the section has).',
    negatable: false, // HAProxy takes neither `no` nor `default` for tcpka
    parse(ctx) {
      if (!noArgs(ctx)) return;
      ctx.proxy.options['tcpka'] = { enabled: true, args: [], loc: ctx.directive.loc };
      if (ctx.kind !== 'backend') setSide(ctx, 'clitcpka');
      if (ctx.kind !== 'frontend') setSide(ctx, 'srvtcpka');
    },
  },
];

registerProxyKeywords([...options, ...tuning]);

/**
 * The keep-alive idle time (ms, for socket.setKeepAlive; 0: the system's) of a proxy's client or
 * server sockets, undefined when keep-alive is off there (nothing to do per connection).
 */
export function tcpKeepAlive(proxy: { options: Record<string, { enabled: boolean } | undefined>; clitcpkaIdle?: number; srvtcpkaIdle?: number }, side: 'client' | 'server'): number | undefined {
  if (side === 'client') return proxy.options['clitcpka']?.enabled ? (proxy.clitcpkaIdle ?? 0) * 1000 : undefined;
  return proxy.options['srvtcpka']?.enabled ? (proxy.srvtcpkaIdle ?? 0) * 1000 : undefined;
}
