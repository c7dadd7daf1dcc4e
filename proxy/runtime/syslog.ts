/**
 * Log lines to syslog servers: the `log` targets of HAProxy's language that are UDP addresses
 * (`host[:port]`, `udp@`, `udp4@`, `udp6@`, `ipv4@`, `ipv6@`; port 514 by default) get each line a
 * proxy writes, in the target's format (rfc3164 by default, rfc5424, short, priority, timed, iso,
 * raw, local), with its facility, cut to its `len`, when its level is between the target's minimum
 * and maximum levels. Byte for byte what haproxy 2.6.12 sends (test/proxy/runtime/syslog.test.ts).
 *
 * UNIX datagram sockets (`/dev/log`, `unix@path`) get their lines through runtime/unix-syslog.ts, in
 * the rfc3164 local format (other formats: the configuration check warns, config/log-targets.ts).
 * `stdout` and `stderr` targets need nothing here: `loadstar run` writes every line to stdout
 * already, and the UI shows them.
 */
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import type { Config, GlobalSettings, LogTarget, Proxy } from '../config/model.ts';
import { UNIX_SOCKET_FORMATS, udpAddress, unixSocketPath } from '../config/log-targets.ts';
import { UnixSocketLog } from './unix-syslog.ts';
import { ringName } from '../config/kw-ring.ts';
import { Rings } from './ring.ts';
import type { Ring } from './ring.ts';
import { LOG_FACILITIES, LOG_LEVELS } from '../config/kw-proxy.ts';
import { ResolveAtLoadError } from '../errors.ts';

const FACILITY_CODES = new Map([...LOG_FACILITIES].map((name, i) => [name, i]));
const LEVEL_CODES = new Map([...LOG_LEVELS].map((name, i) => [name, i]));
/** Syslog severities. */
export const LOG_INFO = LEVEL_CODES.get('info')!;
export const LOG_ERR = LEVEL_CODES.get('err')!;
export const LOG_EMERG = LEVEL_CODES.get('emerg')!;
export const LOG_ALERT = LEVEL_CODES.get('alert')!;
export const LOG_NOTICE = LEVEL_CODES.get('notice')!;
export const LOG_WARNING = LEVEL_CODES.get('warning')!;

/** A level's name (`info`, `err` …) as its severity. */
export function syslogLevel(name: string): number {
  return LEVEL_CODES.get(name) ?? LOG_INFO;
}

const DEFAULT_LEN = 1024;
/**
 * Datagrams handed to the sockets and not yet sent, at most (about 2 MiB at the default `len`).
 * HAProxy never queues a log line: when the socket takes no more (EAGAIN) the line is dropped and
 * counted in `show info`'s DroppedLogs. Node queues instead, without limit, behind a syslog server
 * the kernel cannot send to quickly; beyond this many, a line is dropped and counted the same way.
 */
export const MAX_PENDING_DATAGRAMS = 2048;

/** Log lines dropped since the process started (`show info` DroppedLogs): one counter the engine keeps across reloads. */
export interface LogDrops {
  dropped: number;
}
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface UdpTarget {
  host: string;
  port: number;
  family: 4 | 6;
  /** A UNIX datagram socket's path instead of the UDP address. */
  unixPath?: string;
  /** A ring (`ring@<name>`) instead of the UDP address: the line goes there in the ring's format. */
  ring?: Ring;
  facility: number;
  maxLevel: number;
  minLevel: number;
  format: string;
  /** The target's line says `format` (a log-forward target without it takes its format from each message). */
  formatGiven: boolean;
  len: number;
}

export class Syslog {
  private readonly byProxy = new Map<{ readonly logs: readonly LogTarget[] }, UdpTarget[]>();
  private socket4: dgram.Socket | undefined;
  private socket6: dgram.Socket | undefined;
  private readonly hostname: string | undefined;
  private readonly pid = process.pid;
  /** Datagrams given to a socket whose send has not completed yet. */
  private pending = 0;
  private readonly sent = (): void => void this.pending--;
  /** One writer per UNIX socket and tag (a `logger` process each, started with the first line). */
  private readonly unixLogs = new Map<string, UnixSocketLog>();

  /**
   * @param addresses the address of each target given by a host name (`Syslog.prepare` resolves
   *   them); a name missing here is skipped, never looked up per line.
   * @param drops where lines dropped because too many wait to be sent are counted.
   */
  constructor(
    private readonly global: GlobalSettings,
    private readonly addresses: ReadonlyMap<string, string> = new Map(),
    private readonly drops: LogDrops = { dropped: 0 },
    private readonly alert: (message: string) => void = () => {},
    /** The configuration's rings (and buf0), which `log ring@<name>` targets write to and `show events` reads. */
    readonly rings: Rings = new Rings({ rings: [] }),
  ) {
    const h = global.logSendHostname;
    this.hostname = h === true ? os.hostname() : h;
  }

  /**
   * The syslog servers of `config`, their host names resolved once, by the system, now: HAProxy
   * resolves a log target's name when it parses the line and refuses the configuration when it
   * does not resolve ("log : invalid address"). Looking the name up for each datagram instead
   * would put a DNS query on the thread pool per log line, and lines would pile up behind a slow
   * or dead resolver. Throws ResolveAtLoadError, before anything of the configuration runs.
   */
  static async prepare(config: Config, drops?: LogDrops, alert?: (message: string) => void): Promise<Syslog> {
    const addresses = new Map<string, string>();
    for (const t of [...config.global.logs, ...config.proxies.flatMap((p) => p.logs), ...config.fcgiApps.flatMap((a) => a.logStderr), ...config.logForwards.flatMap((f) => f.logs)]) {
      if (t.target === 'global') continue;
      const where = udpAddress(t.target);
      if (!where || 'unsupported' in where || net.isIP(where.host) !== 0) continue;
      const key = `${where.family}/${where.host}`;
      if (addresses.has(key)) continue;
      const found = await dns.lookup(where.host, { family: where.family }).catch(() => undefined);
      if (!found) throw new ResolveAtLoadError(`[${t.loc.file}:${t.loc.line}] : log : invalid address: '${where.host}' in '${t.target}' (the name does not resolve).`);
      addresses.set(key, found.address);
    }
    return new Syslog(config.global, addresses, drops, alert, new Rings(config));
  }

  /** The proxy sends to a syslog server (a caller may skip building a line nobody gets). */
  sends(proxy: Proxy): boolean {
    return this.targets(proxy).length > 0;
  }

  /** @param sd an access-log line's structured data (`log-format-sd`) for rfc5424 targets; '-' without. */
  send(proxy: Proxy, level: number, message: string, now = new Date(), sd?: string): void {
    this.sendTagged(proxy, proxy.logTag ?? this.global.logTag ?? 'haproxy', level, message, now, sd);
  }

  /** A line of `owner`'s log targets (a proxy's, an fcgi-app's `log-stderr`) under `tag`. */
  sendTagged(owner: { readonly logs: readonly LogTarget[] }, tag: string, level: number, message: string, now = new Date(), sd?: string): void {
    const targets = this.targets(owner);
    if (targets.length === 0) return;
    for (const t of targets) {
      if (level > t.maxLevel || level < t.minLevel) continue;
      if (t.ring !== undefined) {
        this.toRing(t, t.ring, level, tag, message, now, sd);
        continue;
      }
      if (t.unixPath !== undefined) {
        const pri = t.facility * 8 + level;
        this.unixLog(t.unixPath, tag).write(pri, this.cutForUnix(t.len, pri, tag, message, now));
        continue;
      }
      if (this.pending >= MAX_PENDING_DATAGRAMS) {
        this.drops.dropped++;
        continue;
      }
      const line = this.frame(t, level, tag, message, now, sd);
      const socket = t.family === 6 ? (this.socket6 ??= this.open('udp6')) : (this.socket4 ??= this.open('udp4'));
      this.pending++;
      socket.send(line, t.port, t.host, this.sent);
    }
  }

  /**
   * A message a `log-forward` section received, to each of its targets (HAProxy's process_send_log): a
   * target whose level is below the message's skips it; the level sent is raised to the target's minimum
   * level; the message's facility is kept, the target's used when the message had no `<PRI>` (level and
   * facility -1). The header is the target's format built from what the message carried (build_log_header).
   */
  forward(owner: { readonly logs: readonly LogTarget[] }, level: number, facility: number, meta: SyslogMetadata, message: Buffer, now = new Date()): void {
    const targets = this.targets(owner);
    // Trailing LF and NUL bytes are not part of the message (__do_send_log).
    let size = message.length;
    while (size > 0 && (message[size - 1] === 0x0a || message[size - 1] === 0)) size--;
    const body = size === message.length ? message : message.subarray(0, size);
    for (const t of targets) {
      if (level > t.maxLevel) continue;
      const sentLevel = Math.max(level, t.minLevel);
      const sentFacility = facility === -1 ? t.facility : facility;
      if (t.ring !== undefined) {
        // Into the ring in its own format, the header built from what the message carried (sink_write).
        this.writeRing(t, t.ring, forwardHeader(t.ring.format, sentLevel, sentFacility, meta, now).join(''), body, now);
        continue;
      }
      if (t.unixPath !== undefined) {
        // Through the util-linux logger (runtime/unix-syslog.ts), which writes its own local header.
        this.unixLog(t.unixPath, meta.tag || 'haproxy').write(sentFacility * 8 + sentLevel, body.toString('latin1'));
        continue;
      }
      if (this.pending >= MAX_PENDING_DATAGRAMS) {
        this.drops.dropped++;
        continue;
      }
      const format = t.formatGiven ? t.format : formatOf(meta);
      const line = cutToLength(forwardHeader(format, sentLevel, sentFacility, meta, now), body, t.len);
      const socket = t.family === 6 ? (this.socket6 ??= this.open('udp6')) : (this.socket4 ??= this.open('udp4'));
      this.pending++;
      socket.send(line, t.port, t.host, this.sent);
    }
  }

  /** The sockets close (a reload or stop made this configuration's syslog obsolete). */
  close(): void {
    this.rings.close();
    for (const log of this.unixLogs.values()) log.close();
    this.unixLogs.clear();
    this.socket4?.close();
    this.socket6?.close();
    this.socket4 = this.socket6 = undefined;
  }

  private open(type: 'udp4' | 'udp6'): dgram.Socket {
    const socket = dgram.createSocket(type);
    // A syslog server that is down answers with ICMP errors: lines are lost, as with HAProxy, nothing else.
    socket.on('error', () => {});
    socket.unref();
    return socket;
  }

  private targets(proxy: { readonly logs: readonly LogTarget[] }): UdpTarget[] {
    let list = this.byProxy.get(proxy);
    if (list) return list;
    list = [];
    for (const t of proxy.logs) for (const target of t.target === 'global' ? this.global.logs : [t]) {
      const ring = ringName(target.target);
      if (ring !== undefined) {
        // The configuration check refused names of no ring.
        const found = this.rings.get(ring);
        if (found) list.push({ ...this.levels(target), host: '', port: 0, family: 4, ring: found });
        continue;
      }
      const unixPath = unixSocketPath(target.target);
      if (unixPath !== undefined) {
        if (!UNIX_SOCKET_FORMATS.has(target.format ?? 'rfc3164')) continue;
        list.push({ ...this.levels(target), host: '', port: 0, family: 4, unixPath });
        continue;
      }
      const where = udpAddress(target.target);
      if (!where || 'unsupported' in where) continue;
      const host = net.isIP(where.host) !== 0 ? where.host : this.addresses.get(`${where.family}/${where.host}`);
      if (host === undefined) continue;
      list.push({ ...where, host, ...this.levels(target) });
    }
    this.byProxy.set(proxy, list);
    return list;
  }

  private levels(target: LogTarget): Pick<UdpTarget, 'facility' | 'maxLevel' | 'minLevel' | 'format' | 'formatGiven' | 'len'> {
    return {
      facility: FACILITY_CODES.get(target.facility ?? 'local0') ?? 16,
      maxLevel: LEVEL_CODES.get(target.level ?? 'debug') ?? 7,
      minLevel: LEVEL_CODES.get(target.minLevel ?? 'emerg') ?? 0,
      format: target.format ?? 'rfc3164',
      formatGiven: target.format !== undefined,
      len: target.len ?? DEFAULT_LEN,
    };
  }

  private unixLog(path: string, tag: string): UnixSocketLog {
    const key = `${path}\0${tag}`;
    let log = this.unixLogs.get(key);
    if (!log) this.unixLogs.set(key, (log = new UnixSocketLog(path, tag, this.drops, this.alert)));
    return log;
  }

  /** The message cut so that the datagram logger builds (`<PRI>` + 15-character time + ` tag[pid]: `) fits in `len`, as haproxy cuts its own. */
  private cutForUnix(len: number, pri: number, tag: string, message: string, now: Date): string {
    const head = `<${pri}>${bsdTime(now)} ${tag}[${this.pid}]: `.length;
    const room = Math.max(0, len - head);
    return message.length > room ? message.slice(0, room) : message;
  }

  /**
   * A line into a ring (log.c __do_send_log and sink.c sink_write): the message without trailing
   * newlines, cut to the target's `len`, behind the ring's own header (the target's facility, the
   * line's level), cut to the ring's `maxlen`. Lines the ring could not take are counted and
   * announced ("N events dropped", at notice level under the global log tag) before the next one.
   */
  private toRing(t: UdpTarget, ring: Ring, level: number, tag: string, message: string, now: Date, sd?: string): void {
    let end = message.length;
    while (end > 0 && (message[end - 1] === '\n' || message[end - 1] === '\0')) end--;
    const body = Buffer.from(end < message.length ? message.slice(0, end) : message, 'latin1');
    const head = ring.format === 'raw' ? '' : this.header(ring.format, t.facility, level, tag, now, sd, 'localhost');
    this.writeRing(t, ring, head, body, now);
  }

  /** A line's header and body (cut to the target's `len`) into a ring, after the notice of lines it dropped before. */
  private writeRing(t: UdpTarget, ring: Ring, head: string, body: Buffer, now: Date): void {
    if (ring.dropped > 0) {
      const n = ring.dropped;
      const notice = `${ring.format === 'raw' ? '' : this.header(ring.format, t.facility, LOG_NOTICE, this.global.logTag ?? 'haproxy', now, undefined, 'localhost')}${n} event${n > 1 ? 's' : ''} dropped`;
      if (!ring.write(Buffer.from(notice, 'latin1'))) {
        ring.dropped++;
        return;
      }
      ring.dropped -= n;
    }
    const line = Buffer.concat([Buffer.from(head, 'latin1'), body.length > t.len ? body.subarray(0, t.len) : body]);
    if (!ring.write(line)) ring.dropped++;
  }

  /** The datagram: the format's header and the message cut to `len` bytes together, then a newline (HAProxy's __send_log: `len` + 1 at most). */
  private frame(t: UdpTarget, level: number, tag: string, message: string, now: Date, sd?: string): Buffer {
    const head = Buffer.from(this.header(t.format, t.facility, level, tag, now, sd), 'latin1');
    const body = Buffer.from(message, 'latin1');
    const room = Math.max(0, t.len - head.length);
    return Buffer.concat([head, body.length > room ? body.subarray(0, room) : body, NEWLINE]);
  }

  /**
   * A line's header in `format` (log.c build_log_header). `hostFallback`: what rfc3164 writes without
   * `log-send-hostname` (a ring writes "localhost", as build_log_header does; the datagrams nothing).
   */
  header(format: string, facility: number, level: number, tag: string, now: Date, sd?: string, hostFallback = ''): string {
    const pri = facility * 8 + level;
    switch (format) {
      // The structured data without its trailing spaces, '-' when nothing is left (HAProxy's __send_log).
      case 'rfc5424': return `<${pri}>1 ${isoTime(now)} ${this.hostname ?? '-'} ${tag} ${this.pid} - ${sd?.replace(/ +$/, '') || '-'} `;
      case 'short': return `<${level}>`;
      case 'priority': return `<${pri}>`;
      case 'timed': return `<${level}>${isoTime(now)} `;
      case 'iso': return `${isoTime(now)} `;
      case 'raw': return '';
      case 'local': return `<${pri}>${bsdTime(now)} ${tag}[${this.pid}]: `;
      default: {
        const host = this.hostname ?? hostFallback;
        return `<${pri}>${bsdTime(now)} ${host ? `${host} ` : ''}${tag}[${this.pid}]: `;
      }
    }
  }
}

const NEWLINE = Buffer.from('\n');

/** The header fields a received syslog message carried (HAProxy's LOG_META_*), as parse_log_message found them; '' when absent. */
export interface SyslogMetadata {
  /** `<PRI>` as written, '' without a valid one. */
  prio: string;
  /** The timestamp as written: 15 characters (rfc3164), '-' or an ISO time of 20 or more (rfc5424). */
  time: string;
  host: string;
  tag: string;
  pid: string;
  msgid: string;
  /** The structured data (rfc5424), '' for none or '-'. */
  sd: string;
}

/**
 * The format of a target without `format` for a forwarded message (build_log_header's LOG_FORMAT_UNSPEC):
 * the one the message came in, as far as its fields tell.
 */
function formatOf(meta: SyslogMetadata): string {
  if (meta.host) return meta.time === '-' || meta.time.length >= 20 ? 'rfc5424' : 'rfc3164';
  if (meta.tag) return 'local';
  return meta.prio ? 'priority' : 'raw';
}

/**
 * The datagram __do_send_log writes: the header's elements while they fit in `len` — the element that
 * reaches it is left out with all that follows, the message too —, then the message cut to what
 * remains, then a newline.
 */
function cutToLength(header: readonly string[], body: Buffer, len: number): Buffer {
  const parts: Buffer[] = [];
  let room = len;
  for (const element of header) {
    if (room <= element.length) return Buffer.concat([...parts, NEWLINE]);
    parts.push(Buffer.from(element, 'latin1'));
    room -= element.length;
  }
  parts.push(body.length > room ? body.subarray(0, room) : body, NEWLINE);
  return Buffer.concat(parts);
}

/** HAProxy 2.6's build_log_header for a forwarded message: the target's format from the message's own fields, element by element. */
function forwardHeader(format: string, level: number, facility: number, meta: SyslogMetadata, now: Date): string[] {
  const out: string[] = [];
  switch (format) {
    case 'local': case 'rfc3164': case 'rfc5424': case 'priority': out.push(`<${facility * 8 + level}>`); break;
    case 'timed': case 'short': out.push(`<${level}>`); break;
  }
  if (format === 'local' || format === 'rfc3164') out.push(...legacyTimeOf(meta.time, now));
  else if (format === 'rfc5424') out.push('1 ', ...(meta.time === '-' ? ['-', ' '] : isoTimeOf(meta.time, now)));
  else if (format === 'timed' || format === 'iso') out.push(...isoTimeOf(meta.time, now));
  // The host name is mandatory in rfc3164: 'localhost' when the message had none.
  if (format === 'rfc3164') out.push(...(meta.host ? [meta.host, ' '] : ['localhost ']));
  if ((format === 'rfc3164' || format === 'local') && meta.tag) out.push(meta.tag, ...(meta.pid ? ['[', meta.pid, ']'] : []), ': ');
  if (format === 'rfc5424') for (const field of [meta.host, meta.tag, meta.pid, meta.msgid, meta.sd]) out.push(...(field ? [field, ' '] : ['- ']));
  return out;
}

/** The rfc3164 time of a forwarded message, with its space: its own, an ISO one's date and time, else now (local time). */
function legacyTimeOf(time: string, now: Date): string[] {
  if (time.length === 15) return [time, ' '];
  if (time.length >= 20) {
    const month = Math.max(0, 10 * (time.charCodeAt(5) - 48) + (time.charCodeAt(6) - 48) - 1);
    if (month <= 11) return [`${MONTHS[month]} ${time[8] !== '0' ? time[8] : ' '}${time[9]} `, time.slice(11, 19), ' '];
  }
  return [`${bsdTime(now)} `];
}

/** The ISO time of a forwarded message, with its space: its own, an rfc3164 one with this year and `-00:00` (zone unknown), else now. */
function isoTimeOf(time: string, now: Date): string[] {
  if (time.length >= 20) return [time, ' '];
  if (time.length === 15) {
    const month = MONTHS.indexOf(time.slice(0, 3));
    if (month >= 0) {
      // A month after the current one is last year's.
      const year = now.getFullYear() - (now.getMonth() < month ? 1 : 0);
      return [`${year}-${two(month + 1)}-${time[4] !== ' ' ? time[4] : '0'}${time[5]}T`, time.slice(7, 15), '-00:00 '];
    }
  }
  return [`${isoTime(now)} `];
}

/** rfc3164's timestamp, local time: "Dec  4 12:21:46". */
function bsdTime(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** rfc5424's timestamp, local time with its offset and microseconds: "2026-12-04T12:21:46.809000+00:00". */
function isoTime(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}` +
    `.${String(d.getMilliseconds() * 1000).padStart(6, '0')}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}
