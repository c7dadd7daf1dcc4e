/**
 * The runtime API's dynamic servers (management.txt §9.3 of HAProxy 2.6, server.c
 * cli_parse_add_server and cli_parse_delete_server): `add server <b>/<s> <addr> [options]*`
 * places a server the configuration does not have in a running backend, in maintenance until
 * `enable server` (its check and agent until `enable health` / `enable agent`); `del server <b>/<s>`
 * removes a server in maintenance that holds nothing. A reload starts from the configuration
 * again: the servers added are gone, as in HAProxy's new process.
 *
 * The answers are HAProxy's, without the trailing newline its other commands print where it has
 * none (cli_err with a bare text): the runtime API adds the line end.
 */
import fs from 'node:fs';
import type { StatsHost } from './host.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { chainInMaint } from '../runtime/track.ts';
import { allowsDynamicServers } from '../balance/index.ts';
import { parseDynamicServer } from '../config/kw-server.ts';
import { checkServer } from '../config/validate.ts';
import { Diagnostics } from '../config/diagnostics.ts';
import { cliErr, cliMsg } from './cli-answer.ts';
import type { CliAnswer } from './cli-answer.ts';

/** `<backend>/<server>` split at the first '/' after the first character, as server.c does; undefined: `Require 'backend/server'.` */
function split(spec: string | undefined): { backend: string; server: string } | undefined {
  const slash = spec === undefined ? -1 : spec.indexOf('/', 1);
  if (spec === undefined || slash < 0 || slash === spec.length - 1) return undefined;
  return { backend: spec.slice(0, slash), server: spec.slice(slash + 1) };
}

/** `add server <b>/<s> <addr> [options]*`: its refusals are cli_err, its success a LOG_INFO message (with the warnings before it). */
export function addServer(args: string[], engine: StatsHost): CliAnswer {
  const names = split(args[2]);
  if (!names) return cliErr("Require 'backend/server'.");
  const backend = engine.backend(names.backend);
  const tables = engine.stats.view();
  if (!backend || !tables) return cliErr('No such backend.');
  const proxy = backend.config;
  if (!allowsDynamicServers(backend.balance.algorithm, proxy.hashType)) return cliErr('Backend must use a dynamic load balancing to support dynamic servers.');
  const parsed = parseDynamicServer(tables.config, proxy, [names.server, ...args.slice(3)], (p) => fs.existsSync(p));
  if ('error' in parsed) return cliErr(parsed.error);
  const { server: config, ready } = parsed;
  let warnings = parsed.warnings;
  // What HAProxy checks of a server once it is read (its check's port, its agent, its SSL context).
  const diagnostics = new Diagnostics();
  checkServer(proxy, config, tables.config, new Set(), diagnostics);
  const label = `'server ${proxy.name}/${config.name}' : `;
  // By now every backend has a tcp-check ruleset (check_config_validity gives the others the default
  // one, with its connect rule): a check without a port gets init_srv_check's longer message.
  const text = (message: string): string => `${(message.startsWith(label) ? message.slice(label.length) : message)
    .replace(/has neither service port nor check port\.$/, "has neither service port nor check port nor tcp_check rule 'connect' with port information.")}\n`;
  for (const d of diagnostics.list) if (d.severity === 'warning') warnings += text(d.message);
  const alert = diagnostics.list.find((d) => d.severity !== 'warning');
  if (alert) return cliErr(`${warnings}${text(alert.message)}`);
  const id = config.options.id;
  const holder = id === undefined ? undefined : backend.servers.find((s) => s.id === id);
  if (holder) {
    const at = holder.config.loc.line > 0 ? `${holder.config.loc.file}:${holder.config.loc.line}` : '(null):0';
    return cliErr(`${warnings}'id' : custom id ${id} already used at ${at} ('server ${holder.name}').\n`);
  }
  let tracked: { server: RuntimeServer; backend: RuntimeBackend } | undefined;
  const track = config.options.track;
  if (track !== undefined) {
    // srv_apply_track(): the same messages as at load.
    const slash = track.lastIndexOf('/');
    const owner = slash < 0 ? backend : engine.backend(track.slice(0, slash));
    if (!owner) return cliErr(`${warnings}unable to find required proxy '${track.slice(0, slash)}' for tracking.\n`);
    const name = slash < 0 ? track : track.slice(slash + 1);
    const target = owner.server(name);
    if (!target) return cliErr(`${warnings}unable to find required server '${name}' for tracking.\n`);
    const o = target.config.options;
    if (!o.check && !(o.agentCheck && (o.agentPort !== undefined || o.port !== undefined)) && o.track === undefined) {
      return cliErr(`${warnings}unable to use ${owner.name}/${target.name} for tracking as it does not have any check nor agent enabled.\n`);
    }
    tracked = { server: target, backend: owner };
  }
  // Checked last, once the server is built (server.c walks the list to attach it).
  if (backend.server(config.name)) return cliErr(`${warnings}Already exists a server with the same name in backend.\n`);
  let tls;
  try {
    tls = engine.dynamicServerTls?.(proxy.name, config);
  } catch (e) {
    // A certificate or CA file that does not load, as at a configuration load (TlsLoadError).
    return cliErr(`${warnings}${(e as Error).message}\n`);
  }
  const server = backend.addServer(config, ready, tracked, tls);
  engine.stats.serverAdded(backend, server);
  engine.healthChecks?.()?.addServer(backend, server);
  engine.stats.sync();
  return cliMsg(`${warnings}New server registered.\n`);
}

/** `del server <b>/<s>`: its refusals are cli_err, its success a LOG_INFO message. */
export function delServer(args: string[], engine: StatsHost): CliAnswer {
  const names = split(args[2]);
  if (!names) return cliErr("Require 'backend/server'.");
  const backend = engine.backend(names.backend);
  if (!backend) return cliErr('No such backend.');
  const server = backend.server(names.server);
  if (!server) return cliErr('No such server.');
  // SRV_F_NON_PURGEABLE: a server tracks or tracked it, or a `use-server` rule names it.
  if (server.pinned || backend.config.serverRules.some((r) => !r.dynamic && r.server === server.name)) {
    return cliErr('This server cannot be removed at runtime due to other configuration elements pointing to it.');
  }
  if (server.admin !== 'MAINT' && !chainInMaint(server)) return cliErr('Only servers in maintenance mode can be deleted.');
  const idle = (server.connections?.idleCount ?? 0) + (server.connections?.safeCount ?? 0);
  if (server.served > 0 || idle > 0 || server.queue.length > 0) return cliErr('Server still has connections attached to it, cannot remove it.');
  engine.healthChecks?.()?.removeServer(server);
  backend.removeServer(server);
  engine.stats.serverRemoved(backend, server);
  engine.stats.sync();
  return cliMsg('Server deleted.');
}
