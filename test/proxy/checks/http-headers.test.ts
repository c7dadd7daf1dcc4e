import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startRawServer } from '../../helpers/net.ts';
import { httpProbe, httpCheckSpec } from '../../../proxy/checks/http.ts';
import type { CheckTarget } from '../../../proxy/checks/types.ts';

const loc = { file: 't.cfg', line: 1, column: 1 };
const up = { serverDown: false };
const target = (port: number): CheckTarget => ({ host: '127.0.0.1', port, connectTimeout: 500, readTimeout: 2000 });

/** A check origin that answers every request with `pieces`, written one by one a few milliseconds apart. */
async function piecewiseOrigin(pieces: readonly string[]) {
  return startRawServer((socket: net.Socket) => {
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      buf = '';
      let i = 0;
      const next = (): void => {
        if (socket.destroyed) return;
        if (i === pieces.length - 1) { socket.end(pieces[i]); return; }
        socket.write(pieces[i++]!);
        setTimeout(next, 15);
      };
      next();
    });
  });
}

const expectHdr = (pattern: string) => httpCheckSpec(undefined, [{ type: 'expect', expect: { kind: 'hdr', pattern, negate: false }, loc }], false);

test('http-check expect hdr sees the headers of a response written in several small pieces', async () => {
  const head = 'HTTP/1.1 200 OK\r\nX-Ready: yes\r\nContent-Length: 2\r\n\r\nok';
  const pieces = ['HTTP/1.1 200 OK\r\nX-Re', 'ady: y', 'es\r\nContent-Len', 'gth: 2\r\n', '\r\no', 'k'];
  assert.equal(pieces.join(''), head);
  const s = await piecewiseOrigin(pieces);
  try {
    const r = await httpProbe(expectHdr('name X-Ready value yes'))(target(s.port), up);
    assert.equal(r.code, 'L7OK', r.info);
    const missing = await httpProbe(expectHdr('name X-Absent'))(target(s.port), up);
    // HAProxy 2.6.12 reports a missing header as L7STS with the reason (tcp-check-expect.test.ts compares).
    assert.equal(missing.code, 'L7STS');
  } finally {
    await s.close();
  }
});

/** A response head with 40 header fields X-Field-0 … X-Field-39 (llhttp's binding flushes every 32). */
function fortyFields(): string {
  let head = 'HTTP/1.1 200 OK\r\n';
  for (let i = 0; i < 40; i++) head += `X-Field-${i}: value-${i}\r\n`;
  return head + 'Content-Length: 0\r\n\r\n';
}

test('http-check expect hdr sees every header of a response with 40 header fields', async () => {
  const s = await piecewiseOrigin([fortyFields()]);
  try {
    for (const n of [0, 31, 32, 39]) {
      const r = await httpProbe(expectHdr(`name X-Field-${n} value value-${n}`))(target(s.port), up);
      assert.equal(r.code, 'L7OK', `X-Field-${n}: ${r.info}`);
    }
  } finally {
    await s.close();
  }
});

test('http-check expect hdr sees every header of a 40-field response written in small pieces', async () => {
  const text = fortyFields();
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += 97) pieces.push(text.slice(i, i + 97));
  const s = await piecewiseOrigin(pieces);
  try {
    for (const n of [0, 20, 35, 39]) {
      const r = await httpProbe(expectHdr(`name X-Field-${n} value value-${n}`))(target(s.port), up);
      assert.equal(r.code, 'L7OK', `X-Field-${n}: ${r.info}`);
    }
  } finally {
    await s.close();
  }
});
