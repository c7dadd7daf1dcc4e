import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findBackend, parseConfig } from '../../../proxy/config/index.ts';
import { ConnectRetryPlan, connectFailureOf } from '../../../proxy/runtime/retry.ts';

function plan(lines: string): ConnectRetryPlan {
  const result = parseConfig([{ name: 'test.cfg', text: `defaults\n    mode tcp\n    timeout connect 300ms\nbackend b\n${lines}    server s 127.0.0.1:1\n` }]);
  assert.ok(result.ok);
  return new ConnectRetryPlan(findBackend(result.config, 'b')!);
}

/** Which of the retries (1-based) go to another server, then whether one more attempt is allowed. */
function redispatches(p: ConnectRetryPlan): number[] {
  const out: number[] = [];
  for (let done = 0; ; done++) {
    const step = p.afterFailure(done);
    if (step.giveUp) return out;
    if (step.redispatch) out.push(done + 1);
  }
}

test('the retry plan redispatches on the retries option redispatch <interval> names (HAProxy 2.6: P>0 every Pth, N<0 the Nth before the last, 0 never)', () => {
  assert.deepEqual(redispatches(plan('    retries 4\n')), [], 'without option redispatch');
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch\n')), [4], 'default -1: the last retry');
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch 1\n')), [1, 2, 3, 4]);
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch 2\n')), [2, 4]);
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch -2\n')), [3]);
  assert.deepEqual(redispatches(plan('    retries 4\n    option redispatch 0\n')), []);
});

test('the retry plan gives up after retries new attempts (3 by default) and pauses min(timeout connect, 1s) between them', () => {
  const p = plan('');
  assert.equal(p.retries, 3);
  assert.deepEqual(p.afterFailure(2), { giveUp: false, redispatch: false, delayMs: 300 });
  assert.deepEqual(p.afterFailure(3), { giveUp: true });
  assert.deepEqual(plan('    retries 0\n').afterFailure(0), { giveUp: true });
  assert.equal((plan('    timeout connect 5s\n').afterFailure(0) as { delayMs: number }).delayMs, 1000);
});

const running = { serverStopped: false, direct: false, activeServers: 2 };

test('a failed connection by its kind (HAProxy 2.6 back_handle_st_cer): an error pauses and ends SC, a timeout retries at once and ends sC, a certificate not for the SNI sent ends SC with every retry spent', () => {
  const p = plan('    retries 2\n');
  assert.deepEqual(p.afterConnectFailure(0, 'error'), { giveUp: false, redispatch: false, delayMs: 300 });
  assert.deepEqual(p.afterConnectFailure(2, 'error'), { giveUp: true, termination: 'SC', retries: 2 });
  assert.deepEqual(p.afterConnectFailure(0, 'timeout'), { giveUp: false, redispatch: false, delayMs: 0 });
  assert.deepEqual(p.afterConnectFailure(2, 'timeout'), { giveUp: true, termination: 'sC', retries: 2 });
  assert.deepEqual(p.afterConnectFailure(0, 'sni-mismatch'), { giveUp: true, termination: 'SC', retries: 2 });
  // retry-on without conn-failure: no retry, %rc as it was.
  assert.deepEqual(plan('    retries 2\n    retry-on empty-response\n').afterConnectFailure(0, 'timeout'), { giveUp: true, termination: 'sC', retries: 0 });
  assert.equal(connectFailureOf('ERR_TLS_CERT_ALTNAME_INVALID', false, true), 'sni-mismatch');
  assert.equal(connectFailureOf('ERR_TLS_CERT_ALTNAME_INVALID', false, false), 'error', 'no SNI sent: the name checked is not the client\'s');
  assert.equal(connectFailureOf('ECONNREFUSED', true, true), 'timeout');
  assert.equal(connectFailureOf('ECONNREFUSED', false, true), 'error');
});

test('with option redispatch (any interval, even 0) a failed server is left at once, without the pause, when another active server can be balanced to (HAProxy 2.6 stream_choose_redispatch)', () => {
  for (const option of ['    option redispatch\n', '    option redispatch 0\n', '    option redispatch 3\n']) {
    for (const algorithm of ['roundrobin', 'static-rr', 'leastconn', 'first', 'random']) {
      const p = plan(`    retries 3\n    balance ${algorithm}\n${option}`);
      assert.deepEqual(p.afterFailure(0, running), { giveUp: false, redispatch: true, delayMs: 0 }, `${algorithm} ${option.trim()}`);
    }
  }
  const rr = plan('    retries 3\n    option redispatch\n');
  // Persistence (a cookie) sent it there, or it is the only active server: retry it after the pause.
  assert.deepEqual(rr.afterFailure(0, { ...running, direct: true }), { giveUp: false, redispatch: false, delayMs: 300 });
  assert.deepEqual(rr.afterFailure(0, { ...running, activeServers: 1 }), { giveUp: false, redispatch: false, delayMs: 300 });
  // A stopped server (DOWN, MAINT) is left at once even so; with one active server the pause stays.
  assert.deepEqual(rr.afterFailure(0, { serverStopped: true, direct: true, activeServers: 1 }), { giveUp: false, redispatch: true, delayMs: 300 });
  assert.deepEqual(rr.afterFailure(0, { serverStopped: true, direct: true, activeServers: 2 }), { giveUp: false, redispatch: true, delayMs: 0 });
  // Without option redispatch nothing changes.
  assert.deepEqual(plan('    retries 3\n').afterFailure(0, { serverStopped: true, direct: false, activeServers: 3 }), { giveUp: false, redispatch: false, delayMs: 300 });
});

test('a hashing algorithm retries its server with the pause and redispatches on the interval, without the pause when others are active', () => {
  for (const algorithm of ['source', 'uri', 'url_param x', 'hdr(host)', 'rdp-cookie', 'hash req.cook(sid)']) {
    // HTTP mode: a TCP backend's uri, url_param and hdr are round robin (HAProxy's proxy_cfg_ensure_no_http), below.
    const p = plan(`    mode http\n    retries 3\n    balance ${algorithm}\n    option redispatch\n`);
    const steps = [0, 1, 2].map((done) => p.afterFailure(done, running));
    assert.deepEqual(steps, [
      { giveUp: false, redispatch: false, delayMs: 300 },
      { giveUp: false, redispatch: false, delayMs: 300 },
      { giveUp: false, redispatch: true, delayMs: 0 },
    ], algorithm);
  }
  // In TCP mode the layer-7 hashes are round robin: a failed server is left at once, as roundrobin's is.
  for (const algorithm of ['uri', 'url_param x', 'hdr(host)']) {
    const p = plan(`    retries 3\n    balance ${algorithm}\n    option redispatch\n`);
    assert.deepEqual(p.afterFailure(0, running), { giveUp: false, redispatch: true, delayMs: 0 }, `tcp ${algorithm}`);
  }
});

function parsed(text: string) {
  return parseConfig([{ name: 'test.cfg', text }]);
}

function httpPlan(lines: string, mode = 'http'): ConnectRetryPlan {
  const result = parsed(`defaults\n    mode ${mode}\n    timeout connect 300ms\nbackend b\n${lines}    server s 127.0.0.1:1\n`);
  assert.ok(result.ok);
  return new ConnectRetryPlan(findBackend(result.config, 'b')!);
}

test('retry-on: conn-failure is the default; a list without it, or none, retries no failed connection (HTTP and TCP)', () => {
  assert.equal(httpPlan('').connFailure, true);
  assert.equal(httpPlan('').l7, undefined, 'no retry-on: nothing to keep per request');
  for (const mode of ['http', 'tcp']) {
    assert.deepEqual(httpPlan('    retry-on 503\n', mode).afterFailure(0), { giveUp: true }, mode);
    assert.deepEqual(httpPlan('    retry-on none\n', mode).afterFailure(0), { giveUp: true }, mode);
    assert.equal(httpPlan('    retry-on conn-failure 503\n', mode).afterFailure(0).giveUp, false, mode);
  }
});

test('retry-on: the words after the request left make a policy in HTTP mode only; 0rtt-rejected alone makes none', () => {
  const all = httpPlan('    retry-on all-retryable-errors\n');
  assert.equal(all.connFailure, true);
  assert.deepEqual({ ...all.l7, statuses: [...all.l7!.statuses] }, { emptyResponse: true, junkResponse: true, responseTimeout: true, statuses: [500, 502, 503, 504] });
  assert.equal(httpPlan('    retry-on all-retryable-errors\n', 'tcp').l7, undefined);
  assert.equal(httpPlan('    retry-on 0rtt-rejected conn-failure\n').l7, undefined);
  // Replaces, does not add: the last line wins.
  const last = httpPlan('    retry-on 503\n    retry-on 404\n');
  assert.deepEqual([...last.l7!.statuses], [404]);
  // A defaults section's list is inherited.
  const result = parsed('defaults\n    mode http\n    retry-on empty-response\nbackend b\n    server s 127.0.0.1:1\n');
  assert.ok(result.ok);
  assert.equal(new ConnectRetryPlan(findBackend(result.config, 'b')!).l7?.emptyResponse, true);
});

test('retry-on: a layer-7 retry spends the same retries and redispatches by the same rules, without the pause', () => {
  const p = httpPlan('    retries 2\n    retry-on 503\n    option redispatch\n');
  const alone = { serverStopped: false, direct: false, activeServers: 1 };
  assert.deepEqual(p.afterL7Failure(0, alone), { giveUp: false, redispatch: false, delayMs: 0 });
  assert.deepEqual(p.afterL7Failure(1, alone), { giveUp: false, redispatch: true, delayMs: 0 });
  assert.deepEqual(p.afterL7Failure(2, alone), { giveUp: true });
  assert.deepEqual(p.afterL7Failure(0, { ...alone, activeServers: 2 }), { giveUp: false, redispatch: true, delayMs: 0 });
});

test('retry-on and disable-l7-retry are refused as HAProxy 2.6 refuses them (messages of haproxy -c)', () => {
  const errors = (lines: string, section = 'backend b') => {
    const r = parsed(`defaults\n    mode http\n${section}\n${lines}`);
    return r.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message);
  };
  assert.deepEqual(errors('    retry-on\n'), [`'retry-on' needs at least one keyword to specify when to retry`]);
  assert.deepEqual(errors('    retry-on none 503\n'), [`'retry-on' 'none' keyworld only usable alone`]);
  assert.deepEqual(errors('    retry-on 503 none\n'), [`'retry-on' 'none' keyworld only usable alone`]);
  assert.deepEqual(errors('    retry-on 505\n'), [`'retry-on': unknown keyword '505'`]);
  assert.deepEqual(errors('    retry-on 503\n', 'frontend f'), [`'retry-on' only available in backend or listen section`]);
  assert.deepEqual(errors('    retry-on none\n    http-request disable-l7-retry if { path /x }\n'), []);
});
