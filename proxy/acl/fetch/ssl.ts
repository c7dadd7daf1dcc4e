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
import type { SampleContext, ClientCertInfo, DistinguishedName } from '../context.ts';

/** The certificate a ssl_c_* (client's) or ssl_f_* (the frontend's own) fetch reads. */
function certOf(name: string): (ctx: SampleContext) => ClientCertInfo | undefined {
  return name.startsWith('ssl_f_')
    ? (ctx) => (ctx.conn.ssl ? ctx.conn.sslFrontendCert : undefined)
    : (ctx) => (ctx.conn.ssl ? ctx.conn.sslClientCert : undefined);
}

/**
 * ssl_{c,f}_{s,i}_dn([entry[,occ[,format]]]): the whole DN ('/C=FR/CN=x'), the occ-th value of an
 * entry (1 = first, -1 = last; 0 matches none), or with an empty entry the DN in the given format
 * (rfc2253), as smp_fetch_ssl_x_{s,i}_dn.
 */
const certDn: FetchCompiler = ({ name, args }) => {
  const cert = certOf(name);
  const key = name.endsWith('_s_dn') ? 'subject' : 'issuer';
  const entry = argStr(args[0]);
  const format = argStr(args[2]);
  let pick: (dn: DistinguishedName) => string | undefined;
  if (entry) {
    const occ = args[1]?.type === 'int' ? args[1].value : 1;
    const wanted = entry.toLowerCase();
    pick = (dn) => {
      const matches = dn.entries.filter((e) => e.name.toLowerCase() === wanted);
      return occ > 0 ? matches[occ - 1]?.value : occ < 0 ? matches[matches.length + occ]?.value : undefined;
    };
  } else if (format) pick = (dn) => dn.rfc2253;
  else pick = (dn) => (dn.entries.length > 0 ? dn.oneline : undefined);
  return single((ctx) => {
    const dn = cert(ctx)?.[key];
    const v = dn && pick(dn);
    return v === undefined ? undefined : mkStr(v);
  });
};

const CERT_TEXT = { notafter: 'notAfter', notbefore: 'notBefore', sig_alg: 'sigAlg', key_alg: 'keyAlg' } as const;
const certText: FetchCompiler = ({ name }) => {
  const cert = certOf(name);
  const key = CERT_TEXT[name.slice(6) as keyof typeof CERT_TEXT];
  return single((ctx) => { const v = cert(ctx)?.[key]; return v === undefined ? undefined : mkStr(v); });
};

const CERT_BINARY = { serial: 'serial', sha1: 'sha1', der: 'der' } as const;
const certBinary: FetchCompiler = ({ name }) => {
  const cert = certOf(name);
  const key = CERT_BINARY[name.slice(6) as keyof typeof CERT_BINARY];
  return single((ctx) => { const v = cert(ctx)?.[key]; return v === undefined ? undefined : mkBin(v); });
};

const certVersion: FetchCompiler = ({ name }) => {
  const cert = certOf(name);
  return single((ctx) => { const v = cert(ctx)?.version; return v === undefined ? undefined : mkInt(v); });
};

const keySize: FetchCompiler = () =>
  single((ctx) => (ctx.conn.ssl && ctx.conn.sslCipherBits !== undefined ? mkInt(ctx.conn.sslCipherBits) : undefined));

const bcKeySize: FetchCompiler = () =>
  single((ctx) => (ctx.bc?.ssl && ctx.bc.sslCipherBits !== undefined ? mkInt(ctx.bc.sslCipherBits) : undefined));

// ---------------------------------------------------------------- argument checks (HAProxy's val_args)

const dnFormatArgs: ArgValidator = (a) => {
  const fmt = argStr(a[2]);
  return fmt && fmt !== 'rfc2253' ? 'only rfc2253 or a blank value are currently supported as the format argument.' : undefined;
};

export const SSL_FETCHES: readonly FetchDefinition[] = [
  // ssl_sample.c
  // The server connection's TLS (the same functions as ssl_fc_*, on the stream's scb connection).
  fetch(['ssl_bc', '', 'bool', 'L5SRV'], () => single((ctx) => mkBool(ctx.bc?.ssl ?? false))),
  fetch(['ssl_bc_alg_keysize', '', 'int', 'L5SRV'], bcKeySize),
  fetch(['ssl_bc_alpn', '', 'str', 'L5SRV'], () => single((ctx) => (ctx.bc?.sslAlpn ? mkStr(ctx.bc.sslAlpn) : undefined))),
  fetch(['ssl_bc_cipher', '', 'str', 'L5SRV'], () => single((ctx) => (ctx.bc?.sslCipher ? mkStr(ctx.bc.sslCipher) : undefined))),
  fetch(['ssl_bc_client_random', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_err', '', 'int', 'L5SRV'], () => single((ctx) => (ctx.bc?.ssl ? mkInt(0) : undefined))),
  fetch(['ssl_bc_err_str', '', 'str', 'L5SRV']),
  fetch(['ssl_bc_is_resumed', '', 'bool', 'L5SRV'], () => single((ctx) => mkBool(ctx.bc?.ssl === true && (ctx.bc.sslResumed ?? false)))),
  fetch(['ssl_bc_npn', '', 'str', 'L5SRV']),
  fetch(['ssl_bc_protocol', '', 'str', 'L5SRV'], () => single((ctx) => (ctx.bc?.sslProtocol ? mkStr(ctx.bc.sslProtocol) : undefined))),
  fetch(['ssl_bc_server_random', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_session_id', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_session_key', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_unique_id', '', 'bin', 'L5SRV']),
  fetch(['ssl_bc_use_keysize', '', 'int', 'L5SRV'], bcKeySize),
  fetch(['ssl_c_ca_err', '', 'int', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientCaError ?? 0) : undefined))),
  fetch(['ssl_c_ca_err_depth', '', 'int', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientCaErrorDepth ?? 0) : undefined))),
  fetch(['ssl_c_chain_der', '', 'bin', 'L5CLI']),
  fetch(['ssl_c_der', '', 'bin', 'L5CLI'], certBinary),
  fetch(['ssl_c_err', '', 'int', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientError ?? 0) : undefined))),
  fetch(['ssl_c_i_dn', '[str,int,str]', 'str', 'L5CLI'], certDn, dnFormatArgs),
  fetch(['ssl_c_key_alg', '', 'str', 'L5CLI'], certText),
  fetch(['ssl_c_notafter', '', 'str', 'L5CLI'], certText),
  fetch(['ssl_c_notbefore', '', 'str', 'L5CLI'], certText),
  fetch(['ssl_c_s_dn', '[str,int,str]', 'str', 'L5CLI'], certDn, dnFormatArgs),
  fetch(['ssl_c_serial', '', 'bin', 'L5CLI'], certBinary),
  fetch(['ssl_c_sha1', '', 'bin', 'L5CLI'], certBinary),
  fetch(['ssl_c_sig_alg', '', 'str', 'L5CLI'], certText),
  fetch(['ssl_c_used', '', 'bool', 'L5CLI'], () => single((ctx) => mkBool(ctx.conn.ssl && ctx.conn.sslClientCert !== undefined))),
  fetch(['ssl_c_verify', '', 'int', 'L5CLI'], () => single((ctx) => (ctx.conn.ssl ? mkInt(ctx.conn.sslClientVerify ?? 0) : undefined))),
  fetch(['ssl_c_version', '', 'int', 'L5CLI'], certVersion),
  fetch(['ssl_f_der', '', 'bin', 'L5CLI'], certBinary),
  fetch(['ssl_f_i_dn', '[str,int,str]', 'str', 'L5CLI'], certDn, dnFormatArgs),
  fetch(['ssl_f_key_alg', '', 'str', 'L5CLI'], certText),
  fetch(['ssl_f_notafter', '', 'str', 'L5CLI'], certText),
  fetch(['ssl_f_notbefore', '', 'str', 'L5CLI'], certText),
  fetch(['ssl_f_s_dn', '[str,int,str]', 'str', 'L5CLI'], certDn, dnFormatArgs),
  fetch(['ssl_f_serial', '', 'bin', 'L5CLI'], certBinary),
  fetch(['ssl_f_sha1', '', 'bin', 'L5CLI'], certBinary),
  fetch(['ssl_f_sig_alg', '', 'str', 'L5CLI'], certText),
  fetch(['ssl_f_version', '', 'int', 'L5CLI'], certVersion),
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
