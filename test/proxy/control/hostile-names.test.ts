/**
 * Names a client gives the control that come back in answers, logs and diagnostics: a
 * configuration's name for validateConfig / applyConfig. A line break in one would forge a second
 * log line (`x\n[ALERT] ...`) and a 300 kB one would ride along in every status answer; both are
 * refused with the argument named, and nothing is applied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { startEngine, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

test('a configuration name with a line break, a control character or 300 kB is refused; an ordinary one is used as given', async () => {
  const text = `${HTTP_DEFAULTS}frontend web\n    bind 127.0.0.1:${await freePort()}\n    http-request return status 200 content-type text/plain string ok\n`;
  const running = await startEngine(text);
  try {
    const control = new InProcessControl(running.engine, { log: () => {} });
    for (const name of ['site.cfg\n[ALERT] parsing [x] : forged', 'a\rb', 'a\u0000b', 'a\u2028b', 'x'.repeat(300_000)]) {
      for (const answer of [await control.validateConfig(text, name), await control.applyConfig(text, name)]) {
        assert.equal(answer.ok, false, JSON.stringify(name.slice(0, 40)));
        assert.equal(!answer.ok && answer.error.code, 'LS_ERR_CTL_BAD_VALUE');
        assert.match(!answer.ok ? answer.error.message : '', /^(validateConfig|applyConfig): name must be (one line without control characters|at most 255 characters)/);
      }
    }
    assert.equal(running.engine.lifecycle().reloads, 0, 'nothing applied');
    const fine = await control.applyConfig(text, 'sites/home lab.cfg');
    assert.ok(fine.ok, JSON.stringify(fine));
    assert.equal(running.engine.lifecycle().configName, 'sites/home lab.cfg');
  } finally {
    await running.stop();
  }
});
