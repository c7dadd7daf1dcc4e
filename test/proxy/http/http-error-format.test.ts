/**
 * `http-error … hdr <name> <fmt>` and `lf-string` payloads with log-format, rendered for each answer, and the
 * frontend's http-error pages used for a backend's errors when the backend has none of its own
 * (HAProxy's http_error_message). Recorded from haproxy 2.6.12; where it is installed, the second
 * test replays the exchanges through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, loggedHttpHead } from '../../helpers/haproxy.ts';

function config(port: number): string {
  return `${loggedHttpHead('    option dontlognull\n')}    log-format "%ST %tsc %b %s B=%B"
frontend fe
    bind 127.0.0.1:${port}
    http-error status 503 content-type text/plain string "down" hdr x-why "%[str(ok)]-%[path]" hdr x-b %b
    http-error status 403 content-type text/plain string "no" hdr x-path %[path] hdr x-static plain
    http-error status 429 content-type text/plain lf-string "slow down on %[path] (%[method])"
    http-request deny if { path /deny }
    http-request deny deny_status 429 if { path /slow }
    use_backend empty if { path /empty }
    default_backend none
backend empty
    server s 127.0.0.1:1 disabled
backend none
`;
}

const CASES: Array<{ path: string; reply: string; log: string }> = [
  {
    path: '/deny',
    reply: 'HTTP/1.1 403 Forbidden\r\nx-path: /deny\r\nx-static: plain\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nno',
    log: '403 PR-- fe <NOSRV> B=104',
  },
  {
    path: '/slow',
    reply: 'HTTP/1.1 429 Too Many Requests\r\ncontent-length: 24\r\ncontent-type: text/plain\r\n\r\nslow down on /slow (GET)',
    log: '429 PR-- fe <NOSRV> B=111',
  },
  {
    path: '/empty',
    reply: 'HTTP/1.1 503 Service Unavailable\r\nx-why: ok-/empty\r\nx-b: empty\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\ndown',
    log: '503 SC-- empty <NOSRV> B=114',
  },
  {
    path: '/x',
    reply: 'HTTP/1.1 503 Service Unavailable\r\nx-why: ok-/x\r\nx-b: none\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\ndown',
    log: '503 SC-- none <NOSRV> B=109',
  },
];

async function run(port: number, logs: () => string[]): Promise<void> {
  for (const c of CASES) {
    const before = logs().length;
    const raw = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${c.path} HTTP/1.1\r\nhost: x\r\n\r\n`));
      let got = '';
      const timer = setTimeout(() => { s.destroy(); resolve(got); }, 400);
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', () => { clearTimeout(timer); resolve(got); });
      s.on('error', () => {});
    });
    assert.equal(raw, c.reply, `${c.path}: reply`);
    const deadline = Date.now() + 5000;
    while (logs().length <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal((logs()[before] ?? '').trim(), c.log, `${c.path}: log`);
  }
}

test('http-error hdr values with log-format are rendered for each answer, as haproxy 2.6.12 did', async () => {
  const port = await freePort();
  const e = await startEngine(config(port));
  try {
    await run(port, () => e.logs);
  } finally {
    await e.stop();
  }
});

test('the same exchanges through haproxy give the recorded answers', async (t) => {
  if (!requireHaproxy(t)) return;
  const port = await freePort();
  const h = await startHaproxy(config(port), port);
  try {
    await run(port, () => h.output().split('\n').filter((l) => /^\d+ /.test(l)));
  } finally {
    await h.stop();
  }
});
