/**
 * The runtime API's CA file and CRL file commands (HAProxy 2.6 ssl_ckch.c, management.txt §9.3),
 * with haproxy 2.6.12's answers: `show ssl ca-file|crl-file [<file>[:<index>]]`, `set … <<` + PEM
 * payload, `commit`, `abort`, `new`, `del`. As a CA renews its root or a CRL is republished, the
 * binds verifying clients against the file pick it up without a reload. One transaction of each kind
 * at a time, as in HAProxy.
 */
import { X509Certificate } from 'node:crypto';
import { objectsOfPayload } from '../tls/trust-store.ts';
import { TrustCommitError } from '../tls/runtime-cafiles.ts';
import type { RuntimeCaFiles, TrustKind } from '../tls/runtime-cafiles.ts';
import { crlDetail } from '../tls/crl-fields.ts';
import { certFields } from './ssl-cert-commands.ts';
import { cliErr, cliMsg } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';

/** LOG_NOTICE: the severity of these commands' messages (cli_dynmsg), errors being LOG_ERR. */
const NOTICE = 5;

/** The words HAProxy uses for each kind in its messages. */
const WORDS: Record<TrustKind, { file: string; short: string; what: string; command: string }> = {
  ca: { file: 'CA file', short: 'CA', what: 'CAs', command: 'ca-file' },
  crl: { file: 'CRL file', short: 'CRL', what: 'CRLs', command: 'crl-file' },
};

/** `show ssl ca-file [<file>[:<index>]]` (cli_parse_show_cafile): operator level, else HAProxy's odd refusal. */
export function showSslCaFile(files: RuntimeCaFiles | undefined, args: readonly string[], operator: boolean): CliAnswer {
  if (!operator) return cliErr("Can't allocate memory!\n");
  const name = args[3];
  if (name === undefined || name === '') {
    let out = '';
    const tx = files?.transactions.ca;
    if (tx) out += `# transaction\n*${tx.path} - ${tx.objects.length} certificate(s)\n`;
    out += '# filename\n';
    for (const [path, entry] of files?.entries() ?? []) if (entry.kind === 'ca') out += `${path} - ${files!.objects(path)?.length ?? 0} certificate(s)\n`;
    return out;
  }
  const target = detailTarget(files, 'ca', name);
  if (typeof target === 'string') return cliErr(target);
  const { label, objects, status } = target;
  // cli_io_handler_show_cafile_detail writes nothing until a certificate is printed: an empty file shows nothing.
  if (!objects) return '';
  let out = '';
  for (let i = target.index ?? 0; i < objects.length; i++) {
    if (objects[i]!.kind !== 'cert') continue;
    if (out === '') out = `Filename: ${label}\nStatus: ${status}\n`;
    out += ` \nCertificate #${i + 1}:\n${certFields(new X509Certificate(objects[i]!.der)).text}`;
    if (target.index !== undefined) break;
  }
  return out;
}

/** `show ssl crl-file [<file>[:<index>]]` (cli_parse_show_crlfile). */
export function showSslCrlFile(files: RuntimeCaFiles | undefined, args: readonly string[], operator: boolean): CliAnswer {
  if (!operator) return cliErr("Can't allocate memory!\n");
  const name = args[3];
  if (name === undefined || name === '') {
    let out = '';
    const tx = files?.transactions.crl;
    if (tx) out += `# transaction\n*${tx.path}\n`;
    out += '# filename\n';
    for (const [path, entry] of files?.entries() ?? []) if (entry.kind === 'crl') out += `${path}\n`;
    return out;
  }
  const target = detailTarget(files, 'crl', name);
  if (typeof target === 'string') return cliErr(target);
  const { label, objects, status } = target;
  let out = `Filename: ${label}\nStatus: ${status}\n`;
  for (const [i, object] of (objects ?? []).entries()) {
    if (object.kind !== 'crl') continue;
    if (target.index !== undefined && target.index !== i) continue;
    out += ` \nCertificate Revocation List #${i + 1}:\n${crlDetail(object.der)}`;
    if (target.index !== undefined) break;
  }
  return out;
}

/** The entry a detailed `show` names (`*<file>`: the transaction's), or the refusal to print. */
function detailTarget(files: RuntimeCaFiles | undefined, kind: TrustKind, arg: string): string | { label: string; objects: ReturnType<RuntimeCaFiles['objects']>; status: string; index?: number } {
  const words = WORDS[kind];
  let name = arg;
  let index: number | undefined;
  const colon = arg.indexOf(':');
  if (colon >= 0) {
    // strtol: optional spaces and sign, then digits; indexes start at 1.
    const text = arg.slice(colon + 1);
    const parsed = /^\s*[+-]?\d+$/.test(text) ? Number(text) : NaN;
    if (!(parsed > 0)) return `wrong ${words.short} index after colons in '${arg}'!`;
    index = parsed - 1;
    name = arg.slice(0, colon);
  }
  const notFound = `Can't display the ${words.file} : Not found!\n`;
  if (!files) return notFound;
  if (name.startsWith('*')) {
    const tx = files.transactions[kind];
    if (!tx || tx.path !== name.slice(1)) return notFound;
    // The transaction's entry is in no bind's use yet.
    return { label: name, objects: tx.objects, status: 'Unused', ...(index !== undefined ? { index } : {}) };
  }
  const entry = files.entries().get(name);
  if (!entry || entry.kind !== kind) return notFound;
  const objects = files.objects(name);
  const status = objects === undefined ? 'Empty' : entry.instances > 0 ? 'Used' : 'Unused';
  return { label: name, objects, status, ...(index !== undefined ? { index } : {}) };
}

/** `set ssl ca-file|crl-file <file> <<` + payload (cli_parse_set_cafile / _crlfile): the transaction created or replaced. */
export function setSslTrustFile(files: RuntimeCaFiles | undefined, kind: TrustKind, args: readonly string[], payload: string | undefined): CliAnswer {
  const words = WORDS[kind];
  const name = args[3];
  if (name === undefined || name === '' || payload === undefined) return cliErr(`'set ssl ${words.command} expects a filename and ${words.what} as a payload\n`);
  const fail = (why: string): CliAnswer => cliErr(`${why}Can't update ${name}!\n`);
  const tx = files?.transactions[kind];
  if (tx && tx.path !== name) return fail(`The ongoing transaction is about '${tx.path}' but you are trying to set '${name}'\n`);
  if (!files || (!tx && !files.entries().has(name))) return fail(`Can't replace a ${words.file} which is not referenced by the configuration!\n`);
  const objects = objectsOfPayload(payload);
  if (!objects) return fail('Invalid payload\n');
  files.transactions[kind] = { path: name, objects };
  return cliMsg(`transaction ${tx ? 'updated' : 'created'} for ${words.short} ${name}!\n`, NOTICE);
}

/** `commit ssl ca-file|crl-file <file>` (cli_parse_commit_cafile + cli_io_handler_commit_cafile_crlfile): one dot per bind entry rebuilt. */
export function commitSslTrustFile(files: RuntimeCaFiles | undefined, kind: TrustKind, args: readonly string[]): CliAnswer {
  const name = args[3];
  // HAProxy 2.6.12 names ca-file in both commands' message.
  if (name === undefined || name === '') return cliErr("'commit ssl ca-file expects a filename\n");
  // What the commit itself prints is its I/O handler's text: no severity.
  const fail = (why: string): CliAnswer => cliErr(`${why}Can't commit ${name}!\n`);
  const tx = files?.transactions[kind];
  if (!files || !tx) return fail('No ongoing transaction! !\n');
  if (tx.path !== name) return fail(`The ongoing transaction is about '${tx.path}' but you are trying to set '${name}'\n`);
  let count: number;
  try {
    count = files.commit(tx.path, kind, tx.objects);
  } catch (e) {
    if (!(e instanceof TrustCommitError)) throw e;
    // HAProxy keeps the transaction when building the new contexts fails.
    return `Committing ${tx.path}\n${e.message}\nFailed!\n`;
  }
  files.transactions[kind] = undefined;
  return `Committing ${tx.path}${'.'.repeat(count)}\nSuccess!\n`;
}

/** `abort ssl ca-file|crl-file <file>` (cli_parse_abort_cafile / _crlfile). */
export function abortSslTrustFile(files: RuntimeCaFiles | undefined, kind: TrustKind, args: readonly string[]): CliAnswer {
  const name = args[3];
  if (name === undefined || name === '') return cliErr(`'abort ssl ${WORDS[kind].command}' expects a filename\n`);
  const tx = files?.transactions[kind];
  if (!files || !tx) return cliErr('No ongoing transaction!\n');
  if (tx.path !== name) return cliErr(`The ongoing transaction is about '${tx.path}' but you are trying to abort a transaction for '${name}'\n`);
  files.transactions[kind] = undefined;
  return cliMsg(`Transaction aborted for certificate '${name}'!\n`, NOTICE);
}

/** `new ssl ca-file|crl-file <file>` (cli_parse_new_cafile / _crlfile): an empty entry, to fill with set and commit. */
export function newSslTrustFile(files: RuntimeCaFiles | undefined, kind: TrustKind, args: readonly string[]): CliAnswer {
  const words = WORDS[kind];
  const name = args[3];
  if (name === undefined || name === '') return cliErr(`'new ssl ${words.command}' expects a filename\n`);
  if (!files || !files.create(name, kind)) return cliErr(`${words.file} '${name}' already exists!\n`);
  return cliMsg(`New ${words.file} created '${name}'!\n`, NOTICE);
}

/** `del ssl ca-file|crl-file <file>` (cli_parse_del_cafile / _crlfile): a file no bind entry verifies against leaves the tree. */
export function delSslTrustFile(files: RuntimeCaFiles | undefined, kind: TrustKind, args: readonly string[]): CliAnswer {
  const words = WORDS[kind];
  const name = args[3];
  if (name === undefined || name === '') return cliErr(`'del ssl ${words.command}' expects a ${words.file} name\n`);
  const result = files?.remove(name, kind) ?? 'missing';
  const refusal = (why: string): CliAnswer => cliErr(`Can't remove the ${words.file}: ${why}\n`);
  switch (result) {
    case 'missing': return refusal(`${words.file} '${name}' doesn't exist!\n`);
    case 'other kind': return refusal("'del ssl crl-file' does not work on CA files!\n");
    case 'transaction': return refusal(`ongoing transaction for the ${words.file} '${name}'`);
    case 'in use': return refusal(`${words.file} '${name}' in use, can't be deleted!\n`);
    case 'deleted': return cliMsg(`${words.file} '${name}' deleted!\n`, NOTICE);
  }
}
