/**
 * Atomic file replacement: readers (HAProxy, Loadstar's own TLS reload) see the
 * old file or the new one, never a half-written key, and a failed write leaves
 * the old file exactly as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Makes `dir` (and its parents) exist; `dir` itself gets `mode` even if it existed with a looser one. */
export function ensurePrivateDir(dir: string, mode = 0o700): void {
  fs.mkdirSync(dir, { recursive: true, mode });
  fs.chmodSync(dir, mode);
}

/**
 * Writes `data` to a temporary file next to `file` (same file system, so the
 * rename is atomic), created with `mode` from the start so a key is never
 * readable by others even for a moment, flushed to disk, then renamed over
 * `file`. On any failure the temporary file is removed and the error rethrown.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600, owner?: { uid: number; gid: number }): void {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', mode);
    // The umask may have removed bits from `mode`; set it exactly.
    fs.fchmodSync(fd, mode);
    // The file it replaces belonged to someone else (root:haproxy): keep that where the process may.
    if (owner && process.getuid && (owner.uid !== process.getuid() || owner.gid !== process.getgid?.())) {
      try {
        fs.fchownSync(fd, owner.uid, owner.gid);
      } catch {
        // Not permitted: the file is the process's own, with the mode asked for.
      }
    }
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw e;
  }
  syncDir(dir);
}

/** Makes the rename itself durable. Some platforms (Windows) cannot open a directory; the rename is still atomic there. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort, see above
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
