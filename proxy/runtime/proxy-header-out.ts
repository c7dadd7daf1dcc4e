/**
 * The PROXY header a server's connections start with (`send-proxy`, `send-proxy-v2`,
 * `proxy-v2-options`, `send-proxy-v2-ssl[-cn]`), compiled once per server: undefined for a
 * server without them, so its connections pay nothing. HAProxy's make_proxy_line: v2 wins when
 * both are set; the addresses are the client connection's as the stream sees them (after a
 * PROXY header it received, or `set-src`).
 */
import type { ConnectionInfo } from '../acl/index.ts';
import type { ServerOptions } from '../config/model.ts';
import { proxyHeaderV2, proxyLineV1, type V2Extras } from './proxy-protocol.ts';

/** What a header is made of for one client connection; `uniqueId` is asked only with `proxy-v2-options unique-id`. */
export type ProxyHeaderMaker = (conn: ConnectionInfo, uniqueId: () => string | undefined) => Buffer;

export function compileProxyHeader(options: ServerOptions): ProxyHeaderMaker | undefined {
  if (options.sendProxyV2) {
    const set = new Set(options.proxyV2Options ?? []);
    return (conn, uniqueId) => proxyHeaderV2(endpointsOf(conn), v2Extras(conn, set, uniqueId));
  }
  if (options.sendProxy) return (conn) => proxyLineV1(endpointsOf(conn));
  return undefined;
}

/**
 * The header of a health check (`check-send-proxy`, or the server's own when checks go to its
 * address): v1 describes the check's own connection, v2 is a LOCAL command (HAProxy 2.6 without
 * `pp2-never-send-local`; with it, a PROXY command with the check connection's addresses) with
 * the CRC32C TLV when asked.
 */
export function checkProxyHeader(options: ServerOptions, own: { src?: string; srcPort?: number; dst?: string; dstPort?: number }, neverSendLocal = false): Buffer {
  const complete = own.src && own.dst && own.srcPort !== undefined && own.dstPort !== undefined;
  const endpoints = complete ? { src: own.src!, srcPort: own.srcPort!, dst: own.dst!, dstPort: own.dstPort! } : undefined;
  // make_proxy_line_v2: LOCAL for a connection HAProxy made itself, unless `pp2-never-send-local`.
  if (options.sendProxyV2) return proxyHeaderV2(neverSendLocal ? endpoints : undefined, { crc32c: options.proxyV2Options?.includes('crc32c') });
  return proxyLineV1(endpoints);
}

function endpointsOf(conn: ConnectionInfo): { src: string; srcPort: number; dst: string; dstPort: number } | undefined {
  return conn.src && conn.dst ? { src: conn.src, srcPort: conn.srcPort, dst: conn.dst, dstPort: conn.dstPort } : undefined;
}

/** make_proxy_line_v2's TLVs: CRC32C, the client's ALPN, authority, unique id, then the SSL TLV. */
function v2Extras(conn: ConnectionInfo, set: ReadonlySet<string>, uniqueId: () => string | undefined): V2Extras {
  const extras: V2Extras = {};
  if (set.has('crc32c')) extras.crc32c = true;
  if (conn.sslAlpn) extras.alpn = conn.sslAlpn;
  if (set.has('authority')) {
    // The authority a PROXY header brought, else the SNI the client sent.
    const authority = conn.ppAuthority ?? conn.sslSni;
    if (authority !== undefined) extras.authority = authority;
  }
  if (set.has('unique-id')) extras.uniqueId = uniqueId() ?? '';
  if (set.has('ssl')) {
    if (!conn.ssl) extras.ssl = {};
    else {
      const cert = conn.sslClientCert;
      const cn = set.has('cert-cn') ? cert?.subject?.entries.find((e) => e.name === 'CN')?.value : undefined;
      extras.ssl = {
        client: {
          version: conn.sslProtocol,
          certInSession: cert !== undefined,
          certInConnection: cert !== undefined,
          verify: conn.sslClientVerify ?? 0,
          cn,
          cipher: set.has('ssl-cipher') ? conn.sslCipher : undefined,
        },
      };
    }
  }
  return extras;
}
