// Types of test-units.js (plain JavaScript: run-tests.js runs it without a TypeScript loader).
export interface Unit { name: string; files: string[] }
export function units(files: readonly string[], source?: (file: string) => string): Unit[];
