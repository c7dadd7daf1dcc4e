/**
 * `log-forward` sections as they run (HAProxy 2.6's log.c): each `dgram-bind` address is a UDP socket
 * whose datagrams are one message each (syslog_fd_handler); each `bind` address a TCP server whose
 * stream carries messages framed as RFC 6587 says (syslog_io_handler). A message is read as
 * parse_log_message reads it (RFC 5424, RFC 3164, or raw text) and handed to the section's `log`
 * targets by runtime/syslog.ts (Syslog.forward), which writes it again in each target's format.
 * Nothing here is built for a configuration without log-forward sections.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { ListenAddress, LogForward, SourceLocation } from '../config/model.ts';
import { BindError } from '../errors.ts';
import type { Syslog, SyslogMetadata } from './syslog.ts';
import { internalErrorAlert } from './faults.ts';

/** A message as parse_log_message leaves it: level and facility -1 without a valid `<PRI>`. */
export interface ParsedSyslogMessage {
  level: number;
  facility: number;
  meta: SyslogMetadata;
  /** What follows the header fields that were recognised. */
  message: Buffer;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LEGACY_TIME_LEN = 15;
const ISO_TIME_MIN_LEN = 20;
const SP = 0x20;

function emptyMeta(): SyslogMetadata {
  return { prio: '', time: '', host: '', tag: '', pid: '', msgid: '', sd: '' };
}

/** HAProxy 2.6's parse_log_message, byte for byte; the fields are latin1 text. */
export function parseSyslogMessage(buf: Buffer): ParsedSyslogMessage {
  const meta = emptyMeta();
  const whole: ParsedSyslogMessage = { level: -1, facility: -1, meta, message: buf };
  const len = buf.length;
  if (len < 2 || buf[0] !== 0x3c) return whole;
  let p = 1;
  let prio = 0;
  while (buf[p] !== 0x3e) {
    const c = buf[p];
    if (c === undefined || c < 0x30 || c > 0x39) return whole;
    prio = 10 * prio + (c - 0x30);
    p++;
  }
  p++;
  meta.prio = buf.toString('latin1', 0, p);
  const out: ParsedSyslogMessage = { level: prio & 7, facility: prio >> 3, meta, message: buf.subarray(p) };
  const rest = buf.subarray(p);
  const n = rest.length;
  const text = (from: number, to: number): string => rest.toString('latin1', from, to);
  /** The field starting at `q` up to the next space, or undefined when the message ends first. */
  const field = (q: number): number | undefined => {
    if (q >= n || rest[q] === SP) return undefined;
    while (rest[q] !== SP) {
      q++;
      if (q >= n) return undefined;
    }
    return q;
  };
  const nil = (s: string): string => (s === '-' ? '' : s);
  // bad_format: the fields found are forgotten, the priority kept; the message is what followed it.
  const forget = (): void => void Object.assign(meta, { time: '', host: '', tag: '', pid: '', msgid: '', sd: '' });
  const bad = (): ParsedSyslogMessage => {
    forget();
    return out;
  };
  if (n > 2 && rest[0] === 0x31 && rest[1] === SP) {
    // RFC 5424: '1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG'. The size then counts
    // without '1 ' (HAProxy's fix ab9efc25f, in 2.6.12): a header it cannot read leaves the message
    // after the priority two bytes short, as haproxy 2.6.12 forwards it.
    const size = n - 2;
    const bad = (): ParsedSyslogMessage => {
      forget();
      out.message = rest.subarray(0, size);
      return out;
    };
    let q = 2;
    if (size > 2 && rest[q] === 0x2d && rest[q + 1] === SP) {
      meta.time = '-';
      q++;
    } else if (size > ISO_TIME_MIN_LEN) {
      const start = q;
      q += 19;
      if (rest[q] === 0x2e) {
        q++;
        if (q >= n) return bad();
        while (rest[q] !== 0x5a && rest[q] !== 0x2b && rest[q] !== 0x2d) {
          const c = rest[q]!;
          if (c < 0x30 || c > 0x39) return bad();
          q++;
          if (q >= n) return bad();
        }
      }
      q += rest[q] === 0x5a ? 1 : 6;
      if (q >= n || rest[q] !== SP) return bad();
      meta.time = text(start, q);
    } else return bad();
    q++;
    const fields: string[] = [];
    for (let i = 0; i < 4; i++) {
      const end = field(q);
      if (end === undefined) return bad();
      fields.push(nil(text(q, end)));
      q = end + 1;
    }
    [meta.host, meta.tag, meta.pid, meta.msgid] = fields as [string, string, string, string];
    if (q >= n || rest[q] === SP) return bad();
    const sdStart = q;
    if (rest[q] === 0x5b) {
      let inElement = false;
      for (;;) {
        if (inElement) {
          if (rest[q] === 0x5d && rest[q - 1] !== 0x5c) inElement = false;
        } else if (rest[q] === 0x5b) inElement = true;
        else if (rest[q] === SP) break;
        else return bad();
        q++;
        if (q >= n) return bad();
      }
    } else if (rest[q] === 0x2d) {
      q++;
      if (q >= n || rest[q] !== SP) return bad();
    } else return bad();
    meta.sd = nil(text(sdStart, q));
    out.message = rest.subarray(q + 1);
    return out;
  }
  if (n > LEGACY_TIME_LEN) {
    // RFC 3164: 'Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG', the tag optional.
    if (!MONTHS.includes(text(0, 3))) return bad();
    meta.time = text(0, LEGACY_TIME_LEN);
    let q = LEGACY_TIME_LEN;
    if (q >= n || rest[q] !== SP) return bad();
    q++;
    const end = field(q);
    if (end === undefined) return bad();
    meta.host = text(q, end);
    const body = rest.subarray(end + 1);
    out.message = body;
    const m = body.length;
    if (m === 0) return out;
    let r = 0;
    while (r < m && body[r] !== SP && body[r] !== 0x3a) r++;
    // A tag ends with ': '.
    if (r >= m || body[r] !== 0x3a || r + 1 >= m || body[r + 1] !== SP) return out;
    let tagEnd = -1;
    let pidStart = -1;
    let pidEnd = -1;
    for (let i = 0; i < r; i++) {
      if (body[i] === 0x5b) {
        tagEnd = i;
        pidStart = i + 1;
      } else if (body[i] === 0x5d && pidStart >= 0) {
        if (body[i + 1] !== 0x3a) {
          // HAProxy returns here with the tag (and pid) found so far and the message after the host.
          meta.tag = body.toString('latin1', 0, tagEnd);
          return out;
        }
        pidEnd = i;
      }
    }
    meta.tag = body.toString('latin1', 0, tagEnd >= 0 ? tagEnd : r);
    if (pidStart >= 0 && pidEnd >= 0) meta.pid = body.toString('latin1', pidStart, pidEnd);
    out.message = body.subarray(r + 2);
  }
  return out;
}

/**
 * RFC 6587 framing on a TCP stream, as syslog_io_handler reads it: a message starting with '<' ends
 * with LF (a CR before it dropped); one starting with a digit 1-9 is '<length> <message>'. Returns the
 * messages whole in `data` and what is left to wait for, or 'error' (the connection is closed).
 */
export function takeFramedMessages(data: Buffer, maxLength: number): { messages: Buffer[]; rest: Buffer } | 'error' {
  const messages: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const c = data[at]!;
    if (c === 0x3c) {
      const lf = data.indexOf(0x0a, at);
      if (lf < 0) {
        if (data.length - at >= maxLength) return 'error';
        break;
      }
      let end = lf;
      if (end > at && data[end - 1] === 0x0d) end--;
      messages.push(data.subarray(at, end));
      at = lf + 1;
    } else if (c >= 0x31 && c <= 0x39) {
      const space = data.indexOf(SP, at);
      if (space < 0) {
        if (data.length - at >= maxLength) return 'error';
        break;
      }
      const digits = data.toString('latin1', at, space);
      if (!/^\d+$/.test(digits)) return 'error';
      const length = Number(digits);
      if (length > maxLength) return 'error';
      if (data.length < space + 1 + length) break;
      messages.push(data.subarray(space + 1, space + 1 + length));
      at = space + 1 + length;
    } else return 'error';
  }
  return { messages, rest: data.subarray(at) };
}

/** An address without a host is IPv4's any address unless `ipv6@` says otherwise, as HAProxy binds it. */
function isV6(a: ListenAddress): boolean {
  return a.family === 'ipv6' || (a.host !== '' && net.isIPv6(a.host));
}

/** HAProxy's buffer size (tune.bufsize): the longest message it reads. */
const BUFFER_SIZE = 16384;

/** The log-forward sections of one configuration load, listening. */
/** A listener of a log-forward section that cannot be opened, as a bind error saying where (not a raw socket error). */
function bindFailed(forward: LogForward, bind: { loc: SourceLocation }, a: ListenAddress, port: number): (e: Error & { code?: string }) => never {
  return (e) => {
    throw new BindError(a, port, bind, { kind: 'log-forward', name: forward.name }, e);
  };
}

export class LogForwarders {
  private readonly sockets: dgram.Socket[] = [];
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<net.Socket>();
  /** Each section's TCP connections being read, and those waiting for one of them to end. */
  private readonly slots = new Map<LogForward, { active: number; waiting: Array<() => void> }>();

  private constructor(private readonly syslog: Syslog, private readonly alert: (message: string) => void) {}

  /**
   * Every listener of `forwards` open; undefined when there are none (nothing is built). A bind that
   * fails closes the others and throws. `alert` reports an internal error while relaying a message.
   */
  static async open(forwards: readonly LogForward[], syslog: Syslog, alert: (message: string) => void): Promise<LogForwarders | undefined> {
    if (forwards.length === 0) return undefined;
    const running = new LogForwarders(syslog, alert);
    try {
      for (const forward of forwards) {
        for (const bind of forward.dgramBinds) for (const a of bind.addresses) for (let port = a.port; port <= a.portEnd; port++) await running.openUdp(forward, a, port).catch(bindFailed(forward, bind, a, port));
        for (const bind of forward.binds) for (const a of bind.addresses) for (let port = a.port; port <= a.portEnd; port++) await running.openTcp(forward, a, port, bind.backlog).catch(bindFailed(forward, bind, a, port));
      }
    } catch (e) {
      await running.close();
      throw e;
    }
    return running;
  }

  private async openUdp(forward: LogForward, a: ListenAddress, port: number): Promise<void> {
    const type = isV6(a) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, reuseAddr: true });
    socket.on('message', (msg) => this.relay(forward, msg.length > BUFFER_SIZE ? msg.subarray(0, BUFFER_SIZE) : msg));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port, address: a.host === '' ? (type === 'udp6' ? '::' : '0.0.0.0') : a.host }, () => {
        socket.off('error', reject);
        // A receive error (ICMP and the like) loses a message, nothing more.
        socket.on('error', () => {});
        resolve();
      });
    });
    this.sockets.push(socket);
  }

  private async openTcp(forward: LogForward, a: ListenAddress, port: number, backlog: number | undefined): Promise<void> {
    const server = net.createServer((socket) => this.admit(forward, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: a.host === '' ? (isV6(a) ? '::' : '0.0.0.0') : a.host, backlog: backlog ?? forward.backlog ?? forward.maxconn }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.servers.push(server);
  }

  /**
   * The section's `maxconn` (10 by default) counts its TCP connections: beyond it, as HAProxy stops
   * accepting, a new connection is not read until one of them ends. (haproxy 2.6.12 then never accepts
   * again, a relay stopped for good; Loadstar reads the waiting connection.)
   */
  private admit(forward: LogForward, socket: net.Socket): void {
    this.connections.add(socket);
    socket.pause();
    const slots = this.slotsOf(forward);
    const start = (): void => {
      slots.active++;
      socket.once('close', () => {
        slots.active--;
        const next = slots.waiting.shift();
        if (next) next();
      });
      this.accept(forward, socket);
      socket.resume();
    };
    socket.once('close', () => {
      this.connections.delete(socket);
      const i = slots.waiting.indexOf(start);
      if (i >= 0) slots.waiting.splice(i, 1);
    });
    socket.on('error', () => socket.destroy());
    if (forward.maxconn <= 0 || slots.active < forward.maxconn) start();
    else slots.waiting.push(start);
  }

  private slotsOf(forward: LogForward): { active: number; waiting: Array<() => void> } {
    let slots = this.slots.get(forward);
    if (!slots) this.slots.set(forward, (slots = { active: 0, waiting: [] }));
    return slots;
  }

  /**
   * A connection's stream of messages. After `timeout client` without data the connection is read no
   * more but stays open until the client closes it, as haproxy 2.6.12 leaves it
   * (test/proxy/runtime/log-forward.test.ts).
   */
  private accept(forward: LogForward, socket: net.Socket): void {
    if (forward.timeoutClient !== undefined && forward.timeoutClient > 0) {
      socket.setTimeout(forward.timeoutClient, () => {
        socket.setTimeout(0);
        socket.pause();
        socket.removeAllListeners('data');
      });
    }
    let held: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const data = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      const framed = takeFramedMessages(data, BUFFER_SIZE);
      if (framed === 'error') {
        socket.destroy();
        return;
      }
      for (const message of framed.messages) this.relay(forward, message);
      held = Buffer.from(framed.rest);
    });
    socket.on('end', () => socket.end());
  }

  /**
   * One received message to the section's targets. An exception here (a bug) would be uncaught in a
   * socket's event: it is reported and that message lost, nothing else.
   */
  private relay(forward: LogForward, message: Buffer): void {
    try {
      const parsed = parseSyslogMessage(message);
      this.syslog.forward(forward, parsed.level, parsed.facility, parsed.meta, parsed.message);
    } catch (e) {
      this.alert(internalErrorAlert(`log-forward ${forward.name}`, e).replace(', connection closed', ', message dropped'));
    }
  }

  /** Every socket closes, TCP connections too. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.close();
    this.sockets.length = 0;
    for (const socket of this.connections) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }
}
