import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notation, wire } from './transcript.ts';

test('a transcript printed in the notation reads back as itself through wire()', () => {
  const transcripts = [
    'server connection 1 got:\nPOST / HTTP/1.1\r\nhost: ex\r\n\r\n3\r\nabc\r\n0\r\nx-a: 1\x00x\r\n\r\n\nclient got (closed):\n',
    'a `tick`, ${not a placeholder}, a \\ backslash, a lone \r, a tab\t, \x7f and \r\n\n\n after a CRLF',
    '',
  ];
  for (const t of transcripts) {
    const source = notation(t);
    assert.equal(new Function('wire', `return wire(\`${source}\`);`)(wire), t, source);
  }
});

test('the notation shows each CRLF as \\r\\n at the end of its line', () => {
  assert.equal(notation('GET / HTTP/1.1\r\nhost: ex\r\n\r\n'), 'GET / HTTP/1.1\\r\\n\nhost: ex\\r\\n\n\\r\\n\n');
});
