/** Waiting on what a child process (serve, run) writes to its stderr. */
import type { ChildProcess } from 'node:child_process';

/** Resolves with the first match of `pattern` in the child's stderr so far; rejects after `ms` with what was seen. */
export function waitForStderr(child: ChildProcess, pattern: RegExp, ms = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${seen}`)), ms);
    const onData = (d: Buffer): void => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(m[0]);
      }
    };
    child.stderr!.on('data', onData);
  });
}
