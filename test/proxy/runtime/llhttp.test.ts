/**
 * The method table read with llhttp's numbers, checked against Node's own llhttp: each name
 * parsed comes back as its index. And what rtspOnlyMethod() relies on: llhttp takes those
 * methods only before an RTSP version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newParser, REQUEST, METHODS, LENIENT_VERSION, rtspOnlyMethod, kOnHeadersComplete } from '../../../proxy/runtime/llhttp.ts';
import type { HeadersCompleteCallback } from '../../../proxy/runtime/llhttp.ts';

/** The method number llhttp gives the request line, or the parse error's code. */
function parsedMethod(line: string, lenient = 0): number | string {
  const parser = newParser(REQUEST, undefined, lenient);
  let method: number | undefined;
  const onHead: HeadersCompleteCallback = (_major, _minor, _headers, m) => {
    method = m;
  };
  parser[kOnHeadersComplete] = onHead;
  try {
    const r = parser.execute(Buffer.from(`${line}\r\nHost: a\r\n\r\n`, 'latin1'));
    return method ?? (r instanceof Error ? r.code : 'no head');
  } finally {
    parser.close();
  }
}

test('each method name is at the index llhttp reports for it', () => {
  assert.equal(METHODS.length, 47);
  for (const [i, name] of METHODS.entries()) {
    if (name === 'PRI') continue; // `PRI * HTTP/2.0` is HTTP/2's preface: llhttp stops before any head.
    const version = rtspOnlyMethod(i) ? 'RTSP/1.0' : 'HTTP/1.1';
    assert.equal(parsedMethod(`${name} / ${version}`), i, name);
  }
  // The method Node's own `methods` list put at a wrong index (a QUERY request read as GET).
  assert.equal(METHODS[parsedMethod('QUERY / HTTP/1.1') as number], 'QUERY');
});

test('the RTSP-only methods parse only before an RTSP version', () => {
  for (const [i, name] of METHODS.entries()) {
    if (!rtspOnlyMethod(i)) continue;
    assert.equal(typeof parsedMethod(`${name} / HTTP/1.1`), 'string', `${name} with HTTP/1.1 is an error`);
  }
  assert.deepEqual(METHODS.filter((_, i) => rtspOnlyMethod(i)), ['DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD', 'FLUSH']);
});

test('the lenient version flag takes HTTP/3.1 and still refuses two-digit versions', () => {
  assert.equal(typeof parsedMethod('GET / HTTP/3.1'), 'string');
  assert.equal(parsedMethod('GET / HTTP/3.1', LENIENT_VERSION), 1);
  assert.equal(typeof parsedMethod('GET / HTTP/1.10', LENIENT_VERSION), 'string');
});
