/**
 * `show tls-keys [<ref>|*]` and `set ssl tls-key <ref> <key>` (HAProxy 2.6 ssl_sock.c): the binds'
 * `tls-ticket-keys` files, numbered from 0 (the file named last first), and a key added to one of
 * them without a reload — the rotation a cron job does on a cluster sharing the file. `<ref>` is
 * `#<id>` or the file as the configuration names it. Any level may run them, as in 2.6.
 */
import { strictBase64 } from '../tls/ticket-keys.ts';
import type { TicketKeyRef } from '../tls/ticket-keys.ts';
import { cliErr, cliMsg } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';

/** tlskeys_ref_lookup_ref: `#<id>` (strtol: an empty number is 0) or a file name. */
function lookup(refs: readonly TicketKeyRef[], reference: string): { ref: TicketKeyRef; id: number } | undefined {
  if (reference.startsWith('#')) {
    const digits = reference.slice(1);
    if (digits !== '' && !/^\s*[+-]?\d+$/.test(digits)) return undefined;
    const id = digits === '' ? 0 : Number(digits);
    const ref = refs[id];
    return ref ? { ref, id } : undefined;
  }
  const id = refs.findIndex((r) => r.file === reference);
  return id >= 0 ? { ref: refs[id]!, id } : undefined;
}

/** cli_io_handler_tlskeys_files: the files, or with `*` / a reference each one's keys, oldest first. */
export function showTlsKeys(refs: readonly TicketKeyRef[], args: readonly string[]): CliAnswer {
  const which = args[2];
  if (which === undefined || which === '') return '# id (file)\n' + refs.map((r, id) => `${id} (${r.file})\n`).join('');
  let shown: Array<{ ref: TicketKeyRef; id: number }>;
  if (which.startsWith('*')) shown = refs.map((ref, id) => ({ ref, id }));
  else {
    const found = lookup(refs, which);
    if (!found) return cliErr("'show tls-keys' unable to locate referenced filename\n");
    shown = [found];
  }
  let out = '# id secret\n';
  for (const { ref, id } of shown) {
    out += `# ${id} (${ref.file})\n`;
    ref.keys.forEach((key, i) => (out += `${id}.${i} ${key.toString('base64')}\n`));
  }
  return out;
}

/** cli_parse_set_tlskeys: the key becomes the newest; the one before it now encrypts, the oldest is dropped. */
export function setTlsKey(refs: readonly TicketKeyRef[], args: readonly string[]): CliAnswer {
  const reference = args[3];
  const text = args[4];
  if (!reference || !text) return cliErr("'set ssl tls-key' expects a filename and the new TLS key in base64 encoding.\n");
  const found = lookup(refs, reference);
  if (!found) return cliErr("'set ssl tls-key' unable to locate referenced filename\n");
  const key = strictBase64(text);
  if (!key) return cliErr("'set ssl tls-key' received invalid base64 encoded TLS key.\n");
  if (!found.ref.add(key)) return cliErr("'set ssl tls-key' received a key of wrong size.\n");
  return cliMsg('TLS ticket key updated!\n');
}
