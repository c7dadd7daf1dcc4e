/**
 * The head of an answer Loadstar built itself (rules, error pages, errorfiles), opened for the
 * http-after-response rules, which HAProxy runs on every answer, its own included.
 */
import type { ResponseHead } from './upstream.ts';
import { serializeHead } from './headers.ts';

/** Runs `edit` on the head of `answer` (a complete HTTP/1.1 response) and rebuilds it; the body is kept as is. */
export function rewriteAnswerHead(answer: Buffer, edit: (head: ResponseHead) => void): Buffer {
  const end = answer.indexOf('\r\n\r\n');
  if (end < 0) return answer; // not a head Loadstar can read (a malformed errorfile): sent as it is
  const lines = answer.toString('latin1', 0, end).split('\r\n');
  const start = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/.exec(lines[0]!);
  if (!start) return answer;
  const headers: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const head: ResponseHead = {
    status: Number(start[3]), reason: start[4] ?? '', versionMajor: Number(start[1]), versionMinor: Number(start[2]),
    headers, keepAlive: true, upgrade: false,
  };
  edit(head);
  const rebuilt = serializeHead(`HTTP/${head.versionMajor}.${head.versionMinor} ${head.status} ${head.reason}`, head.headers);
  return Buffer.concat([Buffer.from(rebuilt, 'latin1'), answer.subarray(end + 4)]);
}
