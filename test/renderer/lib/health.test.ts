/**
 * Which health timelines an event burst reloads (renderer/src/lib/health.ts):
 * the Health screen of a backend with hundreds of servers reloads the ones
 * that changed, not every timeline on each transition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bandLabelFits, checkCodeText, serverCountText, timelineKeysOf, timelinesToReload } from '../../../renderer/src/lib/health.ts';

test('a health event or a state change across bands names its server and its backend; alerts and lifecycle name none', () => {
  assert.deepEqual(timelineKeysOf({ type: 'health', event: { backend: 'big', server: 'node003' } }), ['big/node003', 'big/']);
  assert.deepEqual(timelineKeysOf({ type: 'state', backend: 'big', server: 'node004', from: 'UP', to: 'DRAIN' }), ['big/node004', 'big/']);
  assert.deepEqual(timelineKeysOf({ type: 'state', backend: 'big', from: 'UP', to: 'DOWN' }), ['big/']);
  assert.deepEqual(timelineKeysOf({ type: 'state', backend: 'big', server: 'node004', from: 'UP', to: 'UP 1/3' }), [], 'a failing check before DOWN draws nothing new');
  assert.deepEqual(timelineKeysOf({ type: 'state', backend: 'big', server: 'node004', from: 'DOWN', to: 'DOWN 1/2' }), []);
  assert.deepEqual(timelineKeysOf({ type: 'alert' }), []);
  assert.deepEqual(timelineKeysOf({ type: 'lifecycle' }), []);
});

test('a few touched timelines of many are reloaded alone; most of them touched reloads all', () => {
  const shown = ['big/', ...Array.from({ length: 300 }, (_, i) => `big/node${i}`)];
  assert.deepEqual(timelinesToReload(shown, new Set(['big/node7', 'big/', 'other/x'])), ['big/', 'big/node7']);
  assert.deepEqual(timelinesToReload(shown, new Set(['other/'])), []);
  assert.equal(timelinesToReload(shown, new Set(shown.slice(0, 200))), 'all');
  assert.equal(timelinesToReload(['web/', 'web/a'], new Set(['web/', 'web/a'])), 'all');
});

test('servers that need attention are named in words: DOWN, going down or up, maintenance, draining, NOLB; not UP or no check', async () => {
  const { attentionSummary, needsAttention, serverNeedsAttention, passesFilter, backendNow, uptimeText } = await import('../../../renderer/src/lib/health.ts');
  assert.deepEqual(['UP', 'no check', 'UP 1/3', 'DOWN', 'DOWN 1/2', 'MAINT', 'DRAIN', 'NOLB', 'DOWN (agent)'].map(needsAttention), [false, false, true, true, true, true, true, true, true]);
  const servers = Array.from({ length: 300 }, (_, i) => ({ name: `s${i + 1}`, status: i === 3 || i === 4 ? 'DOWN' : i === 200 ? 'MAINT' : 'no check' }));
  const summary = attentionSummary(servers, 'server', 2)!;
  assert.equal(summary.text, '3 of 300 servers need attention');
  assert.deepEqual(summary.named.map((s) => s.name), ['s4', 's5']);
  assert.equal(summary.more, 1);
  assert.equal(summary.count, 3);
  assert.equal(attentionSummary([{ name: 'a', status: 'DOWN' }], 'backend')!.text, '1 of 1 backend needs attention');
  assert.equal(attentionSummary(servers.filter((s) => s.status === 'no check'), 'server'), undefined);

  // Before its first check a checked server reads "UP 1/3" (HAProxy: check status INI): it has failed nothing.
  assert.equal(serverNeedsAttention({ status: 'UP 1/3', check: {} }), false);
  assert.equal(serverNeedsAttention({ status: 'UP 1/3', check: { lastCode: 'L4CON' } }), true);
  assert.equal(serverNeedsAttention({ status: 'DOWN', check: {} }), true);
  assert.equal(serverNeedsAttention({ status: 'no check' }), false);
  assert.equal(attentionSummary([{ name: 'a', status: 'UP 1/3', attention: false }, { name: 'b', status: 'UP' }], 'server'), undefined, 'the given verdict wins');

  assert.equal(passesFilter({ show: 'all', find: '' }, 's7', false), true);
  assert.equal(passesFilter({ show: 'attention', find: '' }, 's7', false), false);
  assert.equal(passesFilter({ show: 'attention', find: '' }, 's4', true), true);
  assert.equal(passesFilter({ show: 'all', find: ' S29 ' }, 's291', false), true, 'any case, spaces ignored');
  assert.equal(passesFilter({ show: 'all', find: 's29' }, 's1', false), false);
  assert.equal(passesFilter({ show: 'attention', find: 'zzz' }, undefined, false), true, "the backend's own row stays above its servers");

  assert.deepEqual(backendNow(0, 3), { status: 'DOWN' });
  assert.deepEqual(backendNow(2, 3), { status: 'UP 1/2', text: 'Degraded, 2 of 3 usable' });
  assert.deepEqual(backendNow(3, 3), { status: 'UP' });
  // A backend without servers (a stats listen's) is not down, and needs no attention.
  assert.deepEqual(backendNow(0, 0), { status: 'no check', text: 'No servers' });
  assert.equal(needsAttention(backendNow(0, 0).status), false);

  assert.equal(uptimeText(1), '100.00 %');
  assert.equal(uptimeText(1 - 5 / 86_400), '99.99 %', 'DOWN for 5 s of a day is not 100.00 %');
  assert.equal(uptimeText(0.99874), '99.87 %');
  assert.equal(uptimeText(5 / 86_400), '0.01 %');
  assert.equal(uptimeText(0), '0.00 %');
});

test("a checked server's step within a band is not an event to list; checks on/off and admin changes are", async () => {
  const { isCheckStep } = await import('../../../renderer/src/lib/health.ts');
  const step = (from: string, to: string, server: string | undefined = 'a') => isCheckStep({ type: 'state', backend: 'app', server, from, to });
  assert.deepEqual([step('UP 1/3', 'UP'), step('UP', 'UP 2/3'), step('DOWN', 'DOWN 1/2'), step('DRAIN 1/3', 'DRAIN')], [true, true, true, true]);
  assert.deepEqual([step('no check', 'UP'), step('UP', 'no check'), step('no check', 'MAINT'), step('UP', 'DRAIN'), step('UP 1/3', 'DOWN')], [false, false, false, false, false]);
  assert.equal(step('UP', 'DOWN', undefined), false, "a backend's own change");
  assert.equal(isCheckStep({ type: 'health', from: 'UP', to: 'UP' }), false);
});

test('a timeline of a server added within the range begins with a "Not configured yet" band, then its states from the moment it was added', async () => {
  const { timelineBands, sinceText, BAND_TEXT } = await import('../../../renderer/src/lib/health.ts');
  const added = { time: 900, how: 'added' as const };
  const bands = timelineBands({ initial: 'UP', events: [{ time: 950, from: 'UP', to: 'DOWN', reason: 'x' }], configuredSince: added }, 0, 1000);
  assert.deepEqual(bands.map((b) => [b.state, b.from, b.to, b.left, b.width]), [['NOT-CONFIGURED', 0, 900, 0, 90], ['UP', 900, 950, 90, 5], ['DOWN', 950, 1000, 95, 5]]);
  assert.equal(BAND_TEXT['NOT-CONFIGURED'], 'Not configured yet', 'said in words, not only by a pattern');
  assert.equal(sinceText({ configuredSince: added }, 0, (t) => `@${t}`), 'since it was added @900');
  // There when the history began: "No history yet" before, said as such.
  const began = timelineBands({ initial: 'UP', events: [], configuredSince: { time: 400, how: 'history-began' } }, 0, 1000);
  assert.deepEqual(began.map((b) => b.state), ['NO-HISTORY', 'UP']);
  assert.equal(sinceText({ configuredSince: { time: 400, how: 'history-began' } }, 0, String), 'since history began 400');
  // Configured before the range (or not known): the states fill the range, as before.
  assert.deepEqual(timelineBands({ initial: 'UP', events: [], configuredSince: { time: -1, how: 'added' } }, 0, 1000).map((b) => [b.state, b.from]), [['UP', 0]]);
  assert.deepEqual(timelineBands({ initial: 'MAINT', events: [] }, 0, 1000).map((b) => [b.state, b.width]), [['MAINT', 100]]);
  assert.equal(sinceText({ configuredSince: { time: -1, how: 'added' } }, 0, String), undefined);
});

test('the time Loadstar was not running is a band of its own, "Loadstar not running", cut out of the states around it', async () => {
  const { timelineBands, notRunningText, BAND_TEXT } = await import('../../../renderer/src/lib/health.ts');
  const down = { time: 600, from: 'UP', to: 'DOWN', reason: 'x' };
  // UP, not running 200-400, UP again (no transition: it began as it was), DOWN at 600, not running from 900 past the end.
  const bands = timelineBands({ initial: 'UP', events: [down], notRunning: [{ from: 200, to: 400 }, { from: 900, to: 1200 }] }, 0, 1000);
  assert.deepEqual(bands.map((b) => [b.state, b.from, b.to, b.left, b.width]), [
    ['UP', 0, 200, 0, 20], ['NOT-RUNNING', 200, 400, 20, 20], ['UP', 400, 600, 40, 20], ['DOWN', 600, 900, 60, 30], ['NOT-RUNNING', 900, 1000, 90, 10],
  ]);
  assert.equal(bands[2]!.resumed, true, 'the state after the gap says it went on, without the cause of before');
  assert.equal(bands[2]!.cause, undefined);
  assert.deepEqual(bands[3]!.cause, down, 'a band begun by a transition keeps it');
  assert.equal(new Set(bands.map((b) => b.key)).size, bands.length, 'each band has its own key');
  assert.equal(BAND_TEXT['NOT-RUNNING'], 'Loadstar not running', 'said in words, not only by a pattern');
  // A gap at the range start; a band within a gap is all gap.
  assert.deepEqual(timelineBands({ initial: 'DOWN', events: [], notRunning: [{ from: -50, to: 100 }] }, 0, 1000).map((b) => [b.state, b.from, b.to]), [['NOT-RUNNING', 0, 100], ['DOWN', 100, 1000]]);
  assert.deepEqual(timelineBands({ initial: 'UP', events: [{ time: 300, from: 'UP', to: 'DOWN', reason: 'r' }, { time: 400, from: 'DOWN', to: 'UP', reason: 'r' }], notRunning: [{ from: 250, to: 450 }] }, 0, 1000).map((b) => b.state), ['UP', 'NOT-RUNNING', 'UP']);
  // Before the object was configured, that band says so; gaps count from then on.
  assert.deepEqual(timelineBands({ initial: 'UP', events: [], configuredSince: { time: 500, how: 'added' }, notRunning: [{ from: 0, to: 700 }] }, 0, 1000).map((b) => [b.state, b.from, b.to]), [['NOT-CONFIGURED', 0, 500], ['NOT-RUNNING', 500, 700], ['UP', 700, 1000]]);
  // Not running when the data was read: drawn over a range moved on since (until it is read again), still not running.
  assert.deepEqual(timelineBands({ initial: 'UP', events: [], notRunning: [{ from: 600, to: 800 }], to: 800 }, 200, 1000).map((b) => [b.state, b.from, b.to]), [['UP', 200, 600], ['NOT-RUNNING', 600, 1000]]);
  // The uptime's words say what it leaves out.
  assert.equal(notRunningText({ notRunning: [{ from: 200, to: 400 }, { from: 900, to: 1200 }] }, 0, 1000, (ms) => `${ms} ms`), 'not counting 300 ms while Loadstar was not running');
  assert.equal(notRunningText({}, 0, 1000, String), undefined);
});

test("a server's chart shading covers the time it was not UP, not the time Loadstar was not running", async () => {
  const { notUpShading } = await import('../../../renderer/src/lib/health.ts');
  const events = [{ time: 100, from: 'UP', to: 'DOWN', reason: 'x' }, { time: 700, from: 'DOWN', to: 'UP', reason: 'y' }];
  assert.deepEqual(notUpShading({ initial: 'UP', events, from: 0, to: 1000 }), [{ from: 100, to: 700, colour: '--bad' }]);
  // Stopped from 300 to 600 while DOWN: shaded before and after, not across.
  assert.deepEqual(notUpShading({ initial: 'UP', events, from: 0, to: 1000, notRunning: [{ from: 300, to: 600 }] }), [{ from: 100, to: 300, colour: '--bad' }, { from: 600, to: 700, colour: '--bad' }]);
  assert.deepEqual(notUpShading({ initial: 'MAINT', events: [], from: 0, to: 1000 }), [{ from: 0, to: 1000, colour: '--maint' }]);
});

test("a check's result code is said in words (HAProxy's check_status, management.txt), a running check's '* ' prefix aside; an unlisted code has none", () => {
  assert.equal(checkCodeText('L4OK'), 'connection accepted');
  assert.equal(checkCodeText('L7OK'), 'answered OK');
  assert.equal(checkCodeText('L4CON'), 'connection failed');
  assert.equal(checkCodeText('L7STS'), 'answered with an error status');
  assert.equal(checkCodeText('* L7TOUT'), 'answer timed out');
  assert.equal(checkCodeText('PROCOK'), undefined);
});

test('a band carries its name only where the name fits whole at the bar\'s drawn width', () => {
  // 6 % of a phone's ~330 px bar is 20 px: "DOWN" would be cut to "DOWI".
  assert.equal(bandLabelFits('DOWN', 6.5, 330), false);
  assert.equal(bandLabelFits('DOWN', 6.5, 1000), true);
  assert.equal(bandLabelFits('DOWN', 20, 330), true);
  assert.equal(bandLabelFits('Not configured yet', 20, 330), false);
  assert.equal(bandLabelFits('Not configured yet', 60, 330), true);
  // Not measured yet: the share of the bar decides.
  assert.equal(bandLabelFits('UP', 7, 0), true);
  assert.equal(bandLabelFits('UP', 5, 0), false);
  assert.equal(bandLabelFits('Loadstar not running', 17, 0), false);
});

test("a backend's count keeps its backup servers apart: standing by while a regular server is up, serving when none is, or down", () => {
  const s = (usable: boolean, backup = false) => ({ usable, backup });
  assert.equal(serverCountText([s(true), s(true), s(true, true)]), '2/2 up, backup 1 standing by');
  assert.equal(serverCountText([s(false), s(false), s(true, true)]), '0/2 up, backup 1 serving');
  assert.equal(serverCountText([s(true), s(false), s(false, true), s(true, true)]), '1/2 up, backup 1 standing by, 1 down');
  assert.equal(serverCountText([s(true), s(true), s(false, true)]), '2/2 up, backup 1 down');
  assert.equal(serverCountText([s(true), s(false), s(true)]), '2/3 up', 'no backup server: as before');
  assert.equal(serverCountText([s(true, true)]), '1/1 up', 'only backup servers: they are the servers');
});
