/**
 * HAProxy's protocol checks (option redis-check, pgsql-check, mysql-check,
 * smtpchk, ssl-hello-chk, ldap-check) side by side with HAProxy 2.6: small fake
 * servers on 127.0.0.1 record the bytes each check sends and answer healthy,
 * unhealthy or garbage; the bytes, the servers' state changes and the
 * log-health-checks lines (reason, code, info) must be the same under both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startRawServer, startEngine, freePort, waitFor } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { PROTOCOL_CHECKS, protocolCheckProbe } from '../../../proxy/checks/protocol-checks.ts';
import { CHECK_CODES } from '../../../proxy/checks/types.ts';

/** How a fake server behaves: what it says on connect and how it answers what it has received so far. */
interface Behaviour {
  greet?: (socket: net.Socket) => void;
  /** `calls`: how many times data came on this connection, this time included. */
  answer?: (socket: net.Socket, received: Buffer, calls: number) => void;
}

interface Fake {
  name: string;
  port: number;
  /** Bytes each finished connection received. */
  connections: Buffer[];
  close(): Promise<void>;
}

async function fake(name: string, behaviour: Behaviour): Promise<Fake> {
  const connections: Buffer[] = [];
  const server = await startRawServer((socket) => {
    let received = Buffer.alloc(0);
    let calls = 0;
    behaviour.greet?.(socket);
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      behaviour.answer?.(socket, received, ++calls);
    });
    socket.on('close', () => connections.push(received));
  });
  return { name, port: server.port, connections, close: server.close };
}

interface Seen {
  /** The first connection's bytes per server, hex (masked where time-dependent). */
  bytes: Record<string, string>;
  /** Distinct state-change and health-check log lines, durations removed, sorted. */
  lines: string[];
}

/**
 * Runs `option` in a backend with one server per fake, under HAProxy then Loadstar, until every
 * fake has seen `checks` connections; returns what each saw.
 */
async function sideBySide(option: string, fakes: Fake[], mask: (hex: string) => string = (h) => h, checks = 3): Promise<Record<'haproxy' | 'loadstar', Seen>> {
  const bind = await freePort();
  const config = `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 400ms
backend be
    option log-health-checks
    ${option}
${fakes.map((f) => `    server ${f.name} 127.0.0.1:${f.port} check inter 150 rise 1 fall 1`).join('\n')}
frontend fe
    bind 127.0.0.1:${bind}
    # startHaproxy's readiness probe must not reach a fake server: only checks do.
    tcp-request connection reject
    default_backend be
`;
  const seen = {} as Record<'haproxy' | 'loadstar', Seen>;
  for (const impl of ['haproxy', 'loadstar'] as const) {
    for (const f of fakes) f.connections.length = 0;
    let stop: () => Promise<void>;
    let lines: () => string[];
    if (impl === 'haproxy') {
      const h = await startHaproxy(config, bind);
      stop = h.stop;
      lines = () => h.output().split('\n');
    } else {
      const e = await startEngine(config);
      stop = e.stop;
      lines = () => [...e.alerts, ...e.logs];
    }
    try {
      // A fake named 'closed…' is closed before the run: nothing ever reaches it.
      await waitFor(`${impl}: ${checks} checks on each server`, () => fakes.every((f) => f.name.startsWith('closed') || f.connections.length >= checks), 15_000);
    } finally {
      await stop();
    }
    seen[impl] = {
      bytes: Object.fromEntries(fakes.map((f) => [f.name, mask(f.connections[0]?.toString('hex') ?? '')])),
      lines: [...new Set(lines()
        .map((l) => l.replace(/^\[\w+\]\s+\(\d+\) : /, '').replace(/check duration: \d+ms/, 'check duration: Nms')
          // Which server goes down first depends on timing: not the counts after it.
          .replace(/\d+ active and \d+ backup servers/, 'N active and N backup servers').trim())
        .filter((l) => /^(Server|Health check for server) be\//.test(l)))].sort(),
    };
  }
  if (process.env.SHOW_CHECK_LINES) console.log(JSON.stringify(seen, null, 1));
  return seen;
}

function closeAll(fakes: Fake[]): Promise<void[]> {
  return Promise.all(fakes.map((f) => f.close()));
}

test('option redis-check sends PING and expects +PONG, as HAProxy 2.6 does', async (t) => {
  if (!requireHaproxy(t)) return;
  const fakes = [
    await fake('pong', { answer: (s, r) => { if (r.includes('PING')) s.write('+PONG\r\n'); } }),
    // An error answered then closed: L7STS with the server's line.
    await fake('err', { answer: (s) => s.end('-ERR unknown command\r\nmore\r\n') }),
    // Closed without a word: an empty response.
    await fake('mute', { answer: (s) => s.end() }),
    // NOAUTH on an open connection: a mismatch with no min-recv waits, then times out.
    await fake('noauth', { answer: (s) => s.write('-NOAUTH Authentication required.\r\n') }),
    // Reset after the PING, and a port nobody listens on.
    await fake('reset', { answer: (s) => s.resetAndDestroy() }),
    await fake('closed', {}),
  ];
  await fakes.at(-1)!.close();
  try {
    const seen = await sideBySide('option redis-check', fakes);
    assert.equal(seen.haproxy.bytes['pong'], Buffer.from('*1\r\n$4\r\nPING\r\n').toString('hex'));
    assert.ok(seen.haproxy.lines.some((l) => l.includes('info: "-ERR unknown command"')), seen.haproxy.lines.join('\n'));
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    await closeAll(fakes);
  }
});

test('option redis-check takes no argument and cannot be negated, as in HAProxy 2.6', () => {
  const parse = (line: string) => parseConfig([{ name: 't.cfg', text: `backend be\n    ${line}\n    server s 127.0.0.1:6379 check\n` }]);
  assert.ok(parse('option redis-check').ok);
  const extra = parse('option redis-check now');
  assert.ok(!extra.ok && extra.diagnostics.some((d) => d.message.includes(`'option redis-check' cannot handle unexpected argument 'now'.`)));
  assert.ok(!parse('no option redis-check').ok);
});

/** A PostgreSQL backend message: type, length, body. */
function pgMessage(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type, 'latin1'), len, body]);
}

test('option pgsql-check user <name> sends a startup message and expects an authentication request, as HAProxy 2.6 does', async (t) => {
  if (!requireHaproxy(t)) return;
  const pgError = pgMessage('E', Buffer.from('SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host "127.0.0.1"\0\0', 'latin1'));
  const fakes = [
    await fake('trust', { answer: (s) => s.end(pgMessage('R', Buffer.from('00000000', 'hex'))) }),
    await fake('md5', { answer: (s) => s.write(pgMessage('R', Buffer.from('0000000501020304', 'hex'))) }),
    await fake('refused', { answer: (s) => s.end(pgError) }),
    await fake('http', { answer: (s) => s.end('HTTP/1.0 400 Bad Request\r\n\r\n') }),
    await fake('short', { answer: (s) => s.write('R\0\0') }),
    await fake('mute', { answer: (s) => s.end() }),
  ];
  try {
    const seen = await sideBySide('option pgsql-check user haproxy', fakes);
    assert.equal(seen.haproxy.bytes['trust'], '00000016' + '00030000' + Buffer.from('user\0haproxy\0\0').toString('hex'));
    assert.ok(seen.haproxy.lines.some((l) => l.includes('PostgreSQL server is ok')), seen.haproxy.lines.join('\n'));
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    await closeAll(fakes);
  }
});

test('option pgsql-check refuses a missing or unknown argument with HAProxy 2.6 messages', () => {
  const parse = (line: string) => parseConfig([{ name: 't.cfg', text: `backend be\n    ${line}\n    server s 127.0.0.1:5432 check\n` }]);
  const messages = (line: string) => { const r = parse(line); return r.ok ? [] : r.diagnostics.map((d) => d.message); };
  assert.ok(parse('option pgsql-check user postgres').ok);
  assert.ok(messages('option pgsql-check').some((m) => m.includes(`'option pgsql-check' expects 'user <username>' as argument.`)));
  assert.ok(messages('option pgsql-check user').some((m) => m.includes(`'option pgsql-check' expects 'user <username>' as argument.`)));
  assert.ok(messages('option pgsql-check login bob').some((m) => m.includes(`'option pgsql-check' only supports optional values: 'user'.`)));
  assert.ok(messages('option pgsql-check user bob x').some((m) => m.includes(`'option pgsql-check' cannot handle unexpected argument 'x'.`)));
});

/** A MySQL packet: 3-byte little-endian length, sequence id, payload. */
function myPacket(seq: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, seq]), payload]);
}

const MY_HANDSHAKE = myPacket(0, Buffer.concat([
  Buffer.from([0x0a]), Buffer.from('8.0.36\0', 'latin1'), Buffer.from('0b000000', 'hex'), Buffer.from('2a3b4c5d6e7f1021', 'hex'), Buffer.from([0]),
  Buffer.from('ffff', 'hex'), Buffer.from([0xff]), Buffer.from('0200', 'hex'), Buffer.from('ffdf', 'hex'), Buffer.from([21]), Buffer.alloc(10),
  Buffer.from('3132333435363738393a3b3c00', 'hex'), Buffer.from('mysql_native_password\0', 'latin1'),
]));
const MY_OK = myPacket(2, Buffer.from('00000002000000', 'hex'));
const myError = (seq: number, code: number, text: string): Buffer => {
  const c = Buffer.alloc(2);
  c.writeUInt16LE(code);
  return myPacket(seq, Buffer.concat([Buffer.from([0xff]), c, Buffer.from(text, 'latin1')]));
};

/** The MySQL servers of the mysql-check comparisons. */
async function mysqlFakes(): Promise<Fake[]> {
  const once = (reply: Buffer, end = false): Behaviour['answer'] => (s, _received, calls) => {
    if (calls === 1) {
      if (end) s.end(reply);
      else s.write(reply);
    }
  };
  return [
    await fake('ok', { greet: (s) => s.write(MY_HANDSHAKE), answer: once(MY_OK) }),
    await fake('denied', { greet: (s) => s.write(MY_HANDSHAKE), answer: once(myError(2, 1045, "#28000Access denied for user 'haproxy'@'127.0.0.1'"), true) }),
    await fake('blocked', { greet: (s) => s.end(myError(0, 1129, "Host '127.0.0.1' is blocked because of many connection errors")) }),
    await fake('ssh', { greet: (s) => s.write('SSH-2.0-OpenSSH_9.2\r\n') }),
    await fake('truncated', { greet: (s) => s.end(MY_HANDSHAKE.subarray(0, 20)) }),
    await fake('mute', { greet: (s) => s.end() }),
  ];
}

for (const [option, sent] of [
  ['option mysql-check user haproxy', '29000001' + '00820000' + '00800001' + '21' + '00'.repeat(23) + Buffer.from('haproxy\0').toString('hex') + '00' + '010000' + '00' + '01'],
  ['option mysql-check user haproxy post-41', '29000001' + '00820000' + '00800001' + '21' + '00'.repeat(23) + Buffer.from('haproxy\0').toString('hex') + '00' + '010000' + '00' + '01'],
  ['option mysql-check user haproxy pre-41', '0e000001' + '0080' + '000001' + Buffer.from('haproxy\0').toString('hex') + '00' + '010000' + '00' + '01'],
  ['option mysql-check', ''],
] as const) {
  test(`${option}: the same bytes and verdicts as HAProxy 2.6 (handshake, OK, error packets, not MySQL, truncated)`, async (t) => {
    if (!requireHaproxy(t)) return;
    const fakes = await mysqlFakes();
    try {
      const seen = await sideBySide(option, fakes);
      assert.equal(seen.haproxy.bytes['ok'], sent);
      assert.deepEqual(seen.loadstar, seen.haproxy);
    } finally {
      await closeAll(fakes);
    }
  });
}

test('option mysql-check refuses bad arguments with HAProxy 2.6 messages', () => {
  const parse = (line: string) => parseConfig([{ name: 't.cfg', text: `backend be\n    ${line}\n    server s 127.0.0.1:3306 check\n` }]);
  const messages = (line: string) => { const r = parse(line); return r.ok ? [] : r.diagnostics.map((d) => d.message); };
  assert.ok(parse('option mysql-check').ok);
  assert.ok(parse('option mysql-check user bob pre-41').ok);
  assert.ok(messages('option mysql-check login bob').some((m) => m.includes(`'option mysql-check' only supports optional values: 'user' (got 'login').`)));
  assert.ok(messages('option mysql-check user').some((m) => m.includes(`'option mysql-check user' expects <username> as argument.`)));
  assert.ok(messages('option mysql-check user bob post-42').some((m) => m.includes(`keyword 'user' only supports 'post-41' and 'pre-41' (got 'post-42').`)));
  assert.ok(messages('option mysql-check user bob pre-41 x').some((m) => m.includes(`'option mysql-check' cannot handle unexpected argument 'x'.`)));
});

for (const [option, command] of [
  ['option smtpchk', 'HELO localhost'],
  ['option smtpchk EHLO checker.example', 'EHLO checker.example'],
  ['option smtpchk LHLO checker.example', 'HELO localhost'],
] as const) {
  test(`${option}: the same command and verdicts as HAProxy 2.6 (2xx, busy, rejected, not SMTP, silent, multi-line greeting)`, async (t) => {
    if (!requireHaproxy(t)) return;
    const greet = (text: string): Behaviour['greet'] => (s) => s.write(text);
    const fakes = [
      await fake('ok', {
        greet: greet('220 mail.example ESMTP Postfix\r\n'),
        answer: (s, r) => s.write(r.toString().endsWith('QUIT\r\n') ? '221 2.0.0 Bye\r\n' : '250-mail.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n'),
      }),
      // A 2xx reply to the greeting, then a QUIT refused.
      await fake('noquit', { greet: greet('220 mail.example\r\n'), answer: (s, r) => s.write(r.toString().endsWith('QUIT\r\n') ? '502 5.5.1 No\r\n' : '250 ok\r\n') }),
      await fake('busy', { greet: greet('554 5.3.2 Too busy\r\n') }),
      await fake('rejected', { greet: greet('220 mail.example ESMTP\r\n'), answer: (s) => s.end('501 5.5.4 Syntax error\r\n') }),
      await fake('http', { greet: greet('HTTP/1.1 400 Bad Request\r\n\r\n') }),
      await fake('silent', {}),
      await fake('mute', { greet: (s) => s.end() }),
      await fake('multiline', { greet: greet('220-mail.example first\r\n220 mail.example second\r\n'), answer: (s) => s.write('250 ok\r\n') }),
    ];
    try {
      const seen = await sideBySide(option, fakes);
      assert.equal(seen.haproxy.bytes['ok'], Buffer.from(`${command}\r\nQUIT\r\n`).toString('hex'));
      assert.deepEqual(seen.loadstar, seen.haproxy);
    } finally {
      await closeAll(fakes);
    }
  });
}

test('option smtpchk takes at most two arguments, as in HAProxy 2.6', () => {
  const parse = (line: string) => parseConfig([{ name: 't.cfg', text: `backend be\n    ${line}\n    server s 127.0.0.1:25 check\n` }]);
  assert.ok(parse('option smtpchk HELO a.example').ok);
  const extra = parse('option smtpchk HELO a.example b');
  assert.ok(!extra.ok && extra.diagnostics.some((d) => d.message.includes(`'option smtpchk' cannot handle unexpected argument 'b'.`)));
});

test('option ssl-hello-chk sends the SSLv3 CLIENT HELLO and expects a handshake or alert record, as HAProxy 2.6 does', async (t) => {
  if (!requireHaproxy(t)) return;
  const fakes = [
    await fake('hello', { answer: (s) => s.write(Buffer.from('160303003d020000390303', 'hex')) }),
    await fake('alert', { answer: (s) => s.end(Buffer.from('15030000020228', 'hex')) }),
    await fake('http', { answer: (s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n') }),
    await fake('short', { answer: (s) => s.write(Buffer.from('1603', 'hex')) }),
    await fake('shortclosed', { answer: (s) => s.end(Buffer.from('1603', 'hex')) }),
    await fake('mute', { answer: (s) => s.end() }),
  ];
  try {
    // The hello carries the current time at offset 11.
    const seen = await sideBySide('option ssl-hello-chk', fakes, (hex) => hex.slice(0, 22) + 'TTTTTTTT' + hex.slice(30));
    const hello = seen.haproxy.bytes['hello']!;
    assert.equal(hello.length, 126 * 2);
    assert.ok(hello.startsWith('16030000790100007503'), hello);
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    await closeAll(fakes);
  }
});

test('option ldap-check binds anonymously and expects a successful BindResponse, as HAProxy 2.6 does', async (t) => {
  if (!requireHaproxy(t)) return;
  const reply = (hex: string, end = false): Behaviour['answer'] => (s) => (end ? s.end(Buffer.from(hex, 'hex')) : s.write(Buffer.from(hex, 'hex')));
  const fakes = [
    await fake('ok', { answer: reply('300c02010161070a010004000400') }),
    await fake('creds', { answer: reply('300c02010161070a013104000400') }),
    // Active Directory encodes the lengths on four bytes.
    await fake('ad', { answer: reply('3084000000100201016184000000070a010004000400') }),
    await fake('http', { answer: (s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n') }),
    await fake('search', { answer: reply('300c02010165070a010004000400') }),
    await fake('short', { answer: reply('300c02010161') }),
    await fake('shortclosed', { answer: reply('300c02010161', true) }),
    await fake('mute', { answer: (s) => s.end() }),
  ];
  try {
    const seen = await sideBySide('option ldap-check', fakes);
    assert.equal(seen.haproxy.bytes['ok'], '300c020101600702010304008000');
    assert.ok(seen.haproxy.lines.some((l) => l.includes('code: 49')), seen.haproxy.lines.join('\n'));
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    await closeAll(fakes);
  }
});

test('one check type is in force, the last option line, a defaults section\'s included, as in HAProxy 2.6', async (t) => {
  if (!requireHaproxy(t)) return;
  // Answers every check type kindly: a 220 greeting, +PONG to PING, 200 to HTTP, 250 to the rest.
  const any = (): Behaviour => ({
    greet: (s) => s.write('220 any\r\n'),
    answer: (s, r) => {
      const text = r.toString('latin1');
      if (text.includes('PING')) s.write('+PONG\r\n');
      else if (text.includes('HTTP/1.')) s.end('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n');
      else s.write('250 ok\r\n');
    },
  });
  const names = ['inherited', 'httpchk', 'tcpcheck', 'smtplast', 'redislast', 'rules'];
  const fakes = await Promise.all(names.map((n) => fake(n, any())));
  const bind = await freePort();
  const server = (f: Fake) => `    server s 127.0.0.1:${f.port} check inter 150 rise 1 fall 1`;
  const config = `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 400ms
    option redis-check
backend inherited
${server(fakes[0]!)}
backend httpchk
    option httpchk GET /health
${server(fakes[1]!)}
backend tcpcheck
    option tcp-check
${server(fakes[2]!)}
backend smtplast
    option httpchk
    option smtpchk
${server(fakes[3]!)}
backend redislast
    option tcp-check
    tcp-check send HELLO\\r\\n
    option redis-check
${server(fakes[4]!)}
backend rules
    option tcp-check
    tcp-check send HELLO\\r\\n
    tcp-check expect string 250
${server(fakes[5]!)}
frontend fe
    bind 127.0.0.1:${bind}
    tcp-request connection reject
    default_backend inherited
`;
  const seen: Record<string, Record<string, string>> = {};
  try {
    for (const impl of ['haproxy', 'loadstar'] as const) {
      for (const f of fakes) f.connections.length = 0;
      const running = impl === 'haproxy' ? await startHaproxy(config, bind) : await startEngine(config);
      try {
        await waitFor(`${impl}: 2 checks on each server`, () => fakes.every((f) => f.name === 'tcpcheck' || f.connections.length >= 2), 15_000).catch((e: Error) => { throw new Error(`${e.message}: ${fakes.map((f) => `${f.name}=${f.connections.length}`).join(" ")}`); });
      } finally {
        await running.stop();
      }
      // What each check sent first: its first line. (HAProxy's connect-only check resets its connection
      // before the fake server sees it: 'tcpcheck' may have recorded nothing.)
      seen[impl] = Object.fromEntries(fakes.map((f) => [f.name, f.connections[0]?.toString('latin1').split('\r\n')[0] ?? '']));
    }
    assert.deepEqual(seen.haproxy, { inherited: '*1', httpchk: 'GET /health HTTP/1.0', tcpcheck: '', smtplast: 'HELO localhost', redislast: '*1', rules: 'HELLO' });
    assert.deepEqual(seen.loadstar, seen.haproxy);
  } finally {
    await closeAll(fakes);
  }
});

test('protocol checks always give a verdict, whatever bytes a server sends', async () => {
  let seed = 7;
  const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  for (const name of PROTOCOL_CHECKS) {
    for (let i = 0; i < 12; i++) {
      // Random bytes, sometimes starting like a real answer, sent at once or after the request, closed or not.
      const prefixes = ['', '30', '3084', '16', '52000000', 'ff', '2b', '32', '45'].map((h) => Buffer.from(h, 'hex'));
      const bytes = Buffer.concat([prefixes[random(prefixes.length)]!, Buffer.from(Array.from({ length: random(40) }, () => random(256)))]);
      const close = random(2) === 0;
      const server = await startRawServer((s) => {
        const send = () => (close ? s.end(bytes) : s.write(bytes));
        if (random(2) === 0) send();
        else s.once('data', send);
      });
      try {
        const args = name === 'pgsql-check' ? ['user', 'u'] : name === 'mysql-check' && i % 2 ? ['user', 'u'] : [];
        const result = await protocolCheckProbe(name, args)({ host: '127.0.0.1', port: server.port, connectTimeout: 500, readTimeout: 150 }, { serverDown: false });
        assert.ok(CHECK_CODES[result.code], `${name}: ${JSON.stringify(result)}`);
      } finally {
        await server.close();
      }
    }
  }
});
