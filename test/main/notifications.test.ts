/** Notifications from engine events: what is said, grouped, and how often (a fake clock). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertInfo, EngineEvent } from '../../proxy/control/contract.ts';
import { Notifier } from '../../main/notifications.ts';
import type { DesktopNotification, NotifierClock } from '../../main/notifications.ts';

class FakeClock implements NotifierClock {
  time = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  };
  clearTimeout = (id: unknown) => { this.timers = this.timers.filter((t) => t.id !== id); };
  advance(ms: number): void {
    const end = this.time + ms;
    for (let guard = 0; guard < 1000; guard++) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }
}

function setup(enabled = () => true) {
  const clock = new FakeClock();
  const sent: DesktopNotification[] = [];
  const notifier = new Notifier({ send: (n) => sent.push(n), clock, enabled, groupWindowMs: 5000, perServerMs: 60_000 });
  return { clock, sent, notifier };
}

function health(backend: string, server: string, from: string, to: string, reason = `Server ${backend}/${server} is ${to}, reason: Layer4 connection problem.`): EngineEvent {
  return { type: 'health', time: 0, event: { time: 0, backend, server, from, to, reason } };
}

test('a server going down is told once, after the grouping window, with its reason', () => {
  const { clock, sent, notifier } = setup();
  notifier.engineEvent(health('api', 'a1', 'UP', 'DOWN'));
  assert.equal(sent.length, 0, 'waits for the group window');
  clock.advance(5000);
  assert.deepEqual(sent, [{ title: 'Server api/a1 is DOWN', body: 'Server api/a1 is DOWN, reason: Layer4 connection problem.' }]);
});

test('several servers going down together in one backend make one notification', () => {
  const { clock, sent, notifier } = setup();
  notifier.engineEvent(health('api', 'a1', 'UP', 'DOWN'));
  clock.advance(1000);
  notifier.engineEvent(health('api', 'a2', 'UP', 'DOWN'));
  notifier.engineEvent(health('api', 'a3', 'UP', 'DOWN'));
  notifier.engineEvent(health('web', 'w1', 'UP', 'DOWN'));
  clock.advance(5000);
  assert.deepEqual(sent, [
    { title: '3 servers went down in backend api', body: 'a1, a2, a3' },
    { title: 'Server web/w1 is DOWN', body: 'Server web/w1 is DOWN, reason: Layer4 connection problem.' },
  ]);
});

test('a flapping server is told at most once a minute, then once where it ended, with the count', () => {
  const { clock, sent, notifier } = setup();
  notifier.engineEvent(health('api', 'a1', 'UP', 'DOWN'));
  clock.advance(5000);
  assert.equal(sent.length, 1);
  for (let i = 0; i < 10; i++) {
    clock.advance(2000);
    notifier.engineEvent(health('api', 'a1', 'DOWN', 'UP'));
    clock.advance(2000);
    notifier.engineEvent(health('api', 'a1', 'UP', 'DOWN'));
  }
  notifier.engineEvent(health('api', 'a1', 'DOWN', 'UP'));
  assert.equal(sent.length, 1, 'no storm: 21 changes, still one notification');
  clock.advance(60_000);
  assert.equal(sent.length, 2);
  assert.equal(sent[1].title, 'Server api/a1 is UP again');
  assert.match(sent[1].body, /It changed state 21 times in the last minute\./);
});

test('a flap that ends where it was last told says nothing more', () => {
  const { clock, sent, notifier } = setup();
  notifier.engineEvent(health('api', 'a1', 'UP', 'DOWN'));
  clock.advance(5000);
  notifier.engineEvent(health('api', 'a1', 'DOWN', 'UP'));
  notifier.engineEvent(health('api', 'a1', 'UP', 'DOWN'));
  clock.advance(120_000);
  assert.equal(sent.length, 1);
});

test('maintenance and drain are the user\'s own doing and make no notification', () => {
  const { clock, sent, notifier } = setup();
  notifier.engineEvent({ type: 'state', time: 0, backend: 'api', server: 'a1', from: 'UP', to: 'MAINT' });
  notifier.engineEvent({ type: 'state', time: 0, backend: 'api', server: 'a2', from: 'UP', to: 'DRAIN' });
  clock.advance(10_000);
  assert.equal(sent.length, 0);
});

test('a backend losing its last server is told at once, at most once a minute', () => {
  const { clock, sent, notifier } = setup();
  const lost: EngineEvent = { type: 'state', time: 0, backend: 'api', from: 'UP', to: 'DOWN' };
  notifier.engineEvent(lost);
  notifier.engineEvent({ type: 'state', time: 0, backend: 'api', from: 'DOWN', to: 'UP' });
  notifier.engineEvent(lost);
  assert.deepEqual(sent.map((n) => n.title), ['Backend api has no server left']);
  clock.advance(60_000);
  notifier.engineEvent(lost);
  assert.equal(sent.length, 2);
});

function cert(name: string, daysLeft: number): CertInfo {
  return {
    name, path: `/d/certs/${name}.pem`, subject: `CN=${name}.lan`, issuer: 'CN=Loadstar CA', sans: [`DNS:${name}.lan`], notBefore: '2026-01-01T00:00:00Z',
    notAfter: '2026-12-31T00:00:00Z', daysLeft, fingerprint256: 'AA', serial: '01', key: 'EC P-256', selfSigned: false, localCa: true, chainLength: 0,
  };
}

test('certificates expiring within 14 days are told once a day, several together', () => {
  const { clock, sent, notifier } = setup();
  notifier.certificates({ certs: [cert('nas', 30), cert('web', 14), cert('old', -2)], unreadable: [] });
  assert.deepEqual(sent, [{ title: '2 certificates expire within 14 days', body: 'web: expires in 14 days\nold: expired 2 days ago' }]);
  clock.advance(3600_000);
  notifier.certificates({ certs: [cert('nas', 30), cert('web', 14), cert('old', -2)], unreadable: [] });
  assert.equal(sent.length, 1, 'not again within the day');
  clock.advance(24 * 3600_000);
  notifier.certificates({ certs: [cert('web', 13)], unreadable: [] });
  assert.equal(sent[1].title, 'Certificate web expires in 13 days');
  assert.match(sent[1].body, /CN=web\.lan \(DNS:web\.lan\) is valid until 2026-12-31/);
});

test('engine restarts are told (at most once a minute); giving up and a failed configuration always', () => {
  const { clock, sent, notifier } = setup();
  const restart = { type: 'restarting', reason: { kind: 'crashed', code: null, signal: 'SIGKILL' }, delayMs: 500, attempt: 1, message: 'The proxy engine failed: it was killed by SIGKILL. Restarting in 500 ms.' } as const;
  notifier.supervisorReport(restart);
  notifier.supervisorReport({ ...restart, attempt: 2 });
  notifier.supervisorReport({ type: 'gave-up', reason: restart.reason, crashes: 5, windowMs: 60_000, message: 'gave up' });
  notifier.supervisorReport({ type: 'config-failed', error: { code: 'LS_ERR_CFG_INVALID', message: 'x' }, message: 'bad config' });
  notifier.supervisorReport({ type: 'started', pid: 1, restarts: 2, message: 'running again' });
  assert.deepEqual(sent.map((n) => n.title), ['Loadstar engine restarted', 'Loadstar engine stopped', 'Loadstar could not start the proxy']);
  assert.equal(sent[0].body, restart.message);
  clock.advance(60_000);
  notifier.supervisorReport(restart);
  assert.equal(sent.length, 4);
});

test('with notifications turned off nothing is sent', () => {
  let on = false;
  const { clock, sent, notifier } = setup(() => on);
  notifier.engineEvent(health('api', 'a1', 'UP', 'DOWN'));
  clock.advance(5000);
  assert.equal(sent.length, 0);
  on = true;
  notifier.engineEvent({ type: 'state', time: 0, backend: 'api', from: 'UP', to: 'DOWN' });
  assert.equal(sent.length, 1);
});
