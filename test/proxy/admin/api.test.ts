import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROL_METHODS, controlRoute } from '../../../proxy/control/contract.ts';
import type { ControlMethodName } from '../../../proxy/control/contract.ts';
import { API_ROUTES, METHOD_ARITY } from '../../../proxy/admin/routes.ts';
import type { MethodArity } from '../../../proxy/admin/routes.ts';
import { fakeControl, adminWith, call, session } from './helpers.ts';

// Type tests: the arity table is held to the contract's signatures. Each assignment below must fail to compile.
const { status: _dropped, ...withoutStatus } = METHOD_ARITY;
// @ts-expect-error a contract method missing from the table
const missing: MethodArity = withoutStatus;
// @ts-expect-error a wrong maximum (setServerState takes exactly 3 arguments)
const wrongMax: MethodArity = { ...METHOD_ARITY, setServerState: [3, 4] };
// @ts-expect-error a wrong minimum (timeline's range is optional)
const wrongMin: MethodArity = { ...METHOD_ARITY, timeline: [3, 3] };
// @ts-expect-error a method the contract does not have
const extra: MethodArity = { ...METHOD_ARITY, reboot: [0, 0] };
void [_dropped, missing, wrongMax, wrongMin, extra];

test('every contract method has exactly one POST /api/<method> route, and nothing else is routed', () => {
  const methods = Object.keys(CONTROL_METHODS) as ControlMethodName[];
  assert.deepEqual([...API_ROUTES.keys()].sort(), methods.map((m) => controlRoute(m)).sort());
  for (const m of methods) assert.equal(API_ROUTES.get(`/api/${m}`)!.method, m);
  assert.deepEqual(API_ROUTES.get('/api/timeline'), { method: 'timeline', path: '/api/timeline', minArgs: 2, maxArgs: 3, mutates: false });
});

test('every method is reachable over HTTP with its largest argument list and answers its Result as JSON', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control });
  try {
    const s = await session(admin);
    for (const route of API_ROUTES.values()) {
      const args = Array.from({ length: route.maxArgs }, (_, i) => (i === 0 ? { n: i } : `a${i}`));
      const answer = await call(admin.port, 'POST', route.path, s.headers, JSON.stringify({ args }));
      assert.equal(answer.status, 200, `${route.path}: ${answer.body}`);
      assert.match(String(answer.headers['content-type']), /^application\/json/);
      assert.deepEqual(answer.json(), { ok: true, value: { method: route.method, args } });
    }
    assert.equal(control.calls.length, API_ROUTES.size);
  } finally {
    await admin.close();
  }
});

test('wrong argument counts, non-arrays, bad JSON and oversized bodies are refused with LS_ERR_CTL_BAD_REQUEST before the control is called', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control, bodyLimit: 1024 });
  try {
    const s = await session(admin);
    const cases: Array<[string, string, number, RegExp]> = [
      ['/api/setServerState', '{"args":["web","a"]}', 400, /setServerState takes 3 arguments, got 2/],
      ['/api/status', '{"args":[1]}', 400, /status takes 0 arguments, got 1/],
      ['/api/stop', '{"args":[1,2]}', 400, /stop takes 0 to 1 arguments, got 2/],
      ['/api/status', '{"args":{"0":1}}', 400, /"args" must be a JSON array/],
      ['/api/status', '[1,2]', 400, /must be a JSON object/],
      ['/api/status', '{"args":[', 400, /not JSON/],
      ['/api/validateConfig', JSON.stringify({ args: ['x'.repeat(2000)] }), 413, /larger than 1024 bytes/],
    ];
    for (const [path, body, status, message] of cases) {
      const answer = await call(admin.port, 'POST', path, s.headers, body);
      assert.equal(answer.status, status, `${path} ${body.slice(0, 40)}: ${answer.body}`);
      assert.equal(answer.json().error.code, 'LS_ERR_CTL_BAD_REQUEST');
      assert.match(answer.json().error.message, message);
    }
    const plain = await call(admin.port, 'POST', '/api/status', { ...s.headers, 'content-type': 'text/plain' }, '{"args":[]}');
    assert.equal(plain.status, 415);
    assert.equal(control.calls.length, 0);
  } finally {
    await admin.close();
  }
});

test('an unknown method is a 404 with LS_ERR_CTL_BAD_REQUEST; a GET on a method route is a 405', async () => {
  const admin = await adminWith({ control: fakeControl() });
  try {
    const s = await session(admin);
    const unknown = await call(admin.port, 'POST', '/api/reboot', s.headers, '{"args":[]}');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json().error.code, 'LS_ERR_CTL_BAD_REQUEST');
    const proto = await call(admin.port, 'POST', '/api/__proto__', s.headers, '{"args":[]}');
    assert.equal(proto.status, 404);
    const get = await call(admin.port, 'GET', '/api/status');
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
  } finally {
    await admin.close();
  }
});

test('a method that throws answers LS_ERR_CTL_INTERNAL, is logged with its stack, and the server keeps answering', async () => {
  const lines: string[] = [];
  const admin = await adminWith({ control: fakeControl(['stats']), log: (l) => lines.push(l) });
  try {
    const s = await session(admin);
    const failed = await call(admin.port, 'POST', '/api/stats', s.headers, '{"args":[]}');
    assert.equal(failed.status, 500);
    assert.equal(failed.json().error.code, 'LS_ERR_CTL_INTERNAL');
    assert.doesNotMatch(failed.body, /exploded/, 'no internals in the answer');
    assert.match(lines.join('\n'), /stats failed unexpectedly: Error: stats exploded\n\s+at /);
    const after = await call(admin.port, 'POST', '/api/status', s.headers, '{"args":[]}');
    assert.equal(after.status, 200);
  } finally {
    await admin.close();
  }
});
