/** One HTTP/1.1 request on its own connection, read up to the end of its answer (Content-Length framing). */
import net from 'node:net';

/** The answer's head (without the blank line) and body; '' when the proxy closed without answering. */
export function oneExchange(port: number, request: string, host = '127.0.0.1'): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host, () => s.write(request));
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no complete answer to ${JSON.stringify(request.split('\r\n')[0])}`)); }, 5000);
    const done = (head: string, body: string): void => { clearTimeout(timer); s.destroy(); resolve({ head, body }); };
    s.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = data.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (data.length >= end + 4 + length) done(head, data.subarray(end + 4, end + 4 + length).toString('latin1'));
    });
    s.on('end', () => done(data.toString('latin1'), ''));
    s.on('error', () => done(data.toString('latin1'), ''));
  });
}
