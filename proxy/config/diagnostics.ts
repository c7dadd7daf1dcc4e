import type { DiagnosticCode } from '../errors.ts';

/** HAProxy's three levels: a warning is printed, an alert or fatal rejects the configuration. */
export type Severity = 'warning' | 'alert' | 'fatal';

export interface SourceLocation {
  file: string;
  /** 1-based line number. */
  line: number;
  /** 1-based column of the word the diagnostic is about (1 when it is about the whole line). */
  column: number;
}

export interface Diagnostic extends SourceLocation {
  severity: Severity;
  code: DiagnosticCode;
  /** The keyword of the directive concerned, when there is one. */
  keyword?: string;
  /** The message alone, in HAProxy's words, without location prefix. */
  message: string;
}

/** Collects diagnostics instead of stopping at the first problem (DESIGN.md §3). */
export class Diagnostics {
  readonly list: Diagnostic[] = [];

  add(d: Diagnostic): void {
    this.list.push(d);
  }

  alert(at: SourceLocation, code: DiagnosticCode, message: string, keyword?: string): void {
    this.add({ ...pickLocation(at), severity: 'alert', code, message, keyword });
  }

  warn(at: SourceLocation, code: DiagnosticCode, message: string, keyword?: string): void {
    this.add({ ...pickLocation(at), severity: 'warning', code, message, keyword });
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity !== 'warning');
  }
}

function pickLocation(at: SourceLocation): SourceLocation {
  return { file: at.file, line: at.line, column: at.column };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity !== 'warning');
}

/** `[ALERT] parsing [site.cfg:12] : unknown keyword 'balanse' in 'backend app' section; …` */
export function formatDiagnostic(d: Diagnostic): string {
  const level = d.severity === 'warning' ? '[WARNING]' : d.severity === 'fatal' ? '[FATAL]' : '[ALERT]';
  return `${level} parsing [${d.file}:${d.line}] : ${d.message}`;
}

/** Diagnostics in file and line order, one per line. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return [...diagnostics]
    .sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1))
    .map(formatDiagnostic)
    .join('\n');
}
