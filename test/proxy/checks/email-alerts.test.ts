/**
 * `email-alert`: server state changes mailed as HAProxy 2.6 mails them. A fake SMTP server on
 * 127.0.0.1 records each exchange; two backends check a port nothing listens on, then something
 * does. `app` (level notice) mails its server going DOWN (alert) and coming UP (notice); `quiet`
 * (default level alert) only the DOWN. The exchanges — HELO with myhostname, MAIL FROM, RCPT TO,
 * DATA, the headers and message, QUIT — were recorded from haproxy 2.6.12 and are replayed
 * against it when it is installed (check durations and the date normalised).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, loggedHttpHead, startHaproxy } from '../../helpers/haproxy.ts';

interface FakeSmtp {
  port: number;
  /** Each exchange's client lines, once it ended. */
  sessions: string[][];
  close(): Promise<void>;
}

async function fakeSmtp(): Promise<FakeSmtp> {
  const sessions: string[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    const lines: string[] = [];
    let buffered = '';
    let inData = false;
    s.on('error', () => {});
    s.on('close', () => {
      sockets.delete(s);
      sessions.push(lines);
    });
    s.write('220 fake ESMTP\r\n');
    s.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let eol = buffered.indexOf('\r\n'); eol >= 0; eol = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, eol);
        buffered = buffered.slice(eol + 2);
        lines.push(line);
        if (inData) {
          if (line === '.') {
            inData = false;
            s.write('250 queued\r\n');
          }
        } else if (line.startsWith('HELO ')) s.write('250 fake\r\n');
        else if (line.startsWith('MAIL FROM:') || line.startsWith('RCPT TO:')) s.write('250 ok\r\n');
        else if (line === 'DATA') {
          inData = true;
          s.write('354 go on\r\n');
        } else if (line === 'QUIT') s.end('221 bye\r\n');
        else s.write('500 what\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const site = (port: number, smtp: number, checked: number): string => `${loggedHttpHead('    timeout check 5s\n')}mailers mta
    mailer smtp1 127.0.0.1:${smtp}
    timeout mail 5s
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    email-alert mailers mta
    email-alert from lb@home.lan
    email-alert to me@home.lan
    email-alert level notice
    email-alert myhostname lb.home.lan
    server a1 127.0.0.1:${checked} check inter 300 fall 1 rise 1
backend quiet
    email-alert mailers mta
    email-alert from lb@home.lan
    email-alert to me@home.lan
    email-alert myhostname lb.home.lan
    server q1 127.0.0.1:${checked} check inter 300 fall 1 rise 1
`;

const DATE = /^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(.+\)$/;

function mail(message: string): string[] {
  return [
    'HELO lb.home.lan', 'MAIL FROM:<lb@home.lan>', 'RCPT TO:<me@home.lan>', 'DATA',
    'From: lb@home.lan', 'To: me@home.lan', 'Date: <date>', `Subject: [HAProxy Alert] ${message}`, '', message, '', '.', 'QUIT',
  ];
}

const DOWN = (server: string) => `Server ${server} is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: <n>ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue`;
const EXPECTED = [
  mail(DOWN('app/a1')),
  mail(DOWN('quiet/q1')),
  mail('Server app/a1 is UP, reason: Layer4 check passed, check duration: <n>ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue'),
];

const normalised = (session: string[]): string[] =>
  session.map((l) => (DATE.test(l) ? 'Date: <date>' : l.replace(/check duration: \d+ms/, 'check duration: <n>ms')));

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

/** The mails while the checked port is closed, then open. */
async function run(start: (smtp: number, checked: number) => Promise<{ stop(): Promise<void> }>): Promise<string[][]> {
  const smtp = await fakeSmtp();
  const checked = await freePort();
  const proxy = await start(smtp.port, checked);
  let listener: net.Server | undefined;
  try {
    await waitFor(() => smtp.sessions.length >= 2);
    listener = net.createServer((s) => s.destroy()).listen(checked, '127.0.0.1');
    await waitFor(() => smtp.sessions.length >= 3);
    // `quiet` came back UP too, at the same check: its mail (which must not exist) would be here by now.
    await new Promise((r) => setTimeout(r, 600));
    // The two DOWN mails go out on their own queues, in either order.
    const down = smtp.sessions.slice(0, 2).map(normalised).sort((a, b) => a[7]!.localeCompare(b[7]!));
    return [...down, ...smtp.sessions.slice(2).map(normalised)];
  } finally {
    await proxy.stop();
    listener?.close();
    await smtp.close();
  }
}

test('server state changes are mailed at their level, with HAProxy 2.6\'s SMTP exchange and message', async (t) => {
  assert.deepEqual(await run(async (smtp, checked) => startEngine(site(await freePort(), smtp, checked))), EXPECTED);
  if (!haproxyPath) return t.diagnostic('haproxy is not installed: compared with the recorded exchanges only');
  assert.deepEqual(await run(async (smtp, checked) => {
    const port = await freePort();
    return startHaproxy(site(port, smtp, checked), port);
  }), EXPECTED);
});
