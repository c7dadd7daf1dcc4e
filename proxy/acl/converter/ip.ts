/**
 * Addresses (sample.c; section 7.3.1): ipmask; host_only / port_only are not
 * supported yet.
 */
import type { ConverterCompiler, ConverterDefinition } from './define.ts';
import { converter } from './define.ts';
import { mkIPv4, mkIPv6, castSample } from '../eval-sample.ts';

const ipmask: ConverterCompiler = ({ args }) => {
  const m4 = args[0]?.type === 'ipv4' ? args[0].value : 0xffffffff;
  const m6 = args[1]?.type === 'ipv6' ? args[1].value : undefined;
  return (s) => {
    let x = s;
    if (x.type === 'ipv6') { const c = castSample(x, 'ipv4'); if (c) x = c; }
    if (x.type === 'ipv4') return mkIPv4((x.value & m4) >>> 0);
    if (x.type === 'ipv6') {
      if (!m6) return undefined;
      const out = new Uint8Array(16);
      for (let i = 0; i < 16; i++) out[i] = x.value[i]! & m6[i]!;
      return mkIPv6(out);
    }
    return undefined;
  };
};

export const IP_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['host_only', '', 'str', 'str']),
  converter(['port_only', '', 'str', 'int']),
  converter(['ipmask', 'msk4[,msk6]', 'addr', 'ipv4'], ipmask),
];
