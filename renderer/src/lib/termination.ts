/**
 * HAProxy's termination state of a logged request or session (the log's `End`
 * column, `%ts`/`%tsc`) in words: "SC" alone told a new user nothing. The first
 * character says what ended it, the second in which phase (HAProxy's
 * configuration manual, 8.5 "Session state at disconnection").
 */
const CAUSE: Record<string, string> = {
  C: 'the client aborted',
  S: 'the server aborted or refused it',
  P: 'the proxy stopped it (a limit or a deny rule)',
  L: 'answered by the proxy itself (a redirect, a built-in page)',
  R: 'a resource ran out (memory, sockets, source ports)',
  I: 'an internal error',
  D: 'killed: the server went DOWN',
  U: 'killed: an active server came back UP',
  K: 'killed by an admin',
  c: 'the client timed out',
  s: 'the server timed out',
};

const PHASE: Record<string, string> = {
  R: 'while waiting for the request',
  Q: 'while queued for a server',
  C: 'while connecting to the server',
  H: "while waiting for the server's response headers",
  D: 'while passing the data',
  L: 'while sending the last data',
  T: 'while tarpitted',
};

/** "SC" → "the server aborted or refused it, while connecting to the server"; "--": ended normally. */
export function terminationText(state: string): string {
  const cause = CAUSE[state[0] ?? ''];
  const phase = PHASE[state[1] ?? ''];
  if (!cause && !phase) return state.startsWith('--') ? 'ended normally' : "HAProxy's termination state";
  return [cause ?? 'ended normally', phase].filter(Boolean).join(', ');
}
