/**
 * Layer 5, TLS (ssl_sample.c; section 7.3.4): ssl_fc* (frontend connection),
 * ssl_bc* (backend connection), ssl_c_* (client certificate), ssl_f_*
 * (frontend certificate), ssl_s_* (server certificate). What the engine
 * does not expose (backend-side TLS, secrets, certificate chains) is not
 * supported yet.
 */
import type { ArgValidator } from '../validators.ts';
import type { FetchCompiler, FetchDefinition } from './define.ts';
import { strOf as argStr } from '../validators.ts';
import { fetch, single } from './define.ts';
import { mkStr, mkInt, mkBool, mkBin } from '../eval-sample.ts';

/** ssl_c_s_dn / ssl_c_i_dn without arguments (DN entry extraction and formats are not supported yet). */
const clientDn: FetchCompiler = ({ name, args }) => {
  if (args.length) return undefined;
  const key = name === 'ssl_c_s_dn' ? 'subject' : 'issuer';
  return single((ctx) => { const v = ctx.conn.ssl ? ctx.conn.sslClientCert?.[key] : undefined; return v === undefined ? undefined : mkStr(v); });
};

const CERT_TEXT = { ssl_c_notafter: 'notAfter', ssl_c_notbefore: 'notBefore', ssl_c_sig_alg: 'sigAlg', ssl_c_key_alg: 'keyAlg' } as const;
const clientCertText: FetchCompiler = ({ name }) => {
  const key = CERT_TEXT[name as keyof typeof CERT_TEXT];
  return single((ctx) => { const v = ctx.conn.ssl ? ctx.conn.sslClientCert?.[key] : undefined; return v === undefined ? undefined : mkStr(v); });
};

const CERT_BINARY = { ssl_c_serial: 'serial', ssl_c_sha1: 'sha1', ssl_c_der: 'der' } as const;
const clientCertBinary: FetchCompiler = ({ name }) => {
  const key = CERT_BINARY[name as keyof typeof CERT_BINARY];
  return single((ctx) => { const v = ctx.conn.ssl ? ctx.conn.sslClientCert?.[key] : undefined; return v === undefined ? undefined : mkBin(v); });
};

const keySize: FetchCompiler = () =>
  single((ctx) => (ctx.conn.ssl && ctx.conn.sslCipherBits !== undefined ? mkInt(ctx.conn.sslCipherBits) : undefined));

// ---------------------------------------------------------------- argument checks (HAProxy's val_args)

const dnFormatArgs: ArgValidator = (a) => {
  const fmt = argStr(a[2]);
  return fmt && fmt !== 'rfc2253' ? 'only rfc2253 or a blank value are currently supported as the format argument.' : undefined;
};

export const SSL_FETCHES: readonly FetchDefinition[] = [
  // ssl_sample.c
  fetch(['ssl_bc', '', 'bool', 'L5SRV']),
  fetch(['ssl_bc_alg_keysize', '', 'int', 'L5SRV']),
  fetch(['ssl_bc_alpn', '', 'str', 'L5SRV']),
  fetch(['ssl_bc_cipher', '', 'str', 'L5SRV']),
  fetch(['ssl_bc_client_random', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_err', '', 'int', 'L5SRV']),
  fetch(['ssl_bc_err_str', '', 'str', 'L5SRV']),
  fetch(['ssl_bc_is_resumed', '', 'bool', 'L5SRV']),
  fetch(['ssl_bc_npn', '', 'str', 'L5SRV']),
  fetch(['ssl_bc_protocol', '', 'str', 'L5SRV']),
  fetch(['ssl_bc_server_random', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_session_id', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_session_key', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_unique_id', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_use_keysize', '', 'int', 'L5SRV']),
  fetch(['ssl_c_ca_err', '', 'int', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientCaError ?? 0) : undefined))),
  fetch(['ssl_c_ca_err_depth', '', 'int', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientCaErrorDepth ?? 0) : undefined))),
  fetch(['ssl_c_chain_der', '', 'bin', 'L5CLI']),
  fetch(['ssl_c_der', '', 'bin', 'L5CLI'], clientCertBinary),
  fetch(['ssl_c_err', '', 'int', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientError ?? 0) : undefined))),
  fetch(['ssl_c_i_dn', '[str,int,str]', 'str', 'L5CLI'], clientDn, dnFormatArgs),
  fetch(['ssl_c_key_alg', '', 'str', 'L5CLI'], clientCertText),
  fetch(['ssl_c_notafter', '', 'str', 'L5CLI'], clientCertText),
  fetch(['ssl_c_notbefore', '', 'str', 'L5CLI'], clientCertText),
  fetch(['ssl_c_s_dn', '[str,int,str]', 'str', 'L5CLI'], clientDn, dnFormatArgs),
  fetch(['ssl_c_serial', '', 'bin', 'L5CLI'], clientCertBinary),
  fetch(['ssl_c_sha1', '', 'bin', 'L5CLI'], clientCertBinary),
  fetch(['ssl_c_sig_alg', '', 'str', 'L5CLI'], clientCertText),
  fetch(['ssl_c_used', '', 'bool', 'L5CLI'], () => single((ctx) => mkBool(ctx.conn.ssl && ctx.conn.sslClientCert !== undefined))),
  fetch(['ssl_c_verify', '', 'int', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientVerify ?? 0) : undefined))),
  fetch(['ssl_c_version', '', 'int', 'L5CLI'], () => single((ctx) => { const v = ctx.conn.ssl ? ctx.conn.sslClientCert?.version : undefined; return v === undefined ? undefined : mkInt(v); })),
  fetch(['ssl_f_der', '', 'bin', 'L5CLI']),
  fetch(['ssl_f_i_dn', '[str,int,str]', 'str', 'L5CLI'], undefined, dnFormatArgs),
  fetch(['ssl_f_key_alg', '', 'str', 'L5CLI']),
  fetch(['ssl_f_notafter', '', 'str', 'L5CLI']),
  fetch(['ssl_f_notbefore', '', 'str', 'L5CLI']),
  fetch(['ssl_f_s_dn', '[str,int,str]', 'str', 'L5CLI'], undefined, dnFormatArgs),
  fetch(['ssl_f_serial', '', 'bin', 'L5CLI']),
  fetch(['ssl_f_sha1', '', 'bin', 'L5CLI']),
  fetch(['ssl_f_sig_alg', '', 'str', 'L5CLI']),
  fetch(['ssl_f_version', '', 'int', 'L5CLI']),
  fetch(['ssl_fc', '', 'bool', 'L5CLI'], () => single((ctx) => mkBool(ctx.conn.ssl))),
  fetch(['ssl_fc_alg_keysize', '', 'int', 'L5CLI'], keySize),
  fetch(['ssl_fc_alpn', '', 'str', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl && ctx.conn.sslAlpn ? mkStr(ctx.conn.sslAlpn) : undefined))),
  fetch(['ssl_fc_cipher', '', 'str', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl && ctx.conn.sslCipher ? mkStr(ctx.conn.sslCipher) : undefined))),
  fetch(['ssl_fc_cipherlist_bin', '[int]', 'str', 'L5CLI']),
  fetch(['ssl_fc_cipherlist_hex', '[int]', 'bin', 'L5CLI']),
  fetch(['ssl_fc_cipherlist_str', '[int]', 'str', 'L5CLI']),
  fetch(['ssl_fc_cipherlist_xxh', '', 'int', 'L5CLI']),
  fetch(['ssl_fc_client_early_traffic_secret', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_client_handshake_traffic_secret', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_client_random', '', 'bin', 'L5CLI']),
  fetch(['ssl_fc_client_traffic_secret_0', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_early_exporter_secret', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_ecformats_bin', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_eclist_bin', '[int]', 'str', 'L5CLI']),
  fetch(['ssl_fc_err', '', 'int', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslError ?? 0) : undefined))),
  fetch(['ssl_fc_err_str', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_exporter_secret', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_extlist_bin', '[int]', 'str', 'L5CLI']),
  fetch(['ssl_fc_has_crt', '', 'bool', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkBool(ctx.conn.sslClientCert !== undefined) : undefined))),
  fetch(['ssl_fc_has_early', '', 'bool', 'L5CLI']),
  fetch(['ssl_fc_has_sni', '', 'bool', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkBool(!!ctx.conn.sslSni) : undefined))),
  // HAProxy 2.6 answers 0 on a connection without TLS too (ssl && SSL_session_reused(ssl)): httpslog's '/0 ' on plain HTTP.
  fetch(['ssl_fc_is_resumed', '', 'bool', 'L5CLI'], () => single((ctx) => mkBool(ctx.conn.ssl === true && (ctx.conn.sslResumed ?? false)))),
  fetch(['ssl_fc_npn', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_protocol', '', 'str', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl && ctx.conn.sslProtocol ? mkStr(ctx.conn.sslProtocol) : undefined))),
  fetch(['ssl_fc_protocol_hello_id', '', 'int', 'L5CLI']),
  fetch(['ssl_fc_server_handshake_traffic_secret', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_server_random', '', 'bin', 'L5CLI']),
  fetch(['ssl_fc_server_traffic_secret_0', '', 'str', 'L5CLI']),
  fetch(['ssl_fc_session_id', '', 'bin', 'L5CLI']),
  fetch(['ssl_fc_session_key', '', 'bin', 'L5CLI']),
  fetch(['ssl_fc_sni', '', 'str', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl && ctx.conn.sslSni ? mkStr(ctx.conn.sslSni) : undefined))),
  fetch(['ssl_fc_unique_id', '', 'bin', 'L5CLI']),
  fetch(['ssl_fc_use_keysize', '', 'int', 'L5CLI'], keySize),
  fetch(['ssl_s_chain_der', '', 'bin', 'L5CLI']),
  fetch(['ssl_s_der', '', 'bin', 'L5CLI']),
  fetch(['ssl_s_i_dn', '[str,int,str]', 'str', 'L5CLI'], undefined, dnFormatArgs),
  fetch(['ssl_s_key_alg', '', 'str', 'L5CLI']),
  fetch(['ssl_s_notafter', '', 'str', 'L5CLI']),
  fetch(['ssl_s_notbefore', '', 'str', 'L5CLI']),
  fetch(['ssl_s_s_dn', '[str,int,str]', 'str', 'L5CLI'], undefined, dnFormatArgs),
  fetch(['ssl_s_serial', '', 'bin', 'L5CLI']),
  fetch(['ssl_s_sha1', '', 'bin', 'L5CLI']),
  fetch(['ssl_s_sig_alg', '', 'str', 'L5CLI']),
  fetch(['ssl_s_version', '', 'int', 'L5CLI']),
];
