/**
 * Log-format strings inside checks (`http-check send uri-lf / body-lf / hdr`,
 * `tcp-check send-lf / send-binary-lf`). HAProxy renders them in the check's
 * own session, with no stream: be_name / be_id / srv_name / srv_id name the
 * checked server (backend.c falls back to the check for them), the frontend
 * is the internal "CHECKS-FE", and fetches that need a request find nothing.
 */
import { compileLogFormat, parseLogFormat, MapVarStore } from '../acl/index.ts';
import type { SampleContext } from '../acl/index.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';

/** A check text: constant, or rendered for each check. */
export type CheckText = (ctx: SampleContext | undefined) => string;

/** Who is checked, for the fetches that name the check's backend and server. */
export interface CheckIdentity {
  backend: string;
  backendId?: number;
  server: string;
  serverId: number;
}

/** The context a check renders its log-format strings with (one per server, built once). */
export function checkSampleContext(who: CheckIdentity): SampleContext {
  return {
    conn: { src: '', srcPort: 0, dst: '', dstPort: 0, frontend: 'CHECKS-FE', ssl: false },
    backendName: who.backend,
    ...(who.backendId !== undefined ? { backendId: who.backendId } : {}),
    serverName: who.server,
    serverId: who.serverId,
    vars: new MapVarStore(),
  };
}

/** A plain string stays as written; a log-format one (already validated by the parser) is compiled. */
export function checkText(text: string, logFormat: boolean): CheckText {
  if (!logFormat) return () => text;
  const parsed = parseLogFormat(text);
  if ('error' in parsed) throw new Error(`invalid log-format '${text}': ${parsed.error}`);
  if (parsed.tokens.every((t) => t.kind === 'text')) {
    const constant = parsed.tokens.map((t) => (t.kind === 'text' ? t.text : '')).join('');
    return () => constant;
  }
  const render = compileLogFormat(parsed.tokens, { readFile: patternFileReader });
  // Without a context (a probe run on its own) the check's identity is unknown: fetches find nothing.
  const bare = checkSampleContext({ backend: '', server: '', serverId: 0 });
  return (ctx) => render(ctx ?? bare);
}
