/** Command-line options of the bench scripts: `--name value`, else the default; no default means required. */
export function opt(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

/** The request header that makes wrk open a new connection per request (the per-connection path). */
export const CONNECTION_CLOSE = 'Connection: close';

/** `--close`: wrk's headers for a run of one request per connection, else none. */
export function closeHeaders(): string[] {
  return process.argv.includes('--close') ? [CONNECTION_CLOSE] : [];
}
