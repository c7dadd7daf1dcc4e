/**
 * Global keywords of HTTP compression (configuration.txt §3.2): zlib's level and memory, and the
 * rate and CPU limits (the proxies' `compression` and `filter` lines are in kw-proxy.ts). The
 * engine reads them from `global.tune` (proxy/http/compression.ts).
 */
import { registerGlobalKeywords } from './keywords.ts';
import type { KeywordSpec } from './keywords.ts';
import { atoiInt, parseInteger } from './values.ts';
import { COMPRESSION } from './status.ts';

/** A number in HAProxy's range, kept as written in `global.tune`. */
function tuneRange(name: string, min: number, max: number, summary: string): KeywordSpec {
  return {
    name,
    sections: 'g',
    status: COMPRESSION,
    summary,
    parse(ctx) {
      const v = parseInteger(ctx.args[0] ?? '', name, min, max);
      if (v.error !== undefined) return ctx.error(`'${name}' expects a numeric value between ${min} and ${max}`, 0);
      ctx.config.global.tune[name] = String(v.value);
    },
  };
}

/**
 * A process-wide limit past which new responses are not compressed (http/compression-load.ts), kept
 * in `global.tune`. HAProxy reads both with atoi() (a word that is not a number is 0) and checks
 * only the CPU share's range (cfgparse-global.c), with these messages.
 */
function compressionLimit(name: 'maxcomprate' | 'maxcompcpuusage', summary: string): KeywordSpec {
  return {
    name,
    sections: 'g',
    status: COMPRESSION,
    summary,
    parse(ctx) {
      const word = ctx.args[0] ?? '';
      if (name === 'maxcomprate') {
        if (word === '') return ctx.error(`'maxcomprate' expects an integer argument in kb/s.`);
        // A rate of 0 or less is no limit.
        ctx.config.global.tune[name] = String(Math.max(0, atoiInt(word)));
        return;
      }
      const value = atoiInt(word);
      if (word === '' || value < 0 || value > 100) return ctx.error(`'maxcompcpuusage' expects an integer argument between 0 and 100.`, word === '' ? undefined : 0);
      ctx.config.global.tune[name] = String(value);
    },
  };
}

registerGlobalKeywords([
  tuneRange('tune.comp.maxlevel', 1, 9, 'zlib level of every compressed response (1 = fastest, HAProxy\'s default; 9 = smallest).'),
  tuneRange('tune.zlib.memlevel', 1, 9, 'zlib memLevel of each compressed response (default 8; lower uses less memory, compresses less).'),
  tuneRange('tune.zlib.windowsize', 8, 15, 'zlib window size (bits) of each compressed response (default 15).'),
  compressionLimit('maxcomprate', 'The compression input rate (kB/s, over the last second, all responses) past which new responses are not compressed (0, the default: no limit). HAProxy also lowers the level of responses being compressed meanwhile; Loadstar keeps it.'),
  compressionLimit('maxcompcpuusage', 'The busy share of the last second (percent of the event loop\'s time) past which new responses are not compressed (100, the default: no limit). HAProxy also lowers the level of responses being compressed meanwhile; Loadstar keeps it.'),
]);
