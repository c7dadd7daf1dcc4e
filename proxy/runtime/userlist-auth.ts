/**
 * The password check behind http_auth() / http_auth_group(): each user's
 * `insecure-password` compared as bytes, or its crypt(3) `password` hash
 * verified (proxy/runtime/crypt.ts).
 *
 * A `$6$` hash at its default 5000 rounds costs ~20-40 ms of CPU in Node, on
 * the event loop, for every request that carries credentials: HAProxy pays it
 * on each request too (it calls crypt() with no cache), but a Node process
 * serving every connection on one thread cannot. Credentials that verified
 * once are remembered, so a logged-in browser pays it once per configuration
 * load. Only successes are kept (a wrong password cannot evict a right one),
 * at most MAX_REMEMBERED, under an HMAC with a key made at start: the cache
 * holds no password, and a reload (new hashes) starts a new one.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Userlist } from '../config/model.ts';
import { cryptScheme, type CryptScheme, type PasswordVerifier } from './crypt.ts';

/** Credentials remembered as verified, per configuration load. */
export const MAX_REMEMBERED = 1024;

export type CheckUser = (userlist: string, user: string, password: string) => boolean;

/** `schemeOf` is crypt.ts's cryptScheme; tests hand in one that counts its verifications. */
export function userlistChecker(userlists: readonly Userlist[], schemeOf: (hash: string) => CryptScheme = cryptScheme): CheckUser {
  const verifiers = new Map<string, Map<string, PasswordVerifier>>();
  for (const list of userlists) {
    const users = new Map<string, PasswordVerifier>();
    for (const u of list.users) if (!users.has(u.name)) users.set(u.name, u.insecure ? sameBytes(u.password) : hashVerifier(schemeOf(u.password)));
    verifiers.set(list.name, users);
  }
  const key = randomBytes(32);
  const remembered = new Set<string>();
  return (userlist, user, password) => {
    const verify = verifiers.get(userlist)?.get(user);
    if (!verify) return false;
    const id = createHmac('sha256', key).update(`${userlist}\0${user}\0`).update(password, 'latin1').digest('base64');
    if (remembered.has(id)) {
      remembered.delete(id); // most recently used last: the oldest go first
      remembered.add(id);
      return true;
    }
    if (!verify(password)) return false;
    if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.values().next().value!);
    remembered.add(id);
    return true;
  };
}

/** An insecure-password (text of the configuration, UTF-8) against the bytes a client sent (latin1). */
function sameBytes(expected: string): PasswordVerifier {
  const bytes = Buffer.from(expected, 'utf8').toString('latin1');
  return (password) => password === bytes;
}

function hashVerifier(scheme: CryptScheme): PasswordVerifier {
  // Refused at load by runtime/unsupported.ts; a configuration that reached here anyway admits nobody.
  if (!scheme.verify) return () => false;
  const verify = scheme.verify;
  return (password) => {
    try {
      return verify(password);
    } catch {
      return false;
    }
  };
}
