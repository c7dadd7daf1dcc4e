/**
 * `email-alert`: a proxy's server state changes mailed to every mailer of its
 * `mailers` section, as HAProxy 2.6 sends them (mailers.c): one SMTP exchange
 * per message over plain TCP — 220, HELO, MAIL FROM, RCPT TO, DATA, the
 * message, QUIT — each step waiting for its reply code, the whole of it within
 * the section's `timeout mail`. Messages wait their turn in a queue per proxy
 * and mailer. A mailer that fails loses that message, as in HAProxy (which
 * does not log it either); the failure is reported to `onFailure`.
 */
import net from 'node:net';
import os from 'node:os';
import type { Config, Mailer, SyslogLevel } from '../config/model.ts';
import { activeEmailAlert, SYSLOG_LEVELS } from '../config/kw-mailers.ts';

interface ProxyAlerts {
  from: string;
  to: string;
  level: number;
  hostname: string;
  timeoutMs: number;
  queues: Array<{ mailer: Mailer; pending: string[]; busy: boolean }>;
}

/** One step of the exchange: what to send (nothing for the greeting), and the reply it waits for. */
type Step = readonly [send: string | undefined, expect: string];

export class EmailAlerts {
  private readonly proxies = new Map<string, ProxyAlerts>();
  private readonly sockets = new Set<net.Socket>();
  private closed = false;

  constructor(private readonly onFailure: (message: string) => void = () => {}) {}

  /**
   * The proxies' settings of a (re)loaded configuration. Alerts already queued or under way go
   * out as the previous one said, as the old process of an HAProxy reload sends its own.
   */
  configure(config: Config): void {
    this.closed = false;
    this.proxies.clear();
    for (const proxy of config.proxies) {
      if (proxy.kind === 'defaults') continue;
      const settings = activeEmailAlert(config, proxy.emailAlert);
      if (!settings) continue;
      this.proxies.set(proxy.name, {
        from: settings.from,
        to: settings.to,
        level: SYSLOG_LEVELS.indexOf(settings.level),
        hostname: settings.myhostname ?? os.hostname(),
        timeoutMs: settings.mailers.timeoutMail,
        queues: settings.mailers.mailers.map((mailer) => ({ mailer, pending: [], busy: false })),
      });
    }
  }

  /**
   * A server message of `proxy` at syslog `level` (HAProxy's send_email_alert): mailed when the
   * proxy's `email-alert level` lets it through. `message` is the log line; the mail has it without
   * its final period, as HAProxy's does.
   */
  send(proxy: string, level: SyslogLevel, message: string): void {
    const alerts = this.proxies.get(proxy);
    if (!alerts || this.closed || SYSLOG_LEVELS.indexOf(level) > alerts.level) return;
    const text = message.endsWith('.') ? message.slice(0, -1) : message;
    for (const queue of alerts.queues) {
      queue.pending.push(text);
      if (!queue.busy) this.next(alerts, queue);
    }
  }

  /** Stops sending (the engine stops): the queues are dropped and exchanges under way are cut; configure() starts again. */
  close(): void {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private next(alerts: ProxyAlerts, queue: ProxyAlerts['queues'][number]): void {
    const text = queue.pending.shift();
    if (text === undefined || this.closed) {
      queue.busy = false;
      return;
    }
    queue.busy = true;
    this.exchange(queue.mailer, alerts, steps(alerts, text), (error) => {
      if (error) this.onFailure(`email alert to mailer '${queue.mailer.name}' (${queue.mailer.host}:${queue.mailer.port}) failed: ${error}`);
      this.next(alerts, queue);
    });
  }

  private exchange(mailer: Mailer, alerts: ProxyAlerts, script: readonly Step[], done: (error?: string) => void): void {
    const socket = net.connect({ host: mailer.host, port: mailer.port });
    this.sockets.add(socket);
    let step = 0;
    let received = '';
    let finished = false;
    const finish = (error?: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.sockets.delete(socket);
      // HAProxy closes its side once the last reply is in.
      socket.destroy();
      done(error);
    };
    // `timeout mail 0` sets no timeout, as HAProxy's check task takes a zero interval (tick_add_ifset).
    const timer = alerts.timeoutMs > 0 ? setTimeout(() => finish(`no '${script[step]![1].trim()}' reply within timeout mail`), alerts.timeoutMs) : undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      // A tcp-check `expect string`: the reply so far contains the code (a multi-line 250- reply waits for its last line).
      while (step < script.length && received.includes(script[step]![1])) {
        received = '';
        step++;
        if (step === script.length) return finish();
        socket.write(script[step]![0]!, 'latin1');
      }
    });
    socket.on('error', (e) => finish(e.message));
    socket.on('close', () => finish(step < script.length ? `the connection closed before '${script[step]![1].trim()}'` : undefined));
  }
}

/** HAProxy's script (mailers.c enqueue_one_email_alert). */
function steps(a: ProxyAlerts, text: string): Step[] {
  const message = `From: ${a.from}\r\nTo: ${a.to}\r\nDate: ${mailDate(new Date())}\r\nSubject: [HAProxy Alert] ${text}\r\n\r\n${text}\r\n\r\n.\r\n`;
  return [
    [undefined, '220 '],
    [`HELO ${a.hostname}\r\n`, '250 '],
    [`MAIL FROM:<${a.from}>\r\n`, '250 '],
    [`RCPT TO:<${a.to}>\r\n`, '250 '],
    ['DATA\r\n', '354 '],
    [message, '250 '],
    ['QUIT\r\n', '221 '],
  ];
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** strftime's "%a, %d %b %Y %T %z (%Z)" in local time, as HAProxy dates its alerts. */
export function mailDate(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${DAYS[d.getDay()]}, ${two(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ` +
    `${sign}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)} (${zone})`;
}
