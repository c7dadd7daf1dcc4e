/** Sample type casts, shared by converter chains and matching methods (a leaf: no registry imports). */
import type { SampleType } from './types.ts';

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
