/** An origin for comparisons with HAProxy: it shows each request as it arrived. */
import net from 'node:net';

/** A server answering each request with the head it received (header names lowercased, as HAProxy sends them). */
export async function echoServer(): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buffered = '';
    s.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const raw = buffered.slice(0, end);
        const lineEnd = raw.indexOf('\r\n');
        // Header names in lower case; the request line as it came (an absolute-form target has a colon too).
        const head = lineEnd < 0 ? raw : raw.slice(0, lineEnd) + raw.slice(lineEnd).replace(/^([^:\r\n]+):/gm, (_, n: string) => `${n.toLowerCase()}:`);
        buffered = buffered.slice(end + 4);
        const body = `${head.replace(/\r\n/g, '\n')}\n\n`;
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() { return state.connections; },
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

