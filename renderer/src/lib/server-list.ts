/**
 * Many servers at once for the wizard's servers step: a list pasted one
 * server a line, as a home lab keeps it (a spreadsheet column, an inventory):
 *
 *   192.168.1.10:80
 *   web2 192.168.1.11:80 weight 2 maxconn 50
 *   web3 192.168.1.12 8080 backup
 *   [fd00::12]:80
 *
 * A line without a name gets `server<N>` (the next free number); a line
 * without a port takes `defaultPort`. Blank lines and `#` comments are
 * skipped. Lines that cannot be read are reported with their number and
 * nothing is added, so a mistake is fixed in the list, not hunted in 300 rows.
 * A port outside 1–65535, a weight outside 0–256 or a maxconn outside
 * 1–100000 is such a line too;
 * addresses are then checked field by field like typed ones.
 */
import type { ServerDraft } from './wizard.ts';

export interface ServerListResult {
  servers: ServerDraft[];
  /** `Line 3: …`, in line order; when not empty, `servers` is empty. */
  errors: string[];
}

const NAME = /^[A-Za-z0-9_.:-]+$/;

/** `addr:port`, `[v6]:port`, `[v6]`, a bare IPv6 (two colons or more) or `addr`, as [address, port | undefined]. */
function splitAddress(word: string): [string, string | undefined] {
  const bracket = /^\[([^\]]+)\](?::(\d*))?$/.exec(word);
  if (bracket) return [bracket[1]!, bracket[2]];
  if ((word.match(/:/g) ?? []).length >= 2) return [word, undefined];
  const at = word.lastIndexOf(':');
  return at < 0 ? [word, undefined] : [word.slice(0, at), word.slice(at + 1)];
}

/** An IP, `[v6]`, or a host name with a dot or a port: what a name (a plain word) is not. */
const looksLikeAddress = (word: string): boolean => word.startsWith('[') || /[.:]/.test(word);

export function parseServerList(text: string, takenNames: Iterable<string>, defaultPort = ''): ServerListResult {
  const taken = new Set(takenNames);
  const servers: ServerDraft[] = [];
  const errors: string[] = [];
  let counter = 1;
  const nextName = (): string => {
    while (taken.has(`server${counter}`)) counter++;
    return `server${counter}`;
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const where = `Line ${i + 1}`;
    const words = line.split(/[\s,;]+/).filter((w) => w !== '');
    // A name comes first when the first word is not an address and an address follows.
    let name: string | undefined;
    if (words.length > 1 && !looksLikeAddress(words[0]!) && looksLikeAddress(words[1]!)) name = words.shift();
    const [address, portInWord] = splitAddress(words.shift() ?? '');
    let port = portInWord;
    if (port === undefined && words[0] !== undefined && /^\d+$/.test(words[0])) port = words.shift();
    let weight = '1';
    let maxconn = '';
    let backup = false;
    while (words.length > 0) {
      const word = words.shift()!;
      if (word.toLowerCase() === 'backup') backup = true;
      else if (word.toLowerCase() === 'weight' && words[0] !== undefined) weight = words.shift()!;
      else if (word.toLowerCase() === 'maxconn' && words[0] !== undefined) maxconn = words.shift()!;
      else {
        errors.push(`${where}: '${word}' is not understood; write [name] address:port [weight N] [maxconn N] [backup], e.g. web1 192.168.1.10:80.`);
        return;
      }
    }
    if (address === '') {
      errors.push(`${where}: no address; write [name] address:port, e.g. 192.168.1.10:80.`);
      return;
    }
    if (port !== undefined && port !== '' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
      errors.push(`${where}: ${port} is not a port; use a whole number from 1 to 65535.`);
      return;
    }
    if (!(/^\d+$/.test(weight) && Number(weight) <= 256)) {
      errors.push(`${where}: weight ${weight} is not a weight; use a whole number from 0 to 256 (0 = no new traffic).`);
      return;
    }
    if (maxconn !== '' && !(/^\d+$/.test(maxconn) && Number(maxconn) >= 1 && Number(maxconn) <= 100_000)) {
      errors.push(`${where}: maxconn ${maxconn} is not a limit; use a whole number from 1 to 100000.`);
      return;
    }
    if (name !== undefined && !NAME.test(name)) {
      errors.push(`${where}: the name '${name}' may use letters, digits, '_', '.', ':' or '-' only.`);
      return;
    }
    if (name !== undefined && taken.has(name)) {
      errors.push(`${where}: a server named '${name}' is already in this backend.`);
      return;
    }
    const finalName = name ?? nextName();
    taken.add(finalName);
    servers.push({ name: finalName, address, port: port === undefined || port === '' ? defaultPort : port, weight, backup, maxconn });
  });
  return errors.length > 0 ? { servers: [], errors } : { servers, errors };
}
