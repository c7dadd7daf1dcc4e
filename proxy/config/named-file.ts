/**
 * Files a configuration names (errorfiles, return payloads, pattern and map files), read at load
 * by the check and again by the engine when it compiles. Only what HAProxy would read: a regular
 * file up to a bound, or a device as HAProxy's open/fstat/read of `st_size` bytes sees it — empty
 * (`errorfile 408 /dev/null` is HAProxy's documented empty page). Never an endless read
 * (/dev/zero, /dev/urandom: the process would die of memory) and never a FIFO, whose open and
 * read block until a writer appears and would stall the whole engine (it is opened without
 * waiting, O_NONBLOCK, and refused).
 */
import fs from 'node:fs';
import { ConfigReadError } from '../errors.ts';

/** Largest file a configuration may name: far above any real errorfile, pattern or map file. */
export const MAX_NAMED_FILE_BYTES = 128 * 1024 * 1024;

/** The file's bytes; undefined when it cannot be opened, is a FIFO, socket or directory, or is larger than `limit`. */
export function readNamedFileBytes(file: string, limit = MAX_NAMED_FILE_BYTES): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isCharacterDevice() || stat.isBlockDevice()) return Buffer.alloc(0);
    if (!stat.isFile() || stat.size > limit) return undefined;
    // What the size says, and one byte more to notice a file that grew past the limit meanwhile.
    const buffer = Buffer.alloc(Math.min(stat.size, limit) + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length;) {
      n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      length += n;
    }
    return length > limit ? undefined : buffer.subarray(0, length);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** The file as UTF-8 text (see readNamedFileBytes). */
export function readNamedFile(file: string, limit = MAX_NAMED_FILE_BYTES): string | undefined {
  return readNamedFileBytes(file, limit)?.toString('utf8');
}

/** For the engine, which compiles a checked configuration: the bytes, or a ConfigReadError saying why not. */
export function readNamedFileOrThrow(file: string): Buffer {
  const bytes = readNamedFileBytes(file);
  if (bytes === undefined) {
    const reason = fs.existsSync(file) ? `not a regular file, or larger than ${MAX_NAMED_FILE_BYTES} bytes` : 'no such file';
    throw new ConfigReadError(file, new Error(reason));
  }
  return bytes;
}
