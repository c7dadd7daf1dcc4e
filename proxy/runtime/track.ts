/**
 * `server … track [<backend>/]<server>` as the running tables see it: a
 * tracking server runs no check of its own; it is usable while the server it
 * tracks is (and its own admin state is ready), and shows the status of the
 * checked server at the end of the chain (HAProxy's srv_apply_track and the
 * stats' "via"/"ref" servers). validate.ts refused unresolvable or looping
 * tracks, so every link found here leads to a checked server.
 */
import type { RuntimeBackend } from './backend.ts';
import type { RuntimeServer } from './server.ts';

/** A server tracking another one, with the backend that writes its state. */
export interface Tracker {
  server: RuntimeServer;
  backend: RuntimeBackend;
  /** In maintenance because a server of its chain is (HAProxy's SRV_ADMF_IMAINT): kept by proxy/checks/track.ts. */
  inheritedMaint: boolean;
  /** Stopping because the checked server at the end of its chain is (SRV_ST_STOPPING): kept by proxy/checks/track.ts. */
  stopping?: boolean;
}

/** Links every `track` of one configuration load's backends (before checks start). */
export function linkTracks(backends: ReadonlyMap<string, RuntimeBackend>): void {
  for (const backend of backends.values()) {
    for (const server of backend.servers) {
      const spec = server.config.options.track;
      if (spec === undefined) continue;
      const slash = spec.lastIndexOf('/');
      const owner = slash < 0 ? backend : backends.get(spec.slice(0, slash));
      const tracked = owner?.server(spec.slice(slash + 1));
      if (!owner || !tracked) continue; // a disabled backend: the server runs as one without check
      server.track = { server: tracked, backend: owner.name };
      tracked.pinned = true;
      // First the last linked, as HAProxy's srv_apply_track prepends to `trackers`: the order tracked changes reach them.
      tracked.trackers.unshift({ server, backend, inheritedMaint: false });
    }
  }
}

/** A server of the chain `server` tracks is in maintenance. */
export function chainInMaint(server: RuntimeServer): boolean {
  for (let s = server.track?.server; s; s = s.track?.server) if (s.admin === 'MAINT') return true;
  return false;
}

/** Whether a tracking server takes traffic: its own admin state is ready and the server it tracks is usable. */
export function trackerUsable(server: RuntimeServer): boolean {
  return server.admin === 'READY' && (server.track?.server.usable ?? true);
}

/**
 * The stats status of a tracking server (HAProxy's stats_fill_sv_stats): a
 * maintenance inherited along the chain as `MAINT (via b/s)` naming the server it
 * tracks, its own maintenance, a drain of its own or inherited, else the status of the
 * checked server at the end of the chain ("UP", "DOWN 1/2" …).
 */
export function trackerStatus(server: RuntimeServer): string {
  const via = server.track!;
  let drain = server.admin === 'DRAIN';
  let ref = via.server;
  for (;;) {
    // An inherited maintenance shows before the server's own (HAProxy tests SRV_ADMF_IMAINT first).
    if (ref.admin === 'MAINT') return `MAINT (via ${via.backend}/${via.server.name})`;
    if (ref.admin === 'DRAIN') drain = true;
    if (!ref.track) break;
    ref = ref.track.server;
  }
  if (server.admin === 'MAINT') return 'MAINT';
  return drain ? 'DRAIN' : ref.status;
}

/** A tracking server is stopped (SRV_ST_STOPPED) while a server of its chain is in maintenance or the checked one at its end is down. */
export function trackerStopped(server: RuntimeServer): boolean {
  for (let s: RuntimeServer | undefined = server; s; s = s.track?.server) {
    if (s.admin === 'MAINT') return true;
    if (!s.track) return s.check?.down ?? false;
  }
  return false;
}

/** A tracking server is stopping (SRV_ST_STOPPING, `show servers state` 3): not stopped, and the checked server at the end of its chain is NOLB. */
export function trackerStopping(server: RuntimeServer): boolean {
  if (trackerStopped(server)) return false;
  let end = server;
  while (end.track) end = end.track.server;
  return end.check?.stopping ?? false;
}
