/** The bridge between TCP connections and the compiled ACL/sample language. */
import type net from 'node:net';
import { compileCondition } from '../acl/index.ts';
import type { Condition, SampleContext } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import type { LbRequest } from '../balance/index.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { plainAddress } from '../http/samples.ts';

export type ConnPredicate = (socket: net.Socket, proxy: Proxy) => boolean;

export function connContext(socket: net.Socket, proxy: Proxy): SampleContext {
  return {
    conn: {
      src: socket.remoteAddress ?? '',
      srcPort: socket.remotePort ?? 0,
      dst: socket.localAddress ?? '',
      dstPort: socket.localPort ?? 0,
      frontend: proxy.name,
      defaultBackend: proxy.defaultBackend?.name,
      ssl: false,
    },
  };
}

export function compileConnCondition(condition: Condition, proxy: Proxy): ConnPredicate {
  const test = compileCondition(condition, proxy.acls, { readFile: patternFileReader, currentProxy: proxy.name });
  return (socket) => test(connContext(socket, proxy));
}

export function connLbRequest(socket: net.Socket): LbRequest {
  return { source: plainAddress(socket.remoteAddress) };
}
