/** A raw server for tests of what a server writes: each request head gets `answer(path)` as it is. */
import { startRawServer } from '../../../helpers/net.ts';

/** A server answering each request head with `answer(path)` written as given, counting its connections. */
export async function answeringOrigin(answer: (path: string) => string): Promise<{ port: number; close(): Promise<void>; connections(): number }> {
  let connections = 0;
  const server = await startRawServer((socket) => {
    connections++;
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      for (let end = head.indexOf('\r\n\r\n'); end >= 0; end = head.indexOf('\r\n\r\n')) {
        const path = head.split(' ')[1]!;
        head = head.slice(end + 4);
        socket.write(answer(path));
      }
    });
    socket.on('error', () => {});
  });
  return { ...server, connections: () => connections };
}
