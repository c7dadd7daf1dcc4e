/**
 * `if`/`unless` conditions (manual 7.2): `[!]acl1 [!]acl2 … { or|'||' [!]acl … }`
 * with anonymous ACLs between separate-word braces. AND (implicit) binds
 * tighter than OR; there are no parentheses. Mirrors parse_acl_cond().
 *
 * HAProxy silently accepts a few degenerate forms (an empty condition, a
 * dangling '||', a '!' followed by nothing); they are errors here unless
 * `{ strict: false }` is given, in which case they become warnings and the
 * result is what HAProxy builds.
 */
import type { AclReference, Condition, ConditionAnd, ConditionParseResult, ConditionTerm } from './types.ts';
import { parseAclExpression } from './acl.ts';
import { isPredefinedAcl } from './predefined.ts';

export interface ConditionParseOptions {
  /** Reject the degenerate forms HAProxy tolerates (default true). */
  readonly strict?: boolean;
}

/**
 * Parses the condition starting at words[startIndex] ('if' or 'unless') and
 * running to the end of `words`. Named ACLs are returned unresolved: the
 * caller checks them against the proxy's declared ACLs (declared ones win
 * over predefined ones of the same name).
 */
export function parseCondition(words: readonly string[], startIndex: number, options: ConditionParseOptions = {}): ConditionParseResult {
  const strict = options.strict ?? true;
  const keyword = words[startIndex];
  if (keyword !== 'if' && keyword !== 'unless') {
    return { error: "conditions must start with either 'if' or 'unless'", wordIndex: startIndex };
  }
  const warnings: string[] = [];
  const suites: ConditionAnd[] = [];
  let suite: ConditionTerm[] | undefined;
  const referencedAcls: AclReference[] = [];
  let negate = false;
  let negateAt = -1;
  let orAt = -1;

  /** A tolerated oddity: error when strict, warning otherwise. */
  const oddity = (message: string, wordIndex: number): ConditionParseResult | undefined => {
    if (strict) return { error: message, wordIndex };
    warnings.push(message);
    return undefined;
  };
  const addTerm = (term: ConditionTerm): void => {
    if (!suite) {
      suite = [];
      suites.push({ kind: 'and', terms: suite });
    }
    suite.push(term);
    negate = false;
    orAt = -1;
  };

  for (let i = startIndex + 1; i < words.length; i++) {
    const raw = words[i]!;
    let word = raw;
    while (word.startsWith('!')) {
      negate = !negate;
      negateAt = i;
      word = word.slice(1);
    }
    if (word === '') continue; // lone '!' applies to the next term

    if (word === '||' || word.toLowerCase() === 'or') {
      if (negate) {
        const r = oddity(`missing ACL after '!' in condition`, negateAt);
        if (r) return r;
      }
      if (!suite) {
        const r = oddity(`missing ACL before '${word}' in condition`, i);
        if (r) return r;
      }
      suite = undefined;
      negate = false;
      orAt = i;
      continue;
    }

    if (word === '{') {
      let end = i + 1;
      while (end < words.length && words[end] !== '}') end++;
      if (end >= words.length) return { error: "missing closing '}' in condition", wordIndex: i };
      const acl = parseAclExpression(words.slice(0, end), i + 1, '');
      if ('error' in acl) return acl.wordIndex !== undefined ? acl : { ...acl, wordIndex: i };
      addTerm({ kind: 'anon', acl, negate, wordIndex: i });
      warnings.push(...acl.warnings);
      i = end;
      continue;
    }

    if (word === '}') return { error: "no such ACL : '}' (unbalanced '}' in condition)", wordIndex: i };
    if (word.startsWith('{') || word.endsWith('}')) {
      const inner = word.replace(/^\{/, '').replace(/\}$/, '');
      const tip = inner ? `; the braces of an anonymous ACL must be separate words: '{ ${inner} }'` : '';
      return { error: `no such ACL : '${word}'${tip}`, wordIndex: i };
    }

    const predefined = isPredefinedAcl(word);
    if (!referencedAcls.some((r) => r.name === word)) referencedAcls.push({ name: word, predefined, wordIndex: i });
    addTerm({ kind: 'acl', name: word, negate, predefined, wordIndex: i });
  }

  if (negate) {
    const r = oddity(`missing ACL after '!' in condition`, negateAt);
    if (r) return r;
  }
  if (orAt >= 0) {
    const r = oddity(`missing ACL after '${words[orAt]}' in condition`, orAt);
    if (r) return r;
  }
  if (suites.length === 0) {
    const r = oddity(`missing condition after '${keyword}'`, startIndex);
    if (r) return r;
  }

  const condition: Condition = { kind: 'or', polarity: keyword, terms: suites };
  return {
    condition,
    references: referencedAcls.map((r) => r.name),
    referencedAcls,
    endIndex: words.length,
    warnings,
  };
}
