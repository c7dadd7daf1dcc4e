/**
 * Ports for listeners a test names in its configuration (HAProxy's language has no
 * `bind :0`). Imports nothing of the engine, so tests that only run the build can use it.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Ports are drawn at random *below* the kernel's ephemeral range. A port taken from
 * `listen(0)` and closed again was free only for a moment: the test files run in parallel
 * processes, and any of their outgoing connections or `listen(0)` calls may be handed the
 * same port by the kernel before the engine binds it (CI saw "address already in use").
 * Below the ephemeral range only another call of this function can pick the port, at random
 * among thousands, and each pick is checked by binding it first.
 */
const LOWEST = 20000;
const handedOut = new Set<number>();

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
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return portFromKernel();
}
