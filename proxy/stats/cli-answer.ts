/**
 * What a runtime API command answers: text it dumps (as HAProxy's I/O handlers write it), or a
 * message (cli.c cli_msg / cli_err) which `set severity-output` prefixes with its syslog severity.
 */
export interface CliMessage {
  /** Syslog severity: 3 (err) for cli_err, usually 6 (info) for cli_msg. */
  readonly severity: number;
  readonly text: string;
}

export type CliAnswer = string | CliMessage;

export type SeverityOutput = 'none' | 'number' | 'string';

/** cli_err(): an error message. */
export const cliErr = (text: string): CliMessage => ({ severity: 3, text });
/** cli_msg(): a message of the given severity (LOG_INFO by default). */
export const cliMsg = (text: string, severity = 6): CliMessage => ({ severity, text });
/** An answer that is nothing or an error (commands whose every message is a cli_err). */
export const errUnlessEmpty = (text: string): CliAnswer => (text === '' ? '' : cliErr(text));

/** log_levels (log.c), by severity. */
const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** cli_output_msg(): a message with `[<severity>]: ` in front unless the session's severity output is none. */
export function renderAnswer(answer: CliAnswer, output: SeverityOutput): string {
  if (typeof answer === 'string') return answer;
  if (output === 'none') return answer.text;
  return `[${output === 'number' ? answer.severity : LEVELS[answer.severity]}]: ${answer.text}`;
}
