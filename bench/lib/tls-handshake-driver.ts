/**
 * Load driver for full TLS handshakes, run as its own (pinned) process: keeps
 * `--connections` clients busy for `--duration` seconds, each opening a new
 * TLS connection, sending one `Connection: close` request and reading the
 * answer to its end, then starting over. No session is ever offered, so every
 * connection is a full handshake (wrk resumes: it keeps the session across
 * its reconnects); the driver checks this with isSessionReused() and counts
 * any resumption as an error. Prints one JSON line shaped like WrkResult.
 *
 *   node --import tsx bench/lib/tls-handshake-driver.ts --port P [--connections 20] [--duration 5]
 */
import tls from 'node:tls';
import { opt } from './args.ts';

const port = Number(opt('port', '0'));
const connections = Number(opt('connections', '20'));
const durationMs = Number(opt('duration', '5')) * 1000;
const REQUEST = 'GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n';

let requests = 0;
let errors = 0;
let resumed = 0;
let bytes = 0;
const latencies: number[] = [];
const start = performance.now();
const end = start + durationMs;

/** One connection, one request; resolves when the server has closed the connection. */
function once(): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let got = '';
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (ok && got.startsWith('HTTP/1.1 200')) {
        requests++;
        bytes += got.length;
        latencies.push(performance.now() - t0);
      } else errors++;
      resolve();
    };
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      if (socket.isSessionReused()) resumed++;
      socket.end(REQUEST);
    });
    const timer = setTimeout(() => finish(false), 5000);
    socket.setEncoding('latin1').on('data', (d: string) => { got += d; });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(false));
  });
}

async function client(): Promise<void> {
  while (performance.now() < end) await once();
}

await Promise.all(Array.from({ length: connections }, client));
const seconds = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number): number => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! : NaN;
console.log(JSON.stringify({
  reqPerSec: requests / seconds, mbPerSec: bytes / seconds / 1048576, p50: pct(50), p99: pct(99),
  errors: errors + resumed, requests, seconds, raw: `${requests} requests, ${errors} errors, ${resumed} resumed sessions`, resumed,
}));
