/**
 * `loadstar serve`'s first-run configuration and its demo servers. On the
 * very first run `<data-dir>/haproxy.cfg` is written from here, so the UI
 * shows something real at once: the demo of `loadstar run` (two web servers
 * and an API behind 127.0.0.1:8080), with health checks.
 *
 * The demo servers are small HTTP servers inside the Loadstar process. Which
 * ones run follows the configuration: every `server demo-<name>` line on a
 * loopback address gets one; deleting the line (and reloading) stops it.
 */
import net from 'node:net';
import type { Config, Server } from '../config/model.ts';
import type { DemoStatus } from '../control/contract.ts';
import { startDemoServer } from '../demo.ts';
import type { DemoServer } from '../demo.ts';
import { isLoopbackHost } from './listen.ts';

export const DEMO_PREFIX = 'demo-';

export interface DemoPorts {
  frontend: number;
  web1: number;
  web2: number;
  api1: number;
}

export const PREFERRED_DEMO_PORTS: DemoPorts = { frontend: 8080, web1: 8081, web2: 8082, api1: 8083 };

/** The first-run file's note on the demo (with the `#` line that separates it from the header above). */
export const DEMO_NOTE = `#
# DEMO: this first-run configuration shows Loadstar working before you add
# your own servers. Every server named demo-* below is a small demo web
# server that Loadstar itself runs inside its process (its pages say
# "Loadstar demo server"). To remove the demo, use Remove beside frontend
# demo, then backends demo-web and demo-api (UI: Configuration, Edit with
# forms), or delete those sections here and apply: Loadstar stops a demo
# server as soon as no server line names it. This note can go too.`;

/** The comment the first run writes above each demo server line. */
export const DEMO_SERVER_COMMENT = '# demo server, runs inside Loadstar';

export function defaultConfigText(ports: DemoPorts): string {
  return `# Loadstar: the configuration 'loadstar serve' runs. It is HAProxy's
# configuration language; edit it in the UI or here (then send SIGHUP or
# restart Loadstar to apply a hand edit).
${DEMO_NOTE}

defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 30s
    timeout server 30s

# Open http://127.0.0.1:${ports.frontend}/ and reload: round robin between the demo web servers.
# /api/ goes to the demo API (an ACL on the path).
frontend demo
    bind 127.0.0.1:${ports.frontend}
    acl is_api path_beg /api/
    use_backend demo-api if is_api
    default_backend demo-web

backend demo-web
    balance roundrobin
    option httpchk GET /
    ${DEMO_SERVER_COMMENT}
    server demo-web1 127.0.0.1:${ports.web1} check inter 2s
    ${DEMO_SERVER_COMMENT}
    server demo-web2 127.0.0.1:${ports.web2} check inter 2s

backend demo-api
    option httpchk GET /api/health
    ${DEMO_SERVER_COMMENT}
    server demo-api1 127.0.0.1:${ports.api1} check inter 2s
`;
}

/** Anything of the first-run demo: its frontend `demo`, a `demo-*` backend, a demo server. */
function hasDemoItems(config: Config): boolean {
  return demoStatusOf(config) !== undefined
    || config.sections.some((s) => (s.kind === 'frontend' && s.name === 'demo') || ((s.kind === 'backend' || s.kind === 'listen') && s.name.startsWith(DEMO_PREFIX)));
}

/**
 * A form edit's result with the first-run DEMO note taken out once the edit removed the last
 * demo item (`before` had some, `after` has none). Only the note exactly as the first run wrote
 * it goes; a note the user changed, and every other comment, stay.
 */
export function withoutDemoNote(before: Config, after: Config, text: string): string {
  if (demoServersOf(after).length < demoServersOf(before).length) text = withoutOrphanServerComments(text);
  if (!hasDemoItems(before) || hasDemoItems(after)) return text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const note = DEMO_NOTE.split('\n').join(eol) + eol;
  const at = text.indexOf(note);
  // The note starts a line.
  if (at < 0 || (at > 0 && text[at - 1] !== '\n')) return text;
  return text.slice(0, at) + text.slice(at + note.length);
}

/**
 * The first run's comment above a demo server line, left behind when the forms removed that
 * line (they keep comments they do not own): it goes unless a demo server line follows it.
 */
function withoutOrphanServerComments(text: string): string {
  const lines = text.split('\n');
  const comment = (line: string | undefined): boolean => line !== undefined && line.replace(/\r$/, '').trim() === DEMO_SERVER_COMMENT;
  const kept = lines.filter((line, i) => !comment(line) || /^\s*server\s+demo-/.test(lines[i + 1] ?? ''));
  return kept.join('\n');
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The preferred ports where free, others picked by the system (a first run next to something on 8080 still works). */
export async function chooseDemoPorts(preferred: DemoPorts = PREFERRED_DEMO_PORTS): Promise<DemoPorts> {
  const chosen = { ...preferred };
  const used = new Set<number>();
  for (const key of Object.keys(chosen) as Array<keyof DemoPorts>) {
    let port = chosen[key];
    if (used.has(port) || !(await portFree(port))) port = await freePort();
    used.add(port);
    chosen[key] = port;
  }
  return chosen;
}

/** A `server demo-*` line on a loopback address with a port: one Loadstar runs a demo server for. */
function isDemoServer(server: Pick<Server, 'name' | 'host' | 'port' | 'portIsOffset'>): boolean {
  return server.name.startsWith(DEMO_PREFIX) && server.port !== 0 && !server.portIsOffset && isLoopbackHost(server.host);
}

/**
 * What the running configuration has of the demo (the status's `demo`): its
 * demo servers, and whether they are all there is. Undefined without any.
 * The built-in configuration as written, or edited (a weight, a third demo
 * server), is `only`; once the user's own servers come, it is not; once the
 * demo servers are removed, there is no demo.
 */
export function demoStatusOf(config: Config): DemoStatus | undefined {
  const servers: string[] = [];
  let theirs = 0;
  for (const proxy of config.proxies) {
    if (proxy.disabled || (proxy.kind !== 'backend' && proxy.kind !== 'listen')) continue;
    for (const server of proxy.servers) {
      if (isDemoServer(server)) servers.push(`${proxy.name}/${server.name}`);
      else theirs++;
    }
  }
  return servers.length === 0 ? undefined : { only: theirs === 0, servers };
}

/** `server demo-*` lines on a loopback address with a port: the demo servers the configuration asks for. */
export function demoServersOf(config: Config): Array<{ name: string; host: string; port: number }> {
  const wanted = new Map<string, { name: string; host: string; port: number }>();
  for (const proxy of config.proxies) {
    for (const server of proxy.servers ?? []) {
      if (!isDemoServer(server)) continue;
      wanted.set(`${server.host}:${server.port}`, { name: server.name, host: server.host === 'localhost' ? '127.0.0.1' : server.host, port: server.port });
    }
  }
  return [...wanted.values()];
}

/** The demo servers running now, kept in step with the configuration. */
export class DemoServers {
  private readonly running = new Map<string, DemoServer>();

  constructor(private readonly log: (line: string) => void) {}

  /** Starts the demo servers `config` names and stops those it no longer names. */
  async sync(config: Config): Promise<void> {
    const wanted = demoServersOf(config);
    const keys = new Set(wanted.map((w) => `${w.host}:${w.port}`));
    for (const [key, server] of this.running) {
      if (keys.has(key)) continue;
      this.running.delete(key);
      await server.close();
      this.log(`[NOTICE] demo server ${server.name} stopped (no server line names it any more)`);
    }
    for (const w of wanted) {
      const key = `${w.host}:${w.port}`;
      if (this.running.has(key)) continue;
      try {
        this.running.set(key, await startDemoServer(w.name, w.host, w.port));
        this.log(`[NOTICE] demo server ${w.name} listening on ${w.host}:${w.port} (a Loadstar demo; remove its server line to stop it)`);
      } catch (e) {
        this.log(`[WARNING] demo server ${w.name} cannot listen on ${w.host}:${w.port}: ${(e as Error).message}; its checks will report it DOWN`);
      }
    }
  }

  get size(): number {
    return this.running.size;
  }

  async close(): Promise<void> {
    for (const server of this.running.values()) await server.close();
    this.running.clear();
  }
}
