/**
 * A sample turned into a stick-table key (stick_table.c smp_to_stkey): the
 * table's type decides the conversion, and a sample that cannot be converted
 * gives no key (nothing is tracked). Keys are strings, for the table's Map.
 */
import type { Sample } from '../acl/index.ts';
import { formatIPv4, parseIPv4, parseIPv6 } from '../acl/index.ts';
import type { StickTable } from '../config/model.ts';

/** Default `len` of string and binary tables (stick-table "len", configuration.txt). */
const DEFAULT_KEY_LEN = 32;

export function tableKey(sample: Sample, table: StickTable): string | undefined {
  switch (table.type) {
    case 'ip': {
      const v4 = toIPv4(sample);
      return v4 === undefined ? undefined : formatIPv4(v4);
    }
    case 'ipv6': {
      const v6 = toIPv6(sample);
      return v6 === undefined ? undefined : Buffer.from(v6).toString('hex');
    }
    case 'integer': {
      if (sample.type === 'int') return String(sample.value);
      if (sample.type === 'bool') return sample.value ? '1' : '0';
      if (sample.type === 'ipv4') return String(sample.value);
      if (sample.type === 'str' && /^-?\d+$/.test(sample.value)) return String(Number(sample.value));
      return undefined;
    }
    case 'string': {
      const text = sampleText(sample);
      return text?.slice(0, table.len ?? DEFAULT_KEY_LEN);
    }
    case 'binary': {
      const bytes = sample.type === 'bin' ? Buffer.from(sample.value) : sampleText(sample) !== undefined ? Buffer.from(sampleText(sample)!, 'latin1') : undefined;
      if (!bytes) return undefined;
      const len = table.len ?? DEFAULT_KEY_LEN;
      const key = Buffer.alloc(len);
      bytes.copy(key, 0, 0, Math.min(len, bytes.length));
      return key.toString('hex');
    }
  }
}

function toIPv4(sample: Sample): number | undefined {
  if (sample.type === 'ipv4') return sample.value;
  if (sample.type === 'ipv6') return mappedIPv4(sample.value);
  if (sample.type === 'str') {
    const v4 = parseIPv4(sample.value);
    if (v4 !== undefined) return v4 as number;
    const v6 = parseIPv6(sample.value);
    return v6 ? mappedIPv4(v6) : undefined;
  }
  if (sample.type === 'int') return sample.value >>> 0;
  return undefined;
}

function toIPv6(sample: Sample): Uint8Array | undefined {
  if (sample.type === 'ipv6') return sample.value;
  if (sample.type === 'ipv4') return v4Mapped(sample.value);
  if (sample.type === 'str') {
    const v6 = parseIPv6(sample.value);
    if (v6) return v6;
    const v4 = parseIPv4(sample.value);
    return v4 === undefined ? undefined : v4Mapped(v4 as number);
  }
  return undefined;
}

/** ::ffff:a.b.c.d → a.b.c.d (HAProxy's v6tov4); other IPv6 addresses have no IPv4 form. */
function mappedIPv4(v6: Uint8Array): number | undefined {
  for (let i = 0; i < 10; i++) if (v6[i] !== 0) return undefined;
  if (v6[10] !== 0xff || v6[11] !== 0xff) return undefined;
  return ((v6[12]! << 24) | (v6[13]! << 16) | (v6[14]! << 8) | v6[15]!) >>> 0;
}

function v4Mapped(v4: number): Uint8Array {
  const b = new Uint8Array(16);
  b[10] = 0xff;
  b[11] = 0xff;
  b[12] = v4 >>> 24;
  b[13] = (v4 >>> 16) & 0xff;
  b[14] = (v4 >>> 8) & 0xff;
  b[15] = v4 & 0xff;
  return b;
}

function sampleText(sample: Sample): string | undefined {
  switch (sample.type) {
    case 'str': case 'meth': return sample.value;
    case 'int': return String(sample.value);
    case 'bool': return sample.value ? '1' : '0';
    case 'ipv4': return formatIPv4(sample.value);
    case 'bin': return Buffer.from(sample.value).toString('latin1');
    default: return undefined;
  }
}
