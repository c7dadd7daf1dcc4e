/** The Overview's words about the built-in demo (renderer/src/lib/demo.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoNotice } from '../../../renderer/src/lib/demo.ts';
import type { FrontendStatus } from '../../../proxy/control/contract.ts';

const demoFrontend: FrontendStatus = {
  name: 'demo', mode: 'http', current: 0,
  binds: [{ address: '127.0.0.1', port: 8080, tls: false, listening: true }],
  routes: [{ backend: 'demo-api', condition: 'is_api' }], defaultBackend: 'demo-web',
};
const servers = ['demo-web/demo-web1', 'demo-web/demo-web2', 'demo-api/demo-api1'];

test('the demo alone: said to be the built-in demo, what it is (demo servers on 127.0.0.1) and where to open it', () => {
  const notice = demoNotice({ demo: { only: true, servers }, frontends: [demoFrontend] })!;
  assert.equal(notice.kind, 'only');
  assert.equal(notice.title, 'This is the built-in demo configuration');
  assert.match(notice.text, /demo-web1, demo-web2 and demo-api1\) that Loadstar runs itself on 127\.0\.0\.1/);
  assert.deepEqual(notice.urls, ['http://127.0.0.1:8080/']);
  assert.deepEqual([notice.backends, notice.frontends], [['demo-web', 'demo-api'], ['demo']]);
});

test("next to the user's own servers: what is left of the demo and what to remove; none without demo servers", () => {
  const mine: FrontendStatus = { name: 'site', mode: 'http', current: 0, binds: [{ address: '0.0.0.0', port: 80, tls: false, listening: true }], routes: [], defaultBackend: 'nas' };
  const notice = demoNotice({ demo: { only: false, servers }, frontends: [demoFrontend, mine] })!;
  assert.equal(notice.kind, 'partly');
  assert.match(notice.text, /backends demo-web and demo-api still hold .* Remove them and frontend demo when you no longer need the demo\./);
  assert.deepEqual(notice.urls, ['http://127.0.0.1:8080/'], 'not the user\'s site');
  assert.equal(demoNotice({ frontends: [mine] }), undefined);
});
