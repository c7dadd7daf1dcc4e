/**
 * An http-response rule that edits a response's framing fields (Content-Length, Transfer-Encoding),
 * side by side with haproxy 2.6.12: the client is framed by the fields it is told, as HAProxy's H1
 * mux frames it. A body longer than the length told is never sent past it (the client's connection
 * closes, logged CD); a length removed makes the answer chunked; a length beside chunks, or on an
 * answer its server's close delimits, closes the connection after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { startRawServer } from '../../helpers/net.ts';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { sideBySide } from './lib/side-by-side.ts';

const OK = 'HTTP/1.1 200 OK\r\n';
/** The server's answers, by the first path segment: the writes, 80 ms apart; null closes the connection. */
const shapes: Record<string, (string | null)[]> = {
  cl: [`${OK}Content-Length: 11\r\n\r\nhello world`],
  'cl-split': [`${OK}Content-Length: 11\r\n\r\nhel`, 'lo world'],
  chunked: [`${OK}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`],
  'chunked-split': [`${OK}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`, '6\r\n world\r\n0\r\n\r\n'],
  close: [`${OK}\r\nhello world`, null],
  ok: [`${OK}Content-Length: 2\r\n\r\nok`],
};

/** The rules, by the second path segment. */
const rules = `    http-request set-var(txn.rule) path,field(3,/)
    http-response set-header content-length 3 if { var(txn.rule) -m str 3 }
    http-response set-header content-length 11 if { var(txn.rule) -m str 11 }
    http-response set-header content-length 30 if { var(txn.rule) -m str 30 }
    http-response del-header content-length if { var(txn.rule) -m str del }
    http-response set-header transfer-encoding chunked if { var(txn.rule) -m str te }
    http-response set-header content-length abc if { var(txn.rule) -m str abc }
    http-response add-header content-length 12 if { var(txn.rule) -m str other }
`;

/** What the client gets, and whether its connection then serves another request (`open`) or ends. */
const cases: Record<string, [string, 'open' | 'closed']> = {
  // A shorter length than the body: nothing of the read past it goes out, the connection ends.
  '/cl/3': ['', 'closed'],
  '/cl-split/3': [`${OK}content-length: 3\r\n\r\nhel`, 'closed'],
  '/chunked/3': ['', 'closed'],
  '/close/3': ['', 'closed'],
  // A length and chunks: reaching the length ends the message for HAProxy's H1 mux; the last chunk is too much.
  '/chunked/11': ['', 'closed'],
  '/chunked-split/11': [`${OK}transfer-encoding: chunked\r\ncontent-length: 11\r\nconnection: close\r\n\r\n5\r\nhello\r\n`, 'closed'],
  '/chunked/30': [`${OK}transfer-encoding: chunked\r\ncontent-length: 30\r\nconnection: close\r\n\r\nB\r\nhello world\r\n0\r\n\r\n`, 'closed'],
  '/cl/te': [`${OK}content-length: 11\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nB\r\nhello world\r\n0\r\n\r\n`, 'closed'],
  // The length removed from an answer that had one: chunked, and the connection stays.
  '/cl/del': [`${OK}transfer-encoding: chunked\r\n\r\nB\r\nhello world\r\n0\r\n\r\n`, 'open'],
  '/cl-split/del': [`${OK}transfer-encoding: chunked\r\n\r\n3\r\nhel\r\n8\r\nlo world\r\n0\r\n\r\n`, 'open'],
  // An answer the server's close delimits ends the client's connection, whatever length it was told.
  '/close/11': [`${OK}content-length: 11\r\nconnection: close\r\n\r\nhello world`, 'closed'],
  '/close/30': [`${OK}content-length: 30\r\nconnection: close\r\n\r\nhello world`, 'closed'],
  '/close/del': [`${OK}connection: close\r\n\r\nhello world`, 'closed'],
  // Not a length, or a second one that differs: left out.
  '/cl/abc': [`${OK}transfer-encoding: chunked\r\n\r\nB\r\nhello world\r\n0\r\n\r\n`, 'open'],
  '/cl/other': [`${OK}content-length: 11\r\n\r\nhello world`, 'open'],
  // A longer length than the body is relayed as HAProxy relays it (the client then waits for the rest).
  '/cl/30': [`${OK}content-length: 30\r\n\r\nhello world`, 'open'],
};

async function shapedOrigin() {
  return startRawServer((socket) => {
    let buffered = '';
    socket.on('data', async (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const shape = shapes[buffered.split(' ')[1]!.split('/')[1]!] ?? shapes.ok!;
        buffered = buffered.slice(end + 4);
        for (const write of shape) {
          if (write === null) return void socket.end();
          socket.write(write);
          await new Promise((r) => setTimeout(r, 80));
        }
      }
    });
    socket.on('error', () => {});
  });
}

/**
 * One request on its own connection: what came until 300 ms of quiet after its first bytes (or until
 * the connection ended), then whether the connection serves a next request (`GET /ok`, answered `ok`).
 */
function exchange(port: number, path: string): Promise<[string, 'open' | 'closed']> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`));
    let got = '';
    let first: string | undefined;
    let quiet: NodeJS.Timeout | undefined;
    const settle = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        if (first !== undefined) return void s.destroy();
        first = got;
        s.write('GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
        settle();
      }, 300);
    };
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      settle();
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(quiet);
      first ??= got;
      resolve([first, got.slice(first.length).endsWith('\r\n\r\nok') ? 'open' : 'closed']);
    });
    setTimeout(() => s.destroy(), 4000);
  });
}

test('a response whose framing fields an http-response rule edited is framed for the client as haproxy frames it; a body past the length told never goes out', async (t) => {
  const origin = await shapedOrigin();
  const config = (port: number) => `${loggedHttpHead('    option httplog\n')}frontend fe
    bind 127.0.0.1:${port}
${rules}    default_backend app
backend app
    server s1 127.0.0.1:${origin.port}
`;
  try {
    await sideBySide(t, config, async (port, proxy) => {
      const paths = Object.keys(cases);
      const got = await Promise.all(paths.map((path) => exchange(port, path)));
      paths.forEach((path, i) => assert.deepEqual(got[i], cases[path], path));
      await new Promise((r) => setTimeout(r, 200));
      // The answers refused for too much payload are logged with the server's status, CD (a client-side error).
      for (const path of ['/cl/3', '/cl-split/3', '/chunked/3', '/close/3', '/chunked/11', '/chunked-split/11']) {
        const line = proxy.logs().find((l) => l.includes(`"GET ${path} HTTP/1.1"`));
        assert.match(line ?? '', / 200 \d+ - - CD-- /, path);
      }
      const served = proxy.logs().find((l) => l.includes('"GET /cl/del HTTP/1.1"'));
      assert.match(served ?? '', / 200 61 - - ---- /);
    });
  } finally {
    await origin.close();
  }
});

/** A server that answers each request head with `ok`, keeping what each of its connections received. */
async function recordingOrigin() {
  const received: { bytes: string }[] = [];
  const server = await startRawServer((socket) => {
    const record = { bytes: '' };
    received.push(record);
    let answered = 0;
    socket.on('data', (d: Buffer) => {
      record.bytes += d.toString('latin1');
      for (const heads = record.bytes.split('\r\n\r\n').length - 1; answered < heads; answered++) socket.write(`${OK}content-length: 2\r\n\r\nok`);
    });
    socket.on('error', () => {});
  });
  return { ...server, received };
}

const POST_LENGTH = (path: string) => `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world`;
const POST_CHUNKED = (path: string) => `POST ${path} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`;
const REFUSED = /^HTTP\/1\.1 500 Internal Server Error\r\n/;
const head = (path: string, fields: string) => `POST ${path} HTTP/1.1\r\nhost: a\r\n${fields}\r\n`;

/** One request on a connection of its own: what the client reads until the answer's end (`ok` or an error page) or 3 s. */
function answerTo(port: number, request: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (/\r\n\r\n[^]*(ok|<\/html>\n)$/.test(got)) s.destroy();
    });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
    setTimeout(() => s.destroy(), 3000);
  });
}

/**
 * The request, what the server must get on its connection (nothing: ''), whether the client gets a 500.
 * A chunked body's chunks are compared merged: HAProxy merges the chunks of one read, Loadstar sends a
 * request's as the client framed them (docs/reliability.md).
 */
const requestCases: [string, string, boolean][] = [
  // A shorter length than the body, or a length beside chunks that the body reaches: nothing goes to the server.
  [POST_LENGTH('/post/3'), '', true],
  [POST_CHUNKED('/post/3'), '', true],
  [POST_CHUNKED('/post/11'), '', true],
  // The length removed: the body goes chunked (a chunked request's coding removed: put back).
  [POST_LENGTH('/post/del'), `${head('/post/del', 'transfer-encoding: chunked\r\n')}B\r\nhello world\r\n0\r\n\r\n`, false],
  [POST_CHUNKED('/post/delte'), `${head('/post/delte', 'transfer-encoding: chunked\r\n')}B\r\nhello world\r\n0\r\n\r\n`, false],
  // A longer length beside chunks: both go, and the server connection closes after.
  [POST_CHUNKED('/post/30'), `${head('/post/30', 'transfer-encoding: chunked\r\ncontent-length: 30\r\nconnection: close\r\n')}B\r\nhello world\r\n0\r\n\r\n`, false],
  // A request without body keeps length 0: a rule's length is left out (the server would wait for a body).
  ['GET /get/3 HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /get/3 HTTP/1.1\r\nhost: a\r\n\r\n', false],
  // A coding a rule gives a request that was not chunked goes as it is; `chunked` chunks the body (a
  // request without one gets its last chunk), another one leaves it as it is; with a length, or no
  // body (length 0 to HAProxy's mux), the server connection closes after.
  [POST_LENGTH('/post/addte'), `${head('/post/addte', 'content-length: 11\r\ntransfer-encoding: chunked\r\nconnection: close\r\n')}B\r\nhello world\r\n0\r\n\r\n`, false],
  [POST_LENGTH('/post/addgz'), `${head('/post/addgz', 'content-length: 11\r\ntransfer-encoding: gzip\r\nconnection: close\r\n')}hello world`, false],
  [POST_LENGTH('/post/addgzchunked'), `${head('/post/addgzchunked', 'content-length: 11\r\ntransfer-encoding: gzip, chunked\r\nconnection: close\r\n')}B\r\nhello world\r\n0\r\n\r\n`, false],
  [POST_LENGTH('/post/addcg'), `${head('/post/addcg', 'content-length: 11\r\ntransfer-encoding: chunked, gzip\r\nconnection: close\r\n')}hello world`, false],
  ['GET /get/addte HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /get/addte HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n0\r\n\r\n', false],
];

test('a request whose framing fields an http-request rule edited goes to the server framed as haproxy frames it; a body past the length told is refused with 500 (IH)', async (t) => {
  const origin = await recordingOrigin();
  const config = (port: number) => `${loggedHttpHead('    option httplog\n')}frontend fe
    bind 127.0.0.1:${port}
    http-request set-header content-length 3 if { path_end /3 }
    http-request set-header content-length 11 if { path_end /11 }
    http-request set-header content-length 30 if { path_end /30 }
    http-request del-header content-length if { path_end /del }
    http-request del-header transfer-encoding if { path_end /delte }
    http-request set-header transfer-encoding chunked if { path_end /addte }
    http-request set-header transfer-encoding gzip if { path_end /addgz }
    http-request set-header transfer-encoding "gzip, chunked" if { path_end /addgzchunked }
    http-request set-header transfer-encoding "chunked, gzip" if { path_end /addcg }
    default_backend app
backend app
    http-reuse never
    server s1 127.0.0.1:${origin.port}
`;
  try {
    await sideBySide(t, config, async (port, proxy) => {
      for (const [request, forwarded, refused] of requestCases) {
        const path = request.split(' ')[1]!;
        origin.received.length = 0;
        const answer = await answerTo(port, request);
        await new Promise((r) => setTimeout(r, 100));
        if (refused) assert.match(answer, REFUSED, path);
        else assert.equal(answer, `${OK}content-length: 2\r\n\r\nok`, path);
        const got = origin.received.map((r) => r.bytes).join('').replace('5\r\nhello\r\n6\r\n world\r\n', 'B\r\nhello world\r\n');
        assert.equal(got, forwarded, `${path}: what the server got`);
      }
      await new Promise((r) => setTimeout(r, 200));
      const refusedLine = proxy.logs().find((l) => l.includes('"POST /post/3 HTTP/1.1"'));
      assert.match(refusedLine ?? '', / 500 \d+ - - IH-- /);
    });
  } finally {
    await origin.close();
  }
});

test('a Transfer-Encoding an http-request rule gives a request is not for an HTTP/2 server: its length and body go as they are, as from haproxy', async (t) => {
  const received: string[] = [];
  const origin = http2.createServer();
  origin.on('stream', (stream, headers) => {
    let body = '';
    stream.on('data', (d: Buffer) => (body += d.toString('latin1')));
    stream.on('end', () => {
      received.push(`${headers[':method']} length=${headers['content-length'] ?? '-'} te=${headers['transfer-encoding'] ?? '-'} body=${body}`);
      stream.respond({ ':status': 200, 'content-length': '2' });
      stream.end('ok');
    });
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const config = (port: number) => `${loggedHttpHead('')}frontend fe
    bind 127.0.0.1:${port}
    http-request set-header transfer-encoding chunked
    default_backend app
backend app
    server s1 127.0.0.1:${(origin.address() as net.AddressInfo).port} proto h2
`;
  try {
    await sideBySide(t, config, async (port) => {
      received.length = 0;
      for (const request of [POST_LENGTH('/h2'), 'GET /h2 HTTP/1.1\r\nHost: a\r\n\r\n']) {
        const answer = await answerTo(port, request);
        assert.match(answer, /^HTTP\/1\.1 200 /, request);
      }
      assert.deepEqual(received, ['POST length=11 te=- body=hello world', 'GET length=- te=- body=']);
    });
  } finally {
    origin.close();
  }
});

/** Loadstar's own answers (return, deny, redirect) after http-after-response rules edited their framing fields. */
const answerCases: Record<string, [string, 'open' | 'closed']> = {
  '/ret/3': ['', 'closed'],
  '/ret/30': [`${OK}content-type: text/plain\r\ncontent-length: 30\r\n\r\nhello world`, 'open'],
  '/ret/del': [`${OK}content-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\nB\r\nhello world\r\n0\r\n\r\n`, 'open'],
  '/ret/te': [`${OK}content-length: 11\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nB\r\nhello world\r\n0\r\n\r\n`, 'closed'],
  '/ret/abc': [`${OK}content-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\nB\r\nhello world\r\n0\r\n\r\n`, 'open'],
  '/deny/30': ['', 'closed'],
  '/redir/del': ['HTTP/1.1 302 Found\r\nlocation: /x\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', 'open'],
};

test('an answer of Loadstar\'s own whose framing fields an http-after-response rule edited is framed as haproxy frames it; a body past the length told never goes out', async (t) => {
  const config = (port: number) => `${loggedHttpHead('    option httplog\n')}frontend fe
    bind 127.0.0.1:${port}
    http-request set-var(txn.rule) path,field(3,/)
    http-request return status 200 content-type text/plain string "hello world" if { path_beg /ret }
    http-request return status 200 content-type text/plain string ok if { path_beg /ok }
    http-request deny if { path_beg /deny }
    http-request redirect location /x if { path_beg /redir }
${rules.replaceAll('http-response', 'http-after-response').split('\n').filter((l) => !l.includes('set-var')).join('\n')}    default_backend app
backend app
    server s1 127.0.0.1:9
`;
  await sideBySide(t, config, async (port, proxy) => {
    const paths = Object.keys(answerCases);
    const got = await Promise.all(paths.map((path) => exchange(port, path)));
    paths.forEach((path, i) => assert.deepEqual(got[i], answerCases[path], path));
    await new Promise((r) => setTimeout(r, 200));
    const refused = proxy.logs().find((l) => l.includes('"GET /ret/3 HTTP/1.1"'));
    assert.match(refused ?? '', / 200 82 - - LR-- /);
  });
});
