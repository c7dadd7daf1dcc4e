/**
 * crypt(3) password hashes of `userlist … user <name> password <hash>`, as
 * HAProxy checks them with the system's crypt() (libxcrypt on Debian 12):
 * `$6$` SHA-512, `$5$` SHA-256, `$1$` MD5, `$2a$`/`$2b$`/`$2y$` bcrypt, and
 * traditional DES. Other schemes libxcrypt knows (`$y$` yescrypt, scrypt,
 * bsdicrypt …) are named by `cryptScheme` so the loader can refuse them;
 * nothing here ever accepts a password it could not verify.
 */
import { timingSafeEqual } from 'node:crypto';
import { verify as shaCryptVerify } from 'unixcrypt';
import bcrypt from 'bcryptjs';
import md5crypt from 'apache-md5';
import descrypt from 'unix-crypt-td-js';

/** Verifies a password (the bytes a client sent, as a latin1 string) against one hash. */
export type PasswordVerifier = (password: string) => boolean;

export type CryptScheme =
  | { name: string; verify: PasswordVerifier; unsupported?: undefined }
  /**
   * A scheme crypt(3) may know but Loadstar cannot verify (or no scheme at all): `name` says which;
   * `tooCostly` says why a scheme Loadstar knows is refused for the work its hash asks.
   */
  | { name: string; unsupported: true; verify?: undefined; tooCostly?: string };

/**
 * The most work a hash may ask of one check. A check runs on the engine's one thread and a wrong
 * password is never remembered (userlist-auth.ts), so every request with a wrong password pays
 * it: at these limits about half a second on a 2020s core, where `rounds=999999999` or a bcrypt
 * cost of 31 would hold the engine for hours per request. (HAProxy calls crypt() for each
 * request too, in a worker thread its watchdog kills after a second or two.)
 */
export const MAX_SHA_CRYPT_ROUNDS = 250_000;
export const MAX_BCRYPT_COST = 13;

const B64 = '[./0-9A-Za-z]';
const SHA_CRYPT = new RegExp(`^\\$([56])\\$(?:rounds=\\d+\\$)?[^$:\\n]{0,16}\\$(${B64}+)$`);
const MD5_CRYPT = new RegExp(`^\\$1\\$[^$:\\n]{0,8}\\$${B64}{22}$`);
const BCRYPT = new RegExp(`^\\$2[aby]\\$\\d\\d\\$${B64}{53}$`);
const DES_CRYPT = new RegExp(`^${B64}{13}$`);

/** libxcrypt's prefixes Loadstar does not verify, with the names `mkpasswd -m help` gives them. */
const UNVERIFIED_PREFIXES: readonly [string, string][] = [
  ['$y$', 'a yescrypt hash'], ['$gy$', 'a gost-yescrypt hash'], ['$7$', 'a scrypt hash'], ['$2x$', 'a bcrypt $2x$ hash'],
  ['$md5', 'a sunmd5 hash'], ['$sha1$', 'a sha1crypt hash'], ['$3$', 'an NT-Hash'], ['_', 'a bsdicrypt (extended DES) hash'],
];

/** Which scheme `hash` uses, and how to check a password against it. */
export function cryptScheme(hash: string): CryptScheme {
  const sha = SHA_CRYPT.exec(hash);
  if (sha && sha[2]!.length === (sha[1] === '5' ? 43 : 86)) {
    const name = sha[1] === '5' ? 'SHA-256 ($5$)' : 'SHA-512 ($6$)';
    const rounds = /^\$[56]\$rounds=(\d+)\$/.exec(hash)?.[1] ?? '5000';
    if (Number(rounds) > MAX_SHA_CRYPT_ROUNDS) {
      return { name: `a ${name} hash of ${rounds} rounds`, unsupported: true, tooCostly: `Loadstar verifies at most ${MAX_SHA_CRYPT_ROUNDS} rounds, as each wrong password costs them all; e.g. 'mkpasswd -m ${sha[1] === '5' ? 'sha-256' : 'sha-512'}' makes 5000` };
    }
    return { name, verify: (password) => shaCryptVerify(asUtf8(password), hash) };
  }
  if (MD5_CRYPT.test(hash)) return { name: 'MD5 ($1$)', verify: (password) => sameText(md5crypt(password, hash), hash) };
  if (BCRYPT.test(hash) && Number(hash.slice(4, 6)) > MAX_BCRYPT_COST) {
    return { name: `a bcrypt hash of cost ${hash.slice(4, 6)}`, unsupported: true, tooCostly: `Loadstar verifies a cost of at most ${MAX_BCRYPT_COST}, as each wrong password costs it; e.g. 'mkpasswd -m bcrypt' makes 5` };
  }
  if (BCRYPT.test(hash)) return { name: `bcrypt (${hash.slice(0, 4)})`, verify: (password) => bcrypt.compareSync(asUtf8(password), hash) };
  if (DES_CRYPT.test(hash)) return { name: 'DES', verify: (password) => sameText(descrypt(password, hash.slice(0, 2)), hash) };
  const known = UNVERIFIED_PREFIXES.find(([prefix]) => hash.startsWith(prefix));
  if (known) return { name: known[1], unsupported: true };
  const prefix = /^\$[^$]*\$/.exec(hash)?.[0];
  return { name: prefix ? `a hash of unknown scheme '${prefix}'` : 'not a crypt(3) hash', unsupported: true };
}

/**
 * The libraries of the SHA-crypt and bcrypt schemes encode a JS string as
 * UTF-8: a client's latin1 byte string is turned back into the text whose
 * UTF-8 bytes it holds (bytes that are not UTF-8 cannot match such a hash).
 */
function asUtf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}
