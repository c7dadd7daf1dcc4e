/** Pattern and map files named by ACLs (`-f`) and converters (`map()`), read once at load. */
import fs from 'node:fs';

const cache = new Map<string, string>();

export function patternFileReader(path: string): string {
  let text = cache.get(path);
  if (text === undefined) {
    text = fs.readFileSync(path, 'utf8');
    cache.set(path, text);
  }
  return text;
}

/** Forget cached files (a reload must see edited pattern files). */
export function clearPatternFiles(): void {
  cache.clear();
}
