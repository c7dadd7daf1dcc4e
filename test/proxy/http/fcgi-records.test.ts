/**
 * FastCGI records (proxy/http/fcgi-records.ts): the bytes of the FastCGI 1.0 specification's
 * examples and HAProxy's fcgi.c encodings, and a reader that cuts records out of any split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordReader, beginRequest, decodeEndRequest, decodePairs, encodePairs, encodeRecord, encodeStream, FCGI_MAX_CONTENT } from '../../../proxy/http/fcgi-records.ts';

test('a record is an 8-byte header (version 1, type, id, length, no padding) and its content', () => {
  assert.deepEqual([...encodeRecord(6, 0x0102, Buffer.from('ab'))], [1, 6, 1, 2, 0, 2, 0, 0, 0x61, 0x62]);
  assert.deepEqual([...encodeRecord(5, 1, undefined)], [1, 5, 0, 1, 0, 0, 0, 0]);
});

test('BEGIN_REQUEST: the Responder role, FCGI_KEEP_CONN as asked, five reserved bytes', () => {
  assert.deepEqual([...beginRequest(3, true)], [1, 1, 0, 3, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual([...beginRequest(1, false)].slice(8), [0, 1, 0, 0, 0, 0, 0, 0]);
});

test('name-value pairs: lengths below 128 in one byte, longer ones in four with the high bit set; decoded back', () => {
  const long = 'x'.repeat(200);
  const bytes = encodePairs([['A', 'bc'], ['LONG', long]]);
  assert.deepEqual([...bytes.subarray(0, 5)], [1, 2, 0x41, 0x62, 0x63]);
  assert.deepEqual([...bytes.subarray(5, 10)], [4, 0x80, 0, 0, 200]);
  assert.deepEqual(decodePairs(bytes), [['A', 'bc'], ['LONG', long]]);
  assert.equal(decodePairs(bytes.subarray(0, bytes.length - 1)), undefined);
});

test('a stream longer than a record goes as several; an empty one as none', () => {
  const records = encodeStream(5, 1, Buffer.alloc(FCGI_MAX_CONTENT + 10, 0x61));
  assert.deepEqual(records.map((r) => r.readUInt16BE(4)), [FCGI_MAX_CONTENT, 10]);
  assert.deepEqual(encodeStream(5, 1, Buffer.alloc(0)), []);
});

test('the reader cuts records out of reads split anywhere, skips their padding, reads any version byte as HAProxy does', () => {
  // STDOUT "abc" with 5 bytes of padding (paddingLength is the header's 7th byte).
  const padded = Buffer.concat([Buffer.from([1, 6, 0, 1, 0, 3, 5, 0]), Buffer.from('abc'), Buffer.alloc(5, 0x7a)]);
  const end = encodeRecord(3, 1, Buffer.from([0, 0, 0, 7, 2, 0, 0, 0]));
  const all = Buffer.concat([padded, end]);
  const reader = new RecordReader();
  const got: string[] = [];
  for (let i = 0; i < all.length; i++) {
    reader.push(all.subarray(i, i + 1));
    for (let r = reader.next(); r !== undefined; r = reader.next()) {
      got.push(`${r.type}:${r.id}:${r.content.toString('hex')}`);
    }
  }
  assert.deepEqual(got, ['6:1:616263', '3:1:0000000702000000']);
  assert.deepEqual(decodeEndRequest(end.subarray(8)), { appStatus: 7, protocolStatus: 2 });
  // HAProxy 2.6 never checks the version byte (fcgi_decode_record_hdr): version 2 reads as version 1.
  const other = new RecordReader();
  other.push(Buffer.from([2, 6, 0, 1, 0, 0, 0, 0]));
  assert.deepEqual(other.next(), { type: 6, id: 1, content: Buffer.alloc(0) });
});
