/**
 * Servers that `track` a checked one follow its transitions, as HAProxy's
 * srv_update_status propagates them along `trackers`: each becomes usable or
 * not through its own backend (the one writer of its state) and logs
 * "Server b/s2 is DOWN via a/s1. …" after the tracked server's own line, then
 * its own trackers follow in turn.
 */
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { chainInMaint, trackerStopped, trackerStopping, trackerUsable } from '../runtime/track.ts';
import type { HealthNotify } from './checker.ts';
import { transitionMessage } from './events.ts';
import type { BackendCounts } from './events.ts';
import type { SyslogLevel } from '../config/model.ts';

export function followTrackers(server: RuntimeServer, notify: HealthNotify): void {
  for (const link of server.trackers) {
    const { server: tracker, backend } = link;
    const maint = chainInMaint(tracker);
    const usable = trackerUsable(tracker);
    const name = `${tracker.backup ? 'Backup ' : ''}Server ${backend.name}/${tracker.name}`;
    const via = `${tracker.track!.backend}/${tracker.track!.server.name}`;
    if (maint !== link.inheritedMaint) {
      link.inheritedMaint = maint;
      if (maint) tracker.maintSeen = true;
      // A maintenance of its own already stopped it: HAProxy only says it stays (srv_update_status).
      if (tracker.admin === 'MAINT') {
        if (!maint) notify(`${name} remains in forced maintenance.`);
      } else if (maint) {
        // Stopped by its chain's health before: no counts (srv_append_status with xferred -1).
        if (!tracker.usable && tracker.admin === 'READY') notify(`${name} was DOWN and now enters maintenance via ${via}.`);
        else follow(tracker, backend, false, notify, (counts, requeued) => transitionMessage({
          backend: backend.name, server: tracker.name, backup: tracker.backup, to: 'MAINT', via, counts, sessions: tracker.served, requeued, queued: tracker.queue.length,
        }));
      } else {
        follow(tracker, backend, usable, notify, () => `${name} is ${trackerStopped(tracker) ? 'DOWN' : 'UP'}/${tracker.admin === 'DRAIN' ? 'DRAIN' : 'READY'} (leaving maintenance).`);
      }
    } else if (trackerStopping(tracker) !== (link.stopping ?? false)) {
      // The chain's end entering or leaving NOLB: "is stopping via …", then UP or DOWN from there (srv_set_stopping's propagation).
      const stopping = !link.stopping;
      link.stopping = stopping;
      const to = stopping ? 'NOLB' : usable ? 'UP' : 'DOWN';
      follow(tracker, backend, usable, notify, (counts, requeued) => transitionMessage({
        backend: backend.name, server: tracker.name, backup: tracker.backup, to, via, counts, sessions: tracker.served, requeued, queued: tracker.queue.length,
      }), to === 'UP' ? 'notice' : to === 'DOWN' ? 'notice' : undefined);
    } else if (usable !== tracker.usable) {
      follow(tracker, backend, usable, notify, (counts, requeued) => transitionMessage({
        backend: backend.name, server: tracker.name, backup: tracker.backup, to: usable ? 'UP' : 'DOWN', via, counts, sessions: tracker.served, requeued, queued: tracker.queue.length,
      }), usable ? 'notice' : 'alert');
    }
    followTrackers(tracker, notify);
  }
}

/** Sets the tracker's usability through its backend, logs `describe`'s line, and the backend's last server going. */
function follow(tracker: RuntimeServer, backend: RuntimeBackend, usable: boolean, notify: HealthNotify, describe: (counts: BackendCounts, requeued: number) => string, mail?: SyslogLevel): void {
  const before = backend.usableCounts();
  const requeued = backend.setServerUsable(tracker, usable);
  const counts = backend.usableCounts();
  notify(describe(counts, requeued), undefined, mail && { backend: backend.name, level: mail });
  if (before.active + before.backup > 0 && counts.active + counts.backup === 0) notify(`backend ${backend.name} has no server available!`);
}

/** After a load (and the health a reload carried over): every tracking server as its chain says, before traffic. */
export function settleTrackers(backends: Iterable<RuntimeBackend>): void {
  const settle = (server: RuntimeServer, backend: RuntimeBackend): void => {
    for (const t of server.trackers) {
      t.inheritedMaint = chainInMaint(t.server);
      if (t.inheritedMaint) t.server.maintSeen = true;
    }
    if (server.track) {
      backend.carryServerUsable(server, trackerUsable(server));
      backend.balancer.update(server);
    }
    for (const t of server.trackers) settle(t.server, t.backend);
  };
  for (const backend of backends) for (const server of backend.servers) if (!server.track) settle(server, backend);
}
