/** The registry: every `balance` keyword has a balancer built from the same interface. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balancers, createBalancer, slowstartSixteenths } from '../../../proxy/balance/index.ts';
import type { LbServer } from '../../../proxy/balance/index.ts';
import type { BalanceAlgorithm } from '../../../proxy/config/model.ts';

const ALL: BalanceAlgorithm[] = ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param', 'hdr', 'random', 'rdp-cookie', 'hash'];
const loc = { file: 'x', line: 1, column: 1 } as never;

test('every balance keyword is registered and balances over usable servers only', () => {
  assert.deepEqual(Object.keys(balancers).sort(), [...ALL].sort());
  for (const algorithm of ALL) {
    const servers: LbServer[] = ['a', 'b', 'c'].map((name, i) => ({ name, id: i + 1, backup: false, weight: i === 2 ? 0 : 1, usable: name !== 'b', served: 0, maxconn: 0, queued: 0 }));
    const b = createBalancer(servers, { balance: { algorithm, loc, header: 'x', param: 'p' }, allBackups: false });
    for (let i = 0; i < 20; i++) assert.equal(b.pick({ source: `10.0.0.${i}`, uri: `/${i}?p=${i}`, header: () => `${i}`, rdpCookie: `${i}` })?.name, 'a', algorithm);
    assert.ok(b.totalWeight > 0);
    servers[0]!.usable = false;
    b.update(servers[0]!);
    assert.equal(b.pick({}), undefined, algorithm);
    assert.equal(b.totalWeight, 0);
    assert.throws(() => b.update({ ...servers[0]! }), /not part of this balancer/);
  }
});

test('slow start ramps the weight in sixteenths over whole seconds', () => {
  assert.equal(slowstartSixteenths(0, 60_000), 1);
  assert.equal(slowstartSixteenths(3_999, 60_000), 1);
  assert.equal(slowstartSixteenths(4_000, 60_000), 2);
  assert.equal(slowstartSixteenths(30_000, 60_000), 9);
  assert.equal(slowstartSixteenths(59_999, 60_000), 16);
  assert.equal(slowstartSixteenths(60_000, 60_000), 16);
  assert.equal(slowstartSixteenths(1_000, 1_500), 9); // 1.5 s rounds up to 2 s: (16 + 2) / 2
  assert.equal(slowstartSixteenths(10, 0), 16);
});
