/** Markdown reports under test-output/reliability/, which docs/reliability.md is written from. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const outputDir = fileURLToPath(new URL('../../../test-output/reliability/', import.meta.url));

export function writeReport(name: string, text: string): string {
  fs.mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A table cell: pipes and newlines would break the row. */
export function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
