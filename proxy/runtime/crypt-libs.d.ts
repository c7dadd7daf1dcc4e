// The two crypt(3) libraries without type declarations of their own (proxy/runtime/crypt.ts uses them).
declare module 'apache-md5' {
  /** MD5-crypt: `$1$salt$…` when `salt` starts with `$1$` (else Apache's `$apr1$`). Reads the password as latin1. */
  export default function md5crypt(password: string, salt: string): string;
}
declare module 'unix-crypt-td-js' {
  /** Traditional DES crypt(3): 13 characters, the first two the salt. Uses the first 8 characters of the password. */
  export default function descrypt(password: string, salt: string): string;
}
