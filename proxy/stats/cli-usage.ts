/**
 * The runtime API's answer to `help` and to a command it does not know, as HAProxy 2.6's
 * cli_gen_usage_msg builds it: the words that match a command exactly narrow the list; a word
 * past them is compared with the rest of each command by a fingerprint of its letter pairs, and
 * the closest commands are suggested; with nothing to suggest, every command under the matching
 * words is listed. An empty command gets the whole list.
 */

/** One command as the usage message sees it: its words, and its usage line when it is listed. */
export interface UsageCommand {
  words: readonly string[];
  /** "  <usage padded>: <help>\n"; undefined for commands HAProxy does not list (its usage is NULL). */
  line: string | undefined;
}

/** cli-t.h: the words of a command, the suggestions kept. */
const PREFIX_WORDS = 5;
const MAX_MATCHES = 5;

/**
 * tools.c update_word_fingerprint: counts of transitions between letter classes (a–z, digit, other,
 * with the word's start and end as "other") in a 32 × 32 table, and a mark for each class seen.
 */
function addFingerprint(fp: Uint8Array, word: string): void {
  let from = 28;
  for (const ch of Buffer.from(word, 'latin1')) {
    const c = ch >= 0x41 && ch <= 0x5a ? ch + 0x20 : ch;
    const to = c >= 0x61 && c <= 0x7a ? c - 0x61 + 1 : c >= 0x30 && c <= 0x39 ? 27 : 28;
    fp[to] = 1;
    // A Uint8Array wraps at 256 as HAProxy's uint8_t does.
    fp[32 * from + to]++;
    from = to;
  }
  fp[32 * from + 28]++;
}

function fingerprintDistance(a: Uint8Array, b: Uint8Array): number {
  let dist = 0;
  for (let i = 0; i < 1024; i++) dist += Math.abs(a[i]! - b[i]!);
  return dist;
}

/** How many of `args`' first words name a command's first words exactly (at most PREFIX_WORDS). */
function matchingWords(commands: readonly UsageCommand[], args: readonly string[]): number {
  let length = 0;
  for (const c of commands) {
    for (let i = 0; i < PREFIX_WORDS; i++) {
      if (c.words[i] === undefined || !args[i] || c.words[i] !== args[i]) break;
      length = Math.max(length, i + 1);
    }
  }
  return length;
}

/** Whether `command`'s first `length` words are `args`' (HAProxy's loop, which stops at a shorter command). */
function under(command: UsageCommand, args: readonly string[], length: number): boolean {
  let i = 0;
  for (; i < length; i++) {
    if (command.words[i] === undefined || !args[i] || command.words[i] !== args[i]) break;
  }
  return i === length;
}

/**
 * The usage message for `args` (a command's words; `help` first for the help listing), listing
 * `commands` (their usage lines, in any order) and then `always` (help, prompt, quit).
 */
export function usageMessage(commands: readonly UsageCommand[], args: readonly string[], always: string): string {
  const help = args[0] === 'help';
  if (help) args = args.slice(1);
  const length = matchingWords(commands, args);
  const head = help
    ? 'The following commands are valid at this level:\n'
    : length === 0 && !args[0]
      ? 'Unknown command. Please enter one of the following commands only:\n'
      : 'Unknown command, but maybe one of the following ones is a better match:\n';
  const matches: Array<{ line: string; dist: number }> = [];
  const next = args[length];
  if (next) {
    const typed = new Uint8Array(1024);
    let typedLength = 0;
    for (let i = length; i < PREFIX_WORDS && args[i]; i++) {
      addFingerprint(typed, args[i]!);
      typedLength += Buffer.byteLength(args[i]!, 'latin1');
    }
    for (const c of commands) {
      if (c.line === undefined || !under(c, args, length)) continue;
      const listed = new Uint8Array(1024);
      let total = typedLength;
      for (let i = length; i < PREFIX_WORDS && c.words[i] !== undefined; i++) {
        addFingerprint(listed, c.words[i]!);
        total += Buffer.byteLength(c.words[i]!, 'latin1');
      }
      const dist = fingerprintDistance(typed, listed);
      // Kept when close enough for the words' length and better than the worst kept (a stable insertion).
      if (dist >= Math.trunc((5 * total) / 2)) continue;
      if (matches.length === MAX_MATCHES && dist >= matches[MAX_MATCHES - 1]!.dist) continue;
      if (matches.length === MAX_MATCHES) matches.pop();
      let at = matches.length;
      while (at > 0 && matches[at - 1]!.dist > dist) at--;
      matches.splice(at, 0, { line: c.line, dist });
    }
  }
  let lines: string[];
  if (matches.length > 0) {
    // Unlikely candidates (far worse than the best) are dropped.
    const best = matches[0]!.dist;
    lines = matches.filter((m) => m.dist <= Math.trunc((5 * best) / 2)).map((m) => m.line);
  } else {
    lines = commands.filter((c) => c.line !== undefined && under(c, args, length)).map((c) => c.line!);
  }
  // cmp_kw_entries: by usage text (strcmp).
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return head + lines.join('') + always;
}
