/**
 * Upgrades over HTTP/2 streams (RFC 8441 extended CONNECT), side by side with haproxy 2.6.12: an h2
 * client is told it may open them (SETTINGS_ENABLE_CONNECT_PROTOCOL) unless
 * `h2-workaround-bogus-websocket-clients`; its CONNECT with `:protocol` reaches an HTTP/1.1 server as
 * a GET with Connection: upgrade (a WebSocket one with a Sec-WebSocket-Key the proxy makes up), the
 * server's 101 reaches the client as a 200, and the stream carries the tunnel's bytes both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http2 from 'node:http2';
import net from 'node:net';
import { freePort, startEngine, startRawServer } from '../../helpers/net.ts';
import { sideBySide } from './lib/side-by-side.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const accept = (key: string): string => crypto.createHash('sha1').update(key + GUID).digest('base64');

/**
 * An HTTP/1.1 server that switches protocols: it records each request head (a Sec-WebSocket-Key
 * shown as its shape, it is random) and answers 101 — with the right Sec-WebSocket-Accept, or a
 * wrong one for /wrong-accept, none for /no-accept — then echoes what comes, prefixed.
 */
async function startSwitchingServer(): Promise<{ port: number; heads: string[]; keys: string[]; close(): Promise<void> }> {
  const heads: string[] = [];
  const keys: string[] = [];
  const server = await startRawServer((socket) => {
    let buf = '';
    let switched = false;
    socket.on('data', (d: Buffer) => {
      if (switched) return void socket.write(`echo:${d.toString('latin1')}`);
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.slice(0, end).split('\r\n');
      const rest = buf.slice(end + 4);
      const key = /^sec-websocket-key: *(.*)$/im.exec(lines.join('\n'))?.[1];
      if (key !== undefined) keys.push(key);
      heads.push(lines.map((l) => (/^sec-websocket-key:/i.test(l) ? `${l.split(':')[0]}: <${/^[A-Za-z0-9+/]{22}==$/.test(l.split(': ')[1] ?? '') ? '16 bytes, base64' : 'not a key'}>` : l)).join(' | '));
      const upgrade = /^upgrade: *(.*)$/im.exec(lines.join('\n'))?.[1] ?? '';
      const path = lines[0]!.split(' ')[1];
      let out = `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n`;
      if (key !== undefined && path !== '/no-accept') out += `Sec-WebSocket-Accept: ${path === '/wrong-accept' ? accept('x') : accept(key)}\r\n`;
      socket.write(out + '\r\n');
      switched = true;
      if (rest) socket.write(`echo:${rest}`);
    });
    socket.on('error', () => {});
  });
  return { port: server.port, heads, keys, close: server.close };
}

function config(port: number, origin: number, global = ''): string {
  return `global
${global}defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port} proto h2
  default_backend be
backend be
  server s1 127.0.0.1:${origin}
`;
}

/** What an h2 client saw: the server's SETTINGS flag, then per path the answer's status and headers, and what the tunnel echoed. */
async function extendedConnects(port: number, protocol: string, paths: string[], keys: readonly string[] = []): Promise<string[]> {
  // A Sec-WebSocket-Accept answers a random key: shown as the key it answers.
  const shown = (name: string, value: string): string => (name === 'sec-websocket-accept' && keys.some((k) => accept(k) === value) ? '<for the key the server got>' : value);
  const out: string[] = [];
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
    out.push(`enableConnectProtocol=${settings.enableConnectProtocol ?? false}`);
    if (!settings.enableConnectProtocol) return out;
    for (const path of paths) {
      const stream = session.request({ ':method': 'CONNECT', ':protocol': protocol, ':scheme': 'http', ':path': path, ':authority': `127.0.0.1:${port}`, 'sec-websocket-version': '13' });
      out.push(...await new Promise<string[]>((resolve) => {
        const seen: string[] = [];
        let echoed = '';
        const timer = setTimeout(() => {
          seen.push(`echoed ${JSON.stringify(echoed)}`);
          stream.close();
          resolve(seen);
        }, 500);
        stream.on('response', (h) => {
          seen.push(`${path} ${h[':status']} ${Object.keys(h).filter((n) => !n.startsWith(':') && n !== 'date').sort().map((n) => `${n}=${shown(n, String(h[n]))}`).join(' ')}`);
          stream.write('hello');
        });
        stream.on('data', (d: Buffer) => (echoed += d.toString('latin1')));
        stream.on('error', (e: NodeJS.ErrnoException) => seen.push(`error ${e.code}`));
        stream.on('close', () => {
          clearTimeout(timer);
          resolve([...seen, `echoed ${JSON.stringify(echoed)}`, `closed rst=${stream.rstCode}`]);
        });
      }));
    }
    return out;
  } finally {
    session.destroy();
  }
}

test('an h2 client upgrades over a stream to an HTTP/1.1 server: WebSocket and another protocol, as haproxy relays them', { timeout: 30_000 }, async (t) => {
  const origin = await startSwitchingServer();
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => config(port, origin.port), async (port) => {
      origin.heads.length = 0;
      origin.keys.length = 0;
      const out = await extendedConnects(port, 'websocket', ['/chat', '/wrong-accept', '/no-accept'], origin.keys);
      out.push(...await extendedConnects(port, 'custom_protocol', ['/custom']));
      seen.push([...out, ...origin.heads.map((h) => h.replaceAll(`:${port}`, ':PORT'))]);
    });
    const expected = [
      'enableConnectProtocol=true',
      '/chat 200 sec-websocket-accept=<for the key the server got>', 'echoed "echo:hello"',
      ...['/wrong-accept', '/no-accept'].flatMap((path) => [
        `${path} 502 cache-control=no-cache content-length=107 content-type=text/html`,
        `echoed ${JSON.stringify('<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n')}`,
        'closed rst=8',
      ]),
      'enableConnectProtocol=true',
      '/custom 200 ', 'echoed "echo:hello"',
      // A WebSocket gets a key made up (its 101 must answer it); another protocol gets none.
      ...['/chat', '/wrong-accept', '/no-accept'].map((path) => `GET ${path} HTTP/1.1 | host: 127.0.0.1:PORT | sec-websocket-version: 13 | upgrade: websocket | connection: upgrade | Sec-Websocket-Key: <16 bytes, base64>`),
      'GET /custom HTTP/1.1 | host: 127.0.0.1:PORT | sec-websocket-version: 13 | upgrade: custom_protocol | connection: upgrade',
    ];
    for (const [i, s] of seen.entries()) assert.deepEqual(s, expected, i === 0 ? 'Loadstar' : 'haproxy');
  } finally {
    await origin.close();
  }
});

test('h2-workaround-bogus-websocket-clients: h2 clients are not told they may upgrade over a stream, as haproxy does', { timeout: 30_000 }, async (t) => {
  const origin = await startSwitchingServer();
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => config(port, origin.port, '  h2-workaround-bogus-websocket-clients\n'), async (port) => {
      seen.push(await extendedConnects(port, 'websocket', ['/chat']));
    });
    for (const [i, s] of seen.entries()) assert.deepEqual(s, ['enableConnectProtocol=false'], i === 0 ? 'Loadstar' : 'haproxy');
  } finally {
    await origin.close();
  }
});

test('an HTTP/1.1 WebSocket whose server switches without Sec-WebSocket-Accept is answered 502, as haproxy answers it', { timeout: 30_000 }, async (t) => {
  const origin = await startSwitchingServer();
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => config(port, origin.port).replace(' proto h2', ''), async (port) => {
      const out: string[] = [];
      for (const path of ['/chat', '/no-accept', '/wrong-accept']) {
        const answer = await new Promise<string>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
          let got = '';
          socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
          socket.on('error', () => {});
          setTimeout(() => {
            socket.destroy();
            resolve(got.split('\r\n')[0]!);
          }, 300);
        });
        // The client's own key: the server's accept is passed on as it is, whatever it says.
        out.push(`${path} ${answer}`);
      }
      seen.push(out);
    });
    for (const [i, s] of seen.entries()) assert.deepEqual(s, ['/chat HTTP/1.1 101 Switching Protocols', '/no-accept HTTP/1.1 502 Bad Gateway', '/wrong-accept HTTP/1.1 101 Switching Protocols'], i === 0 ? 'Loadstar' : 'haproxy');
  } finally {
    await origin.close();
  }
});

/**
 * A cleartext HTTP/2 server (prior knowledge) that accepts extended CONNECTs, or, with `upgrades`
 * false, does not announce them: it records each stream's fields (in order, values of random keys
 * shown by their shape) and answers an extended CONNECT 200, then echoes in upper case.
 */
async function startH2Server(upgrades: boolean): Promise<{ port: number; streams: string[]; close(): Promise<void> }> {
  const streams: string[] = [];
  const server = http2.createServer({ settings: { enableConnectProtocol: upgrades } });
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
    stream.on('error', () => {});
    const fields: string[] = [];
    for (let i = 0; i < raw.length; i += 2) fields.push(`${raw[i]}: ${raw[i] === ':authority' ? raw[i + 1]!.replace(/:\d+$/, ':PORT') : raw[i + 1]}`);
    streams.push(fields.join(' | '));
    if (headers[':method'] !== 'CONNECT') {
      stream.respond({ ':status': 200 });
      return void stream.end('plain');
    }
    stream.respond({ ':status': 200, 'x-origin': 'h2' });
    stream.on('data', (d: Buffer) => stream.write(d.toString('latin1').toUpperCase()));
    stream.on('end', () => stream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    streams,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An HTTP/1.1 client's upgrade: the answer's head (its lines but the first joined with '|'), then what the tunnel echoed to 'ping'. */
function h1Upgrade(port: number, path: string, upgrade: string): Promise<string[]> {
  return new Promise((resolve) => {
    const key = upgrade === 'websocket' ? 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' : '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n${key}Sec-WebSocket-Version: 13\r\n\r\n`));
    let got = '';
    let pinged = false;
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (!pinged && got.includes('\r\n\r\n') && got.startsWith('HTTP/1.1 101')) {
        pinged = true;
        socket.write('ping');
      }
    });
    socket.on('error', () => {});
    const done = (): void => {
      socket.destroy();
      const [head, body] = [got.slice(0, got.indexOf('\r\n\r\n')), got.slice(got.indexOf('\r\n\r\n') + 4)];
      const lines = head.split('\r\n').filter((l) => !/^date:/i.test(l));
      resolve([`${path} ${lines.join(' | ')}`, `echoed ${JSON.stringify(/^HTTP\/1.1 101/.test(got) ? body : body.length > 0 ? '<a body>' : '')}`]);
    };
    setTimeout(done, 500);
  });
}

function h2ServerConfig(port: number, origin: number, noUpgrades: number, bind = ''): string {
  return `defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}${bind}
  use_backend plain if { path_beg /plain }
  use_backend none if { path_beg /none }
  default_backend be
backend be
  server s1 127.0.0.1:${origin} proto h2
backend plain
  # not HTTP/2 for other requests: WebSockets only
  server s1 127.0.0.1:${origin} ws h2
backend none
  server s1 127.0.0.1:${noUpgrades} proto h2
`;
}

test('upgrades to an HTTP/2 server go as extended CONNECTs (proto h2, ws h2), a WebSocket answer gets the client key\'s Sec-WebSocket-Accept; one that did not announce them: 502', { timeout: 30_000 }, async (t) => {
  const origin = await startH2Server(true);
  const none = await startH2Server(false);
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => h2ServerConfig(port, origin.port, none.port), async (port) => {
      origin.streams.length = 0;
      none.streams.length = 0;
      const out = [
        ...await h1Upgrade(port, '/chat', 'websocket'),
        ...await h1Upgrade(port, '/custom', 'custom_protocol'),
        ...await h1Upgrade(port, '/plain/chat', 'websocket'),
        ...await h1Upgrade(port, '/none/chat', 'websocket'),
      ];
      seen.push([...out, ...origin.streams, `none: ${none.streams.length} streams`]);
    });
    const accept101 = (upgrade: string, wsAccept: boolean): string => `HTTP/1.1 101  | x-origin: h2 | connection: upgrade | upgrade: ${upgrade}${wsAccept ? ' | Sec-Websocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' : ''}`;
    const expected = [
      `/chat ${accept101('websocket', true)}`, 'echoed "PING"',
      `/custom ${accept101('custom_protocol', false)}`, 'echoed "PING"',
      `/plain/chat ${accept101('websocket', true)}`, 'echoed "PING"',
      '/none/chat HTTP/1.1 502 Bad Gateway | content-length: 107 | cache-control: no-cache | content-type: text/html', 'echoed "<a body>"',
      ':method: CONNECT | :scheme: https | :authority: 127.0.0.1 | :path: /chat | :protocol: websocket | sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ== | sec-websocket-version: 13',
      ':method: CONNECT | :scheme: https | :authority: 127.0.0.1 | :path: /custom | :protocol: custom_protocol | sec-websocket-version: 13',
      ':method: CONNECT | :scheme: https | :authority: 127.0.0.1 | :path: /plain/chat | :protocol: websocket | sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ== | sec-websocket-version: 13',
      'none: 0 streams',
    ];
    for (const [i, s] of seen.entries()) assert.deepEqual(s, expected, i === 0 ? 'Loadstar' : 'haproxy');
  } finally {
    await origin.close();
    await none.close();
  }
});

test('an h2 client\'s extended CONNECT to an HTTP/2 server stays one, end to end, as through haproxy', { timeout: 30_000 }, async (t) => {
  const origin = await startH2Server(true);
  const none = await startH2Server(false);
  const seen: string[][] = [];
  try {
    await sideBySide(t, (port) => h2ServerConfig(port, origin.port, none.port, ' proto h2'), async (port) => {
      origin.streams.length = 0;
      const out = await extendedConnects(port, 'websocket', ['/chat']);
      seen.push([...out, ...origin.streams.map((s) => s.replaceAll(`:${port}`, ':PORT'))]);
    });
    const expected = [
      'enableConnectProtocol=true', '/chat 200 x-origin=h2', 'echoed "HELLO"',
      ':method: CONNECT | :scheme: http | :authority: 127.0.0.1:PORT | :path: /chat | :protocol: websocket | sec-websocket-version: 13',
    ];
    for (const [i, s] of seen.entries()) assert.deepEqual(s, expected, i === 0 ? 'Loadstar' : 'haproxy');
  } finally {
    await origin.close();
    await none.close();
  }
});

// Loadstar alone: haproxy 2.6.12 resets such a stream (CANCEL) when DATA comes before the server switched.
test('what an h2 client sends before the server switched is held up to a bound (flow control holds the rest), then all of it reaches the server', { timeout: 30_000 }, async () => {
  const MB = 1024 * 1024;
  // Switches after 500 ms, then counts what comes.
  const server = await startRawServer((socket) => {
    let head = '';
    let counted = -1;
    socket.on('data', (d: Buffer) => {
      if (counted >= 0) {
        counted += d.length;
        if (counted >= MB) socket.write(`got ${counted}`);
        return;
      }
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const rest = Buffer.from(head.slice(end + 4), 'latin1').length;
      setTimeout(() => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: custom_protocol\r\n\r\n');
        counted = rest;
      }, 500);
    });
    socket.on('error', () => {});
  });
  const engine = await startEngine(config(await freePort(), server.port));
  try {
    {
      const port = engine.port;
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      try {
        await new Promise((resolve) => session.once('remoteSettings', resolve));
        const stream = session.request({ ':method': 'CONNECT', ':protocol': 'custom_protocol', ':scheme': 'http', ':path': '/', ':authority': 'a' });
        stream.on('error', () => {});
        stream.write(Buffer.alloc(MB, 'x'));
        const unsent = await new Promise<number>((resolve) => setTimeout(() => resolve(stream.bufferSize), 300));
        const answer = await new Promise<string>((resolve) => {
          let got = '';
          stream.on('data', (d: Buffer) => {
            got += d.toString('latin1');
            if (got.startsWith('got ') && Number(got.slice(4)) >= MB) resolve(got);
          });
          setTimeout(() => resolve(got), 5000);
        });
        assert.deepEqual([`unsent before the switch > 512 KiB: ${unsent > MB / 2}`, answer], ['unsent before the switch > 512 KiB: true', `got ${MB}`]);
      } finally {
        session.destroy();
      }
    }
  } finally {
    await engine.stop();
    await server.close();
  }
});
