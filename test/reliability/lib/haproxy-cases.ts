/**
 * Hostile cases replayed through haproxy 2.6.12, which aborts on some of them (a BUG_ON): one
 * haproxy serves the cases in turn and a new one is started after a case it did not survive.
 */
import { startHaproxy } from '../../helpers/haproxy.ts';

/** `each(i, alive)` for cases 0 … count−1 through haproxy running `text` (ready once `waitPort` accepts). */
export async function throughRestartingHaproxy<T>(text: string, waitPort: number, count: number, each: (i: number, alive: () => boolean) => Promise<T>): Promise<T[]> {
  let h = await startHaproxy(text, waitPort);
  const out: T[] = [];
  try {
    for (let i = 0; i < count; i++) {
      out.push(await each(i, h.alive));
      if (!h.alive()) h = await startHaproxy(text, waitPort);
    }
  } finally {
    await h.stop();
  }
  return out;
}
