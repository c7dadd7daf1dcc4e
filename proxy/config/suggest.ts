/**
 * "Did you mean …?" for misspelt keywords, fetches and names: the closest
 * candidate by Levenshtein distance, if it is close enough to be a plausible
 * typo (at most a third of the word's length, at least one edit).
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    // Each candidate costs one unit, each distance its table's cells; a spent budget suggests nothing more.
    if (--budget < 0) return undefined;
    if (Math.abs(candidate.length - word.length) > limit) continue;
    budget -= word.length * candidate.length;
    const distance = levenshtein(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Work left for suggestions in the current check (withSuggestionBudget). A hint is a courtesy: a
 * configuration with thousands of misspelt names against thousands of candidates must not make its
 * check quadratic (minutes of a blocked engine for a few hundred kB of text), so once the budget is
 * spent the remaining problems are still reported, without "did you mean".
 */
let budget = Number.POSITIVE_INFINITY;

/** Work one configuration check may spend on suggestions, in candidates looked at plus distance-table cells (some 100 ms). */
export const SUGGESTION_BUDGET = 20_000_000;

/** Runs `check` (synchronous) with `work` units for suggestions, then restores the caller's budget. */
export function withSuggestionBudget<T>(work: number, check: () => T): T {
  const saved = budget;
  budget = work;
  try {
    return check();
  } finally {
    budget = saved;
  }
}

/** Edit distance with adjacent transpositions counted as one edit ("mdoe" → "mode"). */
export function levenshtein(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * tools.c make_word_fingerprint(): which characters a word has and how many times each pair of
 * character classes follows another (letters, digits, others, begin, end), case ignored.
 */
function wordFingerprint(word: string): Uint8Array {
  const fp = new Uint8Array(1024);
  let from = 28;
  for (const ch of word.toLowerCase()) {
    const code = ch.charCodeAt(0);
    const to = code >= 97 && code <= 122 ? code - 96 : code >= 48 && code <= 57 ? 27 : 28;
    fp[to] = 1;
    fp[32 * from + to]!++;
    from = to;
  }
  fp[32 * from + 28]!++;
  return fp;
}

/**
 * HAProxy's "Did you mean" for a rule action (action.c action_suggest): the keyword, then the
 * extra word, whose fingerprint is nearest `word`'s (the first one on a tie), unless it is more
 * than 2 times (3 for a keyword taking a parenthesised argument, written 'name(*)') as far as
 * either word is long.
 */
export function suggestAction(word: string, keywords: readonly string[], extra: readonly string[] = []): string | undefined {
  if (!word) return undefined;
  const sig = wordFingerprint(word);
  let best: string | undefined;
  let bestPrefix = false;
  let bestDistance = Infinity;
  for (const [candidate, prefix] of [...keywords.map((k) => [k.replace(/\(\*\)$/, ''), k.endsWith('(*)')] as const), ...extra.map((e) => [e, false] as const)]) {
    const other = wordFingerprint(candidate);
    let distance = 0;
    for (let i = 0; i < 1024; i++) distance += Math.abs(sig[i]! - other[i]!);
    if (distance < bestDistance) {
      best = candidate;
      bestPrefix = prefix;
      bestDistance = distance;
    }
  }
  const factor = 2 + (bestPrefix ? 1 : 0);
  return best !== undefined && (bestDistance > factor * word.length || bestDistance > factor * best.length) ? undefined : best;
}
