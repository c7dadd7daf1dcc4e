/** Byte patterns and paced writers for the relay tests (TCP and HTTP bodies checked byte for byte). */
import net from 'node:net';
import { once } from 'node:events';

/** Bytes that never repeat at a 4 KiB or 64 KiB period, different for each stream id. */
export function pattern(id: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + id * 7 + (i >>> 12) * 13 + (i >>> 16)) & 0xff;
  return b;
}

/** Writes `data` in pieces of `sizes` (cycling), waiting for 'drain' whenever the socket asks, then ends it. */
export function writeInPieces(socket: net.Socket, data: Buffer, sizes: readonly number[]): void {
  let at = 0;
  let i = 0;
  writeUntilDone(socket, () => {
    if (at >= data.length) return undefined;
    const n = Math.min(sizes[i++ % sizes.length]!, data.length - at);
    at += n;
    return data.subarray(at - n, at);
  });
}

/** Writes `block` until `total` bytes went out (counted in `progress.sent`), with 'drain' pacing, then ends. */
export function writeRepeated(socket: net.Socket, block: Buffer, total: number, progress = { sent: 0 }): { sent: number } {
  writeUntilDone(socket, () => {
    if (progress.sent >= total) return undefined;
    progress.sent += block.length;
    return block;
  });
  return progress;
}

function writeUntilDone(socket: net.Socket, next: () => Buffer | undefined): void {
  const more = (): void => {
    for (let piece = next(); piece !== undefined; piece = next()) {
      if (!socket.write(piece)) return void socket.once('drain', more);
    }
    socket.end();
  };
  more();
}

/** A connected pair on 127.0.0.1: `ours` is written to, `peer` collects what arrives (paused until told). */
export async function socketPair(): Promise<{ ours: net.Socket; peer: net.Socket; received: () => Buffer; close(): void }> {
  const server = net.createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const ours = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [peer] = (await once(server, 'connection')) as [net.Socket];
  await once(ours, 'connect');
  const chunks: Buffer[] = [];
  peer.on('data', (d: Buffer) => chunks.push(d));
  return {
    ours,
    peer,
    received: () => Buffer.concat(chunks),
    close() {
      ours.destroy();
      peer.destroy();
      server.close();
    },
  };
}
