/**
 * The compact argument notation of fetch and converter rows: comma-separated
 * types, optional ones in brackets ('str[,int]'); see fetches.ts.
 */
import type { ArgSpec, ArgType } from './types.ts';

/** Parses the compact argument notation ('str[,int]'). */
export function parseArgSpec(spec: string): ArgSpec {
  if (!spec) return { types: [], min: 0 };
  const bracket = spec.indexOf('[');
  const types = spec.replace(/[[\]]/g, '').split(',').filter((t) => t !== '') as ArgType[];
  const min = bracket < 0 ? types.length : spec.slice(0, bracket).split(',').filter((t) => t !== '').length;
  return { types, min };
}
