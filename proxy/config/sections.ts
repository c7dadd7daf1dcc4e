/** Creating the typed objects behind each section kind. */
import type { ParsedProxy, ProxyKind, Section, Resolvers, Userlist, ParsedConfig, Peers, Mailers, Program } from './model.ts';

export function newProxy(kind: ProxyKind, section: Section): ParsedProxy {
  return {
    kind,
    name: section.name,
    section,
    binds: [],
    servers: [],
    serverTemplates: [],
    defaultServer: {},
    timeouts: {},
    options: {},
    acls: new Map(),
    switchingRules: [],
    serverRules: [],
    persistRules: [],
    httpRequestRules: [],
    httpResponseRules: [],
    httpAfterResponseRules: [],
    redirectRules: [],
    tcpRequestRules: [],
    httpCheckRules: [],
    httpCheckDisableOn404: false,
    tcpCheckRules: [],
    stickRules: [],
    stats: { enabled: false, auth: [], admin: [], httpRequest: [], hideVersion: false, showLegends: false, scope: [] },
    logs: [],
    noLog: false,
    captures: [],
    monitorFail: [],
    errorDirectives: [],
    errorfiles: new Map(),
    compression: { algorithms: [], types: [], offload: false },
    disabled: false,
  };
}

export function newResolvers(section: Section): Resolvers {
  return { name: section.name, section, nameservers: [], parseResolvConf: false, hold: {}, timeouts: {} };
}

export function newPeers(section: Section): Peers {
  return { name: section.name, section, disabled: false, peers: [], bind: false };
}

export function newMailers(section: Section): Mailers {
  // HAProxy's DEF_MAILALERTTIME.
  return { name: section.name, section, mailers: [], timeoutMail: 10_000 };
}

export function newProgram(section: Section): Program {
  return { name: section.name, section, startOnReload: true };
}

export function newUserlist(section: Section): Userlist {
  return { name: section.name, section, users: [], groups: [] };
}

export function newConfig(): ParsedConfig {
  return {
    sections: [],
    trailingComments: [],
    global: {
      daemon: false,
      logs: [],
      statsSockets: [],
      sslDefaultBind: { options: [] },
      sslDefaultServer: { options: [] },
      certKeyFiles: { companionKey: true, deleteCrtExtension: false, bundle: true, ocsp: true, issuer: true },
      tune: {},
    },
    proxies: [],
    resolvers: [],
    userlists: [],
    httpErrors: [],
    peers: [],
    mailers: [],
    caches: [],
    rings: [],
    fcgiApps: [],
    programs: [],
    logForwards: [],
  };
}

/**
 * How HAProxy names a section in its rule messages: "backend 'app'"; a listen section, which is
 * both a frontend and a backend, is "proxy 'app'" (proxy_cap_str).
 */
export function sectionLabel(section: Pick<Section, 'kind' | 'name'>): string {
  const kind = section.kind === 'listen' ? 'proxy' : section.kind;
  return section.name ? `${kind} '${section.name}'` : kind;
}
