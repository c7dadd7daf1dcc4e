/**
 * The history database's own thread: SQLite work (a minute's batch of a few
 * hundred rows takes tens of milliseconds once the file is large, and a WAL
 * checkpoint may fsync) never blocks the engine's event loop. The main
 * thread talks to it through HistoryClient (history-client.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HistoryStore } from './history.ts';
import type { HistoryStoreOptions } from './history.ts';

export interface HistoryRequest {
  id: number;
  op: 'writeMinutes' | 'writeHealthEvents' | 'syncConfigured' | 'configuredSince' | 'writeRun' | 'runs' | 'series' | 'healthEvents' | 'prune' | 'usedBytes' | 'integrityCheck' | 'close';
  args: unknown[];
}

export type HistoryReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; message: string; code?: string };

const port = parentPort!;
const { file, options } = workerData as { file: string; options: HistoryStoreOptions };
let store: HistoryStore;
try {
  store = HistoryStore.open(file, options);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, message: (e as Error).message, code: (e as { code?: string }).code });
  process.exit(0);
}

port.on('message', (request: HistoryRequest) => {
  let reply: HistoryReply;
  try {
    const method = store[request.op] as (...args: unknown[]) => unknown;
    reply = { id: request.id, ok: true, value: method.apply(store, request.args) };
  } catch (e) {
    reply = { id: request.id, ok: false, message: (e as Error).message, code: (e as { code?: string }).code };
  }
  port.postMessage(reply);
  if (request.op === 'close') port.close();
});
