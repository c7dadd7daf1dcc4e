/**
 * What replaces HAProxy's own answers (403, 503 …): `errorfile`, `errorloc`, `errorloc302`,
 * `errorloc303` and `errorfiles` in proxies, the `http-errors` sections that `errorfiles` (and the
 * `errorfiles` of deny / return rules) import, and their resolution once the whole configuration is
 * read (HAProxy 2.6 src/http_htx.c: proxy_parse_*, proxy_check_errors, http_check_reply).
 */
import { registerProxyKeywords } from './keywords.ts';
import type { DirectiveContext, ProxyKeyword } from './keywords.ts';
import { ENGINE } from './status.ts';
import { errorFileProblem } from '../http/error-pages.ts';
import type { Diagnostics } from './diagnostics.ts';
import type { ErrorPage, HttpErrors, ParsedConfig, ParsedProxy } from './model.ts';

/** The statuses HAProxy 2.6 answers itself, the ones an error page can replace (http_err_codes). */
export const ERRORFILE_CODES = new Set([200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504]);

/** Reads and checks an errorfile as HAProxy does at load; the path, or undefined once the problem is reported. */
function checkedErrorFile(ctx: DirectiveContext, keyword: string, file: string, argIndex: number): string | undefined {
  const text = ctx.options.readFile(file);
  if (text === undefined) return void ctx.error(`'${keyword}' : error opening file '${file}'.`, argIndex, 'LS_ERR_CFG_FILE');
  const problem = errorFileProblem(Buffer.from(text, 'utf8'));
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
      if (ctx.args.length < 2) return ctx.error(`'${name}' expects <status_code> and <url> as arguments.`);
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
      if (ctx.args.length !== 2) return ctx.error(`'errorfile' expects <status_code> and <file> as arguments.`);
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
  errorloc('errorloc', 302, 'Answers a status HAProxy would give with a 302 redirection to a URL instead.'),
  errorloc('errorloc302', 302, 'Answers a status HAProxy would give with a 302 redirection to a URL instead (same as `errorloc`).'),
  errorloc('errorloc303', 303, 'Answers a status HAProxy would give with a 303 redirection (fetched with GET) to a URL instead.'),
];

registerProxyKeywords(keywords);

// ---------------------------------------------------------------- http-errors sections

export const HTTP_ERRORS_KEYWORDS = ['errorfile'];

export function newHttpErrors(section: HttpErrors['section']): HttpErrors {
  return { name: section.name, section, errorfiles: new Map() };
}

/** `errorfile <code> <file>`, the only keyword of an http-errors section. */
export function parseHttpErrorsDirective(ctx: DirectiveContext, h: HttpErrors): void {
  if (ctx.args.length !== 2) return ctx.error(`'errorfile' expects <status_code> and <file> as arguments.`);
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
