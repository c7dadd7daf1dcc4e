/**
 * An errorfile read as HAProxy reads it (a complete HTTP/1 response): the configuration checks it at
 * load (kw-errors.ts), the HTTP engine answers with it (http/error-pages.ts).
 */

/**
 * Why HAProxy 2.6 refuses an errorfile (http_parse_errorfile → http_str_to_htx), in its words;
 * undefined when it takes it. An empty file is fine: the answer is to close without a word.
 */
export function errorFileProblem(raw: Buffer, checkLength = true): string | undefined {
  if (raw.length === 0) return undefined;
  const parsed = splitMessage(raw);
  if (!parsed) return 'unable to parse headers (error offset: -2)';
  const te = parsed.headers.find((h) => h.name === 'transfer-encoding');
  if (te) return 'chunk-encoded payload not supported';
  const cl = parsed.headers.find((h) => h.name === 'content-length');
  if (checkLength && cl && /^\d+$/.test(cl.value) && Number(cl.value) !== parsed.body.length) {
    return `payload size does not match the announced content-length (${parsed.body.length} != ${cl.value})`;
  }
  return undefined;
}

export interface Message {
  statusLine: string;
  headers: Array<{ name: string; value: string }>;
  body: Buffer;
}

export function splitMessage(raw: Buffer): Message | undefined {
  const text = raw.toString('latin1');
  const split = /\r?\n\r?\n/.exec(text);
  if (!split) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, split.index).split(/\r?\n/);
  if (!/^HTTP\/\d\.\d \d{3}/.test(statusLine)) return undefined;
  const headers: Message['headers'] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return { statusLine, headers, body: raw.subarray(split.index + split[0].length) };
}
