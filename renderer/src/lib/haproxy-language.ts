/**
 * HAProxy's configuration language for CodeMirror 6: a StreamLanguage mode
 * (section headers, keywords per section, comments, strings, ACL names,
 * addresses, numbers and times) and a section-aware keyword completion fed
 * from the keyword registry (renderer/src/generated/keywords.ts, generated
 * at build time from proxy/config — the renderer cannot import it).
 */
import { StreamLanguage, HighlightStyle, type StringStream } from '@codemirror/language';
import type { CompletionContext, CompletionResult, Completion } from '@codemirror/autocomplete';
import { tags as t } from '@lezer/highlight';
import { KEYWORDS_BY_SECTION, SECTION_KEYWORDS, type EditorSection } from '../generated/keywords.ts';

/** Sections highlighted as sections but without keyword completion (their keywords are not in the generated registry). */
const OTHER_SECTIONS = ['peers', 'mailers', 'program', 'http-errors', 'cache', 'fcgi-app', 'log-forward', 'ring'];
const ALL_SECTIONS = new Set<string>([...SECTION_KEYWORDS, ...OTHER_SECTIONS]);

/** First words of every keyword per section, for highlighting. */
const FIRST_WORDS: Record<string, Set<string>> = Object.fromEntries(
  Object.entries(KEYWORDS_BY_SECTION).map(([section, list]) => [section, new Set(list.map((k) => k.name.split(' ')[0]!))]),
);

/** Keywords that name an ACL or a condition after them. */
const CONDITION_WORDS = new Set(['if', 'unless', 'or', '||']);

export interface State {
  section: string;
  /** Index of the current word on its line (0 = the keyword). */
  word: number;
  keyword: string;
  /** After `if`/`unless` on this line: words are ACL names. */
  inCondition: boolean;
  /** Inside `{ … }` (an anonymous ACL). */
  braces: number;
  /** Just after a `{`: the next word is the anonymous ACL's fetch. */
  fetchNext: boolean;
}

/** Exported for the tests: the style of the next token of `stream`. */
export function token(stream: StringStream, state: State): string | null {
  if (stream.sol()) {
    state.word = 0;
    state.keyword = '';
    state.inCondition = false;
    state.braces = 0;
    state.fetchNext = false;
  }
  if (stream.eatSpace()) return null;
  const ch = stream.peek();
  if (ch === '#') {
    stream.skipToEnd();
    return 'comment';
  }
  if (ch === '"' || ch === "'") {
    stream.next();
    let escaped = false;
    let c: string | void;
    while ((c = stream.next()) !== undefined) {
      if (c === ch && !escaped) break;
      escaped = !escaped && c === '\\' && ch === '"';
    }
    state.word++;
    return 'string';
  }
  if (ch === '{' || ch === '}') {
    stream.next();
    state.braces += ch === '{' ? 1 : -1;
    state.fetchNext = ch === '{';
    return 'bracket';
  }
  if (ch === '!') {
    stream.next();
    return 'operator';
  }
  // A word runs to the next space (an address, a fetch with arguments, a flag).
  stream.match(/^(?:[^\s"'#{}]|\\.)+/);
  const word = stream.current();
  const index = state.word++;
  const indented = stream.start > 0 && /^\s/.test(stream.string);
  // The criterion of `acl NAME FETCH …` and the first word of `{ FETCH … }` are sample fetches, with or
  // without arguments (`req.ssl_sni`, `src`, `hdr(host)`).
  const fetch = state.fetchNext || (state.keyword === 'acl' && index === 2);
  state.fetchNext = false;

  if (index === 0) {
    if (!indented && ALL_SECTIONS.has(word)) {
      state.section = word;
      state.keyword = word;
      return 'heading';
    }
    state.keyword = word;
    if (word.startsWith('.')) return 'meta';
    if (word === 'no' || (FIRST_WORDS[state.section]?.has(word) ?? false)) return 'keyword';
    return 'variableName';
  }
  if (ALL_SECTIONS.has(state.keyword) && index === 1) return 'def';
  if (state.keyword === 'acl' && index === 1) return 'def';
  if (fetch) return 'builtin';
  if (CONDITION_WORDS.has(word)) {
    state.inCondition = true;
    return 'atom';
  }
  if (state.inCondition && state.braces === 0) return 'variable-2';
  if (/^-[a-z]+$/.test(word)) return 'meta';
  if (/^(\d{1,3}(\.\d{1,3}){3}|\*|\[?[0-9a-fA-F:]*:[0-9a-fA-F:]*\]?)?:\d+(-\d+)?$/.test(word) || /^\d{1,3}(\.\d{1,3}){3}(\/\d+)?$/.test(word)) return 'number';
  if (/^\d+(\.\d+)?(us|ms|s|m|h|d|k|K|m|M|g|G)?$/.test(word)) return 'number';
  if (/^[a-z_.0-9-]+\(/.test(word)) return 'builtin';
  return null;
}

export const haproxyLanguage = StreamLanguage.define<State>({
  name: 'haproxy',
  startState: () => ({ section: '', word: 0, keyword: '', inCondition: false, braces: 0, fetchNext: false }),
  copyState: (s) => ({ ...s }),
  token,
  // Inside a section, a new line is indented one unit; a section header starts at column 0.
  indent: (state, textAfter, context) => {
    const first = /^[A-Za-z-]+/.exec(textAfter)?.[0];
    if (first !== undefined && ALL_SECTIONS.has(first)) return 0;
    return state.section === '' ? 0 : context.unit;
  },
  languageData: { commentTokens: { line: '#' }, indentOnInput: new RegExp(`^\\s*(${[...ALL_SECTIONS].join('|')})\\b$`) },
});

/**
 * Colours are CSS variables (light and dark set by the editor's host
 * element): the editor lives in a shadow root, where CodeMirror's styles go
 * into constructed style sheets, so the admin's strict CSP needs no inline
 * <style>; custom properties still inherit into it.
 */
export const haproxyHighlight = HighlightStyle.define([
  { tag: t.heading, color: 'var(--hp-section)', fontWeight: '700' },
  { tag: t.keyword, color: 'var(--hp-keyword)', fontWeight: '600' },
  { tag: t.comment, color: 'var(--hp-comment)', fontStyle: 'italic' },
  { tag: t.string, color: 'var(--hp-string)' },
  { tag: t.number, color: 'var(--hp-number)' },
  { tag: t.definition(t.variableName), color: 'var(--hp-def)', fontWeight: '600' },
  { tag: t.special(t.variableName), color: 'var(--hp-acl)' },
  { tag: t.atom, color: 'var(--hp-atom)', fontWeight: '600' },
  { tag: t.meta, color: 'var(--hp-meta)' },
  { tag: t.standard(t.variableName), color: 'var(--hp-fetch)' },
  { tag: t.operator, color: 'var(--hp-atom)' },
  { tag: t.bracket, color: 'var(--hp-atom)' },
]);

/** The section the line at `pos` belongs to: the nearest section header above it. */
export function sectionAt(lines: (n: number) => string, lineNumber: number): EditorSection | '' {
  for (let n = lineNumber; n >= 1; n--) {
    const text = lines(n);
    const m = /^([A-Za-z-]+)(\s|$)/.exec(text);
    if (m && ALL_SECTIONS.has(m[1]!)) return (SECTION_KEYWORDS as readonly string[]).includes(m[1]!) ? (m[1] as EditorSection) : '';
  }
  return '';
}

const SECTION_OPTIONS: Completion[] = SECTION_KEYWORDS.map((s) => ({ label: s, type: 'class', detail: 'section' }));

/** Completes the keyword at the start of a line: section headers at column 0, the section's keywords when indented. */
export function haproxyCompletion(context: CompletionContext): CompletionResult | null {
  const line = context.state.doc.lineAt(context.pos);
  const before = line.text.slice(0, context.pos - line.from);
  const m = /^(\s*)([A-Za-z][\w.-]*(?: [\w.-]*)*)?$/.exec(before);
  if (!m) return null;
  const indent = m[1]!;
  const typed = m[2] ?? '';
  // Only the keyword words, never arguments (at most 3 words, HAProxy's longest keywords).
  if (typed.split(' ').length > 3) return null;
  if (typed === '' && !context.explicit) return null;
  const from = line.from + indent.length;
  if (indent === '') return { from, options: SECTION_OPTIONS, validFor: /^[\w-]*$/ };
  const section = sectionAt((n) => context.state.doc.line(n).text, line.number - 1);
  if (section === '') return null;
  const options: Completion[] = KEYWORDS_BY_SECTION[section].map((k) => ({
    label: k.name,
    type: 'keyword',
    detail: k.status === 'supported' ? undefined : k.status,
    info: k.summary,
  }));
  return { from, options, validFor: /^[\w.-]*( [\w.-]*){0,2}$/ };
}
