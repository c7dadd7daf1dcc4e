/**
 * The `ring` section (configuration.txt §3.10, HAProxy 2.6's sink.c cfg_parse_ring and
 * cfg_post_parse_ring): an in-memory buffer of the latest messages that `log ring@<name>` lines
 * write to (runtime/ring.ts), dumped by the runtime API's `show events`. Its `server` lines are
 * read by the proxy keyword `server` into a backend-like proxy, as HAProxy parses them into the
 * ring's forward proxy. Messages and their conditions are haproxy 2.6.12's, which warns and fails
 * on a `size` smaller than the current one (a fix of 2.7 it has).
 */
import { lookupKeyword, proxyKeywordRegistry } from './keywords.ts';
import type { DirectiveContext, ProxyDirectiveContext } from './keywords.ts';
import type { Config, LogTarget, RingFormat, RingSection, Section } from './model.ts';
import type { Diagnostics } from './diagnostics.ts';
import { newProxy } from './sections.ts';
import { parseTime } from './values.ts';

export const RING_KEYWORDS = ['description', 'format', 'maxlen', 'server', 'size', 'timeout'];

export const RING_FORMATS: readonly RingFormat[] = ['local', 'rfc3164', 'rfc5424', 'priority', 'short', 'timed', 'iso', 'raw'];

/** HAProxy's BUFSIZE: a ring's size and its messages' longest length unless told otherwise. */
export const RING_DEFAULT_SIZE = 16384;

/** HAProxy's own buffer sink, which `show events` lists before the configuration's rings (and which `log ring@buf0` may name). */
export const BUILTIN_SINKS = [
  { name: 'stdout', type: 'fd', description: 'standard output (fd#1)' },
  { name: 'stderr', type: 'fd', description: 'standard output (fd#2)' },
  { name: 'buf0', type: 'buffer', description: 'in-memory ring buffer' },
] as const;
/** buf0's size and format (sink.c sink_init). */
export const BUF0 = { size: 1_048_576, format: 'timed' as RingFormat };

const NAME_CHARS = /^[A-Za-z0-9_.:-]$/;

/**
 * `ring <name>`: the new ring, or undefined when HAProxy refuses to open it (no name, a character it
 * does not take, a name another sink has); the section's lines then meet no ring, as in HAProxy.
 */
export function openRing(section: Section, rings: readonly RingSection[], alert: (message: string) => void): RingSection | undefined {
  const name = section.name;
  if (name === '') return void alert('missing ring name.');
  const bad = [...name].find((c) => !NAME_CHARS.test(c));
  if (bad !== undefined) return void alert(`invalid ring name '${name}' (character '${bad}' is not permitted).`);
  if (rings.some((r) => r.name === name) || BUILTIN_SINKS.some((s) => s.name === name)) return void alert(`sink named '${name}' already exists.`);
  const forward = newProxy('backend', section);
  return { name, section, description: name, format: 'raw', size: RING_DEFAULT_SIZE, maxlen: RING_DEFAULT_SIZE, forward };
}

/** C's atol() stored in a size_t or an unsigned int: a negative number wraps. */
function atolUnsigned(text: string, bits: 32 | 64): bigint {
  const digits = /^\s*[+-]?\d+/.exec(text)?.[0]?.trim() ?? '0';
  return BigInt.asUintN(bits, BigInt(digits));
}

/**
 * A line of a `ring` section. `ring` is undefined after a `ring` line HAProxy refused: each keyword
 * then says it has nothing to set. `server` lines go to the proxy keyword `server` (with the ring's
 * forward proxy), whose messages are HAProxy's parse_server ones.
 */
export function parseRingDirective(ctx: DirectiveContext, ring: RingSection | undefined, words: readonly string[]): void {
  const keyword = ctx.directive.keyword;
  const a = ctx.args;
  const first = a[0] ?? '';
  switch (keyword) {
    case 'size': {
      if (!ring) return ctx.error(`'size' directive not usable with this type of sink.`);
      const size = atolUnsigned(first, 64);
      if (size === 0n) return ctx.error(`invalid size '${first}' for new sink buffer.`, 0);
      if (size < BigInt(ring.size)) return ctx.error(`ignoring new size '${size}' that is smaller than current size '${ring.size}' for ring '${ring.name}'.`, 0);
      // ring_resize's malloc: a wrapped negative size (or one past what a process may allocate) fails.
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) return ctx.error(`fail to set sink buffer size '${ring.size}' for ring '${ring.name}'.`, 0);
      ring.size = Number(size);
      return;
    }
    case 'maxlen': {
      if (!ring) return ctx.error(`unable to set event max length '${first}'.`);
      const maxlen = atolUnsigned(first, 32);
      if (maxlen === 0n) return ctx.error(`invalid size '${first}' for new sink buffer.`, 0);
      ring.maxlen = Number(maxlen);
      return;
    }
    case 'format':
      if (!ring) return ctx.error(`unable to set format '${first}'.`);
      if (!RING_FORMATS.includes(first as RingFormat)) return ctx.error(`unknown format '${first}'.`, 0);
      ring.format = first as RingFormat;
      return;
    case 'description':
      if (!ring) return ctx.error(`unable to set description '${first}'.`);
      if (first === '') return ctx.error('missing ring description text.');
      ring.description = first;
      return;
    case 'timeout': {
      if (!ring) return ctx.error(`unable to set timeout '${first}'.`);
      // Other timeouts (and none) are ignored without a word.
      if (first !== 'connect' && first !== 'server') return;
      const text = a[1];
      if (text === undefined || text === '') return ctx.error(`'timeout ${first}' expects <time> as argument.`);
      const time = parseTime(text, `timeout ${first}`);
      if (time.error !== undefined) {
        if (time.error.startsWith('timer overflow')) return ctx.error(`timer overflow in argument <${text}> to <timeout ${first}>, maximum value is 2147483647 ms (~24.8 days).`, 1);
        return ctx.error(`unexpected character '${/^\d*(.)/.exec(text)?.[1] ?? ''}' in argument to <timeout ${first}>.`, 1);
      }
      if (time.warning) ctx.warn(time.warning, 1, 'LS_WARN_CFG_SUSPICIOUS');
      ring.forward.timeouts[first] = time.value;
      return;
    }
    case 'server': {
      if (!ring) return ctx.error(`unable to create server '${first}'.`);
      const bad = a[1] ? [...first].find((c) => !NAME_CHARS.test(c)) : undefined;
      if (bad !== undefined) return ctx.error(`character '${bad}' is not permitted in server name '${first}'.`, 0);
      const found = lookupKeyword(proxyKeywordRegistry(), ['server']);
      const proxyCtx = ctx as ProxyDirectiveContext;
      proxyCtx.proxy = ring.forward;
      proxyCtx.kind = 'backend';
      const before = ring.forward.servers.length;
      found!.spec.parse(proxyCtx);
      const added = ring.forward.servers[before];
      // The forwarder (runtime/ring-forward.ts) speaks plain TCP only.
      if (added?.options.ssl) {
        ring.forward.servers.pop();
        ctx.error(`'server ${ring.name}/${added.name}' : 'ssl' on a ring's server is not supported by Loadstar yet.`, undefined, 'LS_ERR_CFG_UNSUPPORTED');
      }
      return;
    }
    default:
      return ctx.error(`unknown statement '${words[0]}'.`, undefined, 'LS_ERR_CFG_UNKNOWN_KEYWORD');
  }
}

/**
 * Once each ring is read (cfg_post_parse_ring): a `maxlen` past the size is brought down to it, with
 * HAProxy's warning (the runtime ring takes the smaller of the two); a ring with servers and without `timeout connect` or `timeout server` gets the
 * warning HAProxy gives any backend without them.
 */
export function ringProblems(config: Config, diagnostics: Diagnostics): void {
  for (const ring of config.rings) {
    if (ring.maxlen > ring.size) {
      diagnostics.warn(ring.section.loc, 'LS_WARN_CFG_SUSPICIOUS', `ring '${ring.name}' event max length '${ring.maxlen}' exceeds size, forced to size '${ring.size}'.`, 'ring');
    }
    const t = ring.forward.timeouts;
    if (ring.forward.servers.length > 0 && (!t.connect || !t.server)) {
      diagnostics.warn(ring.section.loc, 'LS_WARN_CFG_MISSING_TIMEOUT', `missing timeouts for backend '${ring.name}'. While not properly invalid, you will certainly encounter various problems with such a configuration. To fix this, please ensure that all following timeouts are set to a non-zero value: 'client', 'connect', 'server'.`, 'ring');
    }
  }
}

/** The ring a `log ring@<name>` target writes to: its name, else undefined for another kind of target. */
export function ringName(target: string): string | undefined {
  return target.startsWith('ring@') ? target.slice('ring@'.length) : undefined;
}

/**
 * Every `log ring@<name>` must name a ring (or buf0), as HAProxy checks once the configuration is
 * read (sink.c post_sink_resolve; `haproxy -c` does not run that check, starting does).
 */
export function ringTargetProblems(config: Config, diagnostics: Diagnostics): void {
  const known = (name: string): boolean => name === 'buf0' || config.rings.some((r) => r.name === name);
  const check = (t: LogTarget, where: string): void => {
    const name = ringName(t.target);
    if (name === undefined) return;
    // stdout and stderr are sinks too, of another type (their messages' words are HAProxy's, typo included).
    if (name === 'stdout' || name === 'stderr') {
      const what = where.startsWith('global') ? `incompatible ring '${name}'` : `incomatible ring named '${name}'`;
      diagnostics.alert(t.loc, 'LS_ERR_CFG_REFERENCE', `${where} uses ${what}.`, 'log');
    } else if (!known(name)) diagnostics.alert(t.loc, 'LS_ERR_CFG_REFERENCE', `${where} uses unknown ring named '${name}'.`, 'log');
  };
  for (const t of config.global.logs) check(t, `global log server declared in file '${t.loc.file}' at line ${t.loc.line}`);
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults') continue;
    for (const t of proxy.logs) check(t, `log server declared in proxy section '${proxy.name}' in file '${t.loc.file}' at line ${t.loc.line}`);
  }
}
