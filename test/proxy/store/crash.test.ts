import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HistoryStore } from '../../../proxy/store/history.ts';
import { TS_IMPORT } from '../../helpers/ts-import.ts';

const writer = fileURLToPath(new URL('./fixtures/history-writer.ts', import.meta.url));
const OBJECTS = 200;
const BASE_MINUTE = 29_000_000;

/** Starts the writer, lets it commit at least `batches` batches, then SIGKILLs it; resolves with the last batch it reported. */
function killMidWrite(file: string, batches: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TS_IMPORT, writer, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = 0;
    let text = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the writer reported only ${last} batches in 20 s`));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const line of lines) last = Math.max(last, Number(line.split(' ')[1]));
      // Killed while it is writing the next batches: the kill lands inside a transaction most of the time.
      if (last >= batches && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`the writer exited by itself (${signal ?? _code}) before it was killed`));
      else resolve(last);
    });
  });
}

test('a writer killed with SIGKILL in the middle of its batches leaves a sound database with every committed batch complete', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-crash-'));
  const file = path.join(dir, 'history.sqlite');
  for (const round of [1, 2]) {
    const reported = await killMidWrite(file, round * 40);
    const store = HistoryStore.open(file);
    assert.equal(store.integrityCheck(), 'ok', `round ${round}`);
    // Every batch the writer said it committed is there, and no batch is there in part.
    const db = (store as unknown as { db: { prepare(sql: string): { all(): Array<{ minute: number; n: number }>; get(): { n: number } } } }).db;
    const perMinute = db.prepare('SELECT minute, COUNT(*) AS n FROM minutes GROUP BY minute ORDER BY minute').all();
    const batches = perMinute.map((r) => r.minute - BASE_MINUTE);
    assert.ok(Math.max(...batches) >= reported, `round ${round}: batch ${reported} was reported committed; the database has up to ${Math.max(...batches)}`);
    for (const r of perMinute) assert.equal(r.n, OBJECTS, `round ${round}: batch ${r.minute - BASE_MINUTE} has ${r.n} of ${OBJECTS} rows`);
    const events = db.prepare('SELECT COUNT(*) AS n FROM health').get().n;
    assert.ok(events >= reported, `round ${round}: ${events} health events for ${reported} reported batches`);
    const points = store.series('server:b/s7', (BASE_MINUTE + 1) * 60_000, (BASE_MINUTE + reported) * 60_000);
    assert.equal(points.length, reported);
    store.close();
  }
});
