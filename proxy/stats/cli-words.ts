/**
 * How HAProxy 2.6's CLI cuts what a client sends: a line into commands at each ';' not escaped by a
 * backslash (cli_io_handler), a command into at most 64 words (cli_parse_request): words end at
 * spaces and tabs, a backslash keeps the next character in the word (`a\ b` is one word, `\;` a
 * semicolon, `\\` a backslash), a NUL byte ends a word (and the command, where a word would start),
 * and `<<` is the payload mark only when it is all that is left of the command.
 */

/** MAX_CLI_ARGS: words past it are not read. */
const MAX_CLI_ARGS = 64;
const PAYLOAD_PATTERN = '<<';

/** The commands of a line: cut at each ';' a backslash does not escape (the escapes stay for the words). */
export function splitCommands(line: string): string[] {
  const commands: string[] = [];
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === ';') {
      commands.push(line.slice(start, i));
      start = i + 1;
    }
  }
  commands.push(line.slice(start));
  return commands;
}

/** A command's words, unescaped, and whether it ends with the payload mark (which is then no word). */
export function splitWords(command: string): { args: string[]; payload: boolean } {
  const args: string[] = [];
  let p = 0;
  const end = command.length;
  while (args.length < MAX_CLI_ARGS && p < end) {
    while (p < end && (command[p] === ' ' || command[p] === '\t')) p++;
    if (p >= end || command[p] === '\0') break;
    if (command.slice(p) === PAYLOAD_PATTERN) return { args, payload: true };
    const start = p;
    while (p < end) {
      const c = command[p];
      if (c === ' ' || c === '\t' || c === '\0') break;
      if (c === '\\') {
        p++;
        if (p >= end || command[p] === '\0') break;
      }
      p++;
    }
    args.push(unescape(command.slice(start, p)));
    p++;
  }
  return { args, payload: false };
}

/** `\x` is x, `\\` a backslash; a backslash at the very end is dropped. */
function unescape(word: string): string {
  if (!word.includes('\\')) return word;
  let out = '';
  for (let k = 0; k < word.length; k++) {
    if (word[k] === '\\') {
      if (word[k + 1] !== '\\') continue;
      k++;
    }
    out += word[k];
  }
  return out;
}
