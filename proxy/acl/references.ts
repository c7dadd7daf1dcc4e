/**
 * Objects a sample expression or an ACL refers to by name (backends, tables,
 * userlists…, HAProxy's "unresolved arguments"), for the caller to check once
 * the whole configuration is known. An empty name means "the current proxy".
 */
import type { AclDeclaration, RefKind, SampleArg, SampleExpr } from './types.ts';

export interface References {
  readonly backends: string[];
  readonly frontends: string[];
  readonly tables: string[];
  readonly servers: string[];
  readonly userlists: string[];
  /** Pattern files (`-f`), for ACLs. */
  readonly files: string[];
}

const FIELD: Record<RefKind, Exclude<keyof References, 'files'>> = {
  backend: 'backends', frontend: 'frontends', table: 'tables', server: 'servers', userlist: 'userlists',
};

function collect(args: readonly SampleArg[], refs: References): void {
  for (const arg of args) {
    if (arg.type !== 'ref') continue;
    const list = refs[FIELD[arg.kind]];
    if (!list.includes(arg.name)) list.push(arg.name);
  }
}

/** Names referenced by the fetch and converter arguments of `expr` (added to `into` when given). */
export function sampleReferences(expr: SampleExpr, into?: References): References {
  const refs = into ?? { backends: [], frontends: [], tables: [], servers: [], userlists: [], files: [] };
  collect(expr.args, refs);
  for (const conv of expr.converters) collect(conv.args, refs);
  return refs;
}

/** Names referenced by an ACL declaration: its sample expression and its pattern files. */
export function aclReferences(decl: AclDeclaration): References {
  const refs = sampleReferences(decl.sample);
  for (const f of decl.files) if (!refs.files.includes(f.file)) refs.files.push(f.file);
  return refs;
}
