/**
 * The configuration language's public face: read and check haproxy.cfg files
 * into the typed model with every diagnostic, and write the model back.
 */
import fs from 'node:fs';
import { parseFiles } from './parser.ts';
import type { SourceFile } from './parser.ts';
import { provision } from './provision.ts';
import { validate } from './validate.ts';
import { hasErrors } from './diagnostics.ts';
import { withSuggestionBudget, SUGGESTION_BUDGET } from './suggest.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ParseOptions } from './keywords.ts';
import type { BalancingProxy, Config, Proxy } from './model.ts';
import { ConfigReadError } from '../errors.ts';
import { readNamedFile } from './named-file.ts';
import './kw-global.ts';
import './kw-global-vars.ts';

export type { SourceFile } from './parser.ts';
export { readNamedFile, readNamedFileBytes, MAX_NAMED_FILE_BYTES } from './named-file.ts';
export type { Diagnostic } from './diagnostics.ts';
export { formatDiagnostic, formatDiagnostics, hasErrors } from './diagnostics.ts';
export { serialize } from './serialize.ts';

export interface LoadResult {
  config: Config;
  diagnostics: Diagnostic[];
  /** True when no diagnostic is an alert: the configuration may run. */
  ok: boolean;
}

/** Reading files the configuration names; checking never opens a network connection. */
export function defaultParseOptions(env: NodeJS.ProcessEnv = process.env): ParseOptions {
  return {
    env,
    fileExists: (p) => fs.existsSync(p),
    readFile: (p) => readNamedFile(p),
  };
}

/** Parses, provisions and validates configuration text(s). */
export function parseConfig(files: readonly SourceFile[], options: Partial<ParseOptions> = {}): LoadResult {
  const full = { ...defaultParseOptions(), ...options };
  return withSuggestionBudget(SUGGESTION_BUDGET, () => {
    const parsed = parseFiles(files, full);
    const diagnostics = parsed.diagnostics;
    const config = provision(parsed.config, diagnostics);
    validate(config, diagnostics, full);
    return { config, diagnostics: diagnostics.list, ok: !hasErrors(diagnostics.list) };
  });
}

/** The first frontend, backend or listen section named `name` (a defaults section is not a proxy). */
export function findProxy(config: Config, name: string): Proxy | undefined {
  return config.proxies.find((p): p is Proxy => p.kind !== 'defaults' && p.name === name);
}

/** The backend or listen section named `name`. */
export function findBackend(config: Config, name: string): BalancingProxy | undefined {
  return config.proxies.find((p): p is BalancingProxy => (p.kind === 'backend' || p.kind === 'listen') && p.name === name);
}

/** Reads the files (throws ConfigReadError when one cannot be read) and parses them. */
export function loadConfigFiles(paths: readonly string[], options: Partial<ParseOptions> = {}): LoadResult {
  const files = paths.map((p) => {
    try {
      return { name: p, text: fs.readFileSync(p, 'utf8') };
    } catch (e) {
      throw new ConfigReadError(p, e);
    }
  });
  return parseConfig(files, options);
}
