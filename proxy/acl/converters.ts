/**
 * Registry of converters (manual section 7.3.1) as HAProxy 2.6 registers them
 * (`haproxy -dKcnv`): arguments (same notation as fetches.ts), input type the
 * sample is cast to, output type. Argument checks live in validators.ts.
 */
import type { ConverterDef, SampleType } from './types.ts';
import { parseArgSpec } from './fetches.ts';
import { suggest } from '../config/suggest.ts';

/** [name, args, input type, output type] */
type ConverterRow = readonly [name: string, args: string, input: SampleType, output: SampleType];

const ROWS: ConverterRow[] = [
  ['add', 'str', 'int', 'int'], ['sub', 'str', 'int', 'int'], ['mul', 'str', 'int', 'int'],
  ['div', 'str', 'int', 'int'], ['mod', 'str', 'int', 'int'], ['and', 'str', 'int', 'int'],
  ['or', 'str', 'int', 'int'], ['xor', 'str', 'int', 'int'],
  ['cpl', '', 'int', 'int'], ['neg', '', 'int', 'int'],
  ['bool', '', 'int', 'bool'], ['not', '', 'int', 'bool'], ['odd', '', 'int', 'bool'], ['even', '', 'int', 'bool'],
  ['add_item', 'str,str[,str]', 'str', 'str'],
  ['concat', 'str[,str,str]', 'str', 'str'],
  ['aes_gcm_dec', 'int,str,str,str', 'bin', 'bin'],
  ['b64dec', '', 'str', 'bin'], ['base64', '', 'bin', 'str'],
  ['ub64dec', '', 'str', 'bin'], ['ub64enc', '', 'bin', 'str'],
  ['be2dec', 'str[,int,int]', 'bin', 'str'], ['be2hex', 'str[,int,int]', 'bin', 'str'],
  ['bytes', 'int[,int]', 'bin', 'bin'],
  ['capture-req', 'int', 'str', 'str'], ['capture-res', 'int', 'str', 'str'],
  ['crc32', '[int]', 'bin', 'int'], ['crc32c', '[int]', 'bin', 'int'], ['djb2', '[int]', 'bin', 'int'],
  ['sdbm', '[int]', 'bin', 'int'], ['wt6', '[int]', 'bin', 'int'],
  ['xxh3', '[int]', 'bin', 'int'], ['xxh32', '[int]', 'bin', 'int'], ['xxh64', '[int]', 'bin', 'int'],
  ['cut_crlf', '', 'str', 'str'],
  ['debug', '[str,str]', 'any', 'any'],
  ['digest', 'str', 'bin', 'bin'], ['hmac', 'str,str', 'bin', 'bin'],
  ['sha1', '', 'bin', 'bin'], ['sha2', '[int]', 'bin', 'bin'],
  ['field', 'int,str[,int]', 'str', 'str'], ['word', 'int,str[,int]', 'str', 'str'],
  ['fix_is_valid', '', 'bin', 'bool'], ['fix_tag_value', 'str', 'bin', 'bin'],
  ['mqtt_field_value', 'str,str', 'bin', 'str'], ['mqtt_is_valid', '', 'bin', 'bool'],
  ['hex', '', 'bin', 'str'], ['hex2i', '', 'str', 'int'], ['htonl', '', 'int', 'bin'],
  ['host_only', '', 'str', 'str'], ['port_only', '', 'str', 'int'],
  ['http_date', '[int,str]', 'int', 'str'],
  ['iif', 'str,str', 'bool', 'str'],
  ['in_table', 'tab', 'any', 'bool'],
  ['ipmask', 'msk4[,msk6]', 'addr', 'ipv4'],
  ['json', 'str', 'str', 'str'],
  ['json_query', 'str[,str]', 'str', 'any'],
  ['jwt_header_query', '[str,str]', 'bin', 'any'], ['jwt_payload_query', '[str,str]', 'bin', 'any'],
  ['jwt_verify', 'str,str', 'bin', 'int'],
  ['language', 'str[,str]', 'str', 'str'],
  ['length', '', 'str', 'int'],
  ['lower', '', 'str', 'str'], ['upper', '', 'str', 'str'],
  ['ltime', 'str[,int]', 'int', 'str'], ['utime', 'str[,int]', 'int', 'str'],
  ['ltrim', 'str', 'str', 'str'], ['rtrim', 'str', 'str', 'str'],
  ['nbsrv', '', 'str', 'int'], ['srv_queue', '', 'str', 'int'],
  ['protobuf', 'pbuf[,str]', 'bin', 'bin'], ['ungrpc', 'pbuf[,str]', 'bin', 'bin'],
  ['regsub', 'reg,str[,str]', 'str', 'str'],
  ['secure_memcmp', 'str', 'bin', 'bool'], ['strcmp', 'str', 'str', 'int'],
  ['set-var', 'str[,str,str,str,str]', 'any', 'any'], ['unset-var', 'str', 'any', 'any'],
  ['url_dec', '[int]', 'str', 'str'], ['url_enc', 'str', 'str', 'str'],
  ['table_expire', 'tab[,int]', 'any', 'int'], ['table_idle', 'tab[,int]', 'any', 'int'],
  ['table_gpc', 'int,tab', 'any', 'int'], ['table_gpc_rate', 'int,tab', 'any', 'int'], ['table_gpt', 'int,tab', 'any', 'int'],
];

// table_<counter>(<table>): looks the input up as a key in a stick-table
for (const counter of [
  'bytes_in_rate', 'bytes_out_rate', 'conn_cnt', 'conn_cur', 'conn_rate', 'gpc0', 'gpc0_rate', 'gpc1',
  'gpc1_rate', 'gpt0', 'http_err_cnt', 'http_err_rate', 'http_fail_cnt', 'http_fail_rate', 'http_req_cnt',
  'http_req_rate', 'kbytes_in', 'kbytes_out', 'server_id', 'sess_cnt', 'sess_rate', 'trackers',
]) ROWS.push([`table_${counter}`, 'tab', 'any', 'int']);

// map(file[,default]), map_<match>(…), map_<match>_<out>(…)
const MAP_INPUT: Record<string, SampleType> = { str: 'str', beg: 'str', sub: 'str', dir: 'str', dom: 'str', end: 'str', reg: 'str', int: 'int', ip: 'addr' };
ROWS.push(['map', 'str[,str]', 'str', 'str'], ['map_regm', 'str[,str]', 'str', 'str']);
for (const [match, input] of Object.entries(MAP_INPUT)) {
  ROWS.push([`map_${match}`, 'str[,str]', input, 'str']);
  ROWS.push([`map_${match}_int`, 'str[,int]', input, 'int']);
  ROWS.push([`map_${match}_ip`, 'str[,str]', input, 'addr']);
}

const CONVERTERS = new Map<string, ConverterDef>(
  ROWS.map(([name, args, input, output]) => [name, { name, args: parseArgSpec(args), input, output }]),
);

/** Looks a converter up by its exact name. */
export function findConverter(name: string): ConverterDef | undefined {
  return CONVERTERS.get(name);
}

/** All converter names. */
export function converterNames(): IterableIterator<string> {
  return CONVERTERS.keys();
}

/** Closest converter name, for "did you mean" hints. */
export function suggestConverter(word: string): string | undefined {
  return word ? suggest(word, CONVERTERS.keys()) : undefined;
}

/**
 * HAProxy's cast matrix (sample.c `sample_casts`): can a sample of type `from`
 * be converted to `to`? Used for converter inputs and `-m` methods.
 */
export function canCast(from: SampleType, to: SampleType): boolean {
  if (from === 'any' || to === 'any') return true;
  if (from === 'addr') return false; // even addr → addr has no cast in HAProxy
  if (from === to) return true;
  switch (from) {
    case 'bool': return to === 'int' || to === 'str' || to === 'bin';
    case 'int': return to !== 'meth';
    case 'ipv4': return to !== 'bool' && to !== 'meth';
    case 'ipv6': return to === 'addr' || to === 'ipv4' || to === 'str' || to === 'bin';
    case 'str': return true;
    case 'bin': return to === 'str' || to === 'meth';
    case 'meth': return to === 'str' || to === 'bin';
    default: return false;
  }
}
