/**
 * `POST /api/<method>` with body `{"args": [...]}` → the control method's
 * `Result` as JSON. The transport checks only what it owns (a JSON array of
 * the right length within the size limit); the arguments' meaning is the
 * contract's to check. A method that throws is a bug: the caller gets
 * LS_ERR_CTL_INTERNAL and the stack goes to the log, the process lives on.
 */
import type http from 'node:http';
import type { ControlMethods, Result } from '../control/contract.ts';
import type { ApiRoute } from './routes.ts';
import { readBody, sendError, sendJson, BodyTooLarge, ClientGone } from './http-util.ts';

/** Largest request body: a configuration or a certificate upload fits with room to spare. */
export const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;

export async function handleApiCall(
  control: ControlMethods,
  route: ApiRoute,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: { bodyLimit: number; log: (line: string) => void },
): Promise<void> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  let text: string;
  try {
    text = await readBody(req, options.bodyLimit);
  } catch (e) {
    if (e instanceof BodyTooLarge) {
      res.setHeader('Connection', 'close');
      return sendError(res, 413, 'LS_ERR_CTL_BAD_REQUEST', `${route.path}: the request body is larger than ${options.bodyLimit} bytes.`);
    }
    if (e instanceof ClientGone) return void res.destroy();
    throw e;
  }
  if (text.trim() !== '' && type !== 'application/json') {
    return sendError(res, 415, 'LS_ERR_CTL_BAD_REQUEST', `${route.path}: send the arguments as Content-Type: application/json, {"args": [...]}.`);
  }
  const args = parseArgs(text);
  if (typeof args === 'string') return sendError(res, 400, 'LS_ERR_CTL_BAD_REQUEST', `${route.path}: ${args}`);
  if (args.length < route.minArgs || args.length > route.maxArgs) {
    const expected = route.minArgs === route.maxArgs ? `${route.minArgs}` : `${route.minArgs} to ${route.maxArgs}`;
    return sendError(res, 400, 'LS_ERR_CTL_BAD_REQUEST', `${route.path}: ${route.method} takes ${expected} argument${expected === '1' ? '' : 's'}, got ${args.length}.`);
  }
  let result: Result<unknown>;
  try {
    const method = control[route.method] as (...a: unknown[]) => Promise<Result<unknown>>;
    result = await method.apply(control, args);
  } catch (e) {
    options.log(`[ALERT] admin API: ${route.method} failed unexpectedly: ${(e as Error)?.stack ?? String(e)}`);
    return sendError(res, 500, 'LS_ERR_CTL_INTERNAL', `${route.method} failed unexpectedly inside Loadstar; the details are in the server's log.`);
  }
  if (!result || typeof result !== 'object' || typeof (result as { ok?: unknown }).ok !== 'boolean') {
    options.log(`[ALERT] admin API: ${route.method} answered something that is not a Result`);
    return sendError(res, 500, 'LS_ERR_CTL_INTERNAL', `${route.method} gave no answer; the details are in the server's log.`);
  }
  // A failed Result is still a delivered answer: HTTP 200, the error is in the body.
  sendJson(res, 200, result);
}

/** The `args` array of the body, or why it is not one. An empty body means no arguments. */
function parseArgs(text: string): unknown[] | string {
  if (text.trim() === '') return [];
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return `the body is not JSON (${(e as Error).message}).`;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body must be a JSON object {"args": [...]}.';
  const args = (body as { args?: unknown }).args;
  if (args === undefined) return [];
  if (!Array.isArray(args)) return '"args" must be a JSON array.';
  const depth = nestingDepth(args, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) return `the arguments are nested more than ${MAX_JSON_DEPTH} levels deep; no method takes anything like that.`;
  return args;
}

/**
 * Deepest argument nesting accepted. The deepest real argument (a form edit: op, backend, servers,
 * server, extra) is a handful of levels; JSON.parse builds 100,000 levels happily, and every
 * recursive walk after it (a message quoting the value, a structured clone) then overflows the stack.
 */
export const MAX_JSON_DEPTH = 64;

/** How deep `value` nests arrays and objects, counted without recursion and no further than `limit` + 1. */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) break;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}
