/**
 * TLS towards servers (`server … ssl`, `check-ssl`): verification (`verify`,
 * `ca-file`, `crl-file`, global `ssl-server-verify`), SNI (`sni <expr>` for traffic,
 * `check-sni` for checks), host name check (`verifyhost`, else the SNI sent,
 * else none — HAProxy 2.6's rule), the client certificate (`crt`), versions
 * (`ssl-min-ver`, `force-*`, `no-*`), ciphers, curves and sigalgs, over the global
 * `ssl-default-server-*` defaults. The secure context is built once per load, as
 * HAProxy builds one SSL_CTX per server: connections only add the SNI. A server with a
 * client certificate is also a user of its CA and CRL files in the runtime API's CA file
 * tree (serverTrustUser): `commit ssl ca-file` builds its context again.
 */
import tls from 'node:tls';
import fs from 'node:fs';
import type { Config, Server } from '../config/model.ts';
import { compileSample, parseSampleExpression, sampleToString } from '../acl/index.ts';
import type { SampleContext } from '../acl/index.ts';
import { loadCaFile, loadCertificate } from './pem.ts';
import { resolveCertPath } from '../config/kw-bind.ts';
import { trustFileKey } from './client-trust.ts';
import type { CommittedTrust } from './client-trust.ts';
import type { TrustUsingBind } from './runtime-cafiles.ts';
import { serverVersions } from './versions.ts';
import { TlsLoadError } from '../errors.ts';
import type { SslConns } from './ssl-conns.ts';

export interface ServerTls {
  /** Options for tls.connect, without servername. */
  base: tls.ConnectionOptions;
  /** The SNI of a request (undefined: none sent), from the `sni` expression. */
  sni: ((ctx: SampleContext) => string | undefined) | undefined;
  /** The process's TLS endpoints (`maxsslconn`): each connection takes a slot; undefined: not counted. */
  sslConns?: SslConns;
}

/**
 * TLS settings for traffic to `server`, or undefined when it is plain TCP. Throws TlsLoadError.
 * `committed`: CA and CRL contents committed over the runtime API, read instead of the files.
 */
export function serverTls(server: Server, config: Config, proxyName = '', committed?: CommittedTrust): ServerTls | undefined {
  if (!server.options.ssl) return undefined;
  return { base: connectOptions(server, config, server.options.sni !== undefined, proxyName, committed), sni: compileSni(server.options.sni) };
}

/**
 * The server as a user of the CA file tree (HAProxy's server ckch instance, ckch_inst_add_cafile_link):
 * only a server with a client certificate (`crt`) has an instance, linked to its `ca-file` and
 * `crl-file` when it verifies the server's certificate. Without `crt`, a commit leaves the server's
 * context as it is (haproxy 2.6.12 does the same). `prepareTrust` builds the context again with
 * the committed contents; its install gives it to `settings` (new connections take it; pooled ones
 * keep theirs), then runs `installed` (the engine forgets the server's TLS sessions there, as HAProxy
 * flushes its session cache). Undefined when the server has no instance.
 */
export function serverTrustUser(server: Server, config: Config, proxyName: string, settings: ServerTls, committed: CommittedTrust, installed: () => void): TrustUsingBind | undefined {
  const o = server.options;
  if (!o.ssl || o.crt === undefined || !verifies(server, config)) return undefined;
  const files: Array<{ path: string; kind: 'ca' | 'crl'; instances: number }> = [];
  if (o.caFile !== undefined) files.push({ path: trustFileKey(o.caFile, config.global.caBase), kind: 'ca', instances: 1 });
  if (o.crlFile !== undefined) files.push({ path: trustFileKey(o.crlFile, config.global.caBase), kind: 'crl', instances: 1 });
  if (files.length === 0) return undefined;
  return {
    trustFiles: () => files,
    prepareTrust: () => {
      const base = connectOptions(server, config, o.sni !== undefined, proxyName, committed);
      return {
        install: () => {
          settings.base = base;
          installed();
        },
        count: 1,
      };
    },
  };
}

/** `verify` on the server, else the global `ssl-server-verify` (required by default). */
function verifies(server: Server, config: Config): boolean {
  return (server.options.verify ?? config.global.tune['ssl-server-verify'] ?? 'required') === 'required';
}

/** `check-ssl`, else `ssl` when the checks go to the server's own address and port (HAProxy's check.use_ssl, init_srv_check). */
function checksUseTls(server: Server): boolean {
  const o = server.options;
  return o.checkSsl ?? (o.ssl === true && o.port === undefined && o.addr === undefined);
}

/**
 * TLS settings for health checks: `check-ssl`, or `ssl` on a server whose checks go to the
 * same place (no `port`/`addr`), as HAProxy does. The SNI is `check-sni` only. The same
 * context as traffic: versions, ciphers, client certificate and CRL apply to checks too.
 */
export function checkTls(server: Server, config: Config, proxyName = '', committed?: CommittedTrust): tls.ConnectionOptions | undefined {
  const o = server.options;
  if (!checksUseTls(server)) return undefined;
  // `check-alpn` (an HTTP check speaks what it agrees on: h2 or HTTP/1.1), else the server's `alpn`, as
  // HAProxy offers it; HAProxy then speaks HTTP/1.1 whatever was agreed, so h2 is not offered from it.
  const alpn = o.checkAlpn ?? o.alpn?.filter((p) => p !== 'h2');
  return {
    ...connectOptions(server, config, o.checkSni !== undefined, proxyName, committed),
    ...(o.checkSni ? { servername: o.checkSni } : {}),
    ...(alpn && alpn.length > 0 ? { ALPNProtocols: alpn } : {}),
  };
}

/**
 * The TLS options of a `tcp-check connect` / `http-check connect` line that connects over TLS: with
 * `ssl`, or with `default` on a server whose checks use TLS (checkTls). HAProxy uses the server's SSL
 * context either way (ssl_sock_prepare_srv_ctx, run for a proxy with such a line: PR_O_TCPCHK_SSL),
 * the line's `sni` / `alpn`, else with `default` the server's check-sni / check-alpn (tcpcheck_eval_connect).
 * Undefined for a plain connect. An HTTP check speaks what the handshake agreed on (h2 or HTTP/1.1).
 */
export function connectRuleTls(
  server: Server,
  config: Config,
  proxyName: string,
  rule: { ssl: boolean; default?: boolean; sni?: string; alpn?: string },
  committed?: CommittedTrust,
): tls.ConnectionOptions | undefined {
  if (!rule.ssl && !(rule.default && checksUseTls(server))) return undefined;
  const o = server.options;
  const sni = rule.sni ?? (rule.default ? o.checkSni : undefined);
  const alpn = (rule.alpn !== undefined ? rule.alpn.split(',') : rule.default ? o.checkAlpn : undefined)?.filter((p) => p !== '');
  return {
    ...connectOptions(server, config, sni !== undefined, proxyName, committed),
    ...(sni ? { servername: sni } : {}),
    ...(alpn && alpn.length > 0 ? { ALPNProtocols: alpn } : {}),
  };
}

/** HAProxy's (OpenSSL's) TLS 1.3 suites when none are configured; Node needs them named next to `ciphers`. */
const OPENSSL_DEFAULT_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

function connectOptions(server: Server, config: Config, sendsSni: boolean, proxyName: string, committed?: CommittedTrust): tls.ConnectionOptions {
  const o = server.options;
  const fail = (detail: string): never => { throw new TlsLoadError(server.loc, `'server ${proxyName ? `${proxyName}/` : ''}${server.name}' : ${detail}`); };
  const verify = verifies(server, config);
  const defaults = config.global.sslDefaultServer;
  const versions = serverVersions(defaults.options, o, { proxy: proxyName, server: server.name });
  if (!versions.range) return fail(versions.error!);
  const context: tls.SecureContextOptions = { minVersion: versions.range.min, maxVersion: versions.range.max, ciphers: cipherList(o.ciphersuites ?? defaults.ciphersuites, o.ciphers ?? defaults.ciphers, fail) };
  if (o.curves !== undefined) context.ecdhCurve = o.curves;
  if (o.sigalgs !== undefined) context.sigalgs = o.sigalgs;
  if (o.crt !== undefined) {
    try {
      // A client certificate staples nothing: HAProxy reads no .ocsp for a server's `crt` (ckch_inst_new_load_srv_store).
      const cert = loadCertificate(resolveCertPath(o.crt, config.global.crtBase), { ...config.global.certKeyFiles, ocsp: false });
      context.cert = cert.certPem;
      context.key = cert.keyPem;
    } catch (e) {
      fail(`unable to load SSL certificate from file '${o.crt}' : ${(e as Error).message}`);
    }
  }
  // As HAProxy: the CA file and the CRL only matter when the certificate is verified.
  const caBase = config.global.caBase;
  if (verify && o.caFile !== undefined) {
    const stored = committed?.(trustFileKey(o.caFile, caBase));
    try {
      context.ca = stored ? stored.ca : loadCaFile(resolveCertPath(o.caFile, caBase));
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (verify && o.crlFile !== undefined) {
    const file = resolveCertPath(o.crlFile, caBase);
    const stored = committed?.(trustFileKey(o.crlFile, caBase));
    try {
      context.crl = stored ? stored.crl : fs.readFileSync(file, 'latin1');
    } catch (e) {
      fail(`unable to configure CRL file '${file}' : ${(e as Error).message}`);
    }
  }
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext(context);
  } catch (e) {
    const message = (e as Error).message;
    if (/cipher/i.test(message)) return fail(`unable to set SSL cipher list to '${o.ciphers ?? defaults.ciphers ?? ''}'.`);
    if (/curve/i.test(message) && o.curves !== undefined) return fail(`unable to set curves list to '${o.curves}'.`);
    if (/sigalg/i.test(message) && o.sigalgs !== undefined) return fail(`unable to set signature algorithms to '${o.sigalgs}'.`);
    if (context.crl !== undefined && /crl/i.test(message)) return fail(`unable to configure CRL file '${o.crlFile}'.`);
    return fail(message);
  }
  return {
    secureContext,
    rejectUnauthorized: verify,
    // The host name check follows HAProxy: verifyhost, else the SNI sent, else none.
    // (Node passes the host when no SNI is sent; HAProxy checks nothing then.)
    checkServerIdentity: (sent, cert) => {
      const expected = o.verifyhost ?? (sendsSni && sent ? sent : undefined);
      return expected === undefined ? undefined : tls.checkServerIdentity(expected, cert);
    },
  };
}

/**
 * HAProxy keeps TLS 1.3 suites (`ciphersuites`) apart from older ciphers (`ciphers`); Node takes
 * one list and caps the version at TLS 1.2 when it names no TLS_ suite, so both are always named.
 */
function cipherList(suites: string | undefined, ciphers: string | undefined, fail: (detail: string) => never): string {
  if (suites !== undefined && suites.split(':').some((s) => !s.startsWith('TLS_'))) fail(`unable to set TLS 1.3 cipher suites to '${suites}'.`);
  if (ciphers !== undefined && ciphers.split(':').some((c) => c.startsWith('TLS_'))) fail(`unable to set SSL cipher list to '${ciphers}'.`);
  return `${suites || OPENSSL_DEFAULT_SUITES}:${ciphers || 'DEFAULT'}`;
}

function compileSni(expression: string | undefined): ServerTls['sni'] {
  if (expression === undefined) return undefined;
  const parsed = parseSampleExpression(expression);
  if ('error' in parsed) throw new Error(`invalid sni expression '${expression}' (the parser accepted it)`);
  const evaluate = compileSample(parsed.expr);
  return (ctx) => {
    const sample = evaluate(ctx);
    const name = sample === undefined ? undefined : sampleToString(sample);
    return name ? name : undefined;
  };
}

/** The TLS settings of every `ssl` server of a backend, by server name; throws TlsLoadError. */
export function backendServerTls(proxy: { name: string; servers: readonly Server[] }, config: Config, sslConns?: SslConns, committed?: CommittedTrust): Map<string, ServerTls> {
  const result = new Map<string, ServerTls>();
  for (const server of proxy.servers) {
    const settings = serverTls(server, config, proxy.name, committed);
    if (settings) result.set(server.name, sslConns ? { ...settings, sslConns } : settings);
  }
  return result;
}

/**
 * The CA and CRL files of the CA file tree that no bind names (runtime-cafiles.ts): the servers'
 * `ca-file` and `crl-file` (HAProxy reads them while parsing, whatever `verify` says), and the
 * trust of HAProxy's internal HTTP client — `httpclient.ssl.ca-file`, else `@system-ca`, none with
 * `httpclient.ssl.verify none` — which haproxy 2.6 lists too.
 */
export function otherTrustFiles(config: Config): Array<{ path: string; kind: 'ca' | 'crl' }> {
  const out: Array<{ path: string; kind: 'ca' | 'crl' }> = [];
  const caBase = config.global.caBase;
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults' || proxy.disabled) continue;
    for (const server of proxy.servers) {
      if (server.options.caFile !== undefined) out.push({ path: trustFileKey(server.options.caFile, caBase), kind: 'ca' });
      if (server.options.crlFile !== undefined) out.push({ path: trustFileKey(server.options.crlFile, caBase), kind: 'crl' });
    }
  }
  const client = config.global.httpclient;
  if (client?.verify !== 'none') out.push({ path: client?.caFile ? trustFileKey(client.caFile.file, caBase) : '@system-ca', kind: 'ca' });
  return out;
}
