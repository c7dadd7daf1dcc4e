/**
 * Registry of converters (manual section 7.3.1) as HAProxy 2.6 registers them
 * (`haproxy -dKcnv`): arguments (same notation as fetches.ts), input type the
 * sample is cast to, output type — assembled from the family files in
 * converter/, which hold each converter's row, argument check and compiler.
 */
import type { ConverterDef } from './types.ts';
import type { ArgValidator } from './validators.ts';
import type { ConverterCompiler } from './converter/define.ts';
import { CONVERTER_DEFINITIONS } from './converter/index.ts';
import { parseArgSpec } from './arg-spec.ts';
import { suggest } from '../config/suggest.ts';

export type { ConverterRow } from './converter/define.ts';
export { canCast } from './casts.ts';

const CONVERTERS = new Map<string, ConverterDef>();
const COMPILERS = new Map<string, ConverterCompiler>();
const VALIDATORS = new Map<string, ArgValidator>();
for (const { row: [name, args, input, output], compile, validate } of CONVERTER_DEFINITIONS) {
  CONVERTERS.set(name, { name, args: parseArgSpec(args), input, output });
  if (compile) COMPILERS.set(name, compile);
  if (validate) VALIDATORS.set(name, validate);
}

/** The compiler of a converter Loadstar evaluates; undefined: not supported yet. */
export function converterCompiler(name: string): ConverterCompiler | undefined {
  return COMPILERS.get(name);
}

/** HAProxy's check of a converter's parsed arguments, if it has one. */
export function converterValidator(name: string): ArgValidator | undefined {
  return VALIDATORS.get(name);
}

/** Converters HAProxy 2.6 has that are not evaluated yet: their rows have no compiler. */
export function unsupportedConverterNames(): string[] {
  return [...CONVERTERS.keys()].filter((name) => !COMPILERS.has(name));
}

/** Looks a converter up by its exact name. */
export function findConverter(name: string): ConverterDef | undefined {
  return CONVERTERS.get(name);
}

/** All converter names. */
export function converterNames(): IterableIterator<string> {
  return CONVERTERS.keys();
}

/** Closest converter name, for "did you mean" hints. */
export function suggestConverter(word: string): string | undefined {
  return word ? suggest(word, CONVERTERS.keys()) : undefined;
}
