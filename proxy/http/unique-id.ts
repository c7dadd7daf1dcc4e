/**
 * `unique-id-format` / `unique-id-header` (configuration.txt 4.2): each request's unique id,
 * rendered by the log-format language when something first asks for it (the header to the
 * server, `%ID`, the `unique-id` fetch) and kept for the rest of the stream, as HAProxy 2.6's
 * stream_generate_unique_id() does. A frontend without the keyword costs nothing per request.
 */
import { compileLogFormat } from '../acl/index.ts';
import type { SampleContext } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';

/** Renders the id of one stream: its context, accept date (%t, %Ts …) and number (%rt). */
export type UniqueIdFormat = (ctx: SampleContext, acceptDate: number, streamNumber: number) => string;

/** HAProxy's UNIQUEID_LEN (128, with its NUL): longer ids are cut. */
const MAX_LENGTH = 127;

export function compileUniqueId(config: Proxy): UniqueIdFormat | undefined {
  const format = config.uniqueIdFormat;
  // `unique-id-header` alone adds nothing (haproxy 2.6.12 sends no header then).
  if (!format) return undefined;
  // Parsed with LOG_OPT_HTTP: %[sample] results are %XX-encoded, never quoted.
  const render = compileLogFormat(format.tokens, { http: true, maxLength: MAX_LENGTH, readFile: patternFileReader, currentProxy: config.name });
  return (ctx, acceptDate, streamNumber) => render(ctx, { acceptDate, requestCounter: streamNumber });
}
