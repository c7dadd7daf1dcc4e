import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as errors from '../../../proxy/errors.ts';

test('certificate error and warning codes are registered once, with the LS_ naming', () => {
  const certErrors = Object.keys(errors.ERROR_CODES).filter((c) => c.startsWith('LS_ERR_CERT_'));
  const warnings = Object.keys(errors.CERT_WARNING_CODES);
  assert.ok(certErrors.length >= 15);
  const all = [...Object.keys(errors.ERROR_CODES), ...Object.keys(errors.DIAGNOSTIC_CODES), ...warnings];
  assert.equal(new Set(all).size, all.length);
  for (const code of warnings) assert.match(code, /^LS_WARN_CERT_[A-Z_]+$/);
  const e = new errors.CertError('LS_ERR_CERT_EXPIRED', 'expired', { cause: 'x' });
  assert.ok(e instanceof errors.LoadstarError);
  assert.equal(e.name, 'CertError');
  assert.equal(e.cause, 'x');
});
