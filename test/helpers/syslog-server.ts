/** A syslog server on loopback for tests of what Loadstar and haproxy send to a UDP log target. */
import dgram from 'node:dgram';

/** Listens on 127.0.0.1 (a free port): the datagrams it got, as latin1 text. */
export async function syslogServer(): Promise<{ port: number; got: string[]; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const got: string[] = [];
  socket.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, got, close: () => socket.close() };
}
