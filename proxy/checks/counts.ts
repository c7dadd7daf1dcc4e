/** How many servers of a backend take traffic, as HAProxy's state-change lines count them. */
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { BackendCounts } from './events.ts';

export function backendCounts(backend: RuntimeBackend): BackendCounts {
  let active = 0;
  let backup = 0;
  for (const s of backend.servers) {
    if (!s.usable || s.weight <= 0) continue;
    if (s.backup) backup++;
    else active++;
  }
  return { active, backup };
}
