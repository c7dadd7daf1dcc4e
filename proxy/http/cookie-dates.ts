/**
 * The dates of a persistence cookie with `maxidle` / `maxlife`
 * (`NAME=SRV|<last seen>|<first seen>`), byte for byte as HAProxy 2.6 writes
 * and reads them, so that a cookie one of them set works with the other: each
 * date is a UNIX time in 4-second units, 30 bits as 5 base64 characters, most
 * significant first, unpadded (base64.c s30tob64 / b64tos30).
 */

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Character code → 6-bit value, -1 for a character outside the alphabet ('=' included: no padding). */
const BASE64_VALUE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE64.length; i++) table[BASE64.charCodeAt(i)] = i;
  return table;
})();

/** The date a cookie's dates are compared with and written from: the current UNIX second (HAProxy's date.tv_sec). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The low 30 bits of `value` as 5 base64 characters, most significant first (s30tob64). */
export function s30tob64(value: number): string {
  let out = '';
  for (let shift = 24; shift >= 0; shift -= 6) out += BASE64[(value >> shift) & 0x3f];
  return out;
}

/** The 30-bit value of the first 5 characters of `text`, -1 if one is not base64 (b64tos30). */
export function b64tos30(text: string): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? BASE64_VALUE[code]! : -1;
    if (digit < 0) return -1;
    value = value * 64 + digit;
  }
  return value;
}

/** The last-seen date HAProxy writes at `now`: rounded up to the next 4-second unit, so it is never in the past. */
export function lastSeenField(now: number): string {
  return s30tob64((now + 3) >> 2);
}

/** A date read from a cookie (a multiple of 4 seconds) written back unchanged. */
export function dateField(date: number): string {
  return s30tob64(date >> 2);
}

/**
 * Reads `<last seen>[|<first seen>]` (what follows the server's value and its
 * `|`) into `dates`, as HAProxy does: a date needs its 5 characters and must
 * decode to more than 0, else it is left as it was; the first date is the 5
 * characters after the next `|`.
 */
export function cookieDates(afterBar: string, dates: { lastDate: number; firstDate: number }): void {
  if (afterBar.length >= 5) {
    const last = b64tos30(afterBar);
    // val << 2 in C's int, which JavaScript's << reproduces (32-bit, wrapping the same way).
    if (last > 0) dates.lastDate = last << 2;
  }
  const bar = afterBar.indexOf('|');
  if (bar >= 0 && afterBar.length - bar > 5) {
    const first = b64tos30(afterBar.slice(bar + 1));
    if (first > 0) dates.firstDate = first << 2;
  }
}
