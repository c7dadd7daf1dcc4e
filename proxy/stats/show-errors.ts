/**
 * `show errors [<px>] [request|response]` (proxy.c cli_parse_show_errors, cli_io_handler_show_errors):
 * the error snapshots of runtime/error-snapshots.ts in HAProxy 2.6's layout. Per proxy, in
 * configuration order, its invalid request then its invalid response: a date and title line, the
 * other side's proxy, the server, the event number and the client's address, the buffer line HAProxy
 * prints for its H1 mux's input buffer, then the bytes as tools.c dump_text_line writes them.
 *
 * Not printed: the three lines of h1_show_error_snapshot (H1 connection and stream flags, msg state
 * and flags, chunk and body lengths), which describe HAProxy's H1 mux and have no counterpart here.
 * The buffer line describes a capture as HAProxy's mux would hold it in a fresh input buffer: nothing
 * out before it, the free room left of `tune.bufsize`, and the wrap point of a buffer whose data
 * began after the room h1_recv leaves for an HTX header (48 bytes, sizeof(struct htx)) and whose
 * head then moved past the requests parsed before the captured one in the same read.
 */
import type { StatsHost } from './host.ts';
import type { ErrorSnapshot, ErrorSnapshots } from '../runtime/error-snapshots.ts';
import type { StatsTables } from './registry.ts';
import { cliErr } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';
import { atoi } from './cli-numbers.ts';

/** sizeof(struct htx): where h1_recv begins an empty input buffer's data (mux_h1.c). */
const HTX_HEADER = 48;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "[24/Nov/2026:00:49:34.686]", local time as HAProxy's get_localtime. */
export function haproxyDate(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `[${p(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}]`;
}

export function showErrors(engine: StatsHost, args: readonly string[]): CliAnswer {
  const tables = engine.stats.view();
  const ids = tables ? idsOf(tables) : { any: new Map<string, number>(), frontends: new Map<string, number>(), backends: new Map<string, number>() };
  // The proxy by name, else a number (the id to filter on, existing or not); neither: no such proxy.
  // (`show errors request` names a proxy called "request", as in HAProxy.)
  let only = -1;
  const px = args[2];
  if (px !== undefined && px !== '') {
    // proxy_find_by_name also takes `#<id>` (an id that exists); otherwise atoi.
    const byId = px.startsWith('#') ? atoi(px.slice(1)) : 0;
    only = ids.any.get(px) ?? (byId !== 0 && [...ids.any.values()].includes(byId) ? byId : atoi(px));
    if (only === 0) return cliErr('No such proxy.\n');
  }
  const skipRequests = args[3] === 'response';
  const skipResponses = args[3] === 'request';
  const store = tables?.errors;
  let out = `Total events captured on ${haproxyDate(new Date())} : ${store?.total ?? 0}\n`;
  if (!tables || !store) return out;
  for (const proxy of tables.config.proxies) {
    if (proxy.kind === 'defaults') continue;
    // A frontend and a backend may share a name: each prints its own side.
    if (!skipRequests && proxy.kind !== 'backend') {
      const es = store.request(proxy.name);
      if (es) out += block(store, es, 'request', proxy.name, ids.frontends.get(proxy.name)!, ids.backends, only);
    }
    if (!skipResponses && proxy.kind !== 'frontend') {
      const es = store.response(proxy.name);
      if (es) out += block(store, es, 'response', proxy.name, ids.backends.get(proxy.name)!, ids.frontends, only);
    }
  }
  return out;
}

/**
 * Proxy ids as HAProxy numbers them (in configuration order, after the CLI's own proxy when a stats
 * socket exists; rows.ts proxyIds), by name: any proxy's first (for the filter), the frontends' and
 * the backends' (a frontend and a backend may share a name).
 */
function idsOf(tables: StatsTables): { any: Map<string, number>; frontends: Map<string, number>; backends: Map<string, number> } {
  const any = new Map<string, number>();
  const frontends = new Map<string, number>();
  const backends = new Map<string, number>();
  let next = tables.config.global.statsSockets.length > 0 ? 2 : 1;
  for (const p of tables.config.proxies) {
    if (p.kind === 'defaults') continue;
    const id = next++;
    if (!any.has(p.name)) any.set(p.name, id);
    if (p.kind !== 'backend') frontends.set(p.name, id);
    if (p.kind !== 'frontend') backends.set(p.name, id);
  }
  return { any, frontends, backends };
}

/** One snapshot; `others`: the ids of the proxies its other side may be (backends for a request). */
function block(store: ErrorSnapshots, es: ErrorSnapshot, side: 'request' | 'response', name: string, id: number, others: ReadonlyMap<string, number>, only: number): string {
  const otherId = es.otherEnd === undefined ? -1 : others.get(es.otherEnd) ?? -1;
  if (only >= 0 && id !== only && otherId !== only) return '';
  const other = es.otherEnd === undefined ? '<NONE> (#-1)' : `${es.otherEnd} (#${otherId})`;
  let out = ` \n${haproxyDate(new Date(es.when))}`;
  out += side === 'request'
    ? ` frontend ${name} (#${id}): invalid request\n  backend ${other}`
    : ` backend ${name} (#${id}): invalid response\n  frontend ${other}`;
  const server = es.server ? `${es.server.name} (#${es.server.id})` : '<NONE> (#-1)';
  const src = es.source ? `${es.source.address}:${es.source.port}` : ':0';
  const len = es.bytes.length;
  out += `, server ${server}, event #${es.event}, src ${src}\n`
    + `  buffer starts at 0 (including 0 out), ${store.bufsize - len} free,\n`
    + `  len ${len}, wraps at ${store.bufsize - HTX_HEADER - es.offset}, error at position ${es.errorAt}\n`
    + '  \n';
  const line = { start: 0 };
  for (let ptr = 0; ptr < len && ptr < store.bufsize;) ptr = dumpTextLine(es.bytes, store.bufsize, line, ptr, (s) => (out += s));
  return out;
}

/**
 * tools.c dump_text_line: one line of at most 80 characters, "  <offset, 5 digits><' ' or '+'> "
 * then the bytes, \t \n \r \e and backslash escaped C-style, other non-printable bytes as \xHH; a
 * line ends after a line feed or when the next byte does not fit ('+' marks the continuation).
 * Returns where the next line starts; `line.start` is the offset of the current original line.
 */
export function dumpTextLine(buf: Buffer, bsize: number, line: { start: number }, ptr: number, write: (s: string) => void): number {
  const end = 80;
  let out = `  ${String(ptr).padStart(5, '0')}${ptr === line.start ? ' ' : '+'} `;
  while (ptr < buf.length && ptr < bsize) {
    const c = buf[ptr]!;
    if (c >= 0x20 && c < 0x7f && c !== 0x5c) {
      if (out.length > end - 2) break;
      out += String.fromCharCode(c);
    } else if (c === 0x09 || c === 0x0a || c === 0x0d || c === 0x1b || c === 0x5c) {
      if (out.length > end - 3) break;
      out += c === 0x09 ? '\\t' : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x1b ? '\\e' : '\\\\';
    } else {
      if (out.length > end - 5) break;
      out += `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    if (buf[ptr++] === 0x0a) {
      line.start = ptr;
      write(out + '\n');
      return ptr;
    }
  }
  write(out + '\n');
  return ptr;
}
