/**
 * A TCP proxy with HTTP-only balancing or cookie persistence, side by side with haproxy 2.6.12:
 * `balance uri`, `url_param` and `hdr` are round robin there (proxy_cfg_ensure_no_http; Loadstar's
 * effectiveBalance), and `cookie` lines are ignored (they were refused). Each connection reaches
 * the next server in turn, and `show stat` says roundrobin.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sideBySide } from '../http/lib/side-by-side.ts';

const servers: net.Server[] = [];
const ports: number[] = [];

before(async () => {
  for (const name of ['s1', 's2', 's3']) {
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.end(name);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    ports.push((server.address() as net.AddressInfo).port);
  }
});
after(async () => {
  for (const server of servers) await new Promise((r) => server.close(r));
});

/** The name the server of one connection wrote. */
function answer(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

for (const balance of ['uri', 'url_param id', 'hdr(host)']) {
  test(`balance ${balance} in a TCP listen with a cookie line is round robin, as in haproxy 2.6.12`, { timeout: 60_000 }, async (t) => {
    const config = (port: number) => `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen db
    bind 127.0.0.1:${port}
    balance ${balance}
    cookie SRV insert indirect nocache
${ports.map((p, i) => `    server s${i + 1} 127.0.0.1:${p} cookie c${i + 1}\n`).join('')}`;
    await sideBySide(t, config, async (port) => {
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) seen.push(await answer(port));
      // The probe connection took a turn first: the cycle may begin at any server, then goes in order.
      const start = seen.indexOf('s1');
      assert.ok(start >= 0 && start < 3, seen.join(' '));
      const order = ['s1', 's2', 's3'];
      seen.forEach((name, i) => assert.equal(name, order[((i - start) % 3 + 3) % 3], seen.join(' ')));
    });
  });
}
