/**
 * Pattern and map files named by ACLs (`-f`) and converters (`map()`), read
 * when a configuration is compiled. A file named by many rules is read once;
 * a file edited since (size, inode, change or modification time differ) is
 * read again, so a reload applies the new contents.
 */
import fs from 'node:fs';
import { readNamedFileOrThrow } from '../config/named-file.ts';

interface CachedFile {
  text: string;
  /** Identity of the version read: inode, size, mtime and ctime in nanoseconds. */
  version: string;
}

const cache = new Map<string, CachedFile>();

function versionOf(path: string): string {
  const s = fs.statSync(path, { bigint: true });
  return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

export function patternFileReader(path: string): string {
  const version = versionOf(path);
  const cached = cache.get(path);
  if (cached?.version === version) return cached.text;
  const text = readNamedFileOrThrow(path).toString('utf8');
  cache.set(path, { text, version });
  return text;
}

/** Forgets every file read (the next read of each goes to the disk). */
export function clearPatternFiles(): void {
  cache.clear();
}
