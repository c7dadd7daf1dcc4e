/**
 * The one registry of Loadstar's error codes (DESIGN.md §5). Callers branch on
 * `code`, never on message text. Configuration problems are not thrown one by
 * one: they are collected as diagnostics (config/diagnostics.ts) whose codes
 * come from DIAGNOSTIC_CODES below; a whole invalid configuration is then
 * reported through ConfigInvalidError.
 */

/** Codes carried by configuration diagnostics. */
export const DIAGNOSTIC_CODES = {
  LS_ERR_CFG_SYNTAX: 'a line cannot be cut into words (unterminated quote, bad escape)',
  LS_ERR_CFG_UNKNOWN_SECTION: 'a keyword appears outside of any section',
  LS_ERR_CFG_UNKNOWN_KEYWORD: 'a keyword HAProxy does not know in this section',
  LS_ERR_CFG_WRONG_SECTION: 'a keyword HAProxy knows, used in a section that cannot hold it',
  LS_ERR_CFG_BAD_ARGUMENT: 'a keyword argument is missing or malformed',
  LS_ERR_CFG_UNSUPPORTED: 'a keyword HAProxy knows but Loadstar does not implement',
  LS_ERR_CFG_DUPLICATE: 'two objects share a name that must be unique',
  LS_ERR_CFG_REFERENCE: 'a reference to a backend, ACL, userlist or section that does not exist',
  LS_ERR_CFG_CONFLICT: 'settings that contradict each other (e.g. frontend/backend mode)',
  LS_ERR_CFG_FILE: 'a file named by the configuration is missing or unreadable',
  LS_WARN_CFG_IGNORED: 'a keyword accepted but without effect in Loadstar',
  LS_WARN_CFG_MISSING_TIMEOUT: 'a proxy without client/connect/server timeouts',
  LS_WARN_CFG_SUSPICIOUS: 'a setting HAProxy accepts but warns about',
  LS_WARN_CFG_ENV: 'an environment variable used in the configuration is not set',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Codes carried by thrown errors. */
export const ERROR_CODES = {
  LS_ERR_CFG_INVALID: 'the configuration has fatal diagnostics',
  LS_ERR_CFG_READ: 'a configuration file could not be read',
  LS_ERR_CLI_USAGE: 'the command line is not valid',
  LS_ERR_ENG_BIND: 'a bind line could not be listened on (port in use, permission)',
  LS_ERR_ENG_UNSUPPORTED: 'the configuration uses a behaviour the engine does not run yet',
  LS_ERR_ENG_PROGRAM: "a program section's command ended with an error status under master-worker, which stops the engine (exit-on-failure)",
  LS_ERR_ENG_RESOLVE: "a server's init-addr methods found no address at load, or a nameserver's name did not resolve",
  // Certificates (proxy/certs): one block, kept together.
  LS_ERR_CERT_BAD_NAME: 'a certificate name is not a safe file name',
  LS_ERR_CERT_BAD_SAN: 'a DNS name or IP address for a certificate is malformed, or none was given',
  LS_ERR_CERT_BAD_DAYS: 'a certificate lifetime is not a whole number of days within the allowed range',
  LS_ERR_CERT_BAD_KEY_TYPE: 'a key type other than rsa2048, rsa3072, rsa4096 or ec256',
  LS_ERR_CERT_CA_EXISTS: 'a local CA already exists and --force was not given',
  LS_ERR_CERT_CA_MISSING: 'no local CA has been created yet',
  LS_ERR_CERT_NOT_FOUND: 'no stored certificate has that name',
  LS_ERR_CERT_IN_USE: 'the configuration loads the certificate: removing its file would stop it loading',
  LS_ERR_CERT_DER_INPUT: 'binary DER was given where PEM text is expected',
  LS_ERR_CERT_PEM_TRUNCATED: 'a PEM block has no END line, bad base64, or damaged contents',
  LS_ERR_CERT_NOT_CERTIFICATE: 'the input holds no certificate or key (a CSR, a public key, plain text)',
  LS_ERR_CERT_KEY_ENCRYPTED: 'the private key is encrypted and no passphrase was given',
  LS_ERR_CERT_KEY_PASSPHRASE: 'the passphrase does not decrypt the private key',
  LS_ERR_CERT_KEY_MISMATCH: 'the private key belongs to none of the certificates',
  LS_ERR_CERT_NO_KEY: 'certificates were given without their private key',
  LS_ERR_CERT_NO_CERTIFICATE: 'a private key was given without its certificate',
  LS_ERR_CERT_MULTIPLE_KEYS: 'more than one private key was given',
  LS_ERR_CERT_CHAIN_INCOMPLETE: 'an intermediate certificate between the leaf and the last given certificate is missing, or a certificate does not belong to the chain',
  LS_ERR_CERT_EXPIRED: 'the certificate has expired',
  LS_ERR_CERT_TOO_LARGE: 'more certificates than any chain has, a certificate or key block far larger than real ones, or an RSA key above 8192 bits',
  LS_ERR_CERT_STORE: 'the certificate store could not be read or written',
  LS_ERR_CERT_READ: 'a certificate or key file given on the command line could not be read',
  LS_ERR_TLS_LOAD: 'a certificate, key, CA or crt-list file named by a bind or server line cannot be used',
  // Control contract (proxy/control): answers to callers, never thrown past a transport.
  LS_ERR_CTL_NOT_FOUND: 'no frontend, backend, server, object or version has that name',
  LS_ERR_CTL_BAD_VALUE: 'an argument is out of range or of the wrong type',
  LS_ERR_CTL_BAD_REQUEST: 'a transport request is malformed (unknown method, not JSON, wrong argument count)',
  LS_ERR_CTL_STATE: 'the engine is not in a state that allows this (e.g. start while running, reload while stopped)',
  LS_ERR_CTL_FORBIDDEN: 'the caller is not allowed to do this (no session, bad CSRF token, foreign Origin)',
  LS_ERR_CTL_INTERNAL: 'an unexpected failure inside Loadstar; logged with its stack',
  LS_ERR_CTL_LIMIT: 'the admin server is at a limit (too many event streams open, from this client or in all); retry after the time in Retry-After',
  LS_ERR_CTL_ROLLED_BACK: 'the configuration was applied, but a backend lost its last usable server within the grace window, so the previous one was restored',
  LS_ERR_CTL_CONFLICT: 'the configuration file changed since the change was started (edited by hand or by another window); reload it and apply again',
  // `loadstar serve`'s admin server (proxy/admin) and the data dir's history store (proxy/store).
  LS_ERR_ADMIN_NO_PASSWORD: 'the admin server would listen on a non-loopback address but no admin password is set',
  LS_ERR_ADMIN_PASSWORD: 'the admin password cannot be set or read (too short, unreadable or damaged admin.json)',
  LS_ERR_ADMIN_LISTEN: 'the admin address is malformed or cannot be listened on',
  LS_ERR_ADMIN_TLS: 'the admin certificate given with --tls-crt cannot be used',
  LS_ERR_STORE_OPEN: 'the history database in the data dir cannot be opened or is damaged',
  LS_ERR_STORE_WRITE: 'haproxy.cfg or a version file in the data dir cannot be written',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Warnings carried by certificate import results: the certificate is stored, but the user should know. */
export const CERT_WARNING_CODES = {
  LS_WARN_CERT_EXPIRING_SOON: 'the certificate expires within 30 days',
  LS_WARN_CERT_NOT_YET_VALID: 'the certificate is not valid yet; clients refuse it until then',
  LS_WARN_CERT_NO_SAN: 'the certificate has no subjectAltName; browsers ignore the CN and will refuse it',
  LS_WARN_CERT_IGNORED_BLOCK: 'a PEM block that is neither a certificate nor a key (EC or DH parameters) was left out',
} as const;

export type CertWarningCode = keyof typeof CERT_WARNING_CODES;
export type CertErrorCode = Extract<ErrorCode, `LS_ERR_CERT_${string}`>;

export class LoadstarError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The configuration was parsed but has alerts; `report` is the printable diagnostics. */
export class ConfigInvalidError extends LoadstarError {
  constructor(readonly report: string) {
    super('LS_ERR_CFG_INVALID', `invalid configuration:\n${report}`);
  }
}

export class ConfigReadError extends LoadstarError {
  constructor(readonly file: string, cause: unknown) {
    const reason = cause instanceof Error && 'code' in cause && cause.code === 'ENOENT'
      ? 'no such file'
      : cause instanceof Error ? cause.message : String(cause);
    super('LS_ERR_CFG_READ', `cannot read configuration file '${file}': ${reason}`, { cause });
  }
}

export class CliUsageError extends LoadstarError {
  constructor(message: string) {
    super('LS_ERR_CLI_USAGE', message);
  }
}

/** A `bind` line could not be listened on. */
export class BindError extends LoadstarError {
  constructor(
    address: { host: string; family: string },
    port: number,
    bind: { loc: { file: string; line: number } },
    proxy: { kind: string; name: string },
    // Structural rather than NodeJS.ErrnoException: the contract's type closure includes this file and must compile without Node's types.
    cause: Error & { code?: string },
  ) {
    const reason = cause.code === 'EADDRINUSE' ? 'address already in use'
      : cause.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
      : cause.code === 'EADDRNOTAVAIL' ? 'address not available on this machine'
      : cause.message;
    const where = address.family === 'unix' ? address.host : `${address.host.includes(':') ? `[${address.host}]` : address.host || '*'}:${port}`;
    super('LS_ERR_ENG_BIND', `[${bind.loc.file}:${bind.loc.line}] : ${proxy.kind} '${proxy.name}' : cannot bind ${where}: ${reason}`, { cause });
  }
}

/** The configuration is valid but uses something the engine cannot run yet. */
export class EngineUnsupportedError extends LoadstarError {
  constructor(readonly uses: ReadonlyArray<{ what: string; file: string; line: number; pending: string }>) {
    super('LS_ERR_ENG_UNSUPPORTED', `this configuration uses behaviour the engine does not run yet:\n${uses.map((u) => `  [${u.file}:${u.line}] ${u.what} (coming with ${u.pending})`).join('\n')}`);
  }
}

/** Runtime DNS could not start: a server's `init-addr` found nothing (and allows no `none`), or a nameserver's name did not resolve. */
export class ResolveAtLoadError extends LoadstarError {
  constructor(message: string) {
    super('LS_ERR_ENG_RESOLVE', message);
  }
}

/** A TLS file named by the configuration (crt, crt-list, ca-file) cannot be used; `where` is the config line. */
export class TlsLoadError extends LoadstarError {
  constructor(readonly where: { file: string; line: number }, readonly detail: string) {
    super('LS_ERR_TLS_LOAD', `[${where.file}:${where.line}] : ${detail}`);
  }
}

/** A certificate operation failed on user input or on the store; `code` says which failure. */
export class CertError extends LoadstarError {
  declare readonly code: CertErrorCode;
  constructor(code: CertErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** `loadstar serve` cannot start its admin server as asked; the message says what to do. */
export class AdminError extends LoadstarError {
  declare readonly code: Extract<ErrorCode, `LS_ERR_ADMIN_${string}`>;
  constructor(code: Extract<ErrorCode, `LS_ERR_ADMIN_${string}`>, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The history store in the data dir cannot be used. */
export class StoreError extends LoadstarError {
  declare readonly code: Extract<ErrorCode, `LS_ERR_STORE_${string}`>;
  constructor(code: Extract<ErrorCode, `LS_ERR_STORE_${string}`>, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
