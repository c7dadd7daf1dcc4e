/**
 * TLS backends and clients for the SNI-routing tests: real `tls` servers with
 * their own certificates (test/scenarios/certs, signed by one test CA) and
 * clients that verify the certificate they get, so a test knows both where a
 * connection landed and that TLS went through the proxy untouched.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';

const certs = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../scenarios/certs');
export const ca = fs.readFileSync(path.join(certs, 'ca.pem'));
export const pem = (name: string): Buffer => fs.readFileSync(path.join(certs, name));

export interface TlsBackends {
  ports: Record<string, number>;
  /** Backend names in the order raw TCP connections reached them. */
  landed: string[];
  close(): Promise<void>;
}

/** One TLS server per entry (name → combined PEM); each answers its own name over TLS and closes. */
export async function startTlsBackends(certificates: Record<string, string>): Promise<TlsBackends> {
  const landed: string[] = [];
  const ports: Record<string, number> = {};
  const servers: tls.Server[] = [];
  const sockets = new Set<net.Socket>();
  for (const [name, file] of Object.entries(certificates)) {
    const p = pem(file);
    const server = tls.createServer({ cert: p, key: p }, (s) => s.end(name));
    server.on('connection', (s: net.Socket) => {
      landed.push(name);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ports[name] = (server.address() as net.AddressInfo).port;
    servers.push(server);
  }
  return {
    ports,
    landed,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

export interface ClientResult {
  /** What the server said over TLS ('' when nothing, e.g. plain text), or 'error: …' when the TLS client failed. */
  answer: string;
  /** The client's own port, to find its log line. */
  localPort: number;
}

/**
 * A TLS client verifying the server certificate against the test CA: for
 * `servername` when given (sent as SNI), else for `expectName` with no SNI
 * at all (Node sends none when connecting to an IP without a servername).
 * `splitAfter` sends the first bytes (part of the ClientHello) alone, waits,
 * then the rest, so the proxy sees the hello in two TCP segments.
 */
export function tlsClient(port: number, opts: { servername?: string; expectName?: string; splitAfter?: number }): Promise<ClientResult> {
  return new Promise((resolve) => {
    const raw = net.connect(port, '127.0.0.1');
    raw.setNoDelay(true);
    let localPort = 0;
    raw.once('connect', () => (localPort = raw.localPort ?? 0));
    const transport = opts.splitAfter === undefined ? raw : splitFirstWrite(raw, opts.splitAfter);
    const s = tls.connect(opts.servername
      ? { socket: transport, servername: opts.servername, ca }
      : { socket: transport, ca, checkServerIdentity: (_host, cert) => tls.checkServerIdentity(opts.expectName!, cert) });
    let answer = '';
    s.on('data', (c: Buffer) => (answer += c.toString()));
    s.on('error', (e) => (answer = `error: ${e.message}`));
    s.on('close', () => resolve({ answer, localPort }));
    s.setTimeout(5000, () => s.destroy(new Error('TLS client timed out')));
  });
}

/** A transport over `raw` that cuts its first write after `n` bytes and sends the rest 100 ms later. */
function splitFirstWrite(raw: net.Socket, n: number): Duplex {
  let first = true;
  const duplex = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      if (!first) return void raw.write(chunk, cb);
      first = false;
      raw.write(chunk.subarray(0, n));
      setTimeout(() => raw.write(chunk.subarray(n), cb), 100);
    },
    read() {},
    final(cb) { raw.end(cb); },
    destroy(err, cb) { raw.destroy(); cb(err); },
  });
  raw.on('data', (d: Buffer) => duplex.push(d));
  raw.on('end', () => duplex.push(null));
  raw.on('close', () => duplex.destroy());
  raw.on('error', (e) => duplex.destroy(e));
  return duplex;
}

/**
 * A raw client: `act` gets the connected socket (write, end, wait, destroy…);
 * resolves with what came back once the connection is closed.
 */
export function rawClient(port: number, act: (s: net.Socket) => void): Promise<ClientResult & { reset: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let answer = '';
    let reset = false;
    let localPort = 0;
    s.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    s.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'ECONNRESET') reset = true; });
    s.on('close', () => resolve({ answer, localPort, reset }));
    s.on('connect', () => {
      localPort = s.localPort ?? 0;
      act(s);
    });
  });
}
