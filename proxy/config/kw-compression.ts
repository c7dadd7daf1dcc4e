/**
 * Global keywords of HTTP compression (configuration.txt §3.2): zlib's level and memory, and the
 * rate and CPU limits (the proxies' `compression` and `filter` lines are in kw-proxy.ts). The
 * engine reads them from `global.tune` (proxy/http/compression.ts).
 */
import { registerGlobalKeywords } from './keywords.ts';
import type { KeywordSpec } from './keywords.ts';
import { parseInteger } from './values.ts';
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
 * A limit Loadstar does not enforce: HAProxy lowers the compression level (or stops compressing new
 * responses) past it. The value meaning "no limit" is accepted, any other is refused rather than
 * ignored.
 */
function unenforcedLimit(name: string, unlimited: number, what: string): KeywordSpec {
  return {
    name,
    sections: 'g',
    status: COMPRESSION,
    summary: `${what[0]!.toUpperCase()}${what.slice(1)}: only \`${name} ${unlimited}\` (no limit, HAProxy's default) is accepted; Loadstar compresses every eligible response at \`tune.comp.maxlevel\`.`,
    parse(ctx) {
      const v = parseInteger(ctx.args[0] ?? '', name, 0);
      if (v.error !== undefined) return ctx.error(v.error, 0);
      if (v.value !== unlimited) {
        return ctx.error(`'${name} ${v.value}' is not supported by Loadstar: it does not limit compression (${what}); only '${name} ${unlimited}' (no limit) is accepted.`, 0, 'LS_ERR_CFG_UNSUPPORTED');
      }
    },
  };
}

registerGlobalKeywords([
  tuneRange('tune.comp.maxlevel', 1, 9, 'zlib level of every compressed response (1 = fastest, HAProxy\'s default; 9 = smallest).'),
  tuneRange('tune.zlib.memlevel', 1, 9, 'zlib memLevel of each compressed response (default 8; lower uses less memory, compresses less).'),
  tuneRange('tune.zlib.windowsize', 8, 15, 'zlib window size (bits) of each compressed response (default 15).'),
  unenforcedLimit('maxcomprate', 0, 'a per-process compression input rate in kB/s'),
  unenforcedLimit('maxcompcpuusage', 100, 'a CPU usage in percent above which compression backs off'),
]);
