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
