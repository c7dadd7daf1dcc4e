/**
 * Reads hostile-requests.txt: one block per case,
 *
 *   === name | class | key=value ...
 *   raw bytes, written with escapes (\r \n \t \v \0 \xNN \\); line breaks in the file are not bytes
 *   --- pause            (the client waits PAUSE_MS before writing the rest)
 *
 * `{{repeat N TEXT}}` expands to TEXT N times (TEXT may hold escapes and `#`, the index).
 * Keys: expect=reject|forward (Loadstar must refuse it / must forward it),
 * status=400,422 (Loadstar's final status must be one of these),
 * forwarded=N (the origin must read exactly N requests), responses=N (final answers awaited), head,
 * todo=WORD (a known gap, reported to the lead: the case runs and shows in the report, as a todo test).
 */
import fs from 'node:fs';
import type { RawCase } from './differential.ts';

export interface CorpusCase extends RawCase {
  cls: string;
  expect?: 'reject' | 'forward';
  status?: number[];
  forwarded?: number;
  /** A known, reported gap (an issue or a word): the case runs and is reported, but as a todo. */
  todo?: string;
}

function unescape(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[rntv0\\])/g, (_, e: string) => {
    switch (e) {
      case 'r': return '\r';
      case 'n': return '\n';
      case 't': return '\t';
      case 'v': return '\v';
      case '0': return '\0';
      case '\\': return '\\';
      default: return String.fromCharCode(parseInt(e.slice(1), 16));
    }
  });
}

function expand(text: string): string {
  return text.replace(/\{\{repeat (\d+) (.*?)\}\}/g, (_, n: string, body: string) =>
    Array.from({ length: Number(n) }, (_u, i) => body.replaceAll('#', String(i))).join(''));
}

export function readCorpus(file: string): CorpusCase[] {
  const cases: CorpusCase[] = [];
  let current: { c: CorpusCase; parts: string[] } | undefined;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.startsWith('===')) {
      const [name, cls, keys] = line.slice(3).split('|').map((s) => s.trim());
      if (!name || !cls) throw new Error(`${file}:${i + 1}: a case needs '=== name | class'`);
      const c: CorpusCase = { name, cls, parts: [], responses: 1 };
      for (const kv of (keys ?? '').split(/\s+/).filter(Boolean)) {
        const [k, v = ''] = kv.split('=');
        if (k === 'expect' && (v === 'reject' || v === 'forward')) c.expect = v;
        else if (k === 'status') c.status = v.split(',').map(Number);
        else if (k === 'forwarded') c.forwarded = Number(v);
        else if (k === 'responses') c.responses = Number(v);
        else if (k === 'head') c.head = true;
        else if (k === 'todo' && v !== '') c.todo = v;
        else throw new Error(`${file}:${i + 1}: unknown key '${kv}'`);
      }
      if (cases.some((x) => x.name === name)) throw new Error(`${file}:${i + 1}: case '${name}' appears twice`);
      cases.push(c);
      current = { c, parts: [''] };
      return;
    }
    if (line.startsWith('#') || !current) return;
    if (line.trim() === '--- pause') return void current.parts.push('');
    current.parts[current.parts.length - 1] += unescape(expand(line));
    current.c.parts = current.parts.filter((p) => p !== '').map((p) => Buffer.from(p, 'latin1'));
  });
  return cases;
}
