/**
 * Argument checks at the contract's boundary. Transports deliver untrusted
 * JSON, so every argument is checked for its type and range here, and a bad
 * one is answered with LS_ERR_CTL_BAD_VALUE naming the method, the argument
 * and what it got.
 */
import { ControlFailure } from './answers.ts';

/** `"abc" (text)`, `3.5`, `null`, `an object` … for messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `${JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value)} (text)`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${String(value)} (${typeof value})`;
  if (Array.isArray(value)) return 'a list';
  // Only objects (and functions, which JSON cannot carry) reach here.
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function badValue(method: string, what: string, expected: string, got: unknown): ControlFailure {
  return new ControlFailure('LS_ERR_CTL_BAD_VALUE', `${method}: ${what} must be ${expected}, got ${describe(got)}.`);
}

/** A non-empty text (names of backends, servers, objects). */
export function name(method: string, what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw badValue(method, what, 'a non-empty text', value);
  return value;
}

export function text(method: string, what: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string') throw badValue(method, what, 'text', value);
  if (value.length > maxLength) throw badValue(method, what, `at most ${maxLength} characters`, `${value.length} characters`);
  return value;
}

/**
 * A name shown back in answers, logs and diagnostics (`parsing [NAME:12]`): one line of at most
 * 255 characters, so that it can neither forge a second log line nor swell every status answer.
 */
export function optionalLabel(method: string, what: string, value: unknown, fallback: string): string {
  const label = optionalName(method, what, value, fallback);
  if (label.length > 255) throw badValue(method, what, 'at most 255 characters', `${label.length} characters`);
  if (/[\x00-\x1f\x7f\u2028\u2029]/.test(label)) throw badValue(method, what, 'one line without control characters', label);
  return label;
}

export function optionalName(method: string, what: string, value: unknown, fallback: string): string {
  return value === undefined || value === null ? fallback : name(method, what, value);
}

export function integer(method: string, what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badValue(method, what, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

export function optionalInteger(method: string, what: string, value: unknown, min: number, max: number, fallback: number): number {
  return value === undefined || value === null ? fallback : integer(method, what, value, min, max);
}

/** epoch ms */
export function optionalTime(method: string, what: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw badValue(method, what, 'a time in epoch milliseconds', value);
  return value;
}

export function oneOf<T extends string>(method: string, what: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw badValue(method, what, `one of ${allowed.join(', ')}`, value);
  }
  return value as T;
}

/** A plain object (a request or range argument); undefined when absent and optional. */
export function record(method: string, what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badValue(method, what, 'an object', value);
  return value as Record<string, unknown>;
}
