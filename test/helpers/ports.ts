/**
 * Ports for listeners a test names in its configuration (HAProxy's language has no
 * `bind :0`). Imports nothing of the engine, so tests that only run the build can use it.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Ports are drawn at random *below* the kernel's ephemeral range. A port taken from
 * `listen(0)` and closed again was free only for a moment: the test files run in parallel
 * processes, and any of their outgoing connections or `listen(0)` calls may be handed the
 * same port by the kernel before the engine binds it (CI saw "address already in use").
 * Below the ephemeral range only another call of this function can pick the port, at random
 * among thousands, and each pick is checked by binding it first.
 *
 * A port a test holds but is not listening on (between Loadstar's run and HAProxy's, say) passes
 * that check in another process, so each pick is also reserved for the whole test run with a file
 * only one process can create. CI once saw HAProxy bind its main port, fail on a frontend's port
 * another test had just taken, and exit.
 */
const LOWEST = 20000;
const handedOut = new Set<number>();
const reservations = path.join(os.tmpdir(), 'loadstar-test-ports');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process unless a live process holds it; a dead holder's claim is taken over. */
function reserve(port: number): boolean {
  const file = path.join(reservations, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      releaseOnExit();
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return true; // no reservations possible: the bind check alone
      let holder: number;
      try {
        holder = Number(readFileSync(file, 'utf8'));
      } catch {
        continue; // released meanwhile
      }
      // An empty file is a claim being written: only a dead process's claim is taken over.
      if (!Number.isInteger(holder) || holder <= 0 || alive(holder)) return false;
      try {
        unlinkSync(file);
      } catch { /* another process took it over first */ }
    }
  }
  return false;
}

let releasing = false;

function releaseOnExit(): void {
  if (releasing) return;
  releasing = true;
  process.once('exit', release);
}

function release(): void {
  for (const port of handedOut) {
    try {
      unlinkSync(path.join(reservations, String(port)));
    } catch { /* already gone */ }
  }
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768; // not Linux: Linux's default
  }
}

const highest = ephemeralLow() - 1;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function portFromKernel(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A port on 127.0.0.1 that is free now and that no outgoing connection will be given. */
export async function freePort(): Promise<number> {
  if (highest - LOWEST < 1000) return portFromKernel(); // an unusual ephemeral range
  mkdirSync(reservations, { recursive: true });
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    // Reserved before the bind check is awaited, so calls made at once never pick the same port.
    if (handedOut.has(port) || !reserve(port)) continue;
    handedOut.add(port);
    if (await canBind(port)) return port;
  }
  return portFromKernel();
}
