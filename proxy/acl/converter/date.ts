/**
 * Dates (sample.c; section 7.3.1): ltime / utime (strftime in the C locale)
 * and http_date (IMF-fixdate).
 */
import type { SampleArg } from '../types.ts';
import type { ConverterCompiler, ConverterDefinition } from './define.ts';
import { converter, strArg, intArg } from './define.ts';
import { mkStr, intOf } from '../eval-sample.ts';
import { checkUnit } from '../validators.ts';

const localOrUniversalTime: ConverterCompiler = ({ def: { name }, args }) => {
  const fmt = strArg(args, 0) ?? '';
  const offset = intArg(args, 1) ?? 0;
  const utc = name === 'utime';
  return (s) => mkStr(strftime(fmt, new Date(((intOf(s) % 2 ** 55) + offset) * 1000), utc));
};

const httpDate: ConverterCompiler = ({ args }) => {
  const offset = intArg(args, 0) ?? 0;
  const unit = strArg(args, 1);
  return (s) => {
    let v = intOf(s) + offset;
    let frac = 0;
    if (unit === 'ms') { frac = v % 1000; v = Math.trunc(v / 1000); } else if (unit === 'us') { frac = v % 1000000; v = Math.trunc(v / 1000000); }
    const d = new Date((v % 2 ** 55) * 1000);
    const base = `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate(), 2)} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCFullYear(), 4)} `
      + `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
    return mkStr(unit === 'ms' || unit === 'us' ? `${base}.${frac} GMT` : `${base} GMT`);
  };
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAYS_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const pad = (n: number, w: number, c = '0'): string => String(n).padStart(w, c);

/** strftime() in the C locale, for ltime/utime. Unknown conversions are copied as is. */
export function strftime(fmt: string, d: Date, utc: boolean): string {
  const Y = utc ? d.getUTCFullYear() : d.getFullYear();
  const mo = utc ? d.getUTCMonth() : d.getMonth();
  const day = utc ? d.getUTCDate() : d.getDate();
  const H = utc ? d.getUTCHours() : d.getHours();
  const M = utc ? d.getUTCMinutes() : d.getMinutes();
  const S = utc ? d.getUTCSeconds() : d.getSeconds();
  const wd = utc ? d.getUTCDay() : d.getDay();
  const jan1 = utc ? Date.UTC(Y, 0, 1) : new Date(Y, 0, 1).getTime();
  const dayStart = utc ? Date.UTC(Y, mo, day) : new Date(Y, mo, day).getTime();
  const yday = Math.round((dayStart - jan1) / 86400000);
  const offMin = utc ? 0 : -d.getTimezoneOffset();
  const tz = `${offMin < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offMin) / 60), 2)}${pad(Math.abs(offMin) % 60, 2)}`;
  const conv = (c: string): string | undefined => {
    switch (c) {
      case 'a': return DAYS[wd];
      case 'A': return DAYS_LONG[wd];
      case 'b': case 'h': return MONTHS[mo];
      case 'B': return MONTHS_LONG[mo];
      case 'c': return `${DAYS[wd]} ${MONTHS[mo]} ${pad(day, 2, ' ')} ${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)} ${Y}`;
      case 'C': return pad(Math.floor(Y / 100), 2);
      case 'd': return pad(day, 2);
      case 'D': return `${pad(mo + 1, 2)}/${pad(day, 2)}/${pad(Y % 100, 2)}`;
      case 'e': return pad(day, 2, ' ');
      case 'F': return `${Y}-${pad(mo + 1, 2)}-${pad(day, 2)}`;
      case 'H': return pad(H, 2);
      case 'I': return pad(H % 12 || 12, 2);
      case 'j': return pad(yday + 1, 3);
      case 'k': return pad(H, 2, ' ');
      case 'l': return pad(H % 12 || 12, 2, ' ');
      case 'm': return pad(mo + 1, 2);
      case 'M': return pad(M, 2);
      case 'n': return '\n';
      case 'p': return H < 12 ? 'AM' : 'PM';
      case 'r': return `${pad(H % 12 || 12, 2)}:${pad(M, 2)}:${pad(S, 2)} ${H < 12 ? 'AM' : 'PM'}`;
      case 'R': return `${pad(H, 2)}:${pad(M, 2)}`;
      case 's': return String(Math.floor(d.getTime() / 1000));
      case 'S': return pad(S, 2);
      case 't': return '\t';
      case 'T': return `${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)}`;
      case 'u': return String(wd || 7);
      case 'w': return String(wd);
      case 'x': return `${pad(mo + 1, 2)}/${pad(day, 2)}/${pad(Y % 100, 2)}`;
      case 'X': return `${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)}`;
      case 'y': return pad(Y % 100, 2);
      case 'Y': return String(Y);
      case 'z': return tz;
      case 'Z': return utc ? 'GMT' : (Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '');
      case '%': return '%';
      default: return undefined;
    }
  };
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%' || i + 1 >= fmt.length) { out += c; continue; }
    const r = conv(fmt[++i]!);
    out += r ?? '%' + fmt[i];
  }
  return out;
}

export const DATE_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['http_date', '[int,str]', 'int', 'str'], httpDate, (a: SampleArg[]) => checkUnit(a, 1)),
  converter(['ltime', 'str[,int]', 'int', 'str'], localOrUniversalTime),
  converter(['utime', 'str[,int]', 'int', 'str'], localOrUniversalTime),
];
