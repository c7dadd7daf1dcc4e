/**
 * The HTTP transport's method table, derived from the control contract in one
 * place: one `POST /api/<method>` route per CONTROL_METHODS entry, with the
 * number of arguments each method takes. The arity table is typed against
 * ControlMethods, so a method added to the contract (or an argument added to
 * one) fails to compile here until the transport knows it.
 */
import { CONTROL_METHODS, CONTROL_EVENT_CHANNELS, controlRoute } from '../control/contract.ts';
import type { ControlArgs, ControlMethodName, ControlTopic } from '../control/contract.ts';

/** Number of arguments a caller must give: the parameters before the first optional one. */
type MinArity<P extends readonly unknown[], Given extends unknown[] = []> =
  Given['length'] extends Required<P>['length'] ? Given['length']
    : Given extends P ? Given['length']
      : MinArity<P, [...Given, P[Given['length']]]>;

/** Smallest and largest argument count of every method, checked against the contract's signatures. */
export type MethodArity = { [M in ControlMethodName]: readonly [min: MinArity<ControlArgs<M>>, max: Required<ControlArgs<M>>['length']] };

export const METHOD_ARITY = {
  status: [0, 0],
  start: [0, 0],
  stop: [0, 1],
  validateConfig: [1, 2],
  applyConfig: [1, 2],
  setServerState: [3, 3],
  setServerWeight: [3, 3],
  stats: [0, 0],
  series: [2, 2],
  timeline: [2, 3],
  timelines: [0, 2],
  checkResults: [2, 3],
  recentEvents: [0, 1],
  certCaStatus: [0, 0],
  certCaInit: [1, 1],
  certCaExport: [1, 1],
  certIssue: [1, 1],
  certImport: [1, 1],
  certInspect: [1, 1],
  certList: [0, 0],
  certRemove: [1, 1],
  certIssueClient: [1, 1],
  certClients: [0, 0],
  certTrustImport: [1, 1],
  certTrustList: [0, 0],
  getConfig: [0, 0],
  previewConfig: [1, 1],
  applyChange: [1, 1],
  buildConfig: [1, 2],
  listVersions: [0, 0],
  getVersion: [1, 1],
  rollback: [1, 2],
  predictSplit: [1, 1],
  explainHealthCheck: [1, 1],
  probeServer: [1, 1],
  checkListen: [1, 1],
  traceRequest: [1, 1],
} as const satisfies MethodArity;

export interface ApiRoute {
  method: ControlMethodName;
  /** `/api/<method>` */
  path: string;
  minArgs: number;
  maxArgs: number;
  /** Changes the engine or the data dir (documentation; every POST is CSRF-checked anyway). */
  mutates: boolean;
}

/** Every route by path: the one table the HTTP server dispatches on. */
export const API_ROUTES: ReadonlyMap<string, ApiRoute> = new Map(
  (Object.keys(CONTROL_METHODS) as ControlMethodName[]).flatMap((method): Array<[string, ApiRoute]> => {
    // Only in a tree that does not type-check (a method added to the contract, not here yet): that method
    // has no route (the routing test fails) instead of every importer of the CLI crashing at load.
    const arity = (METHOD_ARITY as Partial<MethodArity>)[method];
    if (!arity) return [];
    const [minArgs, maxArgs] = arity;
    return [[controlRoute(method), { method, path: controlRoute(method), minArgs, maxArgs, mutates: CONTROL_METHODS[method].mutates }]];
  }),
);

/** Topics a page may ask for on `GET /api/events`, with their SSE event names. */
export const EVENT_TOPICS = Object.keys(CONTROL_EVENT_CHANNELS) as ControlTopic[];

export function isTopic(name: string): name is ControlTopic {
  return Object.hasOwn(CONTROL_EVENT_CHANNELS, name);
}
