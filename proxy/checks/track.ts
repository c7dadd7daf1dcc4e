/**
 * Servers that `track` a checked one follow its transitions, as HAProxy's
 * srv_update_status propagates them along `trackers`: each becomes usable or
 * not through its own backend (the one writer of its state) and logs
 * "Server b/s2 is DOWN via a/s1. …" after the tracked server's own line, then
 * its own trackers follow in turn.
 */
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { trackerUsable } from '../runtime/track.ts';
import { backendCounts } from './counts.ts';
import type { HealthNotify } from './checker.ts';
import { transitionMessage } from './events.ts';

export function followTrackers(server: RuntimeServer, notify: HealthNotify): void {
  for (const { server: tracker, backend } of server.trackers) {
    const usable = trackerUsable(tracker);
    if (usable === tracker.usable) continue;
    followOne(tracker, backend, usable, notify);
    followTrackers(tracker, notify);
  }
}

function followOne(tracker: RuntimeServer, backend: RuntimeBackend, usable: boolean, notify: HealthNotify): void {
  const before = backendCounts(backend);
  const requeued = backend.setServerUsable(tracker, usable);
  const counts = backendCounts(backend);
  const via = tracker.track!;
  notify(transitionMessage({
    backend: backend.name, server: tracker.name, backup: tracker.backup, to: usable ? 'UP' : 'DOWN', via: `${via.backend}/${via.server.name}`,
    counts, sessions: tracker.served, requeued, queued: tracker.queue.length,
  }));
  if (before.active + before.backup > 0 && counts.active + counts.backup === 0) notify(`backend ${backend.name} has no server available!`);
}

/** After a load (and the health a reload carried over): every tracking server as its chain says, before traffic. */
export function settleTrackers(backends: Iterable<RuntimeBackend>): void {
  const settle = (server: RuntimeServer, backend: RuntimeBackend): void => {
    if (server.track) {
      backend.carryServerUsable(server, trackerUsable(server));
      backend.balancer.update(server);
    }
    for (const t of server.trackers) settle(t.server, t.backend);
  };
  for (const backend of backends) for (const server of backend.servers) if (!server.track) settle(server, backend);
}
