/**
 * The bridge between HTTP transactions and the compiled ACL/sample language
 * (proxy/acl/): builds the SampleContext fetches read, and compiles
 * conditions and log-format values against it once per configuration load.
 */
import { compileCondition, compileLogFormat, parseLogFormat } from '../acl/index.ts';
import type { Condition, LogFormatToken, SampleContext, ConnectionInfo } from '../acl/index.ts';
import type { Proxy } from '../config/model.ts';
import type { HttpTransaction } from './transaction.ts';
import type net from 'node:net';
import type { HttpFrontend } from './frontend.ts';
import { tlsFacts } from '../tls/facts.ts';
import { proxyHeaderFacts } from '../runtime/proxy-header-reader.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';

export type TxPredicate = (tx: HttpTransaction) => boolean;
export type TxFormat = (tx: HttpTransaction) => string;

export function compileTxCondition(condition: Condition, proxy: Proxy): TxPredicate {
  const test = compileCondition(condition, proxy.acls, { readFile: patternFileReader, currentProxy: proxy.name });
  return (tx) => test(tx.sampleContext());
}

/** A log-format value (set-header, redirect location …); plain text compiles to a constant. */
export const compileTxFormat = Object.assign(
  (tokens: readonly LogFormatToken[]): TxFormat => {
    if (tokens.every((t) => t.kind === 'text')) {
      const text = tokens.map((t) => (t.kind === 'text' ? t.text : '')).join('');
      return () => text;
    }
    const render = compileLogFormat(tokens, { readFile: patternFileReader, http: true });
    return (tx) => render(tx.sampleContext());
  },
  {
    /** Parses a log-format string already validated by the configuration parser. */
    parse(text: string): LogFormatToken[] {
      const parsed = parseLogFormat(text);
      if ('error' in parsed) throw new Error(`invalid log-format '${text}': ${parsed.error}`);
      return parsed.tokens;
    },
  },
);

/** Per-connection facts, computed once per client connection. */
export function connectionInfo(client: { socket: net.Socket; frontend: HttpFrontend }): ConnectionInfo {
  const s = client.socket;
  return {
    src: s.remoteAddress ?? '',
    srcPort: s.remotePort ?? 0,
    dst: s.localAddress ?? '',
    dstPort: s.localPort ?? 0,
    frontend: client.frontend.name,
    defaultBackend: client.frontend.config.defaultBackend?.name,
    ...tlsFacts(s),
    ...proxyHeaderFacts(s),
  };
}

export function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

export type { SampleContext };
