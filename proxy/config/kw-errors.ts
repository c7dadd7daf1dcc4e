/**
 * What replaces HAProxy's own answers (403, 503 …): `errorfile`, `errorloc`, `errorloc302`,
 * `errorloc303`, `errorfiles` and `http-error` in proxies, the `http-errors` sections that `errorfiles` (and the
 * `errorfiles` of deny / return rules) import, and their resolution once the whole configuration is
 * read (HAProxy 2.6 src/http_htx.c: proxy_parse_*, proxy_check_errors, http_check_reply).
 */
import { registerProxyKeywords } from './keywords.ts';
import type { DirectiveContext, ProxyDirectiveContext, ProxyKeyword } from './keywords.ts';
import { ENGINE } from './status.ts';
import { errorFileProblem } from './errorfile-message.ts';
import type { Diagnostics } from './diagnostics.ts';
import type { ErrorPage, HttpErrorBody, HttpErrors, ParsedConfig, ParsedProxy } from './model.ts';
import { parseLogFormat } from '../acl/index.ts';

/** The statuses HAProxy 2.6 answers itself, the ones an error page can replace (http_err_codes). */
export const ERRORFILE_CODES = new Set([200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504]);

/** Reads and checks an errorfile as HAProxy does at load; the path, or undefined once the problem is reported. */
function checkedErrorFile(ctx: DirectiveContext, keyword: string, file: string, argIndex: number): string | undefined {
  const text = ctx.options.readFile(file);
  if (text === undefined) return void ctx.error(`'${keyword}' : error opening file '${file}'.`, argIndex, 'LS_ERR_CFG_FILE');
  // The text comes decoded as UTF-8: a body in another charset no longer has its byte length, so its Content-Length is not checked.
  const problem = errorFileProblem(Buffer.from(text, 'utf8'), !text.includes('\uFFFD'));
  if (problem !== undefined) return void ctx.error(`'${keyword}' : '${file}': ${problem}`, argIndex, 'LS_ERR_CFG_FILE');
  return file;
}

function statusOf(ctx: DirectiveContext, keyword: string, word: string, argIndex: number): number | undefined {
  // HAProxy reads the code with atol: 'abc' is status 0.
  const code = /^\d+/.test(word) ? parseInt(word, 10) : 0;
  if (ERRORFILE_CODES.has(code)) return code;
  return void ctx.error(`'${keyword}' : status code '${code}' not handled. Use one of ${[...ERRORFILE_CODES].join(', ')}.`, argIndex);
}

function errorloc(name: string, code: 302 | 303, summary: string): ProxyKeyword {
  return {
    name,
    sections: 'dflb',
    status: ENGINE,
    summary,
    parse(ctx) {
      if (!ctx.args[0] || !ctx.args[1]) return ctx.error(`${name} : expects <status_code> and <url> as arguments.`);
      const status = statusOf(ctx, name, ctx.args[0]!, 0);
      if (status === undefined) return;
      ctx.proxy.errorDirectives.push({ kind: 'page', status, page: { kind: 'location', url: ctx.args[1]!, code }, loc: ctx.directive.loc });
    },
  };
}

const keywords: ProxyKeyword[] = [
  {
    name: 'errorfile',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Replaces HAProxy\'s answer for a status with a file holding a full HTTP response.',
    parse(ctx) {
      // http_htx.c reads two words and ignores the rest.
      if (!ctx.args[0] || !ctx.args[1]) return ctx.error(`errorfile : expects <status_code> and <file> as arguments.`);
      const status = statusOf(ctx, 'errorfile', ctx.args[0]!, 0);
      if (status === undefined) return;
      const path = checkedErrorFile(ctx, 'errorfile', ctx.args[1]!, 1);
      if (path === undefined) return;
      ctx.proxy.errorDirectives.push({ kind: 'page', status, page: { kind: 'file', path }, loc: ctx.directive.loc });
    },
  },
  {
    name: 'errorfiles',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Imports the error files of an `http-errors` section, all of them or those of the listed statuses.',
    parse(ctx) {
      const [name, ...codes] = ctx.args;
      if (name === undefined) return ctx.error(`'errorfiles' expects <name> as argument.`);
      const statuses: number[] = [];
      for (const [i, word] of codes.entries()) {
        const status = statusOf(ctx, 'errorfiles', word, i + 1);
        if (status === undefined) return;
        statuses.push(status);
      }
      ctx.proxy.errorDirectives.push({ kind: 'errorfiles', name, statuses, loc: ctx.directive.loc });
    },
  },
  {
    name: 'http-error',
    sections: 'dflb',
    status: ENGINE,
    summary: 'Replaces HAProxy\'s answer for a status with one built like a `return` rule\'s (`string`, `file`, `hdr`), an errorfile, an http-errors section\'s page, or HAProxy\'s own again (`default-errorfiles`). `hdr` values and `lf-string` / `lf-file` payloads are log-format (`%[path]`, `%b`), rendered for each answer. A backend without its own page for a status uses its frontend\'s.',
    parse: parseHttpError,
  },
  errorloc('errorloc', 302, 'Answers a status HAProxy would give with a 302 redirection to a URL instead.'),
  errorloc('errorloc302', 302, 'Answers a status HAProxy would give with a 302 redirection to a URL instead (same as `errorloc`).'),
  errorloc('errorloc303', 303, 'Answers a status HAProxy would give with a 303 redirection (fetched with GET) to a URL instead.'),
];

/** `http-error status <code> [content-type <type>] [default-errorfiles | errorfile F | errorfiles N | file F | string S] [hdr N V]…` (HAProxy 2.6 messages). */
function parseHttpError(ctx: ProxyDirectiveContext): void {
  const a = ctx.args;
  const fail = (message: string, i?: number) => ctx.error(`http-error : ${message}`, i);
  if (a.length === 0) return fail('expects at least a <status> as arguments.');
  let status: number | undefined;
  let contentType: string | undefined;
  let payload: { word: string; value?: string; index: number } | undefined;
  const headers: Array<{ name: string; value: string }> = [];
  for (let i = 0; i < a.length; i++) {
    const word = a[i]!;
    const value = a[i + 1];
    if (word === 'status') {
      if (value === undefined) return fail(`'status' expects <status_code> as argument`, i);
      const code = /^\d+/.test(value) ? parseInt(value, 10) : 0;
      if (!ERRORFILE_CODES.has(code)) return ctx.error(`http-error: status code '${code}' not handled.`, i + 1);
      status = code;
      i++;
    } else if (word === 'content-type') {
      if (value === undefined) return fail(`'content-type' expects <type> as argument`, i);
      contentType = value;
      i++;
    } else if (['default-errorfiles', 'errorfile', 'errorfiles', 'file', 'lf-file', 'string', 'lf-string'].includes(word)) {
      if (payload) return fail(`unexpected '${word}' argument, '${payload.word}' already defined`, i);
      if (word === 'default-errorfiles') {
        payload = { word, index: i };
        continue;
      }
      if (value === undefined) return fail(`'${word}' expects <${word === 'errorfiles' ? 'name' : word.endsWith('string') ? 'str' : 'file'}> as argument`, i);
      payload = { word, value, index: i + 1 };
      i++;
    } else if (word === 'hdr') {
      const v = a[i + 2];
      if (value === undefined || v === undefined) return fail(`'hdr' expects <name> and <value> as arguments`, i);
      if (v.includes('%')) {
        // A log-format value, rendered for each answer (http/error-pages.ts renderAnswer).
        const parsed = parseLogFormat(v);
        if ('error' in parsed) return fail(parsed.error, i + 2);
        for (const w of parsed.warnings) ctx.warn(w, i + 3);
      }
      headers.push({ name: value, value: v });
      i += 2;
    } else return fail(`unknown keyword '${word}'.`, i);
  }
  if (status === undefined) return fail(`expects at least a <status> as arguments.`);
  const loc = ctx.directive.loc;
  const directives = ctx.proxy.errorDirectives;
  if (payload?.word === 'default-errorfiles') return void directives.push({ kind: 'reset', status, loc });
  if (payload?.word === 'errorfiles') return void directives.push({ kind: 'errorfiles', name: payload.value!, statuses: [status], loc });
  if (payload?.word === 'errorfile') {
    const path = checkedErrorFile(ctx, 'http-error', payload.value!, payload.index);
    if (path !== undefined) directives.push({ kind: 'page', status, page: { kind: 'file', path }, loc });
    return;
  }
  let body: HttpErrorBody | undefined;
  if (payload?.word === 'string') body = { kind: 'string', text: payload.value! };
  else if (payload?.word === 'lf-string' || payload?.word === 'lf-file') {
    // A log-format payload, rendered for each answer (http/error-pages.ts renderAnswer).
    const text = payload.word === 'lf-string' ? payload.value! : ctx.options.readFile(payload.value!);
    if (text === undefined) return ctx.error(`http-error : error opening file '${payload.value}'`, payload.index, 'LS_ERR_CFG_FILE');
    const parsed = parseLogFormat(text);
    if ('error' in parsed) return fail(parsed.error, payload.index);
    for (const w of parsed.warnings) ctx.warn(w, payload.index + 1);
    if (text !== '') body = payload.word === 'lf-string' ? { kind: 'lf-string', text } : { kind: 'lf-file', path: payload.value! };
  } else if (payload?.word === 'file') {
    const text = ctx.options.readFile(payload.value!);
    if (text === undefined) return ctx.error(`http-error : error opening file '${payload.value}'`, payload.index, 'LS_ERR_CFG_FILE');
    if (text !== '') body = { kind: 'file', path: payload.value! };
    else if (contentType !== undefined) {
      ctx.warn(`content-type '${contentType}' ignored by the http reply when used with an empty payload.`);
      contentType = undefined;
    }
  }
  if (body && contentType === undefined) return fail('a content type must be defined when non-empty payload is configured');
  if (!body && !payload && contentType !== undefined) {
    ctx.warn(`content-type '${contentType}' ignored by the http reply because neither errorfile nor payload defined.`);
    contentType = undefined;
  }
  directives.push({ kind: 'page', status, page: { kind: 'reply', ...(contentType !== undefined ? { contentType } : {}), ...(body ? { body } : {}), headers }, loc });
}

registerProxyKeywords(keywords);

// ---------------------------------------------------------------- http-errors sections

export const HTTP_ERRORS_KEYWORDS = ['errorfile'];

export function newHttpErrors(section: HttpErrors['section']): HttpErrors {
  return { name: section.name, section, errorfiles: new Map() };
}

/** `errorfile <code> <file>`, the only keyword of an http-errors section. */
export function parseHttpErrorsDirective(ctx: DirectiveContext, h: HttpErrors): void {
  if (!ctx.args[0] || !ctx.args[1]) return ctx.error(`errorfile: expects <status_code> and <file> as arguments.`);
  const status = statusOf(ctx, 'errorfile', ctx.args[0]!, 0);
  if (status === undefined) return;
  const path = checkedErrorFile(ctx, 'errorfile', ctx.args[1]!, 1);
  if (path !== undefined) h.errorfiles.set(status, path);
}

// ---------------------------------------------------------------- resolution

/**
 * Fills `proxy.errorfiles` from its error lines (the defaults section's first), a later line
 * winning for its status, and points each deny / return rule's `errorfiles NAME` at the section's
 * file for the rule's status. An unknown section is fatal; a status the section lacks is a warning
 * (the proxy then keeps what it had; a rule answers with an empty body), as in HAProxy 2.6.
 */
export function resolveErrorPages(proxy: ParsedProxy, config: ParsedConfig, diagnostics: Diagnostics): void {
  const sections = new Map(config.httpErrors.map((h) => [h.name, h]));
  const pages = new Map<number, ErrorPage>();
  for (const d of proxy.errorDirectives) {
    if (d.kind === 'page') {
      pages.set(d.status, d.page);
      continue;
    }
    if (d.kind === 'reset') {
      pages.delete(d.status);
      continue;
    }
    const where = `(at ${d.loc.file}:${d.loc.line})`;
    const section = sections.get(d.name);
    if (!section) {
      diagnostics.alert(d.loc, 'LS_ERR_CFG_REFERENCE', `proxy '${proxy.name}': unknown http-errors section '${d.name}' ${where}.`, 'errorfiles');
      continue;
    }
    if (d.statuses.length === 0) {
      for (const [status, path] of section.errorfiles) pages.set(status, { kind: 'file', path });
      continue;
    }
    for (const status of d.statuses) {
      const path = section.errorfiles.get(status);
      if (path !== undefined) pages.set(status, { kind: 'file', path });
      else diagnostics.warn(d.loc, 'LS_WARN_CFG_SUSPICIOUS', `config: proxy '${proxy.name}' : status '${status}' not declared in http-errors section '${d.name}' ${where}.`, 'errorfiles');
    }
  }
  proxy.errorfiles = pages;
  for (const rules of [proxy.httpRequestRules, proxy.httpResponseRules]) {
    for (const rule of rules) {
      const a = rule.action;
      if ((a.type !== 'deny' && a.type !== 'tarpit' && a.type !== 'return') || a.body?.kind !== 'errorfiles') continue;
      const section = sections.get(a.body.name);
      if (!section) {
        diagnostics.alert(rule.loc, 'LS_ERR_CFG_REFERENCE', `Proxy '${proxy.name}': unknown http-errors section '${a.body.name}' referenced by an http reply .`, 'errorfiles');
        continue;
      }
      const path = section.errorfiles.get(a.status);
      if (path === undefined) diagnostics.warn(rule.loc, 'LS_WARN_CFG_SUSPICIOUS', `Proxy '${proxy.name}': status '${a.status}' referenced by an http reply not declared in http-errors section '${a.body.name}'.`, 'errorfiles');
      a.body = path === undefined ? { kind: 'errorfiles', name: a.body.name } : { kind: 'errorfiles', name: a.body.name, path };
    }
  }
}
