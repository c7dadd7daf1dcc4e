/**
 * One logged HTTP frontend in front of one server, and what its log lines say in short: for the
 * side-by-side tests of what a client's bytes lead to (pipelined-refusal, message-gap).
 */
import { loggedHttpHead } from '../../../helpers/haproxy.ts';

/** The configuration, for sideBySide: `option httplog`, the server at 127.0.0.1:`serverPort`. */
export const loggedFrontend = (serverPort: number) => (port: number): string => `${loggedHttpHead()}    option httplog
frontend web
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${serverPort}
`;

/** Status, termination state and request of the log lines but the connection probe's (CR--). */
export const logSummary = (lines: readonly string[]): string[] =>
  lines.filter((l) => !l.includes(' CR-- ')).map((l) => {
    const f = l.split(' ');
    return `${f[5]} ${f[9]} ${f.slice(12).join(' ')}`;
  });
