/**
 * Proxies, servers, listeners and stick tables as a whole (backend.c,
 * frontend.c, listener.c, stream.c, queue.c; section 7.3.2). Counts come
 * from the engine through ctx.hooks.
 */
import type { BackendMetric, FrontendMetric, ServerMetric } from '../context.ts';
import type { FetchCompiler, FetchDefinition } from './define.ts';
import { fetch, single, ref } from './define.ts';
import { mkStr, mkInt, mkBool } from '../eval-sample.ts';

/** avg_queue, be_conn, nbsrv…([backend]): the engine's count for the backend. */
const backendMetric: FetchCompiler = ({ name, proxyArg }) => {
  const be = proxyArg(0, 'backend');
  const metric = name as BackendMetric;
  return single((ctx) => {
    const v = ctx.hooks?.backend?.(be(ctx), metric);
    return v === undefined ? undefined : mkInt(v);
  });
};

/** srv_conn, srv_is_up, srv_weight…([backend/]server). */
const serverMetric: FetchCompiler = ({ name, args, currentProxy }) => {
  const full = ref(args, 0, 'server') ?? '';
  const slash = full.indexOf('/');
  const beName = slash >= 0 ? full.slice(0, slash) : undefined;
  const srvName = slash >= 0 ? full.slice(slash + 1) : full;
  const metric = name as ServerMetric;
  const isBool = name === 'srv_is_up';
  return single((ctx) => {
    const v = ctx.hooks?.server?.(beName ?? currentProxy(ctx), srvName, metric);
    return v === undefined ? undefined : isBool ? mkBool(v !== 0) : mkInt(v);
  });
};

/** fe_conn, fe_req_rate, fe_sess_rate([frontend]). */
const frontendMetric: FetchCompiler = ({ name, args }) => {
  const fe = ref(args, 0, 'frontend');
  const metric = name as FrontendMetric;
  return single((ctx) => {
    const v = ctx.hooks?.frontend?.(fe || ctx.conn.frontend, metric);
    return v === undefined ? undefined : mkInt(v);
  });
};

const beName: FetchCompiler = () => single((ctx) => mkStr(ctx.backendName ?? ctx.conn.frontend));
const beId: FetchCompiler = () => single((ctx) => {
  const id = ctx.backendId ?? (ctx.backendName === undefined ? ctx.conn.frontendId : undefined);
  return id === undefined ? undefined : mkInt(id);
});

export const PROXY_FETCHES: readonly FetchDefinition[] = [
  // backend.c
  fetch(['avg_queue', 'be', 'int', 'INTRN'], backendMetric),
  fetch(['be_conn', 'be', 'int', 'INTRN'], backendMetric),
  fetch(['be_conn_free', 'be', 'int', 'INTRN'], backendMetric),
  fetch(['be_id', '', 'int', 'BKEND'], beId),
  fetch(['be_name', '', 'str', 'BKEND'], beName),
  fetch(['be_server_timeout', '', 'int', 'BKEND']),
  fetch(['be_sess_rate', 'be', 'int', 'INTRN'], backendMetric),
  fetch(['be_tunnel_timeout', '', 'int', 'BKEND']),
  fetch(['connslots', 'be', 'int', 'INTRN'], backendMetric),
  fetch(['nbsrv', 'be', 'int', 'INTRN'], backendMetric),
  fetch(['queue', 'be', 'int', 'INTRN'], backendMetric),
  fetch(['srv_conn', 'srv', 'int', 'INTRN'], serverMetric),
  fetch(['srv_conn_free', 'srv', 'int', 'INTRN'], serverMetric),
  fetch(['srv_id', '', 'int', 'SERVR'], () => single((ctx) => (ctx.serverId === undefined ? undefined : mkInt(ctx.serverId)))),
  fetch(['srv_is_up', 'srv', 'bool', 'INTRN'], serverMetric),
  fetch(['srv_iweight', 'srv', 'int', 'INTRN'], serverMetric),
  fetch(['srv_name', '', 'str', 'SERVR'], () => single((ctx) => (ctx.serverName === undefined ? undefined : mkStr(ctx.serverName)))),
  fetch(['srv_queue', 'srv', 'int', 'INTRN'], serverMetric),
  fetch(['srv_sess_rate', 'srv', 'int', 'INTRN'], serverMetric),
  fetch(['srv_uweight', 'srv', 'int', 'INTRN'], serverMetric),
  fetch(['srv_weight', 'srv', 'int', 'INTRN'], serverMetric),
  // frontend.c
  fetch(['fe_client_timeout', '', 'int', 'FTEND']),
  fetch(['fe_conn', 'fe', 'int', 'INTRN'], frontendMetric),
  fetch(['fe_defbe', '', 'str', 'FTEND'], () => single((ctx) => (ctx.conn.defaultBackend === undefined ? undefined : mkStr(ctx.conn.defaultBackend)))),
  fetch(['fe_id', '', 'int', 'FTEND'], () => single((ctx) => (ctx.conn.frontendId === undefined ? undefined : mkInt(ctx.conn.frontendId)))),
  fetch(['fe_name', '', 'str', 'FTEND'], () => single((ctx) => mkStr(ctx.conn.frontend))),
  fetch(['fe_req_rate', 'fe', 'int', 'INTRN'], frontendMetric),
  fetch(['fe_sess_rate', 'fe', 'int', 'INTRN'], frontendMetric),
  // listener.c
  fetch(['dst_conn', '', 'int', 'FTEND']),
  fetch(['so_id', '', 'int', 'FTEND'], () => single((ctx) => (ctx.conn.listenerId === undefined ? undefined : mkInt(ctx.conn.listenerId)))),
  fetch(['so_name', '', 'str', 'FTEND'], () => single((ctx) => (ctx.conn.listenerName === undefined ? undefined : mkStr(ctx.conn.listenerName)))),
  // stream.c
  fetch(['cur_server_timeout', '', 'int', 'BKEND']),
  fetch(['cur_tunnel_timeout', '', 'int', 'BKEND']),
  fetch(['last_rule_file', '', 'str', 'INTRN']),
  fetch(['last_rule_line', '', 'int', 'INTRN']),
  // queue.c
  fetch(['prio_class', '', 'int', 'INTRN'], () => single((ctx) => mkInt(ctx.priority?.class ?? 0))),
  fetch(['prio_offset', '', 'int', 'INTRN'], () => single((ctx) => mkInt(ctx.priority?.offset ?? 0))),
];
