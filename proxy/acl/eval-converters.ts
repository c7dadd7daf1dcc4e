/**
 * Compiles one converter call with the compiler its family registered
 * (proxy/acl/converter/*.ts). A converter whose row has no compiler is not
 * supported yet: compiling it throws an EvalCompileError of kind
 * 'unsupported' (see UNSUPPORTED_CONVERTERS).
 */
import type { ConverterCall } from './types.ts';
import type { ConvFn, ConverterCompileOptions } from './converter/define.ts';
import { converterCompiler, unsupportedConverterNames } from './converters.ts';
import { unsupported } from './eval-errors.ts';

export type { ConvFn, ConverterCompileOptions } from './converter/define.ts';
export { formatG } from './converter/json.ts';
export { strftime, MONTHS, pad } from './converter/date.ts';

/** Converters HAProxy 2.6 has that are not evaluated yet (compiling them throws). */
export const UNSUPPORTED_CONVERTERS: readonly string[] = unsupportedConverterNames();

/** Compiles one converter. */
export function compileConverter(call: ConverterCall, options: ConverterCompileOptions = {}): ConvFn {
  const compile = converterCompiler(call.def.name);
  if (!compile) throw unsupported('converter', call.def.name);
  return compile(call, options);
}
