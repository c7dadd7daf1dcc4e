/**
 * Model → canonical haproxy.cfg text: one blank line between sections, four
 * spaces before each directive, comments where they were. An argument that
 * still has the value it was parsed with is written exactly as typed (keeps
 * `"${VAR}"` and the user's quoting); an edited one is quoted canonically.
 */
import { quoteWord } from './lexer.ts';
import type { Config, Directive, Section } from './model.ts';

const INDENT = '    ';

export function serialize(config: Config): string {
  const out: string[] = [];
  config.sections.forEach((section, i) => {
    if (i > 0) out.push('');
    writeSection(out, section);
  });
  if (config.trailingComments.length > 0) {
    if (out.length > 0) out.push('');
    for (const c of config.trailingComments) out.push(`#${c}`);
  }
  return out.join('\n') + '\n';
}

function writeSection(out: string[], section: Section): void {
  for (const c of section.comments) out.push(`#${c}`);
  const header: string[] = [section.kind];
  if (section.name) header.push(quoteWord(section.name));
  if (section.from !== undefined) header.push('from', quoteWord(section.from));
  out.push(withComment(header.join(' '), section.trailingComment));
  for (const d of section.directives) {
    for (const c of d.comments) out.push(`${INDENT}#${c}`);
    out.push(withComment(INDENT + directiveText(d), d.trailingComment));
  }
}

export function directiveText(d: Directive): string {
  const source = d.source;
  const args = source !== undefined && source.args === d.args
    ? (source.typed?.filter((t) => t !== '') ?? d.args)
    : d.args.map(quoteWord);
  return [d.keyword, ...args].join(' ');
}

function withComment(line: string, comment: string | undefined): string {
  return comment === undefined ? line : `${line} #${comment}`;
}
