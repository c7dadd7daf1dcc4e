/**
 * A small reader of HAProxy's statistics page for the tests: per proxy table, the two header rows
 * and each row's class and cell texts (tooltips dropped, tags stripped, entities decoded).
 */
export interface PageTable {
  proxy: string;
  headers: string[][];
  rows: Array<{ cls: string; cells: string[] }>;
}

const text = (html: string): string =>
  html.replace(/<div class=tips>.*?<\/div>/gs, '').replace(/<[^>]*>/g, '').replace(/&nbsp;/g, ' ').replace(/&uarr;/g, '↑').replace(/&darr;/g, '↓')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&').trim();

/** A cell's text with its colspan, as `text` or `text@colspan`. */
function cells(rowHtml: string, tag: 'td' | 'th'): string[] {
  const out: string[] = [];
  for (const m of rowHtml.matchAll(new RegExp(`<${tag}([^>]*)>(.*?)</${tag}>`, 'gs'))) {
    const span = /colspan=(\d+)/.exec(m[1]!)?.[1];
    out.push(text(m[2]!) + (span ? `@${span}` : ''));
  }
  return out;
}

export function parseStatsPage(html: string): PageTable[] {
  const tables: PageTable[] = [];
  const parts = html.split('<table class="tbl" width="100%">').slice(1);
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const proxy = /<a class=px href="#[^"]*">(.*?)<\/a>/.exec(parts[i]!)![1]!;
    // Tooltips hold their own tables: drop them before splitting the table into rows.
    const body = parts[i + 1]!.replace(/<div class=tips>.*?<\/div>/gs, '');
    const headers = [...body.matchAll(/<tr class="titre">(.*?)<\/tr>/gs)].map((m) => cells(m[1]!, 'th'));
    const rows = [...body.matchAll(/<tr class="(?!titre)([^"]*)">(.*?)<\/tr>/gs)].map((m) => ({ cls: m[1]!, cells: cells(m[2]!, 'td') }));
    tables.push({ proxy: text(proxy), headers, rows });
  }
  return tables;
}
