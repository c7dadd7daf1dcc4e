/**
 * Errors thrown by the evaluator's compile functions (never at run time).
 * The caller turns them into configuration diagnostics, at the place where
 * the sample expression / ACL / log-format was written.
 */

/** Why compiling failed. */
export type EvalErrorKind =
  /** A fetch or converter HAProxy has but Loadstar does not evaluate yet. */
  | 'unsupported'
  /** A pattern or map file could not be read or has a bad line. */
  | 'file'
  /** A condition names an ACL that is neither declared nor predefined. */
  | 'unknown-acl'
  /** Anything else invalid in the compiled input (bad map value, unresolved host name…). */
  | 'invalid';

export class EvalCompileError extends Error {
  override readonly name = 'EvalCompileError';
  constructor(
    readonly kind: EvalErrorKind,
    message: string,
    /** The fetch or converter keyword concerned, when there is one. */
    readonly keyword?: string,
  ) {
    super(message);
  }
}

export function unsupported(kind: 'fetch' | 'converter', keyword: string): EvalCompileError {
  return new EvalCompileError('unsupported', `${kind} '${keyword}' is not supported yet by Loadstar`, keyword);
}
