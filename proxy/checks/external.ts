/**
 * `option external-check`: each check runs `external-check command` as HAProxy
 * 2.6's extcheck.c does — started directly (no shell) with argv
 * `<command> <proxy_address> <proxy_port> <server_address> <server_port>` and
 * an environment of exactly PATH (`external-check path`, else empty) and the
 * HAPROXY_* variables. Exit status 0 is PROCOK, any other status PROCERR with
 * the status as its code (-1 when a signal ended it); a command still running
 * when the check's time is up is sent SIGTERM and the check is PROCTOUT, its
 * code left as the previous check's (process_chk_proc).
 *
 * The command runs with the privileges of the Loadstar process. At most one
 * process per server runs at a time: a check that finds the previous one's
 * process still alive (it ignored SIGTERM) kills it with SIGKILL and waits for
 * it before starting the next. The child's stdin, stdout and stderr are
 * /dev/null (HAProxy's quiet or daemon mode).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { CheckResult } from './types.ts';
import type { BalancingProxy, ListenAddress, Server } from '../config/model.ts';

/** What one server's external check is started with; the server's address and connections are read per check. */
export interface ExternalCheckSpec {
  command: string;
  /** `external-check path`, else ''. */
  path: string;
  /** The proxy's first IPv4/IPv6/UNIX bind: address (or socket path) and port; undefined: none ("NOT_USED"). */
  listener?: { address: string; port?: number };
  proxyName: string;
  proxyId: number;
  serverName: string;
  serverId: number;
  maxconn: number;
  ssl: boolean;
  /** HAPROXY_SERVER_PROTO: `tcp`, or in HTTP mode the server's `proto` (default `h1`). */
  proto: string;
  /** How long the process may run: `inter`, or `timeout connect` if shorter when `timeout check` is set, ms. */
  timeout: number;
}

/** The server as it is at the time of a check. */
export interface ExternalCheckServer {
  host: string;
  /** The service port (0 when the server has none). */
  port: number;
  /** A UNIX socket server's path. */
  path?: string;
  /** Current connections (HAPROXY_SERVER_CURCONN). */
  current: number;
}

export type ExternalRun = (server: ExternalCheckServer) => Promise<CheckResult>;

/** HAProxy sends an empty value rather than NOT_USED in the environment (extchk_setenv). */
const env = (value: string): string => (value === 'NOT_USED' ? '' : value);

/** argv after the command, and the environment, for one check (prepare_external_check, connect_proc_chk). */
export function externalCheckInvocation(spec: ExternalCheckSpec, server: ExternalCheckServer): { args: string[]; env: Record<string, string> } {
  const listener = spec.listener;
  const proxyAddress = listener ? listener.address : 'NOT_USED';
  const proxyPort = listener ? (listener.port === undefined ? 'NOT_USED' : String(listener.port)) : 'NOT_USED';
  // An abstract socket's sun_path starts with a NUL: as a C string it is empty.
  const unix = server.path !== undefined ? (server.path.startsWith('\0') ? '' : server.path) : undefined;
  const serverAddress = unix ?? server.host;
  const serverPort = unix !== undefined ? 'NOT_USED' : String(server.port);
  return {
    args: [proxyAddress, proxyPort, serverAddress, serverPort],
    env: {
      PATH: spec.path,
      HAPROXY_PROXY_NAME: spec.proxyName,
      HAPROXY_PROXY_ID: String(spec.proxyId),
      HAPROXY_PROXY_ADDR: env(proxyAddress),
      HAPROXY_PROXY_PORT: env(proxyPort),
      HAPROXY_SERVER_NAME: spec.serverName,
      HAPROXY_SERVER_ID: String(spec.serverId),
      HAPROXY_SERVER_ADDR: env(serverAddress),
      HAPROXY_SERVER_PORT: env(serverPort),
      HAPROXY_SERVER_MAXCONN: String(spec.maxconn),
      HAPROXY_SERVER_CURCONN: String(server.current),
      HAPROXY_SERVER_SSL: spec.ssl ? '1' : '0',
      HAPROXY_SERVER_PROTO: spec.proto,
    },
  };
}

/** The exit code HAProxy's child reports when execvp() fails (exit(-1)). */
const EXEC_FAILED = 255;

/**
 * One server's external check runner.
 * @param alert where HAProxy's alert about a command that could not be started goes.
 */
export function externalCheckRunner(spec: ExternalCheckSpec, alert: (message: string) => void): { run: ExternalRun; stop(): void } {
  /** The process of the last check while it has not exited, and a promise of its exit. */
  let alive: { child: ChildProcess; exited: Promise<void> } | undefined;
  /** check->code: the last exit code, kept by a timeout. */
  let lastCode = 0;
  let stopped = false;

  const run: ExternalRun = async (server) => {
    if (alive) {
      // The previous command outlived its check and SIGTERM: never two at once for a server.
      alive.child.kill('SIGKILL');
      await alive.exited;
    }
    const started = Date.now();
    const done = (code: CheckResult['code'], status: number): CheckResult => {
      const time = Date.now();
      return { code, time, durationMs: time - started, info: '', status };
    };
    if (stopped) return done('PROCTOUT', lastCode);
    const { args, env } = externalCheckInvocation(spec, server);
    let child: ChildProcess;
    try {
      child = spawn(spec.command, args, { argv0: spec.command, env, stdio: 'ignore', shell: false, windowsHide: true });
    } catch (e) {
      // A synchronous refusal (a NUL byte in an argument …): as a command that cannot be executed.
      alert(`Failed to exec process for external health check: ${(e as Error).message}. Aborting.`);
      lastCode = EXEC_FAILED;
      return done('PROCERR', lastCode);
    }
    return new Promise<CheckResult>((resolve) => {
      let settled = false;
      const finish = (result: CheckResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const exited = new Promise<void>((resolveExit) => {
        child.once('close', (code, signal) => {
          if (alive?.child === child) alive = undefined;
          resolveExit();
          // After a timeout (or a failed start) the verdict is given: a late exit changes nothing.
          if (settled) return;
          lastCode = signal !== null || code === null ? -1 : code;
          finish(done(lastCode === 0 ? 'PROCOK' : 'PROCERR', lastCode));
        });
      });
      alive = { child, exited };
      child.once('error', (e: NodeJS.ErrnoException) => {
        // Not started (ENOENT, EACCES …): HAProxy's child fails its execvp() and exits with 255.
        if (child.pid !== undefined) return;
        if (alive?.child === child) alive = undefined;
        alert(`Failed to exec process for external health check: ${errnoText(e)}. Aborting.`);
        lastCode = EXEC_FAILED;
        finish(done('PROCERR', lastCode));
      });
      const timer = setTimeout(() => {
        // process_chk_proc: PROCTOUT, SIGTERM to the process; check->code stays as it was.
        child.kill('SIGTERM');
        finish(done('PROCTOUT', lastCode));
      }, spec.timeout);
      timer.unref();
    });
  };
  return {
    run,
    stop() {
      stopped = true;
      alive?.child.kill('SIGTERM');
    },
  };
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOEXEC: 'Exec format error',
  ENOTDIR: 'Not a directory',
  E2BIG: 'Argument list too long',
  ENOMEM: 'Cannot allocate memory',
  ELOOP: 'Too many levels of symbolic links',
};

function errnoText(e: NodeJS.ErrnoException): string {
  return (e.code && ERRNO_TEXT[e.code]) ?? e.message;
}

/**
 * The per-server part of an external check, from the configuration (prepare_external_check).
 * @param running the server as it runs: its id (given or numbered) and maxconn (0: none).
 * @param proxyId the proxy's id as HAProxy numbers it (HAPROXY_PROXY_ID).
 */
export function externalCheckSpec(proxy: BalancingProxy, server: Server, running: { id: number; maxconn: number }, proxyId: number): ExternalCheckSpec {
  const inter = server.options.inter;
  // process_chk_proc: up to `inter`, or min(inter, timeout connect) when `timeout check` is set.
  const connect = proxy.timeouts.connect;
  const timeout = proxy.timeouts.check !== undefined && connect !== undefined ? Math.min(inter, connect) : inter;
  const listener = firstListener(proxy);
  return {
    command: proxy.externalCheckCommand?.value ?? '',
    path: proxy.externalCheckPath?.value ?? '',
    ...(listener ? { listener } : {}),
    proxyName: proxy.name,
    proxyId,
    serverName: server.name,
    serverId: running.id,
    maxconn: running.maxconn,
    ssl: server.options.ssl === true,
    proto: proxy.mode === 'http' ? (server.options.proto ?? 'h1') : 'tcp',
    timeout,
  };
}

/** The proxy's first bind address (a backend has none), as HAProxy's addr_to_str / port_to_str write it. */
function firstListener(proxy: BalancingProxy): ExternalCheckSpec['listener'] {
  const first: ListenAddress | undefined = proxy.binds.flatMap((b) => b.addresses)[0];
  if (!first) return undefined;
  if (first.family === 'unix') return { address: first.host.startsWith('\0') ? '' : first.host };
  const address = first.host !== '' ? first.host : first.family === 'ipv6' ? '::' : '0.0.0.0';
  return { address, port: first.port };
}
