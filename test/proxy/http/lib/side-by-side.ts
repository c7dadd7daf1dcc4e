/**
 * Running one case on Loadstar and then on real HAProxy (when installed), with the same
 * configuration, and reading what a client and the log saw: for tests that compare the
 * two side by side (DESIGN.md §7).
 */
import type { TestContext } from 'node:test';
import http from 'node:http';
import net from 'node:net';
import { startEngine, freePort } from '../../../helpers/net.ts';
import { haproxyPath, startHaproxy, type HaproxyOptions } from '../../../helpers/haproxy.ts';

export interface Proxy {
  logs(): string[];
}

/** Runs `check` on Loadstar, then on haproxy when it is installed; both got one probe connection first (startHaproxy's). */
export async function sideBySide(t: TestContext, config: (port: number) => string, check: (port: number, proxy: Proxy) => Promise<void>, options?: HaproxyOptions): Promise<void> {
  const port = await freePort();
  const engine = await startEngine(config(port));
  await probe(port);
  await new Promise((r) => setTimeout(r, 300));
  try {
    await checkOn('Loadstar', t, port, { logs: () => engine.logs }, check);
  } finally {
    await engine.stop();
  }
  if (!haproxyPath) return void t.diagnostic('haproxy is not installed: compared with the recorded behaviour only');
  const hport = await freePort();
  const haproxy = await startHaproxy(config(hport), hport, options);
  await new Promise((r) => setTimeout(r, 300));
  try {
    await checkOn('HAProxy', t, hport, { logs: () => haproxy.output().split('\n').filter((l) => l !== '' && !l.startsWith('[')) }, check);
  } finally {
    await haproxy.stop();
  }
}

/**
 * One side's run. A failure says which side it was and that side's last log lines: a failure in
 * a loaded CI run is often not reproducible, and the assertion alone does not tell the two apart.
 */
async function checkOn(side: string, t: TestContext, port: number, proxy: Proxy, check: (port: number, proxy: Proxy) => Promise<void>): Promise<void> {
  try {
    await check(port, proxy);
  } catch (err) {
    t.diagnostic(`failed on ${side}; its last log lines: ${JSON.stringify(proxy.logs().slice(-8))}`);
    throw err;
  }
}

/** A connection closed as soon as it is made (what startHaproxy does to know haproxy is up). */
export function probe(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.destroy());
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
}

/**
 * Requests written at once on one connection: the answers' bodies ("status body"), then how the
 * connection ended: 'fin', 'reset', or 'open' when nothing more came within 500 ms of the last answer.
 */
export function requests(port: number, ...paths: string[]): Promise<string[]> {
  return exchange(port, paths, false);
}

/** The same, each answer shown whole: its head's lines but the first joined with '|', then its body. */
export function requestsWithHeads(port: number, ...paths: string[]): Promise<string[]> {
  return exchange(port, paths, true);
}

function exchange(port: number, paths: readonly string[], heads: boolean): Promise<string[]> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const answers = (): string[] => {
      const out: string[] = [];
      let rest = received;
      for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (end < 0) break;
        const length = Number(/content-length: *(\d+)/i.exec(rest.slice(0, end))?.[1] ?? 0);
        if (rest.length < end + 4 + length) break;
        const head = heads ? `${rest.slice(rest.indexOf('\r\n') + 2, end).split('\r\n').join('|')} ` : '';
        out.push(`${rest.slice(9, 12)} ${head}${rest.slice(end + 4, end + 4 + length)}`);
        rest = rest.slice(end + 4 + length);
      }
      return out;
    };
    const done = (end: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve([...answers(), end]);
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => done('open'), 500);
    };
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      arm();
    });
    s.on('end', () => done('fin'));
    s.on('error', () => done('reset'));
    s.on('connect', arm);
    s.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nhost: x\r\n\r\n`).join(''));
  });
}

/**
 * One request on a connection of its own, with `Connection: close` (so nothing waits for the
 * connection's end, as `requests` does for up to 500 ms): "status body".
 */
export function closedRequest(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: target, agent: false, headers: { host: 'x' } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    }).on('error', reject);
  });
}

/** The log lines' backend/server, timers (-1, or T for a time), status, bytes, termination state and request, once `n` are there. */
export async function logged(proxy: Proxy, n: number): Promise<string[]> {
  return (await linesLogged(proxy, n)).map((l) => {
    const f = l.split(' ');
    const timers = f[4]!.split('/').map((v) => (v === '-1' ? v : 'T')).join('/');
    return [f[3], timers, f[5], f[6], f[9], f.slice(12).join(' ')].join(' ');
  });
}


/**
 * The log lines as written, once `n` are there (or after three seconds: a loaded CI machine was
 * seen to take more than one to bring a line from the proxy's stdout).
 */
export async function linesLogged(proxy: Proxy, n: number): Promise<string[]> {
  for (let i = 0; i < 150 && proxy.logs().length < n; i++) await new Promise((r) => setTimeout(r, 20));
  return proxy.logs();
}
