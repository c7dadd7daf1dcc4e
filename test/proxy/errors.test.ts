import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as errors from '../../proxy/errors.ts';

test('every error and diagnostic code is unique and follows the LS_ naming', () => {
  const codes = [...Object.keys(errors.ERROR_CODES), ...Object.keys(errors.DIAGNOSTIC_CODES)];
  assert.equal(new Set(codes).size, codes.length);
  for (const code of codes) assert.match(code, /^LS_(ERR|WARN)_[A-Z]+_[A-Z_]+$/);
});

test('each error class carries a registered code and keeps its cause', () => {
  const cause = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
  const samples = [new errors.ConfigInvalidError('x'), new errors.ConfigReadError('a.cfg', cause), new errors.CliUsageError('bad')];
  for (const e of samples) {
    assert.ok(e instanceof errors.LoadstarError);
    assert.ok(e.code in errors.ERROR_CODES, e.code);
    assert.equal(e.name, e.constructor.name);
  }
  assert.equal(samples[1]!.cause, cause);
  assert.equal(samples[1]!.message, "cannot read configuration file 'a.cfg': no such file");
});
