// Types of test-watchdog.js (plain JavaScript: run-tests.js runs it without a TypeScript loader).
export function testProcesses(root: number, table?: Map<number, { parent: number; argv: string[] }>): Array<{ pid: number; file: string }>;
export function runWithLimit(
  command: string,
  args: readonly string[],
  options: { limitMs: number; graceMs?: number; onLimit?: (files: string[]) => void },
): Promise<{ status: number; stuck: string[] }>;
