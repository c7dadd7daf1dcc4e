/**
 * `show tls-keys` and `set ssl tls-key`, the same session against Loadstar and haproxy 2.6.12 with
 * the same configuration and key files: every answer byte for byte — the files numbered from the
 * one named last, each file's three keys in use oldest first, a key added at the end, the refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { adminHttpHead, cli, writeSiteCertificate } from './helpers.ts';

function site(dir: string, sock: string, ports: number[]): string {
  return `${adminHttpHead(sock)}frontend f
    bind 127.0.0.1:${ports[0]} ssl crt ${dir}/site.pem tls-ticket-keys ${dir}/keys.txt
    bind 127.0.0.1:${ports[1]} ssl crt ${dir}/site.pem tls-ticket-keys ${dir}/keys.txt
    bind 127.0.0.1:${ports[2]} ssl crt ${dir}/site.pem tls-ticket-keys ${dir}/four.txt
    bind 127.0.0.1:${ports[3]} ssl crt ${dir}/site.pem
    http-request return status 200
`;
}

test('show tls-keys and set ssl tls-key answer as haproxy 2.6 does', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-tls-keys-'));
  try {
    writeSiteCertificate(dir);
    const key = (n = 48): string => crypto.randomBytes(n).toString('base64');
    fs.writeFileSync(path.join(dir, 'keys.txt'), `${key()}\n${key()}\n${key()}\n`);
    // Four keys: the last three are in use.
    fs.writeFileSync(path.join(dir, 'four.txt'), `${key()}\n${key()}\n${key()}\n${key()}\n`);
    const added = [key(), key(), key()];
    const lines = [
      'show tls-keys', 'show tls-keys *', 'show tls-keys #1', 'show tls-keys #', 'show tls-keys #7', 'show tls-keys #x', `show tls-keys ${dir}/four.txt`, 'show tls-keys 0',
      `set ssl tls-key #0 ${added[0]}`, 'show tls-keys #0', `set ssl tls-key ${dir}/keys.txt ${added[1]}`, `set ssl tls-key ${dir}/keys.txt abc`,
      `set ssl tls-key #1 ${key(80)}`, `set ssl tls-key #9 ${added[2]}`, 'set ssl tls-key #0', `user; set ssl tls-key #1 ${added[2]}; show tls-keys *`,
      // With severities: the messages carry theirs, the dumps none.
      `set severity-output string; set ssl tls-key #1 ${key()}; set ssl tls-key #1 abc; show tls-keys #7; show tls-keys`,
    ];
    const session = async (sock: string): Promise<string[]> => {
      const out: string[] = [];
      for (const line of lines) out.push(`${line}\n${await cli(sock, line)}`);
      return out;
    };
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const e = await startEngine(site(dir, path.join(dir, 'l.sock'), ports));
    let loadstar: string[];
    try {
      loadstar = await session(path.join(dir, 'l.sock'));
    } finally {
      await e.stop();
    }
    const four = fs.readFileSync(path.join(dir, 'four.txt'), 'latin1').trim().split('\n');
    assert.equal(loadstar[0], `show tls-keys\n# id (file)\n0 (${dir}/four.txt)\n1 (${dir}/keys.txt)\n\n`);
    assert.equal(loadstar[6], `show tls-keys ${dir}/four.txt\n# id secret\n# 0 (${dir}/four.txt)\n0.0 ${four[1]}\n0.1 ${four[2]}\n0.2 ${four[3]}\n\n`);
    assert.equal(loadstar[9], `show tls-keys #0\n# id secret\n# 0 (${dir}/four.txt)\n0.0 ${four[2]}\n0.1 ${four[3]}\n0.2 ${added[0]}\n\n`);
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: checked without comparing');
    const theirs = [await freePort(), await freePort(), await freePort(), await freePort()];
    const h = await startHaproxy(site(dir, path.join(dir, 'h.sock'), theirs), theirs[0]!);
    let haproxy: string[];
    try {
      haproxy = await session(path.join(dir, 'h.sock'));
    } finally {
      await h.stop();
    }
    for (const [i, answer] of haproxy.entries()) assert.equal(loadstar[i], answer);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
