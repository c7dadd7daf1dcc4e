/**
 * `userlist … user <name> password <crypt(3) hash>` behind `http-request auth`
 * and http_auth(): the hashes were made with `openssl passwd` and `mkpasswd`
 * (Debian 12) and recorded here. HAProxy 2.6.12 (libxcrypt) answered 200 to
 * each right password and 401 to each wrong one; the same configuration runs on
 * Loadstar, then on haproxy itself where it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';
import { userlistChecker, MAX_REMEMBERED } from '../../../proxy/runtime/userlist-auth.ts';
import { cryptScheme } from '../../../proxy/runtime/crypt.ts';
import { startEngine, request, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

/** user → [hash, its password]. */
const USERS: Record<string, [string, string]> = {
  // openssl passwd -6 -salt Zq3v9pXw secret
  sha512: ['$6$Zq3v9pXw$5.XsYg3q4Ugzt/b2KIyDfodKsmWUZcWDpN5AbQFfdnADsJf4YTC.clf69979TDu7mThnQ/txw71d7Kdf6Ggzw.', 'secret'],
  // openssl passwd -5 -salt Zq3v9pXw secret
  sha256: ['$5$Zq3v9pXw$mCHTaJbGnYWWxbrOg8leIIz3Puo3fjk0yG2SUoaHib4', 'secret'],
  // openssl passwd -1 -salt Zq3v9pXw secret
  md5: ['$1$Zq3v9pXw$jLpHnWGzNJ0phBffi7IOF1', 'secret'],
  // mkpasswd -m bcrypt -R 5 secret
  bcrypt: ['$2b$05$xecwBz54DI.XoDJLYXfhK.wP7RUs/8k2nLRTydUCLGTPryE9O6XZy', 'secret'],
  // mkpasswd -m bcrypt-a -R 4 secret
  bcrypta: ['$2a$05$ZFXE7n7slR9rlasX5c1bBOzi0NdI0I/KXWPifArICGrPZB2EtqE96', 'secret'],
  // the $2b$ hash above as PHP's password_hash() writes it ($2y$: the same algorithm)
  bcrypty: ['$2y$05$xecwBz54DI.XoDJLYXfhK.wP7RUs/8k2nLRTydUCLGTPryE9O6XZy', 'secret'],
  // mkpasswd -m des secret
  des: ['9QIqegYYMp3jU', 'secret'],
  // mkpasswd -m sha-512 -R 1000 secret
  rounds: ['$6$rounds=1000$OPDq1nMcBiva5tp7$jvMyUQFUbPgcRBGzSWw5PgJtxyDxo5IMLnOsZ7RSEnW98pUs0yyWLATfLt1IfbJAUoz2VBGx6zVlecWTSoVFv0', 'secret'],
  // mkpasswd -m sha-512 pässwörd (UTF-8 bytes)
  utf8: ['$6$wpLb2SgDcu0U9MWR$Vf4qPEzSueolYB7aAnGLAM1HG/FfkqIupVoT.6ZuZzkALoVSsPXYYkTiVW0LhI9bqR9LClrenKhiTFpQj.EVt/', 'pässwörd'],
};

/** (user, password) → what HAProxy 2.6.12 answered. */
const CASES: Array<[string, string, number]> = Object.entries(USERS).flatMap(([user, [, password]]): Array<[string, string, number]> => [
  [user, password, 200],
  [user, `${password}x`, 401],
  [user, password.toUpperCase(), 401],
]).concat([
  ['nobody', 'secret', 401],
  ['plain', 'plain pass', 200], // insecure-password, for comparison
  ['plain', 'plain', 401],
]);

function config(port: number): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
userlist L
${Object.entries(USERS).map(([user, [hash]]) => `    user ${user} password ${hash}\n`).join('')}    user plain insecure-password "plain pass"
frontend web
    bind 127.0.0.1:${port}
    http-request return status 200 if { http_auth(L) }
    http-request auth realm test
`;
}

async function statuses(port: number): Promise<Array<[string, string, number]>> {
  const seen: Array<[string, string, number]> = [];
  for (const [user, password] of CASES) {
    const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    seen.push([user, password, (await request(port, '/', { headers: { authorization } })).status]);
  }
  return seen;
}

test('crypt(3) password hashes: right passwords in, wrong ones out, as HAProxy answered', async () => {
  const port = await freePort();
  const parsed = parseConfig([{ name: 'test.cfg', text: config(port) }]);
  assert.ok(parsed.ok);
  assert.deepEqual(unsupportedFeatures(parsed.config), []);
  const e = await startEngine(config(port));
  try {
    assert.deepEqual(await statuses(e.port), CASES);
  } finally {
    await e.stop();
  }
});

test('crypt(3) password hashes: haproxy itself answers as recorded', async (t) => {
  if (!requireHaproxy(t)) return;
  const port = await freePort();
  const h = await startHaproxy(config(port), port);
  try {
    assert.deepEqual(await statuses(port), CASES);
  } finally {
    await h.stop();
  }
});

test('a hash Loadstar cannot verify is refused at load, naming the user, the userlist and the scheme', () => {
  const text = `userlist L
    user admin password $y$j9T$opSgNX2bprnZXnWCCGDyw1$6WDWQ4PAXEoaiOe3bpQ7FGS3x2Otll1ZSUfEKLduoF3
    user old password _J9..abcdSQ2hh2GGbk2
    user typo password secret
    user ok password 9QIqegYYMp3jU
`;
  const result = parseConfig([{ name: 'test.cfg', text }]);
  assert.ok(result.ok);
  const refused = unsupportedFeatures(result.config).map((u) => `${u.line}: ${u.what.replace(/ \(Loadstar verifies.*$/, '')}`);
  assert.deepEqual(refused, [
    "2: 'user admin password' in userlist 'L': a yescrypt hash",
    "3: 'user old password' in userlist 'L': a bsdicrypt (extended DES) hash",
    "4: 'user typo password' in userlist 'L': not a crypt(3) hash",
  ]);
});

test('a hash asking more work than a request may cost is refused at load, naming its rounds or cost', () => {
  // haproxy 2.6.12 accepts these, and calls crypt() on each at load (`haproxy -c` had not finished after
  // minutes with rounds=999999999) and again for each request; in Loadstar each wrong password would hold
  // the engine's one thread that long.
  const sha = '$6$rounds=5000$abcdefgh$D7W7qyozKBT.t6FD3DVYHvADbIO0eSyI4.p20LaEUjro8PqTGYYo/EQcuNjhFbzo9Yg5ir1KIEqFY/yJpgFph0';
  const text = `userlist L
    user huge password ${sha.replace('rounds=5000', 'rounds=999999999')}
    user long password ${sha.replace('rounds=5000', 'rounds=99999999999999999999')}
    user slowbcrypt password $2b$31$0123456789012345678901uC1u4lBGkJpLfP8mcJvYoeVVe6HL0aO
    user fine password ${sha.replace('rounds=5000', 'rounds=250000')}
    user finebcrypt password $2b$13$0123456789012345678901uC1u4lBGkJpLfP8mcJvYoeVVe6HL0aO
`;
  const result = parseConfig([{ name: 'test.cfg', text }]);
  assert.ok(result.ok);
  const refused = unsupportedFeatures(result.config).map((u) => `${u.line}: ${u.what}`);
  assert.deepEqual(refused, [
    "2: 'user huge password' in userlist 'L': a SHA-512 ($6$) hash of 999999999 rounds (Loadstar verifies at most 250000 rounds, as each wrong password costs them all; e.g. 'mkpasswd -m sha-512' makes 5000)",
    "3: 'user long password' in userlist 'L': a SHA-512 ($6$) hash of 99999999999999999999 rounds (Loadstar verifies at most 250000 rounds, as each wrong password costs them all; e.g. 'mkpasswd -m sha-512' makes 5000)",
    "4: 'user slowbcrypt password' in userlist 'L': a bcrypt hash of cost 31 (Loadstar verifies a cost of at most 13, as each wrong password costs it; e.g. 'mkpasswd -m bcrypt' makes 5)",
  ]);
  // Reaching an engine anyway (not through `loadstar run`), such a user is admitted never, and at no cost.
  const check = userlistChecker(result.config.userlists);
  assert.equal(check('L', 'huge', 'x'), false);
  assert.equal(check('L', 'slowbcrypt', 'x'), false);
});

test('verified credentials are remembered per user and password, never for another user or a wrong password', () => {
  let verifications = 0;
  const counting = (hash: string) => {
    const scheme = cryptScheme(hash);
    return { name: scheme.name, verify: (password: string) => (verifications++, scheme.verify!(password)) };
  };
  const [hash] = USERS.md5!;
  const parsed = parseConfig([{ name: 'test.cfg', text: `userlist L\n    user a password ${hash}\n    user b password ${hash}\n` }]);
  assert.ok(parsed.ok);
  const check = userlistChecker(parsed.config.userlists, counting);
  assert.equal(check('L', 'a', 'secret'), true);
  assert.equal(check('L', 'a', 'secret'), true);
  assert.equal(verifications, 1, 'the second right answer is remembered');
  assert.equal(check('L', 'a', 'secreT'), false);
  assert.equal(check('L', 'a', 'secreT'), false);
  assert.equal(verifications, 3, 'wrong passwords are verified each time');
  assert.equal(check('L', 'b', 'secret'), true);
  assert.equal(verifications, 4, 'another user with the same password is verified on its own');
  assert.equal(check('M', 'a', 'secret'), false);
  for (let i = 0; i < MAX_REMEMBERED; i++) check('L', 'a', 'secret'); // keeps a remembered
  assert.equal(verifications, 4);
});

test('each recorded hash is read as the scheme that made it', () => {
  assert.deepEqual(Object.fromEntries(Object.entries(USERS).map(([user, [hash]]) => [user, cryptScheme(hash).name])), {
    sha512: 'SHA-512 ($6$)', sha256: 'SHA-256 ($5$)', md5: 'MD5 ($1$)', bcrypt: 'bcrypt ($2b$)', bcrypta: 'bcrypt ($2a$)',
    bcrypty: 'bcrypt ($2y$)', des: 'DES', rounds: 'SHA-512 ($6$)', utf8: 'SHA-512 ($6$)',
  });
});
