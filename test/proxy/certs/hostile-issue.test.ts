/**
 * Issuing from the local CA with hostile requests (the admin API's certCaInit, certIssue,
 * certIssueClient): control characters in names that become a certificate's subject, names of
 * 100 kB, thousands of SANs. Each is refused with its code and a message that quotes the value
 * escaped and cut short; nothing is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CertStore } from '../../../proxy/certs/index.ts';
import { MAX_SANS } from '../../../proxy/certs/names.ts';
import { CertError } from '../../../proxy/errors.ts';
import { tempDir } from './fixtures.ts';

async function refusal(run: () => Promise<unknown>): Promise<CertError> {
  try {
    await run();
  } catch (e) {
    assert.ok(e instanceof CertError, `not a CertError: ${(e as Error)?.stack}`);
    return e;
  }
  assert.fail('accepted');
}

test('a CA name with a line break, NUL or 100 kB is refused, the message quoting it escaped and cut short', async () => {
  const dir = tempDir();
  const store = new CertStore({ dataDir: dir });
  for (const [commonName, shown] of [['Home\nCA', "'Home\\nCA'"], ['a\u0000b', "'a\\u0000b'"], ['x'.repeat(100_000), `'${'x'.repeat(64)}…'`]] as const) {
    const e = await refusal(() => store.initCa({ commonName }));
    assert.equal(e.code, 'LS_ERR_CERT_BAD_NAME');
    assert.equal(e.message, `CA name must be 1 to 64 printable characters, got ${shown}`);
  }
  assert.equal(fs.existsSync(path.join(dir, 'ca', 'ca.pem')), false);
});

test(`more than ${MAX_SANS} DNS names and addresses are refused before any is checked; client names are quoted escaped`, async () => {
  const dir = tempDir();
  const store = new CertStore({ dataDir: dir });
  await store.initCa({});
  const dns = Array.from({ length: 20_000 }, (_, i) => `h${i}.example.test`);
  const e = await refusal(() => store.issue({ name: 'many', dns }));
  assert.equal(e.code, 'LS_ERR_CERT_BAD_SAN');
  assert.match(e.message, /^20000 DNS names and IP addresses were given; a certificate holds at most 100/);
  assert.equal(fs.existsSync(path.join(dir, 'certs', 'many.pem')), false);
  const fits = await store.issue({ name: 'fits', dns: dns.slice(0, MAX_SANS - 1), ip: ['127.0.0.1'] });
  assert.equal(fits.sans.length, MAX_SANS);

  const client = await refusal(() => store.issueClient({ commonName: 'x'.repeat(100_000) + '\n' }));
  assert.equal(client.message, `a client certificate needs a common name of 1 to 64 printable characters, got '${'x'.repeat(64)}…'`);
});
