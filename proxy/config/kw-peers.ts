/**
 * The `peers` section (configuration.txt 3.5): HAProxy synchronises stick
 * tables with the peers listed there, and with the local peer (the one named
 * like this host, or as `localpeer` says) hands them over to the new process
 * on a reload. Loadstar reloads inside one process, so the local peer's only
 * job is that hand-over (proxy/stick/tables.ts); synchronising with other
 * hosts is refused (peersProblems). A `table` line declares a table named `<peers>/<table>`.
 */
import { parseStickTableArgs } from './kw-persist.ts';
import os from 'node:os';
import { registerGlobalKeywords } from './keywords.ts';
import type { DirectiveContext } from './keywords.ts';
import { SUPPORTED } from './status.ts';
import { parseAddress } from './values.ts';
import type { Config, Peers, StickTable } from './model.ts';
import type { Diagnostics } from './diagnostics.ts';

export const PEERS_KEYWORDS = ['peer', 'server', 'bind', 'default-bind', 'default-server', 'log', 'table', 'disabled', 'enabled'];

/** cfgparse.c: a section is written with `peer` lines or with `bind` and `server` lines, not both. */
const MIXED_PEER_BIND = 'mixing "peer" and "bind" line is forbidden';

export function parsePeersDirective(ctx: DirectiveContext, peers: Peers, keyword: string): void {
  const a = ctx.args;
  switch (keyword) {
    case 'peer':
    case 'server': {
      const [name, address] = a;
      if (name === undefined) return ctx.error(`'${keyword}' : missing name for peer.`);
      if (address === undefined && keyword === 'peer') return ctx.error(`'peer' : expects <name> and <addr>[:<port>] as arguments.`);
      if (keyword === 'peer') {
        if (peers.bind) return ctx.error(MIXED_PEER_BIND);
        peers.peerLine = true;
      }
      if (address !== undefined) {
        const parsed = parseAddress(address, { kind: 'generic', keyword });
        if (parsed.error !== undefined) return ctx.error(parsed.error, 1);
      }
      const previous = peers.peers.find((p) => p.name === name);
      if (previous) return ctx.error(`'${keyword} ${name}' : peer name already referenced at ${previous.loc.file}:${previous.loc.line}.`, 0, 'LS_ERR_CFG_DUPLICATE');
      peers.peers.push({ name, address, loc: ctx.directive.loc });
      return;
    }
    case 'bind':
    case 'default-bind':
    case 'default-server':
    case 'log':
      // The local peer's listener and its defaults: with no other host to talk to, nothing listens (a reload hands tables over in-process).
      if (keyword === 'bind') {
        if (peers.peerLine) return ctx.error(MIXED_PEER_BIND);
        if (a[0] === undefined) return ctx.error(`'bind' expects an address.`);
        peers.bind = true;
      }
      return;
    case 'table': {
      // A table of its own, named `<peers>/<name>` (cfgparse.c), for track-sc and stick rules' `table` argument.
      const [name, ...rest] = a;
      if (name === undefined) return ctx.error(`'table' expects a table name.`);
      const table = parseStickTableArgs(rest, (m, i, code) => ctx.error(m, i === undefined ? undefined : i + 1, code), ctx.directive.loc, (m, i) => ctx.warn(m, i === undefined ? undefined : i + 1, 'LS_WARN_CFG_SUSPICIOUS'));
      if (!table) return;
      table.peers = peers.name;
      (peers.tables ??= []).push({ name, table });
      return;
    }
    case 'disabled':
      peers.disabled = true;
      return;
    case 'enabled':
      peers.disabled = false;
      return;
  }
}

/** HAProxy's local peer name: global `localpeer`, else the host name (haproxy -L is not a Loadstar option). */
export function localPeerName(config: Config): string {
  const directive = config.global.section?.directives.find((d) => d.keyword === 'localpeer');
  return directive?.args[0] ?? os.hostname();
}

/**
 * Across sections, as cfgparse.c checks them. A section without the local peer is dropped with a warning
 * (nothing is synchronised then); in one with it, every other peer is refused: Loadstar does not synchronise
 * tables between hosts. A `disabled` section does nothing and is accepted. A table's `peers` must name a
 * section, and one with some peer or bind line (HAProxy's peers frontend).
 */
export function peersProblems(config: Config, diagnostics: Diagnostics): void {
  const local = localPeerName(config);
  for (const section of config.peers) {
    if (section.disabled) continue;
    if (!section.peers.some((p) => p.name === local)) {
      diagnostics.warn(section.section.loc, 'LS_WARN_CFG_IGNORED', `Removing incomplete section 'peers ${section.name}' (no peer named '${local}').`, 'peers');
      continue;
    }
    for (const peer of section.peers) {
      if (peer.name === local) continue;
      diagnostics.alert(peer.loc, 'LS_ERR_CFG_UNSUPPORTED', `peers '${section.name}': peer '${peer.name}' is another host (the local peer is '${local}'): synchronising stick tables between hosts is not supported by Loadstar; a peers section with only the local peer keeps tables across reloads.`, 'peers');
    }
  }
  for (const proxy of config.proxies) {
    const table = proxy.stickTable;
    if (proxy.kind === 'defaults' || table?.peers === undefined) continue;
    const section = config.peers.find((p) => p.name === table.peers);
    if (!section) diagnostics.alert(table.loc, 'LS_ERR_CFG_REFERENCE', `Proxy '${proxy.name}': unable to find sync peers '${table.peers}'.`, 'stick-table');
    else if (!section.disabled && section.peers.length === 0 && !section.bind) {
      diagnostics.alert(table.loc, 'LS_ERR_CFG_REFERENCE', `Proxy '${proxy.name}': unable to find local peer '${local}' in peers section '${section.name}'.`, 'stick-table');
    }
  }
}

/** Whether a table's peers section runs: it exists, is enabled and has the local peer (else HAProxy removed it). */
export function peersSectionRuns(config: Config, name: string): boolean {
  const section = config.peers.find((p) => p.name === name);
  return section !== undefined && !section.disabled && section.peers.some((p) => p.name === localPeerName(config));
}

registerGlobalKeywords([{
  name: 'localpeer', sections: 'g', status: SUPPORTED,
  summary: 'The name of the local peer in `peers` sections (default: the host name); only that peer is supported, for tables kept across reloads.',
  parse(ctx) {
    if (ctx.args.length !== 1) ctx.error(`'localpeer' expects only one argument.`);
  },
}]);

/** The tables peers sections declare, by their full name `<peers>/<table>`. */
export function peersTables(config: { peers: readonly Peers[] }): Array<{ name: string; table: StickTable }> {
  return config.peers.flatMap((p) => (p.tables ?? []).map((t) => ({ name: `${p.name}/${t.name}`, table: t.table })));
}
