/**
 * `force-tlsv1x` on a bind and in global `ssl-default-bind-options`: HAProxy sets both version
 * bounds to that version, and a later `ssl-min-ver` / `ssl-max-ver` moves one of them. Compared
 * with HAProxy 2.6.12: the version a client gets, or the alert a client limited to another gets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { certPath } from '../../helpers/tls.ts';

function config(p: number[], globalOptions = ''): string {
  return `global
${globalOptions}
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f12
    bind 127.0.0.1:${p[0]} ssl crt ${certPath('site.pem')} force-tlsv12
    http-request return status 200
frontend f12up
    bind 127.0.0.1:${p[1]} ssl crt ${certPath('site.pem')} force-tlsv12 ssl-max-ver TLSv1.3
    http-request return status 200
frontend global
    bind 127.0.0.1:${p[2]} ssl crt ${certPath('site.pem')}
    http-request return status 200
`;
}

/** The protocol a client limited to [min, max] negotiates, or its TLS error code. */
function negotiate(port: number, min: tls.SecureVersion, max: tls.SecureVersion): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: min, maxVersion: max }, () => {
      resolve(socket.getProtocol() ?? '?');
      socket.end();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function runCases(p: number[]): Promise<Record<string, string>> {
  return {
    'force-tlsv12, any client': await negotiate(p[0]!, 'TLSv1.2', 'TLSv1.3'),
    'force-tlsv12, TLS 1.3 only': await negotiate(p[0]!, 'TLSv1.3', 'TLSv1.3'),
    'force-tlsv12 then ssl-max-ver TLSv1.3': await negotiate(p[1]!, 'TLSv1.2', 'TLSv1.3'),
    'global force-tlsv13, TLS 1.2 only': await negotiate(p[2]!, 'TLSv1.2', 'TLSv1.2'),
    'global force-tlsv13, any client': await negotiate(p[2]!, 'TLSv1.2', 'TLSv1.3'),
  };
}

/** Recorded from HAProxy 2.6.12. */
const RECORDED = {
  'force-tlsv12, any client': 'TLSv1.2',
  'force-tlsv12, TLS 1.3 only': 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'force-tlsv12 then ssl-max-ver TLSv1.3': 'TLSv1.3',
  'global force-tlsv13, TLS 1.2 only': 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'global force-tlsv13, any client': 'TLSv1.3',
};

const GLOBAL = '    ssl-default-bind-options force-tlsv13';

test('force-tlsv12 on a bind and force-tlsv13 in ssl-default-bind-options pin the version, as HAProxy', async () => {
  const p = [await freePort(), await freePort(), await freePort()];
  const proxy = await startEngine(config(p, GLOBAL));
  try {
    assert.deepEqual(await runCases(p), RECORDED);
  } finally {
    await proxy.stop();
  }
});

test('haproxy 2.6 gives the recorded versions for force-tlsv1x', async (t) => {
  if (!requireHaproxy(t)) return;
  const p = [await freePort(), await freePort(), await freePort()];
  const haproxy = await startHaproxy(config(p, GLOBAL), p[2]!);
  try {
    assert.deepEqual(await runCases(p), RECORDED);
  } finally {
    await haproxy.stop();
  }
});
