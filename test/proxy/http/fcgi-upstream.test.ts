/**
 * FastCGI to servers (proxy/http/fcgi-upstream.ts), side by side with haproxy 2.6.12: the same
 * configuration in front of the same Node FastCGI responder (test/helpers/fcgi-responder.ts), the
 * parameters each sends and the answers each gives compared. SERVER_SOFTWARE differs by design
 * ("HAProxy 2.6.12…" / "Loadstar"), and the ports (REMOTE_PORT, SERVER_PORT) with each run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sideBySide } from './lib/side-by-side.ts';
import { rawExchange } from '../../helpers/net.ts';
import { startFcgiResponder, echoAnswer } from '../../helpers/fcgi-responder.ts';
import type { FcgiAnswer, FcgiRequestSeen } from '../../helpers/fcgi-responder.ts';

function config(port: number, responder: number | string, app: string, global = ''): string {
  return `global
${global}
defaults
  mode http
  timeout client 5s
  timeout server 5s
  timeout connect 5s
  timeout check 5s
frontend f
  bind 127.0.0.1:${port}
  default_backend b
backend b
  use-fcgi-app php
  server s ${typeof responder === 'number' ? `127.0.0.1:${responder}` : responder} proto fcgi
fcgi-app php
  docroot /var/www
${app}
`;
}

/** The parameters as compared: SERVER_SOFTWARE and the ports left out. */
function params(req: FcgiRequestSeen | undefined): Array<[string, string]> {
  return (req?.params ?? []).filter(([n]) => n !== 'SERVER_SOFTWARE' && n !== 'REMOTE_PORT' && n !== 'SERVER_PORT');
}

/** An answer without its Date value (the clock). */
function answer(raw: string): string {
  return raw.replace(/\r\ndate: [^\r]*/i, '\r\ndate: (now)');
}

const get = (path: string, more = ''): string => `GET ${path} HTTP/1.1\r\nHost: example.com\r\n${more}Connection: close\r\n\r\n`;

test('the parameters: headers as HTTP_*, set-param (by name, with a condition), SCRIPT_NAME/PATH_INFO from path-info on the decoded path, the query string', async (t) => {
  const responder = await startFcgiResponder();
  const app = `  index index.php
  path-info ^(/.+\\.php)(/.*)?$
  set-param FOO bar if { path_beg /x }
  set-param a-b %[src]`;
  try {
    await sideBySide(t, (port) => config(port, responder.port, app), async (port) => {
      responder.requests.length = 0;
      await rawExchange(port, get('/x/a%20b.php/extra/p?q=1&r=2', 'Authorization: Basic dXNlcjpwYXNz\r\nX-My-Hdr: v\r\n'));
      await rawExchange(port, get('/dir/'));
      const software = responder.requests[0]?.params.find(([n]) => n === 'SERVER_SOFTWARE')?.[1] ?? '';
      assert.ok(software === 'Loadstar' || software.startsWith('HAProxy 2.6'), software);
      assert.deepEqual(params(responder.requests[0]), [
        ['HTTP_HOST', 'example.com'], ['HTTP_X_MY_HDR', 'v'],
        ['A_B', '127.0.0.1'], ['AUTH_TYPE', 'Basic'], ['FOO', 'bar'], ['REMOTE_USER', 'user'],
        ['GATEWAY_INTERFACE', 'CGI/1.1'], ['DOCUMENT_ROOT', '/var/www'], ['SCRIPT_NAME', '/x/a b.php'], ['PATH_INFO', '/extra/p'],
        ['REQUEST_URI', '/x/a%20b.php/extra/p?q=1&r=2'], ['REQUEST_METHOD', 'GET'], ['QUERY_STRING', 'q=1&r=2'], ['SERVER_NAME', 'example.com'],
        ['SERVER_PROTOCOL', 'HTTP/1.1'], ['REMOTE_ADDR', '127.0.0.1'], ['SCRIPT_FILENAME', '/var/www/x/a b.php'], ['PATH_TRANSLATED', '/var/www/extra/p'],
        ['CONTENT_LENGTH', '0'],
      ]);
      // The condition does not hold: no FOO; a path ending with '/' gets the index.
      assert.deepEqual(params(responder.requests[1]).filter(([n]) => ['FOO', 'SCRIPT_NAME', 'SCRIPT_FILENAME', 'PATH_INFO'].includes(n)), [
        ['SCRIPT_NAME', '/dir/index.php'], ['SCRIPT_FILENAME', '/var/www/dir/index.php'],
      ]);
    });
  } finally {
    await responder.close();
  }
});

test('pass-header Authorization passes it; the other hidden headers stay hidden; POST bodies go as STDIN, a chunked one with the length that came', async (t) => {
  const responder = await startFcgiResponder();
  try {
    await sideBySide(t, (port) => config(port, responder.port, '  pass-header Authorization'), async (port) => {
      responder.requests.length = 0;
      await rawExchange(port, get('/auth', 'Authorization: Basic dXNlcjpwYXNz\r\nProxy-Authorization: x\r\nTE: trailers\r\nUpgrade: foo\r\n'));
      await rawExchange(port, 'POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
      await rawExchange(port, 'POST /chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
      assert.deepEqual(params(responder.requests[0]).filter(([n]) => n.startsWith('HTTP_') || n === 'REMOTE_USER' || n === 'AUTH_TYPE'), [
        ['HTTP_HOST', 'example.com'], ['HTTP_AUTHORIZATION', 'Basic dXNlcjpwYXNz'], ['AUTH_TYPE', 'Basic'], ['REMOTE_USER', 'user'],
      ]);
      const form = responder.requests[1];
      assert.deepEqual(params(form).filter(([n]) => n.startsWith('CONTENT')), [['CONTENT_TYPE', 'text/plain'], ['CONTENT_LENGTH', '5']]);
      assert.equal(form?.stdin, 'hello');
      const chunked = responder.requests[2];
      // A backend with use-fcgi-app deletes header names with other characters than letters, digits and '-' (http-restrict-req-hdr-names).
      await rawExchange(port, get('/names', 'X-my_hdr: on\r\nX-Ok: yes\r\n'));
      assert.deepEqual(params(responder.requests[3]).filter(([n]) => n.startsWith('HTTP_X')), [['HTTP_X_OK', 'yes']]);
      assert.deepEqual(params(chunked).filter(([n]) => n.startsWith('CONTENT') || n.startsWith('HTTP_')), [['HTTP_HOST', 'h'], ['CONTENT_LENGTH', '11']]);
      assert.equal(chunked?.stdin, 'hello world');
    });
  } finally {
    await responder.close();
  }
});

test('the CGI answer: Status gives the status line, Location a 302, none a 200 OK; Date added, the length of a whole body added, chunked while the end has not come; HEAD and HTTP/1.0', async (t) => {
  let release: (() => void) | undefined;
  const responder = await startFcgiResponder((req): FcgiAnswer => {
    const uri = req.params.find(([n]) => n === 'REQUEST_URI')?.[1];
    switch (uri) {
      case '/status': return { stdout: ['Status: 404 Not Here\r\nX-A: 1\r\n\r\nnope'] };
      case '/status-only': return { stdout: ['Status: 201\r\n\r\nmade'] };
      case '/location': return { stdout: ['Location: /elsewhere\r\n\r\n'] };
      case '/nolen': return { stdout: ['Content-Type: text/plain\r\n\r\nabc'] };
      case '/empty': return { stdout: ['Content-Type: text/plain\r\n\r\n'] };
      case '/lf': return { stdout: ['Status: 202 Fine\nX-B: 2\n\nlf-body'] };
      case '/nohead': return { stdout: ['\r\nok'] };
      case '/later': return { stdout: ['Content-Type: text/plain\r\n\r\nfirst', 'second'], later: new Promise<void>((r) => (release = r)) };
      default: return echoAnswer(req);
    }
  });
  try {
    await sideBySide(t, (port) => config(port, responder.port, ''), async (port) => {
      assert.equal(answer(await rawExchange(port, get('/status'))), 'HTTP/1.1 404 Not Here\r\nx-a: 1\r\ndate: (now)\r\ncontent-length: 4\r\nconnection: close\r\n\r\nnope');
      assert.equal(answer(await rawExchange(port, get('/status-only'))), 'HTTP/1.1 201 \r\ndate: (now)\r\ncontent-length: 4\r\nconnection: close\r\n\r\nmade');
      assert.equal(answer(await rawExchange(port, get('/location'))), 'HTTP/1.1 302 Moved Temporarily\r\nlocation: /elsewhere\r\ndate: (now)\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      assert.equal(answer(await rawExchange(port, get('/nolen'))), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ndate: (now)\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc');
      assert.equal(answer(await rawExchange(port, get('/lf'))), 'HTTP/1.1 202 Fine\r\nx-b: 2\r\ndate: (now)\r\ncontent-length: 7\r\nconnection: close\r\n\r\nlf-body');
      assert.equal(answer(await rawExchange(port, get('/nohead'))), 'HTTP/1.1 200 OK\r\ndate: (now)\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
      assert.equal(answer(await rawExchange(port, 'HEAD /empty HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ndate: (now)\r\nconnection: close\r\n\r\n');
      // A body to HEAD is data after the end of the message: haproxy 2.6.12 answers 502.
      assert.match(await rawExchange(port, 'HEAD /nolen HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      const h10 = answer(await rawExchange(port, 'GET /h10 HTTP/1.0\r\n\r\n'));
      assert.match(h10, /^HTTP\/1\.0 200 OK\r\ncontent-type: application\/json\r\ncontent-length: \d+\r\ndate: \(now\)\r\n\r\n/);
      assert.match(h10, /\["SERVER_PROTOCOL","HTTP\/1\.0"\]/);
      assert.match(h10, /\["SERVER_NAME","127\.0\.0\.1"\]/);
      const later = rawExchange(port, get('/later'));
      await new Promise((r) => setTimeout(r, 200));
      release?.();
      assert.equal(answer(await later), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ndate: (now)\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n');
    });
  } finally {
    await responder.close();
  }
});

test('a responder closing in the middle of a body: the client gets what came, then the connection ends (logged SD)', async (t) => {
  const responder = await startFcgiResponder(() => ({ stdout: ['Content-Type: text/plain\r\n\r\npartial'], noEnd: true }));
  try {
    await sideBySide(t, (port) => config(port, responder.port, '').replace('  default_backend b', '  default_backend b\n  option httplog\n  log stdout format raw local0'), async (port, proxy) => {
      assert.equal(answer(await rawExchange(port, get('/early'))), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ndate: (now)\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n7\r\npartial\r\n');
      await new Promise((r) => setTimeout(r, 200));
      assert.match(proxy.logs().join('\n'), / 200 \d+ - - SD-- .*"GET \/early HTTP\/1\.1"/);
    });
  } finally {
    await responder.close();
  }
});

/**
 * An application that answers with `total` bytes of body in 60,000-byte STDOUT records, each written
 * once the last one left (its socket drained); `flushed` counts what the socket of its latest answer took.
 */
async function startStreamingApp(total: number): Promise<{ port: number; flushed(): number; answers(): number; close(): Promise<void> }> {
  const net = await import('node:net');
  let flushed = 0;
  let answers = 0;
  const sockets = new Set<import('node:net').Socket>();
  const record = (type: number, content: Buffer): Buffer => {
    const h = Buffer.alloc(8);
    h[0] = 1;
    h[1] = type;
    h.writeUInt16BE(1, 2);
    h.writeUInt16BE(content.length, 4);
    return Buffer.concat([h, content]);
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let seen = Buffer.alloc(0);
    let started = false;
    socket.on('data', (d: Buffer) => {
      seen = Buffer.concat([seen, d]);
      // The request's empty STDIN (id 1) ends it.
      if (started || seen.indexOf(Buffer.from([1, 5, 0, 1, 0, 0, 0, 0])) < 0) return;
      started = true;
      flushed = 0;
      answers++;
      socket.write(record(6, Buffer.from(`Content-Length: ${total}\r\n\r\n`)));
      const piece = record(6, Buffer.alloc(60_000, 'x'));
      let left = total;
      const pump = (): void => {
        while (left > 0 && !socket.destroyed) {
          left -= 60_000;
          const more = socket.write(piece, () => (flushed += 60_000));
          if (left <= 0) socket.write(Buffer.concat([record(6, Buffer.alloc(0)), record(3, Buffer.alloc(8))]));
          else if (!more) return void socket.once('drain', pump);
        }
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as import('node:net').AddressInfo).port,
    flushed: () => flushed,
    answers: () => answers,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

test('a client that does not read holds the application back: its answer is not read ahead without bound, then comes whole', { timeout: 60_000 }, async (t) => {
  const net = await import('node:net');
  const TOTAL = 48_000_000;
  const app = await startStreamingApp(TOTAL);
  await sideBySide(t, (port) => `global
defaults
  mode http
  timeout client 30s
  timeout server 30s
  timeout connect 5s
frontend f
  bind 127.0.0.1:${port}
  default_backend b
backend b
  use-fcgi-app php
  server s 127.0.0.1:${app.port} proto fcgi
fcgi-app php
  docroot /var/www
`, async (port) => {
    const answers = app.answers();
    const client = net.connect(port, '127.0.0.1', () => client.write(get('/big')));
    client.on('error', () => {});
    client.pause();
    for (let i = 0; i < 100 && app.answers() === answers; i++) await new Promise((r) => setTimeout(r, 50));
    // Until the application stalls (no progress for 500 ms) or sent everything.
    let last = -1;
    for (let i = 0; i < 60 && app.flushed() !== last && app.flushed() < TOTAL; i++) {
      last = app.flushed();
      await new Promise((r) => setTimeout(r, 500));
    }
    // Kernel buffers on both sides and the proxy's own hold a few MB; before, Loadstar read all 48 MB ahead.
    assert.ok(app.flushed() < TOTAL / 2, `the application sent ${app.flushed()} bytes to a proxy whose client read none`);
    let got = 0;
    let head = '';
    await new Promise<void>((resolve) => {
      client.on('data', (d: Buffer) => {
        if (!head.includes('\r\n\r\n')) {
          head += d.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end >= 0) got += head.length - end - 4;
        } else got += d.length;
      });
      client.on('close', () => resolve());
      client.resume();
    });
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.equal(got, TOTAL);

  }).finally(() => app.close());
});

test('option keep-conn (the default) keeps the application connection for the next requests; without it each request has its own', async (t) => {
  for (const [line, connections, keepConn] of [['', 2, true], ['  no option keep-conn', 6, false]] as const) {
    const responder = await startFcgiResponder();
    try {
      await sideBySide(t, (port) => config(port, responder.port, line), async (port) => {
        responder.requests.length = 0;
        const before = responder.connections();
        const r = 'GET /a HTTP/1.1\r\nHost: h\r\n\r\n';
        // Two client connections of three requests each.
        for (let i = 0; i < 2; i++) await rawExchange(port, r + r + r.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
        assert.equal(responder.connections() - before, connections, line);
        assert.deepEqual(responder.requests.map((q) => q.keepConn), Array(6).fill(keepConn));
        // Request ids on a connection: 1, 3, 5 (HAProxy's fcgi_conn_get_next_sid).
        assert.deepEqual(responder.requests.slice(0, 3).map((q) => q.id), keepConn ? [1, 3, 5] : [1, 1, 1]);
      });
    } finally {
      await responder.close();
    }
  }
});

test('STDERR records go to log-stderr targets at level err, tagged with the application name; option get-values asks FCGI_GET_VALUES', async (t) => {
  const syslog = dgram.createSocket('udp4');
  const lines: string[] = [];
  syslog.on('message', (m) => lines.push(m.toString('latin1')));
  await new Promise<void>((r) => syslog.bind(0, '127.0.0.1', r));
  const logPort = syslog.address().port;
  const responder = await startFcgiResponder((req) => ({ stdout: ['\r\nok'], stderr: [`PHP Warning: oops ${req.id}\n`] }));
  try {
    await sideBySide(t, (port) => config(port, responder.port, '  log-stderr global\n  option get-values', `  log 127.0.0.1:${logPort} local0`), async (port) => {
      lines.length = 0;
      responder.requests.length = 0;
      await rawExchange(port, get('/e'));
      for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      // <131>: local0 (16) * 8 + err (3).
      assert.deepEqual(lines.map((l) => l.replace(/^(<\d+>)\w+ +\d+ [\d:]+ (?:\S+ (?=\S+\[))?/, '$1').replace(/\[\d+\]/, '[pid]')), ['<131>php[pid]: PHP Warning: oops 1\n']);
      assert.deepEqual(responder.requests[0]?.getValues, ['FCGI_MAX_REQS', 'FCGI_MPXS_CONNS']);
    });
  } finally {
    await responder.close();
    syslog.close();
  }
});

test('an application on a UNIX socket (php-fpm\'s usual listen) gets the same parameters', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-fcgi-'));
  const socket = path.join(dir, 'php-fpm.sock');
  const responder = await startFcgiResponder(echoAnswer, socket);
  try {
    await sideBySide(t, (port) => config(port, socket, ''), async (port) => {
      responder.requests.length = 0;
      assert.match(await rawExchange(port, get('/index.php?a=1')), /^HTTP\/1\.1 200 OK\r\n/);
      assert.deepEqual(params(responder.requests[0]).filter(([n]) => ['SCRIPT_FILENAME', 'QUERY_STRING', 'REMOTE_ADDR', 'SERVER_NAME'].includes(n)), [
        ['QUERY_STRING', 'a=1'], ['SERVER_NAME', 'example.com'], ['REMOTE_ADDR', '127.0.0.1'], ['SCRIPT_FILENAME', '/var/www/index.php'],
      ]);
    });
  } finally {
    await responder.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an application that never finishes its head: 504 after timeout server; one closing in the middle of it: 502 (haproxy 2.6.12 aborts on a BUG_ON there, so Loadstar alone)', async () => {
  const { startEngine, freePort } = await import('../../helpers/net.ts');
  const responder = await startFcgiResponder((req) => {
    const uri = req.params.find(([n]) => n === 'REQUEST_URI')?.[1];
    return uri === '/close' ? { stdout: ['Content-Ty'], noEnd: true } : { stdout: ['Status: 200', 'x'], later: new Promise(() => {}) };
  });
  const port = await freePort();
  const engine = await startEngine(config(port, responder.port, '').replace('timeout server 5s', 'timeout server 300ms'));
  try {
    assert.match(await rawExchange(port, get('/slow')), /^HTTP\/1\.1 504 Gateway Time-out\r\n/);
    assert.match(await rawExchange(port, get('/close')), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  } finally {
    await engine.stop();
    await responder.close();
  }
});

test('option httpchk on a proto fcgi server: the check goes through FastCGI (no set-param, its Connection: close as HTTP_CONNECTION), its answer judged as HTTP', async (t) => {
  const responder = await startFcgiResponder((req) => {
    const uri = req.params.find(([n]) => n === 'REQUEST_URI')?.[1];
    return { stdout: [uri === '/ping' ? 'Content-Type: text/plain\r\n\r\npong' : uri === '/fpm-down' ? 'Status: 503\r\n\r\ndown' : '\r\napp'] };
  });
  try {
    for (const [check, up] of [['GET /ping', true], ['GET /fpm-down', false]] as const) {
      const cfg = (port: number): string => config(port, responder.port, '  set-param FOO bar')
        .replace(`  use-fcgi-app php\n`, `  use-fcgi-app php\n  option httpchk ${check}\n`)
        .replace(' proto fcgi', ' proto fcgi check inter 200ms fall 1 rise 1');
      await sideBySide(t, cfg, async (port) => {
        await new Promise((r) => setTimeout(r, 700));
        const checks = responder.requests.filter((q) => q.params.some(([n, v]) => n === 'REQUEST_URI' && v === check.slice(4)));
        assert.ok(checks.length > 0, 'checked');
        assert.deepEqual(params(checks[0]), [
          ['HTTP_CONNECTION', 'close'], ['GATEWAY_INTERFACE', 'CGI/1.1'], ['DOCUMENT_ROOT', '/var/www'], ['SCRIPT_NAME', check.slice(4)], ['REQUEST_URI', check.slice(4)],
          ['REQUEST_METHOD', 'GET'], ['SERVER_NAME', '127.0.0.1'], ['SERVER_PROTOCOL', 'HTTP/1.0'], ['SCRIPT_FILENAME', `/var/www${check.slice(4)}`], ['CONTENT_LENGTH', '0'],
        ]);
        assert.equal(checks[0]?.params.find(([n]) => n === 'REMOTE_PORT')?.[1], '0');
        assert.equal(checks[0]?.params.find(([n]) => n === 'SERVER_PORT')?.[1], String(responder.port));
        responder.requests.length = 0;
        assert.match(await rawExchange(port, get('/')), up ? /^HTTP\/1\.1 200 OK\r\n/ : /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      });
    }
  } finally {
    await responder.close();
  }
});
