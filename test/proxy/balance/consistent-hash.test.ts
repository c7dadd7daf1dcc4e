/**
 * Consistent hashing (lb_chash) versus map-based hashing: how many keys move when
 * a server leaves. The exact ring positions were checked against HAProxy through
 * the recorded uri/url_param/hdr/source/random orders (scenarios.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HashType } from '../../../proxy/config/model.ts';
import type { LbServer } from '../../../proxy/balance/index.ts';
import { hold, picks, pool, setUsable, setWeight } from './pool.ts';
import { findBackend, parseConfig } from '../../../proxy/config/index.ts';
import type { BalancingProxy } from '../../../proxy/config/model.ts';
import { RuntimeBackend } from '../../../proxy/runtime/backend.ts';

const CONSISTENT: HashType = { method: 'consistent', avalanche: false };
const KEYS = Array.from({ length: 1000 }, (_, i) => `/objects/${i}/${(i * 7919) % 1000}.bin`);

test('removing one of 4 servers moves at most 30% of 1,000 keys, and only its own', () => {
  const { b, s } = pool('uri', ['s1', 's2', 's3', 's4'], { hashType: CONSISTENT });
  const before = KEYS.map((uri) => b.pick({ uri })!.name);
  for (const name of ['s1', 's2', 's3', 's4']) {
    const share = before.filter((n) => n === name).length;
    assert.ok(share > 130 && share < 370, `${name} holds ${share} keys`);
  }
  setUsable(b, s.s2!, false);
  const after = KEYS.map((uri) => b.pick({ uri })!.name);
  const moved = KEYS.filter((_, i) => before[i] !== after[i]).length;
  assert.ok(moved <= 300, `${moved} keys moved`);
  const survivors = KEYS.filter((_, i) => before[i] !== 's2');
  const stayed = survivors.filter((_, j) => {
    const i = KEYS.indexOf(survivors[j]!);
    return before[i] === after[i];
  }).length;
  assert.equal(stayed, survivors.length, 'keys of the surviving servers stay where they were');
  assert.ok(!after.includes('s2'));

  setUsable(b, s.s2!, true);
  assert.deepEqual(KEYS.map((uri) => b.pick({ uri })!.name), before, 'back up: the original placement');
});

test('map-based hashing: the same key always goes to the same server, but a server leaving reshuffles most keys', () => {
  const { b, s } = pool('uri', ['s1', 's2', 's3', 's4']);
  const before = KEYS.map((uri) => b.pick({ uri })!.name);
  assert.deepEqual(KEYS.map((uri) => b.pick({ uri })!.name), before);
  setUsable(b, s.s2!, false);
  const moved = KEYS.filter((uri, i) => b.pick({ uri })!.name !== before[i]).length;
  assert.ok(moved > 500, `${moved} keys moved`);
});

test('ring shares follow the weights, and a weight change moves keys to or from that server only', () => {
  const { b, s } = pool('uri', ['a weight 1', 'b weight 3'], { hashType: CONSISTENT });
  const before = KEYS.map((uri) => b.pick({ uri })!.name);
  const a = before.filter((n) => n === 'a').length;
  assert.ok(a > 150 && a < 350, `a holds ${a}`);
  setWeight(b, s.a!, 6); // beyond its initial weight: HAProxy reallocates its ring points
  const after = KEYS.map((uri) => b.pick({ uri })!.name);
  KEYS.forEach((_, i) => { if (before[i] === 'a') assert.equal(after[i], 'a'); });
  assert.ok(after.filter((n) => n === 'a').length > 600);
});

test('hash-balance-factor bounds the load of a server', () => {
  const { b, s } = pool('uri', ['a', 'b', 'c'], { hashType: CONSISTENT, hashBalanceFactor: 125 });
  const key = { uri: '/hot' };
  const first = hold(b, key)!;
  // the hot key sticks to its server while that server stays within 125% of the average load
  const loads = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const srv = hold(b, key)!;
    loads.set(srv.name, (loads.get(srv.name) ?? 0) + 1);
  }
  assert.ok(loads.size === 3, 'the hot key spilled over to every server');
  assert.ok(first.served <= Math.ceil((31 * 1.25) / 3) + 1, `${first.name} serves ${first.served}`);
  assert.ok(s.a && s.b && s.c);
});

test('the round-robin fallback walks the ring and skips full servers', () => {
  const { b, s } = pool('url_param', ['a', 'b maxconn 1', 'c'], { hashType: CONSISTENT, balance: { param: 'id' } });
  const seen = new Set(picks(b, 60, { uri: '/' }));
  assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  s.b!.served = 1;
  assert.ok(!picks(b, 60, { uri: '/' }).includes('b'));
});

test('hash-balance-factor in defaults reaches the backend\'s balancer', () => {
  const text = (line: string) => `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n    balance uri\n    hash-type consistent\n${line}backend t\n    server a 127.0.0.1:81\n    server b 127.0.0.1:82\n    server c 127.0.0.1:83\n`;
  const spread = (line: string): number => {
    const r = parseConfig([{ name: 'b.cfg', text: text(line) }]);
    assert.ok(r.ok);
    const backend = new RuntimeBackend(findBackend(r.config, 't') as BalancingProxy);
    const used = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const srv = backend.balancer.pick({ uri: '/hot' })!;
      srv.served++;
      backend.balancer.taken(srv);
      used.add(srv.name);
    }
    return used.size;
  };
  assert.equal(spread(''), 1);
  assert.equal(spread('    hash-balance-factor 125\n'), 3);
});

test('a server added at run time takes its ring points from id 0 (HAProxy allocates them before numbering it), or from its own id keyword', () => {
  // Recorded from haproxy 2.6.12: `balance uri`, `hash-type consistent`, s1 weight 1, s2 weight 2, then
  // `add server be/s3 … weight 3` and `enable server be/s3`: "/" went to s2, then to s3; after `del server`, to s2 again.
  const { b } = pool('uri', ['s1 weight 1', 's2 weight 2'], { hashType: CONSISTENT });
  const root = { uri: '/' };
  assert.deepEqual(picks(b, 2, root), ['s2', 's2']);
  const s3: LbServer = { name: 's3', id: 3, backup: false, weight: 3, usable: false, served: 0, maxconn: 0, maxqueue: 0, queued: 0 };
  b.add!(s3, 0);
  assert.deepEqual(picks(b, 2, root), ['s2', 's2']);
  setUsable(b, s3, true);
  assert.deepEqual(picks(b, 2, root), ['s3', 's3']);
  setUsable(b, s3, false);
  b.remove!(s3);
  assert.deepEqual(picks(b, 2, root), ['s2', 's2']);
  // With its own id (placed as a configured server numbered 3 would be), "/" stays with s2.
  const again: LbServer = { ...s3, usable: false };
  b.add!(again, 3);
  setUsable(b, again, true);
  assert.deepEqual(picks(b, 2, root), ['s2', 's2']);
});
