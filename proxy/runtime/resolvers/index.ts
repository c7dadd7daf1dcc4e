/**
 * Runtime DNS (configuration.txt §5.3): the `resolvers` sections servers name, built once per
 * configuration load. Only a configuration with a server using `resolvers` on a host name
 * builds any of it; the others pay nothing. `prepare()` gives each such server its first
 * address by its `init-addr` methods, `start()` begins the periodic resolutions, `stop()`
 * ends them (a reload builds new ones).
 */
import dns from 'node:dns/promises';
import fs from 'node:fs';
import { isIP } from 'node:net';
import type { Config, Resolvers } from '../../config/model.ts';
import { ResolveAtLoadError } from '../../errors.ts';
import { parseNetwork } from '../../config/values.ts';
import type { RuntimeBackend } from '../backend.ts';
import type { RuntimeServer } from '../server.ts';
import { networksOf } from './pick.ts';
import { RuntimeResolvers } from './section.ts';
import type { ResolversSettings } from './section.ts';
import { ServerLink } from './server-link.ts';
import { SrvRequest } from './srv.ts';
import type { TargetResolver } from './srv.ts';
import type { Resolution } from './resolution.ts';

export { RuntimeResolvers } from './section.ts';

const DEFAULT_HOLD = { valid: 10_000, nx: 30_000, refused: 30_000, timeout: 30_000, other: 30_000, obsolete: 0 };


export class EngineResolvers {
  readonly sections = new Map<string, RuntimeResolvers>();
  /** Servers resolving their host name from the start, given a first address by prepare(). */
  private readonly links: ServerLink[] = [];
  /** Servers named by an SRV label: they wait without an address for a record. */
  private readonly srvServers: Array<{ backend: RuntimeBackend; server: RuntimeServer }> = [];
  /** The A/AAAA resolutions SRV-discovered servers follow for their record's target. */
  private readonly followed = new Map<RuntimeServer, { section: RuntimeResolvers; link: ServerLink; resolution: Resolution }>();

  private constructor(private readonly notify: (message: string) => void) {}

  /** The resolvers of `config` for `backends`, or undefined when no server resolves at run time. */
  static build(config: Config, backends: ReadonlyMap<string, RuntimeBackend>, notify: (message: string) => void, readResolvConf = defaultResolvConf): EngineResolvers | undefined {
    let built: EngineResolvers | undefined;
    for (const backend of backends.values()) {
      const srvGroups = new Map<string, RuntimeServer[]>();
      for (const server of backend.servers) {
        const sectionName = server.config.options.resolvers;
        if (sectionName === undefined || (server.fqdn === undefined && server.srvLabel === undefined)) continue;
        const section = config.resolvers.find((r) => r.name === sectionName);
        if (!section) continue;
        built ??= new EngineResolvers(notify);
        let running = built.sections.get(sectionName);
        if (!running) {
          running = new RuntimeResolvers(sectionName, nameserversOf(section, readResolvConf), settingsOf(section));
          built.sections.set(sectionName, running);
        }
        if (server.srvLabel !== undefined) {
          const key = `${sectionName}|${server.srvLabel.toLowerCase()}`;
          srvGroups.set(key, [...(srvGroups.get(key) ?? []), server]);
          built.srvServers.push({ backend, server });
          continue;
        }
        const link = built.serverLink(backend, server, running);
        running.link(server.fqdn!, link.queryType, link);
        built.links.push(link);
      }
      // One SRV request per label and section in a backend (HAProxy's srvrq), shared by a template's servers.
      for (const servers of srvGroups.values()) {
        const first = servers[0]!;
        const running = built!.sections.get(first.config.options.resolvers!)!;
        const request = new SrvRequest(backend, servers, running.settings.hold.obsolete, running.settings.hold, built!.targetResolver(running), notify, Date.now);
        running.link(first.srvLabel!, 'SRV', request);
      }
    }
    return built;
  }

  private serverLink(backend: RuntimeBackend, server: RuntimeServer, section: RuntimeResolvers): ServerLink {
    const o = server.config.options;
    const options = { prefer: o.resolvePrefer === 'ipv4' ? 4 as const : 6 as const, nets: networksOf(o.resolveNet, parseNetwork), allowDup: o.allowDupIp ?? false };
    return new ServerLink(backend, server, options, section.settings.hold, this.notify, Date.now);
  }

  /** How an SRV record's server starts and stops resolving the record's target. */
  private targetResolver(section: RuntimeResolvers): TargetResolver {
    return {
      follow: (backend, server) => {
        if (this.followed.has(server) || server.fqdn === undefined) return;
        const link = this.serverLink(backend, server, section);
        const resolution = section.link(server.fqdn, link.queryType, link);
        this.followed.set(server, { section, link, resolution });
      },
      unfollow: (server) => {
        const f = this.followed.get(server);
        if (!f) return;
        this.followed.delete(server);
        f.section.unlink(f.resolution, f.link);
      },
    };
  }

  /**
   * `init-addr`: each server's first address, by its methods in turn (default `last,libc`).
   * `last` is the address the same server (backend and name, same host name) had in `previous`,
   * the tables running before a reload: what HAProxy's server-state file carries to the new
   * process; at start (no `previous`), the address a server-state file saved (`saved`). Throws
   * ResolveAtLoadError, as HAProxy refuses to start, when a list without `libc` finds nothing.
   */
  async prepare(previous?: ReadonlyMap<string, RuntimeBackend>, saved?: (backend: string, server: string) => string | undefined): Promise<void> {
    // A nameserver given by name is resolved once, by the system, as HAProxy does when it parses it.
    for (const section of this.sections.values()) {
      for (const ns of section.nameservers) {
        if (isIP(ns.host) !== 0) continue;
        const found = await dns.lookup(ns.host).catch(() => undefined);
        if (!found) throw new ResolveAtLoadError(`resolvers '${section.name}' : nameserver '${ns.name}' : could not resolve address '${ns.host}'.`);
        ns.host = found.address;
      }
    }
    // HAProxy skips init-addr for SRV labels: such a server waits, without an address, for a record.
    for (const { backend, server } of this.srvServers) {
      backend.setServerAddress(server, undefined);
      backend.setServerResolutionMaint(server, 'no SRV record yet');
    }
    await Promise.all(this.links.map((link) => this.initialAddress(link.backend, link.server, previous?.get(link.backend.name)?.server(link.server.name),
      previous ? undefined : saved?.(link.backend.name, link.server.name))));
  }

  private async initialAddress(backend: RuntimeBackend, server: RuntimeServer, before: RuntimeServer | undefined, saved: string | undefined): Promise<void> {
    const where = `[${server.config.loc.file}:${server.config.loc.line}] : 'server ${backend.name}/${server.name}'`;
    const methods = server.config.options.initAddr ?? ['last', 'libc'];
    let libcFailed = false;
    for (const method of methods) {
      if (method === 'last') {
        if (saved !== undefined) return backend.setServerAddress(server, saved);
        // Like a state file line without an address, a server that had none gives nothing: the next method runs.
        if (before === undefined || before.fqdn !== server.fqdn || before.addressless) continue;
        return backend.setServerAddress(server, before.host);
      }
      if (method === 'libc') {
        const found = await dns.lookup(server.fqdn!).catch(() => undefined);
        if (found) return backend.setServerAddress(server, found.address);
        libcFailed = true;
        continue;
      }
      if (method === 'none') break;
      if (isIP(method) !== 0) {
        if (libcFailed) this.notify(`${where} : could not resolve address '${server.fqdn}', falling back to configured address.`);
        return backend.setServerAddress(server, method);
      }
    }
    if (libcFailed) this.notify(`${where} : could not resolve address '${server.fqdn}', disabling server.`);
    else if (!methods.includes('none')) throw new ResolveAtLoadError(`${where} : no method found to resolve address '${server.fqdn}'.`);
    // HAProxy starts such a server without an address, in maintenance until DNS gives it one.
    backend.setServerAddress(server, undefined);
    backend.setServerResolutionMaint(server, 'no address at start (init-addr)');
  }

  start(): void {
    for (const section of this.sections.values()) section.start();
  }

  stop(): void {
    for (const section of this.sections.values()) section.stop();
  }

  /** `show resolvers [<id>]`: each section's nameservers with their counters (HAProxy 2.6's layout); undefined: no such section. */
  show(id?: string): string | undefined {
    return showResolvers([...this.sections.values()], id);
  }
}

/** `show resolvers` text for `sections` (all, or the one named `id`). */
export function showResolvers(sections: readonly RuntimeResolvers[], id?: string): string | undefined {
  const shown = id === undefined ? sections : sections.filter((s) => s.name === id);
  if (id !== undefined && shown.length === 0) return undefined;
  let out = '';
  for (const section of shown) {
    out += `Resolvers section ${section.name}\n`;
    for (const ns of section.nameservers) {
      const c = ns.counters;
      out += ` nameserver ${ns.name}:\n`;
      out += `  sent:        ${c.sent}\n  snd_error:   ${c.snd_error}\n  valid:       ${c.valid}\n  update:      ${c.update}\n`;
      out += `  cname:       ${c.cname}\n  cname_error: ${c.cname_error}\n  any_err:     ${c.any_err}\n  nx:          ${c.nx}\n`;
      out += `  timeout:     ${c.timeout}\n  refused:     ${c.refused}\n  other:       ${c.other}\n  invalid:     ${c.invalid}\n`;
      out += `  too_big:     ${c.too_big}\n  truncated:   ${c.truncated}\n  outdated:    ${c.outdated}\n`;
    }
  }
  return out + '\n';
}

function settingsOf(section: Resolvers): ResolversSettings {
  return {
    resolve: section.timeouts.resolve ?? 1000,
    retry: section.timeouts.retry ?? 1000,
    retries: section.resolveRetries ?? 3,
    payloadSize: section.acceptedPayloadSize ?? 512,
    hold: { ...DEFAULT_HOLD, ...section.hold },
  };
}

/** The section's nameservers, with `parse-resolv-conf`'s from /etc/resolv.conf (named by their address, as HAProxy does). */
function nameserversOf(section: Resolvers, readResolvConf: () => string): Array<{ name: string; host: string; port: number }> {
  const list = section.nameservers.map((n) => ({ name: n.name, host: n.address.host, port: n.address.port }));
  if (section.parseResolvConf) {
    for (const line of readResolvConf().split('\n')) {
      const m = /^\s*nameserver\s+(\S+)/.exec(line);
      if (m && isIP(m[1]!) !== 0) list.push({ name: m[1]!, host: m[1]!, port: 53 });
    }
  }
  return list;
}

function defaultResolvConf(): string {
  try {
    return fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}
