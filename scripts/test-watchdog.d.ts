// Types of test-watchdog.js (plain JavaScript: run-tests.js runs it without a TypeScript loader).
type ProcessTable = Map<number, { parent: number; group: number; argv: string[] }>;
export function testProcesses(root: number, table?: ProcessTable): Array<{ pid: number; file: string }>;
export function otherProcesses(root: number, table?: ProcessTable): Array<{ pid: number; command: string }>;
export function runWithLimit(
  command: string,
  args: readonly string[],
  options: {
    limitMs: number;
    fileLimitMs?: number;
    graceMs?: number;
    pollMs?: number;
    onLimit?: (files: string[], others: string[]) => void;
    onFileLimit?: (file: string) => void;
  },
): Promise<{ status: number; stuck: string[] }>;
