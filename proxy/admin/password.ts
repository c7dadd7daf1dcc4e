/**
 * The admin password: an scrypt hash with a random salt in
 * `<data-dir>/admin.json` (mode 0600, replaced atomically), never the password
 * itself. Hashing runs on libuv's thread pool (async scrypt) so a login never
 * stalls the proxy's event loop.
 */
import fs from 'node:fs';
import path from 'node:path';
import { scrypt, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { writeFileAtomic } from '../certs/atomic-write.ts';
import { AdminError } from '../errors.ts';

export const ADMIN_FILE = 'admin.json';
/** Shorter passwords are refused: a guessable password on a network listener is worse than none. */
export const MIN_PASSWORD_LENGTH = 8;

/** N = 2^15, r = 8: ~32 MiB and tens of ms per hash (OWASP's scrypt floor is N = 2^17 with r = 8 for servers; 2^15 keeps a Raspberry Pi usable). */
const PARAMS = { N: 1 << 15, r: 8, p: 1, keylen: 32 } as const;

export interface PasswordRecord {
  version: 1;
  scrypt: { N: number; r: number; p: number; keylen: number };
  /** base64 */
  salt: string;
  /** base64 */
  hash: string;
  /** ISO 8601 */
  setAt: string;
}

function derive(password: string, salt: Buffer, params: PasswordRecord['scrypt']): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, params.keylen, options, (e, key) => (e ? reject(e) : resolve(key))));
}

export async function hashPassword(password: string): Promise<PasswordRecord> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, PARAMS);
  return { version: 1, scrypt: { ...PARAMS }, salt: salt.toString('base64'), hash: hash.toString('base64'), setAt: new Date().toISOString() };
}

export async function verifyPassword(record: PasswordRecord, password: string): Promise<boolean> {
  const expected = Buffer.from(record.hash, 'base64');
  const actual = await derive(password, Buffer.from(record.salt, 'base64'), record.scrypt);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The password's problems in words, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `the admin password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 1024) return 'the admin password must have at most 1024 characters';
  return undefined;
}

export async function setAdminPassword(dataDir: string, password: string): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new AdminError('LS_ERR_ADMIN_PASSWORD', `${problem}.`);
  const record = await hashPassword(password);
  writeFileAtomic(path.join(dataDir, ADMIN_FILE), JSON.stringify(record, null, 2) + '\n', 0o600);
}

/** The stored record, or undefined when no password was set; a damaged file is an error (never "no password"). */
export function readAdminPassword(dataDir: string): PasswordRecord | undefined {
  const file = path.join(dataDir, ADMIN_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AdminError('LS_ERR_ADMIN_PASSWORD', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const record = JSON.parse(text) as PasswordRecord;
    const s = record?.scrypt;
    if (record?.version !== 1 || typeof record.salt !== 'string' || typeof record.hash !== 'string'
      || !s || ![s.N, s.r, s.p, s.keylen].every((n) => Number.isInteger(n) && n > 0) || s.N > 1 << 20 || s.r > 32 || s.p > 16 || s.keylen > 128) {
      throw new Error('not an admin password record');
    }
    return record;
  } catch (e) {
    throw new AdminError('LS_ERR_ADMIN_PASSWORD', `${file} is damaged (${(e as Error).message}); set the password again with 'loadstar serve --set-password'.`, { cause: e });
  }
}
