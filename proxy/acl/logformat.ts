/**
 * Log-format strings (manual 8.2.6), also used for header values, redirect
 * locations, unique-id-format…: literal text mixed with `%var`, `%{flags}var`,
 * `%[sample-expression]` and `%{flags}[expr]`; `%%` is a literal '%'. A port
 * of HAProxy's parse_logformat_string() state machine, with its messages.
 */
import type { Checkpoint, LogFormatOptions, LogFormatParseResult, LogFormatToken } from './types.ts';
import { parseSampleCore } from './sample.ts';
import { checkpointBit, CHECKPOINTS, sourceNames } from './checkpoints.ts';
import { suggest } from '../config/suggest.ts';

/** Log-format variables: name → true when only valid in HTTP mode (manual 8.2.6 table). */
export const LOG_FORMAT_VARIABLES: ReadonlyMap<string, boolean> = new Map([
  ['o', false], ['B', false], ['CC', true], ['CS', true], ['H', false], ['ID', false], ['ST', false],
  ['T', false], ['Ta', true], ['Tc', false], ['Th', false], ['Ti', true], ['Tl', false], ['Tq', true],
  ['Tr', true], ['TR', true], ['Td', false], ['Ts', false], ['Tt', false], ['Tu', false], ['Tw', false],
  ['U', false], ['ac', false], ['b', false], ['bc', false], ['bi', false], ['bp', false], ['bq', false],
  ['ci', false], ['cp', false], ['f', false], ['fc', false], ['fi', false], ['fp', false], ['ft', false],
  ['hr', false], ['hrl', false], ['hs', false], ['hsl', false], ['HM', true], ['HP', true], ['HPO', true],
  ['HQ', true], ['HU', true], ['HV', true], ['lc', false], ['ms', false], ['pid', false], ['r', true],
  ['rc', false], ['rt', false], ['s', false], ['sc', false], ['si', false], ['sp', false], ['sq', false],
  ['sslc', false], ['sslv', false], ['t', false], ['tr', true], ['trg', true], ['trl', true], ['ts', false],
  ['tsc', false],
]);

/** HAProxy's built-in formats (log.c), handy as defaults and for tests. */
export const DEFAULT_LOG_FORMATS = {
  http: '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r',
  https: '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc',
  clf: '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl',
  tcp: '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq',
} as const;

export interface LogFormatParseOptions {
  /** Mode of the proxy; HTTP-only variables are rejected in 'tcp'. Default 'http'. */
  readonly mode?: 'http' | 'tcp';
  /**
   * Spaces are field separators and runs of them are merged (true for
   * log-format, log-format-sd, unique-id-format; false, the default, for
   * header values and other rule arguments).
   */
  readonly mergeSpaces?: boolean;
  /** Initial flags (log-format starts with { mandatory: true }). */
  readonly defaults?: Partial<LogFormatOptions>;
  /**
   * Where the string is evaluated (e.g. ['log'] for log-format,
   * ['frontend-http-request'] for http-request set-header): fetches unusable
   * at all of them are rejected like HAProxy does. Unchecked when absent.
   */
  readonly checkpoints?: readonly Checkpoint[];
  /** HTTP rule context: warn about layer-6 fetches, which HAProxy ignores there. */
  readonly http?: boolean;
}

const FLAG_NAMES: Record<string, keyof LogFormatOptions> = { M: 'mandatory', Q: 'quote', X: 'hex', E: 'escape' };

/** parse_logformat_var_args(): "+Q,-E" … unknown flags are ignored. */
function applyFlags(args: string, base: LogFormatOptions): LogFormatOptions {
  const opts: { -readonly [K in keyof LogFormatOptions]: boolean } = { ...base };
  let start = -1;
  let add = true;
  for (let i = 0; i <= args.length; i++) {
    const c = args[i];
    if (c === '+' || c === '-') { start = i + 1; add = c === '+'; }
    if (c === undefined || c === ',') {
      const key = start >= 0 ? FLAG_NAMES[args.slice(start, i)] : undefined;
      if (key) opts[key] = add;
      start = -1;
    }
  }
  return opts;
}

type State = 'init' | 'text' | 'sep' | 'startvar' | 'starg' | 'edarg' | 'stexpr' | 'edexpr' | 'var' | 'end';
const isAlpha = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z]$/.test(c);
const isAlnum = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9]$/.test(c);

/** Parses a log-format string into tokens; never throws. */
export function parseLogFormat(fmt: string, options: LogFormatParseOptions = {}): LogFormatParseResult {
  const mode = options.mode ?? 'http';
  const cap = options.checkpoints?.reduce((m, c) => m | checkpointBit(c), 0);
  let defaults: LogFormatOptions = { quote: false, hex: false, escape: false, mandatory: false, ...options.defaults };
  const tokens: LogFormatToken[] = [];
  const warnings: string[] = [];
  const fail = (error: string, offset?: number): LogFormatParseResult => ({ error, ...(offset !== undefined ? { offset } : {}) });
  const pushText = (text: string): void => {
    const last = tokens[tokens.length - 1];
    if (last?.kind === 'text') tokens[tokens.length - 1] = { kind: 'text', text: last.text + text };
    else if (text) tokens.push({ kind: 'text', text });
  };

  let sp = 0;
  let arg: number | undefined;
  let argLen = 0;
  let varStart: number | undefined;
  let varLen = 0;
  let cformat: State = 'init';
  let pformat: State = 'init';
  for (let i = 0; cformat !== 'end'; i++) {
    pformat = cformat;
    const c = fmt[i];
    if (c === undefined) cformat = 'end';
    switch (pformat) {
      case 'startvar':
        arg = undefined; varStart = undefined; argLen = varLen = 0;
        if (c === '{') { cformat = 'starg'; arg = i + 1; }
        else if (c === '[') { cformat = 'stexpr'; varStart = i + 1; }
        else if (isAlpha(c)) { cformat = 'var'; varStart = i; }
        else if (c === '%') cformat = 'text';
        else if (c !== undefined && /[0-9 \t]/.test(c)) {
          return fail(`unexpected variable name near '${c}' at position ${i} line : '${fmt}'. Maybe you want to write a single '%', use the syntax '%%'`, i);
        } else cformat = 'init';
        break;
      case 'starg':
        if (c === '}') { cformat = 'edarg'; argLen = i - arg!; }
        break;
      case 'edarg':
        if (c === '[') { cformat = 'stexpr'; varStart = i + 1; break; }
        if (isAlnum(c)) { cformat = 'var'; varStart = i; break; }
        return fail(`parse argument modifier without variable name near '%{${fmt.slice(arg!, arg! + argLen)}}'`, i);
      case 'stexpr': {
        const start = i;
        const rest = fmt.slice(start);
        const parsed = parseSampleCore([rest], 0, true);
        if ('error' in parsed) return fail(`failed to parse sample expression <${rest}> : ${parsed.error}${parsed.hint ?? ''}`, start);
        const { expr } = parsed;
        if (cap !== undefined && !(expr.fetch.validAt & cap)) {
          return fail(`sample fetch <${rest}> may not be reliably used here because it needs '${sourceNames(expr.fetch.sources)}' which is not available here`, start);
        }
        if (options.http && (expr.fetch.sources.includes('L6REQ') || expr.fetch.sources.includes('L6RES'))) {
          warnings.push(`L6 sample fetch <${rest}> ignored in HTTP log-format string.`);
        }
        warnings.push(...parsed.warnings);
        const end = start + parsed.end;
        if (fmt[end] !== ']') {
          const found = fmt[end];
          const before = fmt.slice(start, end);
          return fail(found !== undefined && found >= ' ' && found <= '~'
            ? `expected ']' after '${before}', but found '${found}'`
            : `missing ']' after '${before}'`, end);
        }
        const opts = arg !== undefined ? applyFlags(fmt.slice(arg, arg + argLen), defaults) : defaults;
        tokens.push({ kind: 'sample', expr, options: opts });
        i = end;
        cformat = pformat = 'edexpr';
        sp = i;
        break;
      }
      case 'var':
        varLen = i - varStart!;
        if (!isAlnum(c)) cformat = 'init';
        break;
      default:
        cformat = 'init';
    }
    if (cformat === 'init') {
      if (c === '%') cformat = 'startvar';
      else if (c === undefined) cformat = 'end';
      else if (c === ' ' && options.mergeSpaces) cformat = 'sep';
      else cformat = 'text';
    }
    if (cformat !== pformat || pformat === 'sep') {
      if (pformat === 'var') {
        const name = fmt.slice(varStart!, varStart! + varLen);
        const httpOnly = LOG_FORMAT_VARIABLES.get(name);
        if (httpOnly === undefined) {
          const close = suggest(name, LOG_FORMAT_VARIABLES.keys());
          return fail(`no such format variable '${name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'`
            + (close ? `; did you mean '%${close}'?` : ''), varStart);
        }
        if (httpOnly && mode !== 'http') return fail(`format variable '${name}' is reserved for HTTP mode`, varStart);
        const opts = arg !== undefined ? applyFlags(fmt.slice(arg, arg + argLen), defaults) : defaults;
        if (name === 'o') defaults = opts;
        else tokens.push({ kind: 'var', name, options: opts });
      } else if (pformat === 'text') {
        pushText(fmt.slice(sp, i));
      } else if (pformat === 'sep') {
        if (tokens[tokens.length - 1]?.kind !== 'separator') tokens.push({ kind: 'separator' });
      }
      sp = i;
    }
  }
  if (pformat === 'startvar' || pformat === 'starg') {
    const what = varStart !== undefined ? fmt.slice(varStart) : arg !== undefined ? fmt.slice(arg) : '%';
    return fail(`truncated line after '${what}'`, fmt.length);
  }
  return { tokens, warnings };
}

/** All check point ids, for callers building `checkpoints` options. */
export const ALL_CHECKPOINTS: readonly Checkpoint[] = CHECKPOINTS.map((c) => c.id);
