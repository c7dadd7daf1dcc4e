/** The order the Problems list shows a text's diagnostics in. */
import type { ControlDiagnostic } from '../../../proxy/control/contract.ts';

/**
 * In reading order: by line, then column, files as they first appear. The checker reports some
 * problems only once the whole text is read (a missing backend, unused rules), after later lines.
 */
export function inReadingOrder<T extends Pick<ControlDiagnostic, 'file' | 'line' | 'column'>>(diagnostics: readonly T[]): T[] {
  const files = [...new Set(diagnostics.map((d) => d.file))];
  return [...diagnostics].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line || a.column - b.column);
}

/**
 * A candidate text's diagnostics split into those its change brings and those the running text
 * already has (the wizard's review: a warning about another site's line is not this change's).
 * Matched by severity, code and message, not by line (a change moves the lines after it); each
 * running diagnostic matches once.
 */
export function splitByRunning<T extends Pick<ControlDiagnostic, 'severity' | 'code' | 'message'>>(candidate: readonly T[], running: readonly Pick<ControlDiagnostic, 'severity' | 'code' | 'message'>[]): { fresh: T[]; existing: T[] } {
  const key = (d: Pick<ControlDiagnostic, 'severity' | 'code' | 'message'>): string => `${d.severity}\u0000${d.code}\u0000${d.message}`;
  const left = new Map<string, number>();
  for (const d of running) left.set(key(d), (left.get(key(d)) ?? 0) + 1);
  const fresh: T[] = [];
  const existing: T[] = [];
  for (const d of candidate) {
    const n = left.get(key(d)) ?? 0;
    if (n > 0) {
      left.set(key(d), n - 1);
      existing.push(d);
    } else fresh.push(d);
  }
  return { fresh, existing };
}
