/** Shared command line handling for the proxy prototypes. */
import type net from 'node:net';

export interface ProtoArgs { port: number; upstreamHost: string; upstreamPort: number }

export function parseArgs(argv = process.argv.slice(2)): ProtoArgs {
  const get = (name: string, def?: string): string => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? argv[i + 1] : def;
    if (v === undefined) throw new Error(`missing --${name}`);
    return v;
  };
  const up = get('upstream');
  const colon = up.lastIndexOf(':');
  return { port: Number(get('port', '0')), upstreamHost: up.slice(0, colon), upstreamPort: Number(up.slice(colon + 1)) };
}

/** Print the ready line the bench waits for, and exit cleanly on SIGTERM/SIGINT (so --cpu-prof is written). */
export function announce(server: net.Server, name: string): void {
  const addr = server.address() as net.AddressInfo;
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  console.log(`LISTENING ${addr.port} ${name}`);
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) a proxy must not forward. Lower case. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
