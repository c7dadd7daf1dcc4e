/** Shared by the stats tests: the runtime API as a client sees it, and a real CSV reader (csv-parse). */
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';

/** Sends one line to a runtime API socket (UNIX path or TCP port) and returns everything until it closes. */
export function cli(where: string | number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = typeof where === 'string' ? net.connect(where) : net.connect(where, '127.0.0.1');
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    socket.on('connect', () => socket.write(line + '\n'));
  });
}

/**
 * Parses CSV with a real CSV reader (csv-parse), not Loadstar's own, HAProxy's "# " header prefix
 * removed. (It was Python's csv module: a process per call, ~0.35 CPU-s each on this VM, and the
 * event loop blocked meanwhile, ~70 CPU-s in one test of ~200 snapshots.)
 */
export function readCsv(text: string): Array<Record<string, string>> {
  if (!text.startsWith('# ')) throw new Error(`not a CSV answer: ${JSON.stringify(text.slice(0, 80))}`);
  return parse(text.slice(2), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
}

export function row(rows: Array<Record<string, string>>, pxname: string, svname: string): Record<string, string> {
  const found = rows.find((r) => r['pxname'] === pxname && r['svname'] === svname);
  if (!found) throw new Error(`no row ${pxname}/${svname}`);
  return found;
}

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The head of a test configuration with an admin-level runtime API socket at `sock`, in HTTP mode with short timeouts. */
export function adminHttpHead(sock: string): string {
  return `global
    stats socket ${sock} level admin
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
`;
}

/** A self-signed EC certificate for CN=a.test with its key appended, as `crt` takes it, written to `<dir>/site.pem`. */
export function writeSiteCertificate(dir: string): void {
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'site.key', '-out', 'site.pem', '-days', '30', '-subj', '/CN=a.test', '-addext', 'subjectAltName=DNS:a.test'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  fs.appendFileSync(path.join(dir, 'site.pem'), fs.readFileSync(path.join(dir, 'site.key')));
}
