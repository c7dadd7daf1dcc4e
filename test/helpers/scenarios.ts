/** The configuration corpus under test/scenarios and its expectation headers. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const scenariosDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../scenarios');

/** Relative paths (from scenariosDir) of the .cfg files in a corpus folder. */
export function scenarioFiles(folder: string): string[] {
  return fs.readdirSync(path.join(scenariosDir, folder)).filter((f) => f.endsWith('.cfg')).sort().map((f) => `${folder}/${f}`);
}

export function readScenario(relative: string): string {
  return fs.readFileSync(path.join(scenariosDir, relative), 'utf8');
}

/** `# expect-line: 12` / `# expect-message: …` headers of the invalid and warning corpora. */
export function expectations(text: string): { line: number; message: string; severity: 'alert' | 'warning' } {
  const header = (key: string) => new RegExp(`^# ${key}: (.*)$`, 'm').exec(text)?.[1]?.trim();
  const warningLine = header('expect-warning-line');
  if (warningLine !== undefined) return { line: Number(warningLine), message: header('expect-warning') ?? '', severity: 'warning' };
  return { line: Number(header('expect-line')), message: header('expect-message') ?? '', severity: 'alert' };
}

/** Runs `fn` with the working directory set to the corpus, as HAProxy resolves relative paths from it. */
export function inScenarios<T>(fn: () => T): T {
  const previous = process.cwd();
  process.chdir(scenariosDir);
  try {
    return fn();
  } finally {
    process.chdir(previous);
  }
}
