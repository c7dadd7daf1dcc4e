/** Helpers shared by the evaluator tests: contexts from plain request descriptions, one-line compilers. */
import assert from 'node:assert/strict';
import {
  parseAclDeclaration, parseCondition, parseSampleExpression, parseLogFormat, compileAcl, compileCondition,
  compileSample, compileLogFormat, MapVarStore,
} from '../../../proxy/acl/index.ts';
import type {
  AclDeclaration, CompileOptions, ConnectionInfo, HttpRequestInfo, HttpResponseInfo, LogFormatCompileOptions,
  LogVars, Sample, SampleContext, EngineHooks,
} from '../../../proxy/acl/index.ts';

export interface TestRequest {
  readonly method?: string;
  readonly url?: string;
  readonly version?: string;
  /** [name, value] pairs, in order. */
  readonly headers?: readonly (readonly [string, string])[];
}

export interface ContextOptions {
  readonly conn?: Partial<ConnectionInfo>;
  readonly res?: HttpResponseInfo;
  readonly vars?: Record<string, Sample>;
  readonly hooks?: EngineHooks;
  readonly dir?: 'req' | 'res';
  readonly final?: boolean;
  readonly extra?: Partial<SampleContext>;
}

export function requestInfo(r: TestRequest): HttpRequestInfo {
  return {
    method: r.method ?? 'GET',
    url: r.url ?? '/',
    version: r.version ?? '1.1',
    rawHeaders: (r.headers ?? []).flat(),
  };
}

/** A context for `req` (undefined = no HTTP request, TCP mode). */
export function context(req: TestRequest | undefined, o: ContextOptions = {}): SampleContext {
  const vars = new MapVarStore();
  for (const [k, v] of Object.entries(o.vars ?? {})) {
    const dot = k.indexOf('.');
    vars.set(k.slice(0, dot) as 'txn', k.slice(dot + 1), v);
  }
  return {
    conn: { src: '127.0.0.1', srcPort: 50000, dst: '127.0.0.1', dstPort: 8080, frontend: 'fe', ssl: false, ...o.conn },
    ...(req ? { req: requestInfo(req) } : {}),
    ...(o.res ? { res: o.res } : {}),
    vars,
    ...(o.hooks ? { hooks: o.hooks } : {}),
    ...(o.dir ? { dir: o.dir } : {}),
    ...(o.final !== undefined ? { final: o.final } : {}),
    ...o.extra,
  };
}

/**
 * Splits configuration words like HAProxy's line parser, in a simplified
 * way: blanks separate words, '\\' escapes a blank, backslash, quote, '#'
 * or '$', and single or double quotes group (no environment expansion).
 */
export function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quote !== "'" && i + 1 < text.length && ' \t\\"\'#$'.includes(text[i + 1]!)) { cur += text[++i]; has = true; continue; }
    if (quote) { if (c === quote) quote = ''; else cur += c; continue; }
    if (c === '"' || c === "'") { quote = c; has = true; continue; }
    if (c === ' ' || c === '\t') { if (has) out.push(cur); cur = ''; has = false; continue; }
    cur += c;
    has = true;
  }
  if (has) out.push(cur);
  return out;
}

/** Parses `acl NAME …` words (without the 'acl' keyword). */
export function decl(text: string): AclDeclaration {
  const d = parseAclDeclaration(words(text));
  if ('error' in d) assert.fail(`acl '${text}': ${d.error}`);
  return d;
}

/** Compiles one ACL line ('name criterion flags values'). */
export function aclOf(text: string, options?: CompileOptions): (ctx: SampleContext) => boolean {
  return compileAcl([decl(text)], options);
}

/** Compiles a condition ('if …' / 'unless …') against named ACL lines. */
export function condOf(text: string, aclLines: readonly string[] = [], options?: CompileOptions): (ctx: SampleContext) => boolean {
  const c = parseCondition(words(text), 0);
  if ('error' in c) assert.fail(`condition '${text}': ${c.error}`);
  const acls = new Map<string, AclDeclaration[]>();
  for (const l of aclLines) {
    const d = decl(l);
    acls.set(d.name, [...(acls.get(d.name) ?? []), d]);
  }
  return compileCondition(c.condition, acls, options);
}

export function sampleOf(text: string, options?: CompileOptions): (ctx: SampleContext) => Sample | undefined {
  const e = parseSampleExpression(text);
  if ('error' in e) assert.fail(`sample '${text}': ${e.error}`);
  return compileSample(e.expr, options);
}

/** Compiles a log-format string (log-format flavour by default: merged spaces, mandatory fields). */
export function formatOf(
  text: string, options: CompileOptions & LogFormatCompileOptions & { headerValue?: boolean } = {},
): (ctx: SampleContext, lv?: LogVars) => string {
  const log = !options.headerValue;
  const parsed = parseLogFormat(text, log ? { mergeSpaces: true, defaults: { mandatory: true } } : {});
  if ('error' in parsed) assert.fail(`log-format '${text}': ${parsed.error}`);
  return compileLogFormat(parsed.tokens, { ...options, ...(log ? {} : { http: true }) });
}

/** Sample value as a plain JS value for assertions. */
export function plain(s: Sample | undefined): unknown {
  if (s === undefined) return undefined;
  if (s.value instanceof Uint8Array) return `${s.type}:${Buffer.from(s.value).toString('hex')}`;
  return s.value;
}
