import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBalancer, resetRandom } from '../../../proxy/balance/index.ts';
import type { LbServer, LbRequest } from '../../../proxy/balance/index.ts';
import { peekPick } from '../../../proxy/balance/peek.ts';
import type { BalanceAlgorithm, Balance } from '../../../proxy/config/model.ts';

const loc = { file: 't', line: 1, column: 1 };

function servers(): LbServer[] {
  return [
    { name: 'a', id: 1, backup: false, weight: 3, usable: true, served: 0, maxconn: 0, queued: 0 },
    { name: 'b', id: 2, backup: false, weight: 1, usable: true, served: 0, maxconn: 0, queued: 0 },
    { name: 'c', id: 3, backup: false, weight: 2, usable: true, served: 0, maxconn: 0, queued: 0 },
    { name: 'd', id: 4, backup: true, weight: 1, usable: true, served: 0, maxconn: 0, queued: 0 },
  ];
}

const requests: LbRequest[] = Array.from({ length: 24 }, (_, i) => ({
  source: `192.168.1.${i % 7}`,
  uri: `/page/${i % 5}?user=${i % 3}`,
  header: (name: string) => (name.toLowerCase() === 'host' ? `site${i % 4}.example` : undefined),
}));

const cases: Array<[BalanceAlgorithm, Partial<Balance>, boolean]> = [
  ['roundrobin', {}, false], ['static-rr', {}, false], ['leastconn', {}, false], ['first', {}, false],
  ['source', {}, false], ['source', {}, true], ['uri', {}, false], ['url_param', { param: 'user' }, false], ['hdr', { header: 'host' }, true],
  ['random', {}, false],
];

test('a peek names the server the next real pick takes, and peeking changes no pick that follows', () => {
  for (const [algorithm, extra, consistent] of cases) {
    const options = {
      balance: { algorithm, loc, ...extra } as Balance,
      hashType: consistent ? { method: 'consistent' as const, avalanche: false } : undefined,
      allBackups: false,
    };
    const peeked = servers();
    const control = servers();
    const withPeeks = createBalancer(peeked, options);
    const plain = createBalancer(control, options);
    requests.forEach((req, i) => {
      // random shares one process-wide sequence: both balancers start each pick from the same point.
      resetRandom(1000 + i);
      // Some connections stay open so leastconn and first see load.
      const look = peekPick(withPeeks, peeked, req);
      peekPick(withPeeks, peeked, req);
      const real = withPeeks.pick(req);
      resetRandom(1000 + i);
      const expected = plain.pick(req);
      assert.equal(look, real, `${algorithm} pick ${i}: peek and pick agree`);
      assert.equal(real?.name, expected?.name, `${algorithm} pick ${i}: same order as without peeks`);
      for (const [list, b, s] of [[peeked, withPeeks, real], [control, plain, expected]] as const) {
        if (!s || i % 3 === 0) continue;
        s.served++;
        b.taken(s);
        if (i % 2 === 0) { s.served--; b.released(s); }
        void list;
      }
    });
    assert.deepEqual(peeked.map((s) => s.served), control.map((s) => s.served), `${algorithm}: no live counter moved`);
  }
});

test('a peek sees servers marked down like a real pick does', () => {
  const list = servers();
  const b = createBalancer(list, { balance: { algorithm: 'roundrobin', loc }, allBackups: false });
  for (const s of list.slice(0, 3)) { s.usable = false; b.update(s); }
  assert.equal(peekPick(b, list, {})?.name, 'd');
  list[3]!.usable = false;
  b.update(list[3]!);
  assert.equal(peekPick(b, list, {}), undefined);
});
