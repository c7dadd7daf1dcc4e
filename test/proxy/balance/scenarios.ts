/**
 * Pick-order scenarios with the order real HAProxy produced (HAProxy 2.6.12,
 * `nbthread 1`), recorded by running each scenario on a live HAProxy through
 * `differential.ts` (X-Server: %s on every response, runtime API for
 * down/up/drain/weight, held requests to load or fill servers). The algorithm
 * tests assert that Loadstar produces the same order offline;
 * `against-haproxy.test.ts` replays every scenario on the installed HAProxy and
 * asserts HAProxy still produces it.
 */
import type { Scenario, Step } from './differential.ts';

export interface Recorded extends Scenario {
  /** HAProxy's picks, space-separated (`<queued>`: no server took it, it waited in a queue). */
  expected: string;
}

const W123 = ['s1 weight 1', 's2 weight 2', 's3 weight 3'];
const FOUR = ['s1', 's2', 's3', 's4'];
const REDISPATCH = ['retries 1', 'option redispatch'];

const gets = (n: number, f: (i: number) => string): Step[] => Array.from({ length: n }, (_, i) => {
  const path = f(i);
  const m = /^\w+:\/\/([^/?]+)/.exec(path);
  return m ? { get: path, headers: { Host: m[1]! } } : { get: path };
});
const withHeader = (n: number, name: string, f: (i: number) => string): Step[] =>
  Array.from({ length: n }, (_, i) => ({ get: '/', headers: { [name]: f(i) } }));
const fromClients = (n: number): Step[] => Array.from({ length: n }, (_, i) => ({ get: '/', from: `127.0.${i % 3}.${(i * 37) % 250 + 1}` }));
const uris = (n: number): Step[] => gets(n, (i) => `/dir${i % 5}/sub${i}/file${i * 7}.html?q=${i}&id=${i % 4}`);
const holds = (n: number, prefix: string): Step[] => Array.from({ length: n }, (_, i) => ({ hold: `${prefix}${i}` }));
const holdsOf = (n: number, prefix: string, path: string): Step[] => Array.from({ length: n }, (_, i) => ({ hold: `${prefix}${i}`, path }));

export const roundrobin: Recorded[] = [
  { name: 'roundrobin with weights 1, 2, 3', expected: 's3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2', lines: ['balance roundrobin'], servers: W123, steps: [{ get: '/', times: 24 }] },
  { name: 'roundrobin with a server going down and back up', expected: 's3 s2 s3 s1 s3 s2 s2 s2 s2 s1 s2 s2 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3', lines: ['balance roundrobin'], servers: W123,
    steps: [{ get: '/', times: 5 }, { down: 's3' }, { get: '/', times: 7 }, { up: 's3' }, { get: '/', times: 14 }] },
  { name: 'roundrobin with weights changed at runtime', expected: 's3 s2 s3 s1 s3 s2 s1 s3 s1 s2 s1 s3 s1 s1 s3 s2 s1 s3 s1 s1 s2 s1 s1 s2 s1 s1 s1 s2 s1 s3 s1 s2 s1 s1 s3 s1 s2 s1', lines: ['balance roundrobin'], servers: W123,
    steps: [{ get: '/', times: 4 }, { weight: 's1', to: 5 }, { get: '/', times: 14 }, { weight: 's3', to: 0 }, { get: '/', times: 8 }, { weight: 's3', to: 2 }, { get: '/', times: 12 }] },
  { name: 'roundrobin skips a full server and gives it its turns back', expected: 's3 s2 s3 s1 s3 s3 s3 s1 s3 s3 s3 s1 s3 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3', lines: ['balance roundrobin'], servers: ['s1 weight 1', 's2 weight 2 maxconn 1', 's3 weight 3'],
    steps: [{ get: '/' }, { hold: 'a' }, { get: '/', times: 12 }, { release: 'a' }, { get: '/', times: 12 }] },
  { name: 'roundrobin with several full servers', expected: 'a b c b d d d d d d d a a a a a a d d d d d d d d d d b c b b c d b c b b c d b c b', lines: ['balance roundrobin'], servers: ['a weight 5 maxconn 1', 'b weight 3 maxconn 2', 'c weight 2 maxconn 1', 'd weight 1'],
    steps: [...holds(4, 'h'), { get: '/', times: 7 }, { release: 'h0' }, { get: '/', times: 5 }, { hold: 'x1' }, { hold: 'x2' }, { get: '/', times: 9 }, { release: 'h1' }, { release: 'h2' }, { get: '/', times: 15 }] },
  { name: 'roundrobin over seven servers with weights up to 256', expected: 's5 s5 s5 s5 s4 s5 s5 s5 s3 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s2 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s3 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s7 s5 s4 s5 s5 s5 s5 s5 s4 s5 s3 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s2 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s5 s4 s3 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s1 s5 s4 s5 s5 s5 s5 s5 s4 s3 s5 s5 s5 s5 s5 s4 s2 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s3 s5 s5 s4 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s4 s5 s5 s5 s5 s7 s3 s5 s5 s4 s5 s2 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s3 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s2 s5 s3 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s3 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s4 s5 s5 s5 s2 s5 s5 s5 s4 s3 s5 s5 s5 s5 s5 s4 s5 s7 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s3 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s5 s4 s5 s5 s2 s5 s5 s4 s5 s5 s5 s5 s3 s5 s5 s4 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s3 s5', lines: ['balance roundrobin'],
    servers: ['s1 weight 1', 's2 weight 7', 's3 weight 13', 's4 weight 50', 's5 weight 256', 's6 weight 0', 's7 weight 3'], steps: [{ get: '/', times: 340 }] },
  { name: 'roundrobin through weight changes, down, drain and up', expected: 's5 s5 s5 s5 s4 s5 s5 s5 s3 s5 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s5 s2 s5 s4 s5 s5 s5 s5 s5 s4 s5 s5 s5 s3 s5 s5 s4 s4 s7 s4 s4 s1 s4 s4 s4 s4 s4 s4 s4 s4 s4 s4 s4 s3 s4 s4 s5 s4 s4 s3 s7 s3 s3 s2 s3 s3 s2 s7 s3 s2 s6 s3 s6 s3 s2 s6 s3 s7 s3 s2 s6 s5 s3 s6 s3 s2 s3 s6 s7 s2 s3 s6 s3 s5 s2 s3 s6 s3 s6 s4 s4 s4 s4 s2 s7 s3 s4 s4 s6 s4 s5 s4 s3 s4 s4 s4 s1 s2 s1 s6 s4 s3 s1 s1 s4 s1 s1 s4 s1 s1 s4 s1 s1 s4 s3 s7 s1 s1 s4 s1 s6 s5 s1 s4 s1 s1 s2 s4 s1 s1 s4 s3 s1 s1 s4 s1 s1 s4 s1 s1 s4 s6 s1 s3 s1 s4 s1 s1 s4 s1 s1 s2 s4 s1 s1 s4 s3 s4 s4 s6 s4 s4 s3 s4 s4 s1 s1 s4 s1 s6 s3 s1 s4 s1 s1 s4 s1 s7 s1 s4 s1 s5 s1 s4 s3 s1 s1 s4 s1 s1 s6 s4 s1 s1 s4 s1 s1 s4 s3 s1 s1 s4 s1 s1 s4 s1 s1 s4 s1 s6 s1 s3 s4 s1 s1 s4 s1 s1 s4 s1 s1 s4 s1 s3 s1 s4 s1 s1 s4 s6 s1 s1 s4 s1 s1 s7 s4 s1 s3 s1 s4 s5 s1 s1 s4', lines: ['balance roundrobin'],
    servers: ['s1 weight 1', 's2 weight 7', 's3 weight 13', 's4 weight 50', 's5 weight 256', 's6 weight 0', 's7 weight 3'],
    steps: [{ get: '/', times: 37 }, { weight: 's5', to: 3 }, { get: '/', times: 23 }, { down: 's4' }, { get: '/', times: 11 }, { weight: 's6', to: 9 },
      { get: '/', times: 29 }, { up: 's4' }, { get: '/', times: 17 }, { weight: 's1', to: 100 }, { get: '/', times: 60 }, { drain: 's1' }, { get: '/', times: 9 },
      { up: 's1' }, { weight: 's2', to: 0 }, { get: '/', times: 40 }, { weight: 's2', to: 1 }, { get: '/', times: 40 }] },
  { name: 'roundrobin with equal weights', expected: 'a b c d a b c d a c d a c d b a c d b a d c b a c c d c b a c c', lines: ['balance roundrobin'], servers: ['a', 'b', 'c', 'd'],
    steps: [{ get: '/', times: 6 }, { down: 'b' }, { get: '/', times: 5 }, { up: 'b' }, { get: '/', times: 9 }, { weight: 'c', to: 3 }, { get: '/', times: 12 }] },
  { name: 'roundrobin uses only the first backup', expected: 's1 s2 s1 s2 b1 b1 b1 b1 b1 b2 b2 b2 b1 b1 b1 s2 s2 s2', lines: ['balance roundrobin'], servers: ['s1', 's2', 'b1 backup weight 2', 'b2 backup weight 3'],
    steps: [{ get: '/', times: 4 }, { down: 's1' }, { down: 's2' }, { get: '/', times: 5 }, { down: 'b1' }, { get: '/', times: 3 }, { up: 'b1' }, { get: '/', times: 3 }, { up: 's2' }, { get: '/', times: 3 }] },
  { name: 'roundrobin with allbackups balances the backups', expected: 's1 s1 b2 b2 b1 b2 b1 b2 b2 b1 b2 b1 s1 s1', lines: ['balance roundrobin', 'option allbackups'], servers: ['s1', 'b1 backup weight 2', 'b2 backup weight 3'],
    steps: [{ get: '/', times: 2 }, { down: 's1' }, { get: '/', times: 10 }, { up: 's1' }, { get: '/', times: 2 }] },
  { name: 'roundrobin during slow start', expected: 's1 s2 s1 s2 s3 s2 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s1 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3 s2 s1 s2 s3 s2 s2 s3 s2 s2 s3 s2 s2 s3', lines: ['balance roundrobin'], servers: ['s1 weight 10 slowstart 60s', 's2 weight 10', 's3 weight 5'],
    steps: [{ get: '/', times: 5 }, { down: 's1' }, { get: '/', times: 3 }, { up: 's1', warmup: 1 }, { get: '/', times: 60 }] },
  { name: 'roundrobin redispatches away from a dead server', expected: 's3 s3 s1 s3 s3 s3 s1 s3 s3 s3 s1 s3 s3 s3 s1 s3 s3 s3 s1 s3', lines: ['balance roundrobin', ...REDISPATCH], servers: ['s1 weight 1', 's2 weight 2 dead', 's3 weight 3'],
    steps: [{ get: '/', times: 20 }] },
];

export const staticRr: Recorded[] = [
  { name: 'static-rr with weights 1, 2, 3', expected: 's1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3', lines: ['balance static-rr'], servers: W123, steps: [{ get: '/', times: 24 }] },
  { name: 'static-rr with a server going down and back up', expected: 's1 s3 s2 s3 s2 s1 s2 s2 s1 s2 s2 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2', lines: ['balance static-rr'], servers: W123,
    steps: [{ get: '/', times: 5 }, { down: 's3' }, { get: '/', times: 7 }, { up: 's3' }, { get: '/', times: 14 }] },
  { name: 'static-rr divides the weights by their GCD', expected: 's1 s3 s2 s3 s2 s3 s3 s1 s3 s2 s3 s2 s3 s3', lines: ['balance static-rr'], servers: ['s1 weight 10', 's2 weight 20', 's3 weight 40'], steps: [{ get: '/', times: 14 }] },
  { name: 'static-rr skips a full server', expected: 's1 s3 s2 s3 s3 s1 s3 s3 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3', lines: ['balance static-rr'], servers: ['s1 weight 1', 's2 weight 2 maxconn 1', 's3 weight 3'],
    steps: [{ get: '/', times: 2 }, { hold: 'a' }, { get: '/', times: 8 }, { release: 'a' }, { get: '/', times: 8 }] },
  { name: 'static-rr with a weight set to 0% and back to 100%', expected: 's1 s3 s2 s3 s1 s2 s2 s1 s2 s2 s3 s2 s3 s1 s3 s2 s3 s2', lines: ['balance static-rr'], servers: W123,
    steps: [{ get: '/', times: 4 }, { weight: 's3', to: 0 }, { get: '/', times: 5 }, { weight: 's3', to: 3 }, { get: '/', times: 9 }] },
  { name: 'static-rr fills the first backup slots with the other backups too', expected: 's1 s1 b2 b1 b2 b1 b2 b1 b2 b1', lines: ['balance static-rr'], servers: ['s1', 'b1 backup weight 2', 'b2 backup weight 3'],
    steps: [{ get: '/', times: 2 }, { down: 's1' }, { get: '/', times: 8 }] },
  { name: 'static-rr with allbackups', expected: 's1 s1 b2 b1 b2 b2 b1 b2 b1 b2 b2 b1', lines: ['balance static-rr', 'option allbackups'], servers: ['s1', 'b1 backup weight 2', 'b2 backup weight 3'],
    steps: [{ get: '/', times: 2 }, { down: 's1' }, { get: '/', times: 10 }] },
  { name: 'static-rr ignores slow start', expected: 's1 s1 s1 s2 s1 s1 s1 s2', lines: ['balance static-rr'], servers: ['s1 weight 3 slowstart 60s', 's2 weight 1'],
    steps: [{ down: 's1' }, { up: 's1', warmup: 1 }, { get: '/', times: 8 }] },
  { name: 'static-rr redispatches away from a dead server', expected: 's1 s3 s3 s3 s1 s3 s3 s3 s1 s3 s3 s3 s1 s3 s3 s3 s1 s3 s3 s3', lines: ['balance static-rr', ...REDISPATCH], servers: ['s1 weight 1', 's2 weight 2 dead', 's3 weight 3'],
    steps: [{ get: '/', times: 20 }] },
];

export const leastconn: Recorded[] = [
  { name: 'leastconn takes turns among idle servers and then follows the load', expected: 's1 s2 s3 s1 s2 s3 s1 s2 s3 s1 s3 s2 s3 s3 s2 s2 s2 s3 s3 s3 s1 s1 s1 s1', lines: ['balance leastconn'], servers: W123,
    steps: [{ get: '/', times: 7 }, ...holds(7, 'h'), { get: '/', times: 3 }, { release: 'h1' }, { get: '/', times: 3 }, { release: 'h0' }, { release: 'h2' }, { get: '/', times: 4 }] },
  { name: 'leastconn with a server down and a weight change', expected: 's1 s2 s3 s3 s3 s3 s3 s3 s3 s2 s2 s1 s3 s2', lines: ['balance leastconn'], servers: W123,
    steps: [{ hold: 'a' }, { hold: 'b' }, { hold: 'c' }, { down: 's1' }, { get: '/', times: 3 }, { up: 's1' }, { get: '/', times: 3 }, { weight: 's3', to: 1 }, { hold: 'd' }, { hold: 'e' }, { get: '/', times: 3 }] },
  { name: 'leastconn skips full servers', expected: 's1 s2 s3 s2 s3 s3 s3 s3', lines: ['balance leastconn'], servers: ['s1 maxconn 1', 's2 maxconn 2', 's3'],
    steps: [...holds(5, 'h'), { get: '/', times: 3 }] },
  { name: 'leastconn weighs the load', expected: 'a b c b c b b c b a c b b b b b b b b b a a a a a a a', lines: ['balance leastconn'], servers: ['a weight 1', 'b weight 3', 'c weight 2'],
    steps: [...holds(12, 'h'), { get: '/', times: 4 }, { release: 'h0' }, { release: 'h1' }, { release: 'h5' }, { get: '/', times: 4 }, { weight: 'a', to: 4 }, { hold: 'x1' }, { hold: 'x2' }, { hold: 'x3' }, { get: '/', times: 4 }] },
  { name: 'leastconn uses only the first backup', expected: 'a a b1 b1 b1 b1 b2 b2', lines: ['balance leastconn'], servers: ['a', 'b1 backup', 'b2 backup'],
    steps: [{ get: '/', times: 2 }, { down: 'a' }, { hold: 'h1' }, { get: '/', times: 3 }, { down: 'b1' }, { get: '/', times: 2 }] },
  { name: 'leastconn with allbackups', expected: 'a a b1 b2 b2 b2 b2 b1 b2 b2 b2', lines: ['balance leastconn', 'option allbackups'], servers: ['a', 'b1 backup', 'b2 backup'],
    steps: [{ get: '/', times: 2 }, { down: 'a' }, { hold: 'h1' }, { get: '/', times: 3 }, { hold: 'h2' }, { hold: 'h3' }, { get: '/', times: 3 }] },
  { name: 'leastconn during slow start', expected: 's2 s1 s2 s2 s1', lines: ['balance leastconn'], servers: ['s1 weight 10 slowstart 60s', 's2 weight 1'],
    steps: [{ down: 's1' }, { up: 's1', warmup: 1 }, ...holds(5, 'h')] },
  { name: 'leastconn redispatches away from a dead server', expected: 's1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1 s3 s1', lines: ['balance leastconn', ...REDISPATCH], servers: ['s1', 's2 dead', 's3'],
    steps: [{ get: '/', times: 9 }, { hold: 'a' }, { hold: 'b' }, { get: '/', times: 4 }] },
];

export const first: Recorded[] = [
  { name: 'first fills servers in id order', expected: 's1 s1 s1 s1 s1 s1 s1 s2 s3 s3 s3 s3 s1 s1', lines: ['balance first'], servers: ['s1 maxconn 2', 's2 maxconn 1', 's3 maxconn 2'],
    steps: [{ get: '/', times: 3 }, { hold: 'a' }, { get: '/', times: 2 }, { hold: 'b' }, { hold: 'c' }, { get: '/', times: 2 }, { down: 's2' }, { hold: 'd' }, { get: '/' }, { release: 'a' }, { get: '/', times: 2 }] },
  { name: 'first follows explicit and automatic ids', expected: 's3 s2 s1 s4', lines: ['balance first'], servers: ['s1 maxconn 1 id 5', 's2 maxconn 1', 's3 maxconn 1 id 2', 's4 maxconn 1'],
    steps: holds(4, 'h') },
  { name: 'first with a weight-0 server, backups and queueing', expected: 'a c a b1 b1 b1 b b b <queued> <queued>', lines: ['balance first'],
    servers: ['a maxconn 1', 'b maxconn 1 weight 0', 'c maxconn 1', 'b1 backup maxconn 1', 'b2 backup maxconn 1'],
    steps: [{ hold: 'h1' }, { get: '/' }, { release: 'h1' }, { get: '/' }, { down: 'a' }, { down: 'c' }, { get: '/', times: 2 }, { hold: 'h3' }, { weight: 'b', to: 1 }, { get: '/', times: 2 }, { hold: 'h4' }, { hold: 'h5' }, { hold: 'h6' }] },
  { name: 'first with allbackups', expected: 'b1 b2 b2', lines: ['balance first', 'option allbackups'], servers: ['a maxconn 1', 'b1 backup maxconn 1', 'b2 backup maxconn 1'],
    steps: [{ down: 'a' }, { hold: 'h1' }, { get: '/', times: 2 }] },
  { name: 'first redispatches away from a dead server', expected: 's2 s2 s2', lines: ['balance first', ...REDISPATCH], servers: ['s1 dead', 's2', 's3'], steps: [{ get: '/', times: 3 }] },
];

export const source: Recorded[] = [
  { name: 'source over a map with weights 1, 2, 3', expected: 's3 s2 s3 s2 s3 s1 s3 s1 s3 s2 s3 s2 s3 s1 s3 s1 s3 s2 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s2 s3 s3 s3 s1 s3 s3 s3 s3 s3 s1 s3 s3 s3 s1 s3', lines: ['balance source'], servers: W123, steps: [...fromClients(30), { down: 's2' }, ...fromClients(15)] },
  { name: 'source with consistent hashing', expected: 's4 s2 s3 s1 s1 s2 s3 s2 s2 s2 s3 s2 s1 s3 s4 s1 s1 s1 s1 s4 s1 s4 s1 s3 s1 s3 s4 s3 s1 s4 s4 s3 s3 s1 s1 s4 s3 s4 s1 s1 s3 s3 s1 s3 s4 s1 s1 s1 s1 s4 s1 s4 s1 s3 s1 s3 s4 s3 s1 s4', lines: ['balance source', 'hash-type consistent'], servers: FOUR, steps: [...fromClients(30), { down: 's2' }, ...fromClients(30)] },
  { name: 'source with avalanche', expected: 's4 s2 s4 s4 s3 s3 s3 s2 s1 s2 s1 s2 s4 s3 s2 s4 s4 s4 s2 s3 s4 s3 s3 s1 s2 s1 s3 s4 s2 s3', lines: ['balance source', 'hash-type map-based sdbm avalanche'], servers: FOUR, steps: fromClients(30) },
];

export const uri: Recorded[] = [
  { name: 'uri hashes the path before the query', expected: 's3 s2 s2 s2 s3 s1 s2 s3 s3 s3 s3 s1 s2 s2 s3 s3 s3 s1 s2 s2 s2 s3 s3 s3 s2 s3 s3 s1 s2 s3', lines: ['balance uri'], servers: W123, steps: uris(30) },
  { name: 'uri whole hashes the query too', expected: 's2 s3 s3 s3 s2 s3 s3 s2 s2 s2 s3 s2 s1 s1 s3 s3 s3 s1 s2 s2 s3 s2 s2 s2 s3 s2 s2 s3 s3 s1', lines: ['balance uri whole'], servers: W123, steps: uris(30) },
  { name: 'uri with len and depth', expected: 's4 s1 s2 s3 s4 s4 s1 s2 s3 s4 s4 s1 s2 s3 s4 s4 s1 s2 s3 s4 s4 s1 s2 s3 s4 s4 s1 s2 s3 s4', lines: ['balance uri len 9 depth 2'], servers: FOUR, steps: uris(30) },
  { name: 'uri with depth 1', expected: 's3 s4 s1 s2 s3 s3 s4 s1 s2 s3 s3 s4 s1 s2 s3 s3 s4 s1 s2 s3 s3 s4 s1 s2 s3 s3 s4 s1 s2 s3', lines: ['balance uri depth 1'], servers: FOUR, steps: uris(30) },
  { name: 'uri path-only drops the scheme and authority', expected: 's4 s1 s1 s1 s2 s3 s3 s4 s4 s4 s1 s2 s3 s4 s1 s2 s3 s4 s1 s2', lines: ['balance uri path-only'], servers: FOUR,
    steps: [...uris(10), ...gets(10, (i) => `http://h${i}.example.com/p${i}/x?y=${i}`)] },
  { name: 'uri hashes an absolute URI as sent', expected: 's4 s4 s4 s1 s1 s1 s2 s2 s2 s3 s2 s2', lines: ['balance uri'], servers: FOUR, steps: gets(12, (i) => `http://h${i}.example.com/p${i % 3}/x?y=${i}`) },
  { name: 'uri with djb2', expected: 's3 s4 s4 s4 s1 s4 s4 s1 s1 s1 s3 s4 s4 s4 s1 s3 s3 s4 s4 s4 s2 s3 s3 s3 s4 s3 s3 s4 s4 s3', lines: ['balance uri', 'hash-type map-based djb2'], servers: FOUR, steps: uris(30) },
  { name: 'uri with wt6', expected: 's1 s2 s3 s3 s3 s1 s1 s4 s4 s2 s4 s1 s3 s1 s4 s3 s2 s4 s3 s2 s3 s3 s1 s2 s1 s4 s4 s3 s2 s4', lines: ['balance uri', 'hash-type map-based wt6'], servers: FOUR, steps: uris(30) },
  { name: 'uri with crc32', expected: 's2 s2 s2 s4 s4 s3 s4 s4 s3 s2 s3 s4 s4 s2 s3 s3 s4 s1 s1 s3 s3 s3 s2 s4 s1 s2 s2 s3 s4 s2', lines: ['balance uri', 'hash-type map-based crc32'], servers: FOUR, steps: uris(30) },
  { name: 'uri with crc32 and avalanche', expected: 's3 s1 s3 s1 s1 s1 s2 s4 s1 s3 s3 s2 s3 s3 s3 s3 s2 s4 s1 s4 s1 s2 s4 s4 s4 s2 s1 s3 s1 s1', lines: ['balance uri', 'hash-type map-based crc32 avalanche'], servers: FOUR, steps: uris(30) },
  { name: 'uri with consistent hashing through down, up and weight changes', expected: 's3 s1 s2 s1 s3 s3 s1 s3 s3 s3 s2 s2 s3 s2 s1 s2 s2 s1 s2 s2 s2 s3 s3 s3 s2 s2 s1 s1 s2 s3 s2 s1 s2 s1 s2 s2 s1 s2 s2 s2 s2 s2 s2 s2 s1 s2 s2 s1 s2 s2 s2 s2 s2 s2 s2 s2 s1 s1 s2 s2 s3 s1 s2 s1 s1 s3 s1 s1 s1 s1 s1 s1 s1 s1 s1 s2 s1 s1 s1 s2 s2 s3 s1 s3 s2 s2 s1 s1 s2 s1', lines: ['balance uri', 'hash-type consistent'], servers: W123,
    steps: [...uris(30), { down: 's3' }, ...uris(30), { up: 's3' }, { weight: 's1', to: 7 }, ...uris(30)] },
  { name: 'uri with consistent djb2', expected: 's2 s4 s3 s3 s3 s4 s1 s1 s2 s4 s2 s3 s2 s4 s1 s3 s3 s3 s3 s1 s3 s1 s1 s1 s4 s1 s1 s4 s2 s3', lines: ['balance uri whole', 'hash-type consistent djb2'], servers: FOUR, steps: uris(30) },
  { name: 'uri with consistent wt6 and avalanche', expected: 's1 s4 s4 s1 s4 s1 s4 s4 s1 s4 s3 s4 s1 s1 s4 s1 s3 s3 s3 s4 s4 s3 s1 s1 s2 s4 s1 s4 s1 s4', lines: ['balance uri whole', 'hash-type consistent wt6 avalanche'], servers: FOUR, steps: uris(30) },
  { name: 'uri with consistent hashing during slow start', expected: 's3 s3 s2 s3 s3 s2 s2 s3 s3 s3 s2 s2 s3 s2 s2 s3 s3 s3 s2 s2 s3 s3 s2 s1 s2 s2 s2 s2 s2 s3', lines: ['balance uri', 'hash-type consistent'], servers: ['s1 weight 4 slowstart 60s', 's2 weight 1', 's3'],
    steps: [{ down: 's1' }, { up: 's1', warmup: 1 }, ...gets(30, (i) => `/k${i}`)] },
  { name: 'uri with one backup left hashes nothing', expected: 's1 s1 s1 s1 b1 b1 b1 b1 b1 b1 b1 b1 b1 b1 b1 b1', lines: ['balance uri'], servers: ['s1', 'b1 backup weight 2', 'b2 backup weight 3'],
    steps: [...uris(4), { down: 's1' }, ...uris(12)] },
  { name: 'uri with allbackups', expected: 's1 s1 s1 s1 b1 b2 b2 b2 b2 b1 b1 b1 b2 b2 b1 b1', lines: ['balance uri', 'option allbackups'], servers: ['s1', 'b1 backup weight 2', 'b2 backup weight 3'],
    steps: [...uris(4), { down: 's1' }, ...uris(12)] },
  { name: 'uri with consistent hashing and the first backup', expected: 's1 s1 s1 s1 b1 b1 b1 b1 b1 b1 b1 b1 b1 b1 b1 b1', lines: ['balance uri', 'hash-type consistent'], servers: ['s1', 'b1 backup weight 2', 'b2 backup weight 3'],
    steps: [...uris(4), { down: 's1' }, ...uris(12)] },
  { name: 'uri with consistent hashing and allbackups', expected: 's1 s1 s1 s1 b2 b2 b1 b1 b2 b2 b2 b2 b2 b2 b1 b1', lines: ['balance uri', 'hash-type consistent', 'option allbackups'], servers: ['s1', 'b1 backup weight 2', 'b2 backup weight 3'],
    steps: [...uris(4), { down: 's1' }, ...uris(12)] },
  { name: 'uri sends to a full server (the request waits on it)', expected: 's2 s1 <queued>', lines: ['balance uri'], servers: ['s1 maxconn 1', 's2 maxconn 1'],
    steps: [{ hold: 'a', path: '/k1' }, { hold: 'b', path: '/k2' }, { hold: 'c', path: '/k3' }] },
  { name: 'uri over a map avoids a dead server only when the retry is redispatched', expected: 's3 s1 <503> s3 s1 <503> s3 s1 <503> s3 s3 s1', lines: ['balance uri', ...REDISPATCH], servers: ['s1', 's2 dead', 's3'],
    steps: gets(12, (i) => `/k${i}`) },
  { name: 'uri with consistent hashing redispatches to the next ring point', expected: 's1 s3 s3 s3 s3 s1 s3 s3 s3 s3 s1 s3', lines: ['balance uri', 'hash-type consistent', ...REDISPATCH], servers: ['s1', 's2 dead', 's3'],
    steps: gets(12, (i) => `/k${i}`) },
  // hash-balance-factor 150: a server whose connections would pass 150% of its weighted share is skipped for the next
  // point on the ring (chash_server_is_eligible); without it every /hot request would go to s4.
  { name: 'uri with consistent hashing and hash-balance-factor', expected: 's4 s1 s2 s4 s2 s2 s2 s2 s2 s1 s4 s4 s4 s4 s4 s1 s2 s2', lines: ['balance uri', 'hash-type consistent', 'hash-balance-factor 150'], servers: ['s1', 's2 weight 2', 's3', 's4'],
    steps: [...holdsOf(6, 'a', '/hot'), ...holdsOf(4, 'b', '/warm/1'), { get: '/hot', times: 3 }, { release: 'a0' }, { release: 'a1' }, { release: 'a2' }, ...holdsOf(3, 'c', '/hot'), { get: '/warm/1', times: 2 }] },
];

export const urlParam: Recorded[] = [
  { name: 'url_param hashes the value and falls back to round robin', expected: 's4 s1 s2 s3 s4 s1 s2 s3 s4 s1 s1 s2 s3 s4 s1 s2 s3 s4 s1 s2 s1 s2 s3 s4 s1 s2 s3 s4 s1 s2 s3 s4 s1 s1 s1', lines: ['balance url_param id'], servers: FOUR,
    steps: [...gets(20, (i) => `/x?a=${i}&id=u${i}&b=2`), ...gets(8, (i) => `/x?a=${i}`), ...gets(4, (i) => `/x?ids=${i}`), { get: '/x?id=' }, { get: '/x?id' }, { get: '/x?b=1&id=zz' }] },
  { name: 'url_param with consistent hashing', expected: 's3 s3 s4 s3 s1 s4 s3 s2 s4 s1 s2 s3 s3 s3 s2 s4 s3 s1 s3 s1 s3 s4 s4 s3 s4 s2 s4 s1 s4 s2 s3 s2 s2 s3 s3 s3 s3 s3 s4 s3 s4 s4 s3 s2 s4 s3 s2 s3 s3 s3 s2 s4 s3 s3 s3 s2', lines: ['balance url_param id', 'hash-type consistent'], servers: FOUR,
    steps: [...gets(20, (i) => `/x?id=u${i}`), ...gets(8, (i) => `/x?a=${i}`), { down: 's1' }, ...gets(8, (i) => `/x?a=${i}`), ...gets(20, (i) => `/x?id=u${i}`)] },
  { name: 'url_param round robin on the ring through down, up and weight changes', expected: 's3 s1 s3 s2 s1 s1 s1 s1 s3 s1 s1 s3 s1 s1 s1 s1 s1 s3 s1 s3 s3 s3 s3 s1 s1 s1 s2 s1 s3 s3 s3 s1 s3 s1 s1 s3 s3 s2 s1 s1 s3 s2 s3 s2 s1 s1 s1 s3 s1 s2', lines: ['balance url_param id', 'hash-type consistent'], servers: ['s1 weight 2', 's2', 's3'],
    steps: [...gets(10, (i) => `/?x=${i}`), { down: 's2' }, ...gets(10, (i) => `/?x=${i}`), { up: 's2' }, { weight: 's3', to: 3 }, ...gets(20, (i) => `/?x=${i}`), { weight: 's3', to: 1 }, ...gets(10, (i) => `/?x=${i}`)] },
  { name: 'url_param round robin on the ring skips full servers', expected: 's3 s2 s1 s1 s1 s2 s1 s1 s1 s2 s2 s1 s2 s1 s2 s1 s2 s1 s3 s2 s3 s2 s1 s1 s3 s2', lines: ['balance url_param id', 'hash-type consistent'], servers: ['s1 maxconn 1', 's2', 's3 maxconn 1'],
    steps: [{ hold: 'a', path: '/?x=1' }, ...gets(8, (i) => `/?x=${i}`), { hold: 'b', path: '/?x=2' }, ...gets(8, (i) => `/?x=${i}`), { release: 'a' }, ...gets(8, (i) => `/?x=${i}`)] },
  { name: 'url_param round robin on the ring keeps walking the backups after an active comes back', expected: 's1 s1 s1 b2 b2 b1 b2 b1 b2 b1 b1 b2 b2', lines: ['balance url_param id', 'hash-type consistent', 'option allbackups'],
    servers: ['s1', 'b1 backup', 'b2 backup'], steps: [...gets(3, (i) => `/?x=${i}`), { down: 's1' }, ...gets(5, (i) => `/?x=${i}`), { up: 's1' }, ...gets(5, (i) => `/?x=${i}`)] },
  { name: 'url_param round robin on the map skips a full server', expected: 's1 s1 s2 s3 s1 s1 s1 s2 s3 s1 s1 s2 s3 s1 s1 s2 s1 s1 s2 s1 s1 s2 s1 s1 s2', lines: ['balance url_param id'], servers: ['s1 weight 2', 's2', 's3 maxconn 1'],
    steps: [...gets(5, (i) => `/?x=${i}`), { hold: 'a', path: '/?id=5' }, ...gets(6, (i) => `/?x=${i}`), { hold: 'b', path: '/?x=0' }, ...gets(6, (i) => `/?x=${i}`), { release: 'a' }, ...gets(6, (i) => `/?x=${i}`)] },
  { name: 'url_param round robin on the ring redispatches away from a dead server', expected: 's3 s3 s1 s3 s1 s1 s3 s1 s1 s1 s3 s1', lines: ['balance url_param id', 'hash-type consistent', ...REDISPATCH], servers: ['s1', 's2 dead', 's3'],
    steps: [{ get: '/', times: 12 }] },
];

export const hdr: Recorded[] = [
  { name: 'hdr hashes the first value and falls back to round robin', expected: 's3 s4 s1 s2 s3 s4 s1 s2 s3 s4 s2 s3 s4 s1 s2 s3 s4 s1 s2 s3 s1 s2 s3 s4 s1 s2 s3 s4 s1 s2 s3 s4 s4 s3 s2 s3 s4 s1', lines: ['balance hdr(X-Key)'], servers: FOUR,
    steps: [...withHeader(20, 'X-Key', (i) => `key-${i}`), ...withHeader(6, 'X-Other', (i) => `k${i}`), ...withHeader(6, 'x-key', (i) => ` v${i} , other`),
      ...withHeader(3, 'X-Key', (i) => `"a,${i}", b`), ...withHeader(3, 'X-Key', () => '')] },
  { name: 'hdr use_domain_only hashes the domain label', expected: 's2 s3 s1 s1 s3 s3 s4 s1 s1 s3 s3 s3 s1 s2 s1 s4 s3 s3 s3 s4 s1 s3 s3 s3', lines: ['balance hdr(Host) use_domain_only'], servers: FOUR,
    steps: withHeader(24, 'Host', (i) => [`www.site${i}.com`, `site${i}.org`, `a.b.c${i}.d.e`, `localhost${i}`, `w${i}.example.com:8080`, `x..y${i}`][i % 6]!) },
  { name: 'hdr with consistent hashing', expected: 's1 s2 s2 s1 s4 s1 s3 s2 s3 s3 s1 s2 s2 s1 s3 s2 s4 s2 s2 s2 s1 s2 s2 s1 s2 s1 s3 s2 s3 s3 s1 s2 s2 s1 s3 s2 s2 s2 s2 s2', lines: ['balance hdr(X-Key)', 'hash-type consistent'], servers: FOUR,
    steps: [...withHeader(20, 'X-Key', (i) => `key-${i}`), { down: 's4' }, ...withHeader(20, 'X-Key', (i) => `key-${i}`)] },
];

export const random: Recorded[] = [
  { name: 'random with weights 1, 2, 3', expected: 's2 s3 s3 s1 s3 s2 s3 s2 s1 s3 s2 s3 s3 s2 s1 s3 s1 s2 s3 s2 s1 s3 s1 s2 s3 s1 s3 s1 s3 s3', lines: ['balance random'], servers: W123, steps: [{ get: '/', times: 30 }] },
  { name: 'random(1)', expected: 's4 s2 s2 s4 s3 s3 s3 s4 s4 s4 s3 s4 s3 s4 s4 s2 s3 s1 s1 s3 s4 s3 s3 s3 s2 s3 s3 s2 s4 s4', lines: ['balance random(1)'], servers: FOUR, steps: [{ get: '/', times: 30 }] },
  { name: 'random(3) with loaded servers', expected: 's2 s3 s4 s4 s3 s1 s1 s3 s2 s2 s1 s1 s3 s1 s1 s1 s1 s1 s1 s3 s3 s3 s1 s1 s1 s1 s4 s1 s4 s4 s1 s1 s1 s4 s4', lines: ['balance random(3)'], servers: FOUR,
    steps: [...holds(5, 'h'), { get: '/', times: 20 }, { down: 's2' }, { get: '/', times: 10 }] },
  { name: 'random through weight changes, down and up', expected: 'd d d d d d b d a c b d d d d d b d b b b c a b b a b a b c d d d d d d b d d b b d c c d d d d d d d d d d d d d d d d d d d d b d d d b d', lines: ['balance random'], servers: ['a weight 1', 'b weight 5', 'c weight 2', 'd weight 9'],
    steps: [{ get: '/', times: 20 }, { weight: 'd', to: 0 }, { get: '/', times: 10 }, { weight: 'd', to: 30 }, { get: '/', times: 20 }, { down: 'b' }, { get: '/', times: 10 }, { up: 'b' }, { get: '/', times: 10 }] },
  { name: 'random queues when the chosen server is full', expected: 'b b c a a b c b a c c c b <queued> <queued> <queued> <queued>', lines: ['balance random'], servers: ['a maxconn 1', 'b maxconn 2', 'c'],
    steps: [{ hold: 'h1' }, { release: 'h1' }, { get: '/', times: 6 }, ...holds(10, 'x')] },
  { name: 'random uses only the first backup', expected: 'a a a b1 b1 b1 b1 b1', lines: ['balance random'], servers: ['a', 'b1 backup', 'b2 backup'], steps: [{ get: '/', times: 3 }, { down: 'a' }, { get: '/', times: 5 }] },
  { name: 'random with allbackups', expected: 'a a a b2 b1 b1 b2 b1 b1 b2 b2 b2 b2', lines: ['balance random', 'option allbackups'], servers: ['a', 'b1 backup', 'b2 backup'], steps: [{ get: '/', times: 3 }, { down: 'a' }, { get: '/', times: 10 }] },
  { name: 'random redispatches away from a dead server', expected: 's1 s3 s1 s1 s3 s1 s3 s3 s3 s3 s1 s3', lines: ['balance random', ...REDISPATCH], servers: ['s1', 's2 dead', 's3'], steps: [{ get: '/', times: 12 }] },
];

export const all: Recorded[] = [...roundrobin, ...staticRr, ...leastconn, ...first, ...source, ...uri, ...urlParam, ...hdr, ...random];
