/**
 * "Trace this request" from the access log: an entry becomes the tracer's
 * form, filled as the request arrived (frontend, method, target, Host, the
 * client's address, TLS and SNI), and is handed to the tracer screen, which
 * traces it at once. The hand-over is one value kept in this module: it is
 * taken once, so coming back to the tracer later starts from an empty form.
 */
import type { AccessLogEntry } from '../../../proxy/control/contract.ts';

export interface TraceDraft {
  frontend: string;
  method: string;
  url: string;
  host: string;
  source: string;
  tls: boolean;
  sni: string;
}

/** The tracer's form for an HTTP entry; a TCP session has no request to trace but its connection. */
export function traceDraftOf(entry: AccessLogEntry): TraceDraft {
  return {
    frontend: entry.frontend,
    method: entry.method ?? 'GET',
    url: entry.url ?? '/',
    host: entry.host ?? '',
    source: entry.clientIp,
    tls: entry.tls,
    sni: entry.sni ?? '',
  };
}

let pending: TraceDraft | undefined;

export function handTraceDraft(draft: TraceDraft): void {
  pending = draft;
}

/** The draft handed over for this frontend, once; undefined when there is none (or it was for another frontend). */
export function takeTraceDraft(frontend: string | undefined): TraceDraft | undefined {
  const draft = pending;
  pending = undefined;
  return draft && draft.frontend === frontend ? draft : undefined;
}
