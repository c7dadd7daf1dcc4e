/** `option forwardfor` and `option originalto`: the client address, and the address it connected to, for the server. */
import net from 'node:net';
import type { Proxy } from '../config/model.ts';
import { parseNetwork } from '../config/values.ts';
import { getHeader } from './headers.ts';
import type { HttpTransaction } from './transaction.ts';

export interface ForwardFor {
  header: string;
  ifNone: boolean;
  except?: net.BlockList;
}

export function compileForwardFor(proxy: Proxy): ForwardFor | undefined {
  const option = proxy.options['forwardfor'];
  if (!option?.enabled) return undefined;
  // Lower case, as HAProxy 2.6 sends every header name (HTX).
  const result: ForwardFor = { header: 'x-forwarded-for', ifNone: false };
  const a = option.args;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 'if-none') result.ifNone = true;
    else if (a[i] === 'header') result.header = a[++i]!.toLowerCase();
    else if (a[i] === 'except') {
      const [address, bits] = a[++i]!.split('/');
      const family = net.isIP(address!) === 6 ? 'ipv6' : 'ipv4';
      result.except = new net.BlockList();
      result.except.addSubnet(address!, bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits), family);
    }
  }
  return result;
}

/** The header line to add (with CRLF), or '' when the address is excepted or the header exists with if-none. */
export function forwardedForHeader(ff: ForwardFor, tx: HttpTransaction): string {
  // The address http-request set-src gave this request, else the connection's.
  const address = (tx.addressesRewritten ? tx.sampleContext().conn : tx.client.connectionInfo()).src;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (ff.except?.check(plain, net.isIP(plain) === 6 ? 'ipv6' : 'ipv4')) return '';
  if (ff.ifNone && getHeader(tx.request.headers, ff.header) !== undefined) return '';
  return `${ff.header}: ${plain}\r\n`;
}

/** `option originalto [except NET] [header NAME]` of one proxy. */
export interface OriginalTo {
  header: string;
  except?: net.BlockList;
}

export function compileOriginalTo(proxy: Proxy): OriginalTo | undefined {
  const option = proxy.options['originalto'];
  if (!option?.enabled) return undefined;
  // Lower case, as HAProxy 2.6 sends every header name (HTX).
  const result: OriginalTo = { header: 'x-original-to' };
  const a = option.args;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] === 'header') result.header = a[i + 1]!.toLowerCase();
    else if (a[i] === 'except') {
      const network = parseNetwork(a[i + 1]!);
      if (!network) continue;
      result.except = new net.BlockList();
      result.except.addSubnet(network.address, network.bits, network.family);
    }
  }
  return result;
}

/**
 * The X-Original-To line (with CRLF) when the frontend or the backend asks for it, as HAProxy 2.6's
 * http_process_request adds it: the address the client connected to, unless either proxy's `except`
 * covers it; named as the backend's option names it, else as the frontend's.
 */
export function originalToHeader(frontend: OriginalTo | undefined, backend: OriginalTo | undefined, tx: HttpTransaction): string {
  const address = tx.client.connectionInfo().dst;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  const family = net.isIP(plain) === 6 ? 'ipv6' : 'ipv4';
  if (frontend?.except?.check(plain, family) || backend?.except?.check(plain, family)) return '';
  return `${(backend ?? frontend)!.header}: ${plain}\r\n`;
}
