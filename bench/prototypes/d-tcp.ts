/**
 * Prototype D — TCP (layer 4) mode: a `net` server connecting each client to
 * the origin. Two ways of moving bytes:
 *   --mode pipe    client.pipe(upstream) and upstream.pipe(client) (default)
 *   --mode manual  'data' handlers writing to the other side, pause() when
 *                  write() returns false and resume() on 'drain'
 * Half-close is propagated (allowHalfOpen + end()).
 *
 *   node --import tsx bench/prototypes/d-tcp.ts --port 0 --upstream 127.0.0.1:8000 [--mode manual]
 */
import net from 'node:net';
import { announce, parseArgs } from './common.ts';

const { port, upstreamHost, upstreamPort } = parseArgs();
const mi = process.argv.indexOf('--mode');
const mode = mi >= 0 ? process.argv[mi + 1] : 'pipe';

function forward(from: net.Socket, to: net.Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
}

const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ host: upstreamHost, port: upstreamPort, noDelay: true, allowHalfOpen: true });
  const destroyBoth = (): void => { client.destroy(); upstream.destroy(); };
  client.on('error', destroyBoth);
  upstream.on('error', destroyBoth);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  if (mode === 'manual') {
    forward(client, upstream);
    forward(upstream, client);
  } else {
    client.pipe(upstream);
    upstream.pipe(client);
  }
});
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => announce(server, `D tcp ${mode}`));
