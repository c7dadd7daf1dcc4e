/**
 * Every converter family. The order is the registry's (it decides ties
 * between "did you mean" suggestions). Adding a converter: add its row —
 * with its compiler once it is evaluated, and HAProxy's argument check if it
 * has one — to its family's table; nothing else lists converters.
 */
import type { ConverterDefinition } from './define.ts';
import { ARITH_CONVERTERS } from './arith.ts';
import { STRING_CONVERTERS } from './string.ts';
import { ENCODING_CONVERTERS } from './encoding.ts';
import { HASH_CONVERTERS } from './hash.ts';
import { REGSUB_CONVERTERS } from './regsub.ts';
import { LANGUAGE_CONVERTERS } from './language.ts';
import { DATE_CONVERTERS } from './date.ts';
import { JSON_CONVERTERS } from './json.ts';
import { IP_CONVERTERS } from './ip.ts';
import { VAR_CONVERTERS } from './var.ts';
import { PROTOCOL_CONVERTERS } from './protocol.ts';
import { FIX_CONVERTERS } from './fix.ts';
import { TABLE_CONVERTERS } from './table.ts';
import { MAP_CONVERTERS } from './map.ts';

export const CONVERTER_DEFINITIONS: readonly ConverterDefinition[] = [
  ...ARITH_CONVERTERS, ...DATE_CONVERTERS, ...STRING_CONVERTERS, ...ENCODING_CONVERTERS, ...HASH_CONVERTERS, ...REGSUB_CONVERTERS,
  ...LANGUAGE_CONVERTERS, ...JSON_CONVERTERS, ...IP_CONVERTERS, ...VAR_CONVERTERS,
  ...PROTOCOL_CONVERTERS, ...FIX_CONVERTERS, ...TABLE_CONVERTERS, ...MAP_CONVERTERS,
];
