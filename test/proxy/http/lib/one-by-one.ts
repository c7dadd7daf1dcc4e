/**
 * A client for keep-alive tests: requests sent one after the other on one connection.
 */
import net from 'node:net';

/**
 * Requests on one connection, each sent once the previous answer came: "<status> <body>" each
 * (then 'reset' or 'closed' if the connection ended early). `heads[i]` is request i's extra header line.
 */
export function oneByOne(port: number, heads: readonly string[]): Promise<string[]> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const out: string[] = [];
    let received = '';
    const next = (): void => {
      if (out.length === heads.length) {
        s.destroy();
        return resolve(out);
      }
      s.write(`GET /${out.length} HTTP/1.1\r\nhost: x\r\n${heads[out.length]}\r\n\r\n`);
    };
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(received.slice(0, end))?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      out.push(`${received.slice(9, 12)} ${received.slice(end + 4, end + 4 + length)}`);
      received = received.slice(end + 4 + length);
      next();
    });
    s.on('error', () => resolve([...out, 'reset']));
    s.on('close', () => resolve([...out, 'closed']));
    next();
  });
}
