/**
 * Compiles the fetch of a parsed SampleExpr into closures, with the
 * compiler its family registered (proxy/acl/fetch/*.ts). A fetch whose row
 * has no compiler — or whose compiler refuses these arguments — is not
 * supported yet and throws an EvalCompileError of kind 'unsupported'.
 */
import type { SampleExpr } from './types.ts';
import type { SampleContext } from './context.ts';
import type { CompiledFetch, FetchSite, FetchState } from './fetch/define.ts';
import { fetchCompiler, unsupportedFetchNames } from './fetches.ts';
import { ref } from './fetch/define.ts';
import { unsupported } from './eval-errors.ts';

export type { CompiledFetch, FetchState } from './fetch/define.ts';
export { requestLine } from './fetch/http.ts';

/** Fetches HAProxy 2.6 has that are not evaluated yet (compiling them throws). */
export const UNSUPPORTED_FETCHES: readonly string[] = unsupportedFetchNames();

export interface FetchCompileOptions {
  /**
   * Name of the proxy the expression belongs to, for fetches whose backend /
   * frontend / table argument is implicit (nbsrv, be_conn, sc_* …). Default:
   * the stream's backend, else its frontend.
   */
  readonly currentProxy?: string;
}

/**
 * Compiles the fetch of `expr`. `state` receives what the fetch reports
 * besides its value ("may change"); the caller owns it and resets it before
 * each evaluation. Throws EvalCompileError for fetches not supported yet.
 */
export function compileFetch(expr: SampleExpr, options: FetchCompileOptions = {}, state: FetchState = { mayChange: false }): CompiledFetch {
  const name = expr.fetch.name;
  const args = expr.args;
  const currentProxy = (ctx: SampleContext): string => options.currentProxy ?? ctx.backendName ?? ctx.conn.frontend;
  const site: FetchSite = {
    name,
    args,
    state,
    currentProxy,
    proxyArg: (i, kind) => {
      const n = ref(args, i, kind);
      return n ? () => n : currentProxy;
    },
  };
  const compiled = fetchCompiler(name)?.(site);
  if (!compiled) throw unsupported('fetch', name);
  return compiled;
}
