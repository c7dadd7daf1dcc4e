import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { Engine } from '../../../proxy/engine.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import type { Result } from '../../../proxy/control/contract.ts';
import { freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';

async function setup(log?: (m: string) => void) {
  const port = await freePort();
  const parsed = parseConfig([{ name: 'site.cfg', text: `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:9
` }]);
  const engine = new Engine(parsed.config, { sink: { traffic() {}, alert() {} } });
  const control = new InProcessControl(engine, log ? { log } : {});
  return { engine, control };
}

/** The answer's code and message; a throw fails the test. */
async function answer(p: Promise<Result<unknown>>): Promise<[string, string]> {
  const r = await p;
  return r.ok ? ['ok', ''] : [r.error.code, r.error.message];
}

test('arguments of the wrong type or range (as JSON from a transport delivers them) are answered with what and where, never thrown', async () => {
  const { engine, control } = await setup();
  await engine.start();
  const c = control as unknown as Record<string, (...args: unknown[]) => Promise<Result<unknown>>>;
  try {
    const cases: Array<[string, unknown[], RegExp]> = [
      ['setServerState', [42, 's1', 'drain'], /^setServerState: backend must be a non-empty text, got 42 \(number\)\.$/],
      ['setServerState', ['app', null, 'drain'], /^setServerState: server must be a non-empty text, got null\.$/],
      ['setServerState', ['app', 's1', 'off'], /^setServerState: state must be one of ready, drain, maint, got "off" \(text\)\.$/],
      ['setServerWeight', ['app', 's1', '3'], /^setServerWeight: weight must be an integer from 0 to 256, got "3" \(text\)\.$/],
      ['setServerWeight', ['app', 's1', 2.5], /weight must be an integer from 0 to 256, got 2\.5/],
      ['setServerWeight', ['app', 's1', 300], /got 300/],
      ['validateConfig', [{ text: 'x' }], /^validateConfig: text must be text, got an object\.$/],
      ['applyConfig', [undefined], /^applyConfig: text must be text, got nothing\.$/],
      ['applyConfig', ['defaults\n', ''], /^applyConfig: name must be a non-empty text/],
      ['series', ['frontend', { resolution: 'second', count: 5 }], /^series: id must be frontend:NAME, backend:NAME or server:BACKEND\/SERVER, got "frontend"/],
      ['series', ['frontend:web', { resolution: 'hour', count: 5 }], /^series: range\.resolution must be one of second, minute/],
      ['series', ['frontend:web', { resolution: 'second', count: 901 }], /^series: range\.count must be an integer from 1 to 900, got 901/],
      ['series', ['frontend:web', 'last hour'], /^series: range must be an object, got "last hour"/],
      ['series', ['frontend:web', { resolution: 'minute', from: 'yesterday' }], /^series: range\.from must be a time in epoch milliseconds/],
      ['series', ['frontend:web', { resolution: 'minute', from: 5000, to: 1000 }], /^series: range\.from must be no later than range\.to/],
      ['timeline', ['app', 7], /^timeline: server must be a non-empty text, got 7/],
      ['timeline', ['app', 's1', { from: -1 }], /^timeline: range\.from must be a time/],
      ['checkResults', ['app', 's1', 0], /^checkResults: limit must be an integer from 1 to 10000, got 0/],
      ['recentEvents', ['10'], /^recentEvents: limit must be an integer/],
      ['stop', [-5], /^stop: graceMs must be an integer from 0 to 3600000/],
      ['certCaExport', ['zip'], /^certCaExport: format must be one of pem, der/],
      ['certIssue', [null], /^certIssue: request must be an object, got null/],
    ];
    for (const [method, args, message] of cases) {
      const [code, text] = await answer(c[method]!(...args));
      assert.equal(code, 'LS_ERR_CTL_BAD_VALUE', `${method}(${JSON.stringify(args)}): ${text}`);
      assert.match(text, message);
    }
    assert.deepEqual(await answer(control.setServerState('app', 'zz', 'drain')), ['LS_ERR_CTL_NOT_FOUND', "No such server 'zz' in backend 'app'."]);
    assert.equal((await answer(control.series('backend:nope', { resolution: 'second', count: 5 })))[0], 'LS_ERR_CTL_NOT_FOUND');
    assert.equal((await answer(control.timeline('nope', undefined)))[0], 'LS_ERR_CTL_NOT_FOUND');
    assert.equal((await answer(control.checkResults('app', 'nope')))[0], 'LS_ERR_CTL_NOT_FOUND');
    assert.throws(() => control.subscribe(['nope' as never], () => {}), /topics must be a non-empty list/);
  } finally {
    await engine.stop(100);
  }
});

test('an unexpected exception inside a method is answered as LS_ERR_CTL_INTERNAL and its stack logged once', async () => {
  const logged: string[] = [];
  const { engine, control } = await setup((m) => logged.push(m));
  engine.currentConfig = () => {
    throw new TypeError('the tables are gone');
  };
  const first = await control.status();
  assert.equal(first.ok, false);
  assert.equal(!first.ok && first.error.code, 'LS_ERR_CTL_INTERNAL');
  assert.match(!first.ok ? first.error.message : '', /status failed inside Loadstar \(the tables are gone\)/);
  assert.equal((await answer(control.status()))[0], 'LS_ERR_CTL_INTERNAL');
  assert.equal(logged.length, 1, 'the same failure is logged once');
  assert.match(logged[0]!, /TypeError: the tables are gone\n\s+at /);
});

test('a failure to start (the port is taken) is an answer and leaves the lifecycle failed, with the reason', async () => {
  const { engine, control } = await setup();
  const port = engine.currentConfig().proxies.find((p) => p.name === 'web')!.binds[0]!.addresses[0]!.port;
  const net = await import('node:net');
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
  try {
    const [code] = await answer(control.start());
    assert.equal(code, 'LS_ERR_ENG_BIND');
    const status = await control.status();
    assert.ok(status.ok);
    assert.equal(status.value.lifecycle.state, 'failed');
    assert.equal(status.value.lifecycle.lastError?.code, 'LS_ERR_ENG_BIND');
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
  const started = await control.start();
  assert.equal(started.ok && started.value.state, 'running', 'a failed engine can be started again');
  await control.stop(100);
});
