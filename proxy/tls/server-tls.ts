/**
 * TLS towards servers (`server … ssl`, `check-ssl`): verification (`verify`,
 * `ca-file`, global `ssl-server-verify`), SNI (`sni <expr>` for traffic,
 * `check-sni` for checks), host name check (`verifyhost`, else the SNI sent,
 * else none — HAProxy 2.6's rule), versions and ciphers with the global
 * `ssl-default-server-*` defaults.
 */
import tls from 'node:tls';
import type { Config, Server } from '../config/model.ts';
import { compileSample, parseSampleExpression, sampleToString } from '../acl/index.ts';
import type { SampleContext } from '../acl/index.ts';
import { loadCaFile } from './pem.ts';
import { resolveCertPath } from '../config/kw-bind.ts';
import { versionRange } from './versions.ts';
import { TlsLoadError } from '../errors.ts';

export interface ServerTls {
  /** Options for tls.connect, without servername. */
  base: tls.ConnectionOptions;
  /** The SNI of a request (undefined: none sent), from the `sni` expression. */
  sni: ((ctx: SampleContext) => string | undefined) | undefined;
}

/** TLS settings for traffic to `server`, or undefined when it is plain TCP. Throws TlsLoadError. */
export function serverTls(server: Server, config: Config): ServerTls | undefined {
  if (!server.options.ssl) return undefined;
  return { base: connectOptions(server, config, server.options.sni !== undefined), sni: compileSni(server.options.sni) };
}

/**
 * TLS settings for health checks: `check-ssl`, or `ssl` on a server whose checks go to the
 * same place (no `port`/`addr`), as HAProxy does. The SNI is `check-sni` only.
 */
export function checkTls(server: Server, config: Config): tls.ConnectionOptions | undefined {
  const o = server.options;
  const useTls = o.checkSsl ?? (o.ssl === true && o.port === undefined && o.addr === undefined);
  if (!useTls) return undefined;
  // `check-alpn`, else the server's `alpn` (HAProxy's rule), without h2: the checks speak HTTP/1.1.
  const alpn = (o.checkAlpn ?? o.alpn)?.filter((p) => p !== 'h2');
  return {
    ...connectOptions(server, config, o.checkSni !== undefined),
    ...(o.checkSni ? { servername: o.checkSni } : {}),
    ...(alpn && alpn.length > 0 ? { ALPNProtocols: alpn } : {}),
  };
}

function connectOptions(server: Server, config: Config, sendsSni: boolean): tls.ConnectionOptions {
  const o = server.options;
  const verify = (o.verify ?? config.global.tune['ssl-server-verify'] ?? 'required') === 'required';
  const defaults = config.global.sslDefaultServer;
  const range = versionRange(defaults.options);
  if (typeof range === 'string') throw new TlsLoadError(server.loc, range);
  const options: tls.ConnectionOptions = {
    rejectUnauthorized: verify,
    minVersion: range.min,
    maxVersion: range.max,
    ...(defaults.ciphers || defaults.ciphersuites ? { ciphers: [defaults.ciphersuites, defaults.ciphers].filter(Boolean).join(':') } : {}),
    // The host name check follows HAProxy: verifyhost, else the SNI sent, else none.
    // (Node passes the host when no SNI is sent; HAProxy checks nothing then.)
    checkServerIdentity: (sent, cert) => {
      const expected = o.verifyhost ?? (sendsSni && sent ? sent : undefined);
      return expected === undefined ? undefined : tls.checkServerIdentity(expected, cert);
    },
  };
  if (verify && o.caFile !== undefined) {
    const file = resolveCertPath(o.caFile, config.global.caBase);
    try {
      options.ca = loadCaFile(file);
    } catch (e) {
      throw new TlsLoadError(server.loc, `'server ${server.name}' : ${(e as Error).message}`);
    }
  }
  return options;
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
export function backendServerTls(proxy: { servers: readonly Server[] }, config: Config): Map<string, ServerTls> {
  const result = new Map<string, ServerTls>();
  for (const server of proxy.servers) {
    const settings = serverTls(server, config);
    if (settings) result.set(server.name, settings);
  }
  return result;
}
