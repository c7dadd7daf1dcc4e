/**
 * Responses from sloppy servers (embedded devices, old appliances) that HAProxy 2.6 relays, side by
 * side with haproxy 2.6.12: line ends without their CR, a Content-Length beside chunked encoding
 * (dropped), spaces after a chunk size, control bytes and obs-fold in header values. What reaches
 * the client is well formed, and the server connection stays usable. Header names stay strict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { freePort, startEngine } from '../../helpers/net.ts';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { sideBySide } from './lib/side-by-side.ts';
import { answeringOrigin } from './lib/answering-origin.ts';

const OK = 'HTTP/1.1 200 OK\r\n';
const CHUNKED_OK = `${OK}transfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n`;
const BAD_GATEWAY = /^HTTP\/1\.1 502 Bad Gateway\r\n/;

/** What the server answers to each path, and what the client must get (a string exactly, or a pattern). */
const cases: Record<string, [string, string | RegExp]> = {
  '/lf': ['HTTP/1.1 200 OK\nContent-Length: 2\nX-A: b\n\nok', `${OK}content-length: 2\r\nx-a: b\r\n\r\nok`],
  '/some-lf': ['HTTP/1.1 200 OK\r\nContent-Length: 2\nX-A: b\r\n\r\nok', `${OK}content-length: 2\r\nx-a: b\r\n\r\nok`],
  '/lf-chunked': ['HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\r\nok\r\n0\r\n\r\n', CHUNKED_OK],
  '/length-and-chunked': ['HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', CHUNKED_OK],
  '/chunked-and-length': ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 50\r\nX-B: c\r\n\r\n2\r\nok\r\n0\r\n\r\n', `${OK}transfer-encoding: chunked\r\nx-b: c\r\n\r\n2\r\nok\r\n0\r\n\r\n`],
  '/chunk-size-space': ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nok\r\n0\r\n\r\n', CHUNKED_OK],
  '/control': ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\x01c\x1bd\x7fe\tf\r\n\r\nok', `${OK}content-length: 2\r\nx-a: b\x01c\x1bd\x7fe\tf\r\n\r\nok`],
  '/nul': ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\x00c\r\n\r\nok', `${OK}content-length: 2\r\nx-a: b\x00c\r\n\r\nok`],
  // haproxy writes the fold's CR and LF as spaces (`b   c`), Loadstar one space: the same value.
  '/fold': ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n c\r\n\r\nok', /^HTTP\/1\.1 200 OK\r\ncontent-length: 2\r\nx-a: b +c\r\n\r\nok$/],
  // A fold with no field before it: HAProxy's H1 parser refuses the head (502), llhttp takes it.
  '/fold-first': ['HTTP/1.1 200 OK\r\n X-A: b\r\nContent-Length: 2\r\n\r\nok', BAD_GATEWAY],
  '/space-before-colon': ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A : b\r\n\r\nok', BAD_GATEWAY],
  '/gzip-only': ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok', BAD_GATEWAY],
};

const proxyTo = (originPort: number) => (port: number) => `${loggedHttpHead()}frontend fe
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${originPort}
`;

test('answers of sloppy servers are relayed well formed as haproxy relays them; a bad header name is still a 502', async (t) => {
  const origin = await answeringOrigin((path) => cases[path]?.[0] ?? 'HTTP/1.1 204 No Content\r\n\r\n');
  const config = proxyTo(origin.port);
  /** One request on its own connection; the answer as received, once the proxy is quiet for 300 ms. */
  const get = (port: number, path: string) => new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`));
    let got = '';
    let quiet: NodeJS.Timeout | undefined;
    const done = () => s.destroy();
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      clearTimeout(quiet);
      quiet = setTimeout(done, 300);
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(quiet);
      resolve(got);
    });
    setTimeout(done, 3000);
  });
  try {
    await sideBySide(t, config, async (port) => {
      for (const [path, [, expected]] of Object.entries(cases)) {
        const answer = await get(port, path);
        if (typeof expected === 'string') assert.equal(answer, expected, path);
        else assert.match(answer, expected, path);
      }
    });
  } finally {
    await origin.close();
  }
});

/**
 * `GET /1`, then once its answer (ending with `end`) is in, `GET /2` on the same connection: what the
 * client got, with `/2` marking where the second request went out.
 */
function twoInTurn(port: number, end: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /1 HTTP/1.1\r\nHost: a\r\n\r\n'));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.split(end).length === 2 && !got.includes('/2')) {
        got += '/2';
        s.write('GET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
      }
      if (got.split(end).length === 3) s.destroy();
    });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
    setTimeout(() => s.destroy(), 3000);
  });
}

test('a server connection that answered with bare LF line ends serves the next request too', async (t) => {
  const origin = await answeringOrigin(() => 'HTTP/1.1 200 OK\nContent-Length: 3\n\nyes');
  const config = proxyTo(origin.port);
  try {
    await sideBySide(t, config, async (port) => {
      const before = origin.connections();
      const answers = await twoInTurn(port, 'yes');
      assert.equal(answers, `${OK}content-length: 3\r\n\r\nyes/2${OK}content-length: 3\r\n\r\nyes`);
      assert.equal(origin.connections() - before, 1, 'both requests went over one server connection');
    });
  } finally {
    await origin.close();
  }
});

test('an HTTP/2 client gets a sloppy server\'s answer without the fields HTTP/2 cannot carry, as it sees it behind haproxy', async (t) => {
  const origin = await answeringOrigin((path) => ({
    '/control': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\x01c\r\nX-B: fine\r\n\r\nok',
    '/nul': 'HTTP/1.1 200 OK\nContent-Length: 2\nX-A: b\x00c\n\nok',
  } as Record<string, string>)[path] ?? 'HTTP/1.1 204 No Content\r\n\r\n');
  const config = (port: number) => proxyTo(origin.port)(port).replace(`bind 127.0.0.1:${port}`, `bind 127.0.0.1:${port} proto h2`);
  const get = (port: number, path: string) => new Promise<string>((resolve) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    const req = session.request({ ':path': path });
    let got = '';
    req.on('response', (h) => (got += `${h[':status']} x-a=${h['x-a'] ?? '-'} x-b=${h['x-b'] ?? '-'} `));
    req.on('data', (d: Buffer) => (got += d.toString('latin1')));
    req.on('error', (e) => (got += `error ${e.message}`));
    req.on('close', () => {
      session.destroy();
      resolve(got);
    });
  });
  try {
    await sideBySide(t, config, async (port) => {
      assert.equal(await get(port, '/control'), '200 x-a=- x-b=fine ok');
      assert.equal(await get(port, '/nul'), '200 x-a=- x-b=- ok');
    });
  } finally {
    await origin.close();
  }
});

/** Each request's outcome on one HTTP/2 session: "status body", or the stream's reset code. */
async function h2Outcomes(port: number, paths: string[]): Promise<string[]> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const outcomes: string[] = [];
  try {
    for (const path of paths) {
      outcomes.push(await new Promise<string>((resolve) => {
        const req = session.request({ ':path': path });
        let got = '';
        req.on('response', (h) => (got += `${h[':status']} `));
        req.on('data', (d: Buffer) => (got += d.toString('latin1')));
        req.on('error', () => {});
        req.on('close', () => resolve(req.rstCode ? `reset ${req.rstCode}` : got));
      }));
    }
  } finally {
    session.destroy();
  }
  return outcomes;
}

const oddStatuses = (path: string) => ({
  '/low': 'HTTP/1.1 099 Low\r\nContent-Length: 2\r\n\r\nok',
  '/high': 'HTTP/1.1 800 High\r\nContent-Length: 2\r\n\r\nok',
} as Record<string, string>)[path] ?? 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext';

const h2LoggedConfig = (originPort: number) => (port: number) => proxyTo(originPort)(port)
  .replace(`bind 127.0.0.1:${port}`, `bind 127.0.0.1:${port} proto h2\n    log-format "%ST %B %tsc"`);

test('a status below 100 resets an HTTP/2 client\'s stream, logged CD, and the session goes on, as behind haproxy', async (t) => {
  const origin = await answeringOrigin(oddStatuses);
  try {
    await sideBySide(t, h2LoggedConfig(origin.port), async (port, proxy) => {
      assert.deepEqual(await h2Outcomes(port, ['/low', '/next']), [`reset ${http2.constants.NGHTTP2_INTERNAL_ERROR}`, '200 next']);
      await new Promise((r) => setTimeout(r, 100));
      // (haproxy logs sideBySide's probe connection first, 0 0 PR--.)
      assert.deepEqual(proxy.logs().slice(-2), ['99 52 CD--', '200 53 ----']);
    });
  } finally {
    await origin.close();
  }
});

test('a status above 599 resets an HTTP/2 client\'s stream too: haproxy relays it, Node\'s http2 cannot send it', async () => {
  const origin = await answeringOrigin(oddStatuses);
  const engine = await startEngine(h2LoggedConfig(origin.port)(await freePort()));
  try {
    assert.deepEqual(await h2Outcomes(engine.port, ['/high', '/next']), [`reset ${http2.constants.NGHTTP2_INTERNAL_ERROR}`, '200 next']);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(engine.logs, ['800 53 CD--', '200 53 ----']);
    assert.deepEqual(engine.alerts, []);
  } finally {
    await engine.stop();
    await origin.close();
  }
});

test('a server connection that answered with both a Content-Length and chunks serves no other request, as haproxy closes it', async (t) => {
  const origin = await answeringOrigin(() => 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
  const config = proxyTo(origin.port);
  try {
    await sideBySide(t, config, async (port) => {
      const before = origin.connections();
      const answers = await twoInTurn(port, '0\r\n\r\n');
      assert.equal(answers, `${CHUNKED_OK}/2${CHUNKED_OK}`);
      assert.equal(origin.connections() - before, 2, 'the second request went over a new server connection');
    });
  } finally {
    await origin.close();
  }
});
