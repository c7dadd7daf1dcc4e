/**
 * How the in-process implementation answers: one Result shape for every
 * method. A ControlFailure (bad argument, missing object, wrong state) or a
 * LoadstarError (a registered refusal: a bind that fails, a certificate
 * problem) becomes `{ ok: false, error }`; anything else is a bug, answered
 * as LS_ERR_CTL_INTERNAL and logged with its stack once, never thrown to a
 * transport.
 */
import { LoadstarError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import type { ControlDiagnostic, ControlError, ControlWarning, Result } from './contract.ts';

/** A refusal with a registered code, thrown inside a method and turned into its answer. */
export class ControlFailure extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly diagnostics?: ControlDiagnostic[]) {
    super(message);
    this.name = 'ControlFailure';
  }
}

export function ok<T>(value: T, warnings?: ControlWarning[]): Result<T> {
  return warnings ? { ok: true, value, warnings } : { ok: true, value };
}

export function fail(code: ErrorCode, message: string, diagnostics?: ControlDiagnostic[]): { ok: false; error: ControlError } {
  return { ok: false, error: diagnostics ? { code, message, diagnostics } : { code, message } };
}

/** Distinct stacks already logged: a UI polling a broken method every second logs it once. */
const MAX_REMEMBERED = 200;

export class Answerer {
  private readonly logged = new Set<string>();

  constructor(private readonly log: (message: string) => void) {}

  /** Runs one method; whatever happens, resolves with a Result. */
  async run<T>(method: string, body: () => Promise<Result<T>> | Result<T>): Promise<Result<T>> {
    try {
      return await body();
    } catch (e) {
      return this.failure(method, e);
    }
  }

  failure(method: string, e: unknown): { ok: false; error: ControlError } {
    if (e instanceof ControlFailure) return fail(e.code, e.message, e.diagnostics);
    if (e instanceof LoadstarError) return fail(e.code, e.message);
    const stack = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    // The same failure at the same place: the message and the innermost frames (the callers' async frames vary).
    const key = `${method}\n${stack.split('\n').slice(0, 4).join('\n')}`;
    if (!this.logged.has(key)) {
      if (this.logged.size >= MAX_REMEMBERED) this.logged.clear();
      this.logged.add(key);
      try {
        this.log(`[ALERT] control: ${method} failed unexpectedly (LS_ERR_CTL_INTERNAL): ${stack}`);
      } catch {
        // A broken log must not turn an answer into a throw.
      }
    }
    const reason = e instanceof Error ? e.message : String(e);
    return fail('LS_ERR_CTL_INTERNAL', `${method} failed inside Loadstar (${reason}); the failure is logged with its stack.`);
  }
}
