/**
 * The `track-sc0|1|2 <key> [table <name>]` action of tcp-request connection,
 * tcp-request content and http-request rules (tcp_action_track_sc,
 * http_action_track_sc): the key is fetched, turned into the table's key
 * type, and counter n tracks its entry unless it tracks something already.
 */
import { compileSample, parseSampleExpression } from '../acl/index.ts';
import type { SampleContext } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { tableKey } from './keys.ts';
import { ruleTable } from './tables.ts';
import type { StickCounters } from './tracking.ts';
import { tickNow } from './table.ts';

export interface TrackScAction {
  counter: 0 | 1 | 2;
  key: string;
  table?: string;
}

/** Runs the action on `counters`. */
export type TrackSc = (ctx: SampleContext, counters: StickCounters) => void;

/**
 * `http`: an http-request rule, whose request counts in the entry it starts tracking
 * (http_req_cnt, http_req_rate: the request was counted before the counter tracked anything).
 */
export function compileTrackSc(action: TrackScAction, proxy: Proxy, http = false): TrackSc {
  const table = ruleTable(proxy, action.table);
  const parsed = parseSampleExpression(action.key);
  if ('error' in parsed) throw new Error(parsed.error);
  const fetchKey = compileSample(parsed.expr, { readFile: patternFileReader, currentProxy: proxy.name });
  return (ctx, counters) => {
    if (counters.slot(action.counter)) return;
    const sample = fetchKey(ctx);
    const key = sample === undefined ? undefined : tableKey(sample, table.config);
    const entry = key === undefined ? undefined : counters.track(action.counter, table, key);
    if (!entry || !http) return;
    const now = tickNow();
    const counted = table.add(entry, 'http_req_cnt', 1) !== undefined;
    const rated = table.tick(entry, 'http_req_rate', now) !== undefined;
    if (counted || rated) table.touch(entry, now);
  };
}
