/**
 * ACL declarations: `acl NAME CRITERION [FLAGS] [OPERATOR] VALUE…` (manual
 * 7.1), following HAProxy's parse_acl() / parse_acl_expr() step by step so
 * that the same lines are accepted, with the same messages and warnings.
 */
import type { AclDeclaration, AclParseError, AclPattern, AclPatternFile, MatchMethod, PatternParser, SampleExpr, SampleType, SpecialMatcher } from './types.ts';
import { findAclKeyword, findFetch, idLength, suggestCriterion } from './fetches.ts';
import { hint, parseConverterChain, parseFetchArgs, parseSampleCore } from './sample.ts';
import {
  applyOperator, defaultMatchFor, isMatchMethod, MATCH_METHODS, methodCompatible, parseOperator, parsePattern, parserFor,
} from './matchers.ts';
import { suggest } from '../config/suggest.ts';
import type { IntOperator } from './matchers.ts';

/** Characters allowed in ACL names: letters, digits, '-', '_', '.', ':'. */
export function invalidAclNameChar(name: string): string | undefined {
  const m = /[^A-Za-z0-9._:-]/.exec(name);
  return m ? m[0] : undefined;
}

/**
 * Parses the words following the `acl` keyword: words[0] is the name, then
 * the criterion, flags and values. Several declarations of one name are ORed
 * by the caller.
 */
export function parseAclDeclaration(words: readonly string[]): AclDeclaration | AclParseError {
  const name = words[0] ?? '';
  if (name === '') return { error: 'missing ACL name', wordIndex: 0 };
  const bad = invalidAclNameChar(name);
  if (bad !== undefined) return { error: `character '${bad}' is not permitted in acl name '${name}'`, wordIndex: 0 };
  if (name.toLowerCase() === 'or') {
    return { error: `acl name '${name}' will never match. 'or' is used to express a logical disjunction within a condition`, wordIndex: 0 };
  }
  return parseAclExpression(words, 1, name);
}

interface Subject {
  sample: SampleExpr;
  /** Type fed to the matcher. */
  type: SampleType;
  /** ACL keyword used without converters. */
  aclKeyword?: string;
  /** Implied method and parser of the ACL keyword, when still applicable. */
  implied?: { match: MatchMethod; parser?: PatternParser; special?: SpecialMatcher };
  /** Name HAProxy uses in messages (expr->kw). */
  kw: string;
}

/** Parses the criterion (ACL keyword or sample expression) at words[index]. */
function parseSubject(words: readonly string[], index: number, warnings: string[]): Subject | AclParseError {
  const criterion = words[index] ?? '';
  const kwLen = idLength(criterion, 0);
  const kwName = criterion.slice(0, kwLen);
  const aclKw = kwLen > 0 ? findAclKeyword(kwName) : undefined;
  if (aclKw) {
    const fetch = findFetch(aclKw.fetch)!;
    const args = parseFetchArgs(fetch, criterion, kwLen, warnings);
    if ('error' in args) {
      return { error: args.kind === 'args' ? `ACL keyword '${kwName}' : ${args.error}` : `in argument to '${kwName}', ${args.error}`, wordIndex: index };
    }
    const chain = parseConverterChain({
      words, wordIndex: index, pos: args.end, type: fetch.output, fetchName: kwName, embedded: false, aclKeyword: kwName, warnings,
    });
    if ('error' in chain) return { error: chain.error + (chain.hint ?? ''), wordIndex: index };
    const sample: SampleExpr = { text: criterion, fetch, args: args.args, converters: chain.converters, type: chain.type };
    if (chain.converters.length > 0) return { sample, type: chain.type, kw: fetch.name };
    const implied = { match: aclKw.match, ...(aclKw.parser ? { parser: aclKw.parser } : {}), ...(aclKw.specialMatcher ? { special: aclKw.specialMatcher } : {}) };
    return { sample, type: chain.type, aclKeyword: kwName, implied, kw: kwName };
  }
  if (kwLen > 0 && !findFetch(kwName)) {
    return { error: `unknown fetch method '${kwName}' in ACL expression '${criterion}'${hint(suggestCriterion(kwName))}`, wordIndex: index };
  }
  const r = parseSampleCore(words, index, false);
  if ('error' in r) return { error: `${r.error} in ACL expression '${criterion}'${r.hint ?? ''}`, wordIndex: r.wordIndex };
  if (r.wordIndex > index) {
    warnings.push(`'${words.slice(index + 1, r.wordIndex + 1).join(' ')}' after '${criterion}' is taken as converter(s) by HAProxy and also used as pattern(s); write '${criterion}' and its converters as one word`);
  }
  return { sample: r.expr, type: r.expr.type, kw: r.expr.fetch.name };
}

/**
 * Parses `CRITERION [FLAGS] [OPERATOR] VALUE…` starting at words[start]
 * (stopping at the end of `words`). `name` is '' for anonymous ACLs.
 */
export function parseAclExpression(words: readonly string[], start: number, name: string): AclDeclaration | AclParseError {
  const warnings: string[] = [];
  const criterion = words[start] ?? '';
  if (idLength(criterion, 0) === 0) return { error: `missing fetch method in ACL expression '${criterion}'`, wordIndex: start };
  const subject = parseSubject(words, start, warnings);
  if ('error' in subject) return subject;

  let match: MatchMethod | undefined = subject.implied?.match ?? defaultMatchFor(subject.type);
  let parser: PatternParser | undefined = match && (subject.implied?.parser ?? parserFor(match));
  let special = subject.implied?.special;
  let matchExplicit = false;
  const next = words[start + 1] ?? '';
  if (match !== undefined && subject.type !== 'bool' && next === '') {
    warnings.push(`parsing acl keyword '${criterion}' : no pattern to match against were provided, so this ACL will never match. `
      + `If this is what you intended, please add '--' to get rid of this warning. If you intended to match only for existence, please use '-m found'. `
      + `If you wanted to force an int to match as a bool, please use '-m bool'.`);
  }

  let ignoreCase = false;
  let noDns = false;
  let loadAsMap = false;
  let uniqueId: number | undefined;
  const files: AclPatternFile[] = [];
  let i = start + 1;
  for (; i < words.length && words[i]!.startsWith('-'); i++) {
    const flag = words[i]!;
    const methodFirst = (): AclParseError => ({
      error: `matching method must be specified first (using '-m') when using a sample fetch of this type ('${subject.kw}')`, wordIndex: i,
    });
    if (flag === '-i') ignoreCase = true;
    else if (flag === '-n') noDns = true;
    else if (flag === '-M') loadAsMap = true;
    else if (flag === '--') { i++; break; }
    else if (flag === '-u') {
      const id = words[i + 1];
      if (id === undefined || !/^\s*[+-]?[0-9]+$/.test(id)) return { error: 'the argument of -u must be an integer', wordIndex: i + 1 };
      uniqueId = Number(id);
      i++;
    } else if (flag === '-f') {
      if (parser === undefined) return methodFirst();
      const file = words[i + 1] ?? '';
      if (file === '') return { error: 'failed to open pattern file <>', wordIndex: i };
      files.push({ file, ignoreCase, noDns, map: loadAsMap, wordIndex: i + 1 });
      i++;
    } else if (flag === '-m') {
      if (files.length > 0) return { error: "'-m' must only be specified before patterns and files in parsing ACL expression", wordIndex: i };
      const method = words[i + 1] ?? '';
      if (!isMatchMethod(method)) {
        return { error: `unknown matching method '${method}' when parsing ACL expression${method ? hint(suggest(method, MATCH_METHODS)) : ''}`, wordIndex: i + 1 };
      }
      if (!methodCompatible(method, subject.type)) {
        return { error: `matching method '${method}' cannot be used with fetch keyword '${subject.kw}'`, wordIndex: i + 1 };
      }
      match = method;
      parser = parserFor(method);
      special = undefined;
      matchExplicit = true;
      i++;
    } else {
      return { error: `'${flag}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'`, wordIndex: i };
    }
  }
  if (match === undefined || parser === undefined) {
    return { error: `matching method must be specified first (using '-m') when using a sample fetch of this type ('${subject.kw}')`, wordIndex: start };
  }

  const patterns: AclPattern[] = [];
  const values: string[] = [];
  let operator: IntOperator = 'eq';
  const numeric = parser === 'int' || parser === 'dotted';
  for (; i < words.length; i++) {
    let value = words[i]!;
    if (value === '') {
      if (i + 1 < words.length) warnings.push('patterns after an empty word are ignored, as HAProxy does');
      break;
    }
    if (numeric) {
      const op = parseOperator(value);
      if (op) { operator = op; continue; }
      const rewritten = applyOperator(operator, value, parser === 'dotted');
      if (typeof rewritten !== 'string') return { ...rewritten, wordIndex: i };
      value = rewritten;
    }
    const pattern = parsePattern(parser, value, { ignoreCase, noDns, capture: match === 'regm' });
    if (pattern && 'error' in pattern) return { error: pattern.error, wordIndex: i };
    if (pattern) patterns.push(pattern);
    values.push(value);
  }

  const second = words[start + 1];
  if (!criterion.includes('(') && second !== undefined && second.startsWith('(')) {
    warnings.push(`parsing acl '${name}' : matching '${criterion}' for pattern '${second}' is likely a mistake and probably not what you want. `
      + `Maybe you need to remove the extraneous space before '('. If you are really sure this is not an error, please insert '--' between the match and the pattern to make this warning message disappear.`);
  }

  return {
    name, criterion, ...(subject.aclKeyword ? { aclKeyword: subject.aclKeyword } : {}),
    sample: subject.sample, match, matchExplicit, parser, ...(special ? { specialMatcher: special } : {}),
    ignoreCase, noDns, loadAsMap, ...(uniqueId !== undefined ? { uniqueId } : {}),
    files, patterns, values, wordIndex: start, warnings,
  };
}
