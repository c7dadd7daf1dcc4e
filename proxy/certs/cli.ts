/**
 * `loadstar cert …`: the local CA, issuing, importing and listing. Every
 * subcommand is a thin shell over CertStore, the same code the control
 * contract runs. Bad input is one line on stderr: exit 1, or 2 for usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { CertError, CliUsageError } from '../errors.ts';
import { CertStore } from './store.ts';
import type { CertInfo, CertWarning, KeyType } from './types.ts';

/**
 * What of a data directory's configuration loads a certificate file (`frontend site (crt …)`):
 * given by the command line above this layer, which parses configurations. None: nothing does.
 */
export type CertUsersOf = (dataDir: string, file: string) => string[];

export interface CertOutput {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Binary output (DER); defaults to process.stdout. */
  outBytes?: (b: Uint8Array) => void;
}

export const CERT_HELP = `Usage: loadstar cert <command> [options]

Certificates for HTTPS sites: a local certificate authority (CA) for the home
lab, certificates issued by it, and certificates bought or obtained elsewhere.
Each site is stored as one PEM file (certificate, chain, key) usable as
HAProxy's 'crt': <data>/certs/<name>.pem.

Commands:
  ca init [--key TYPE] [--name CN] [--days N] [--force]
                        Create the local CA (default key ec256, 3650 days).
  ca show               Show the local CA.
  ca export [--der] [--out FILE]
                        Print the CA certificate (PEM; --der for binary) to
                        install on computers, browsers and phones.
  issue NAME --dns NAME ... --ip ADDRESS ... [--days N] [--key TYPE] [--self-signed]
                        Issue a certificate from the local CA (or self-signed)
                        for DNS names (*.example.lan wildcards allowed) and IP
                        addresses. Lifetime at most 825 days (the default).
  client CN --out FILE.p12 [--pem FILE] [--email ADDRESS] [--days N] [--key TYPE]
         [--password-env VAR]
                        Issue a client certificate from the local CA for a
                        person or device (bind 'verify required' with the
                        exported CA as 'ca-file'): a PKCS#12 file to import in
                        a browser or phone (password from the environment
                        variable VAR, else none), and with --pem the PEM
                        certificate and key. The key is not stored (the CA
                        lists holder, serial and expiry in <data>/ca/clients.json);
                        default 365 days, key rsa2048.
  import FILE ... --name NAME [--passphrase-env VAR]
                        Import certificate, chain and key from PEM files, in
                        one file or several, in any order. An encrypted key
                        needs its passphrase in the environment variable VAR.
  list [--json]         List stored certificates.
  remove NAME [--force] Delete a stored certificate; refused while the data
                        directory's haproxy.cfg loads it (--force: anyway).

Options:
  --data-dir DIR        Data directory (default: $LOADSTAR_DATA_DIR, else
                        $XDG_DATA_HOME/loadstar, else ~/.local/share/loadstar).
  TYPE                  rsa2048, rsa3072, rsa4096 or ec256.

Installing the CA on each device: docs/certificates.md.
`;

const COMMON = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** Parsed flags with typed accessors; each subcommand declares its own flags so a stray one is a usage error. */
function args(command: string, argv: string[], options: NonNullable<ParseArgsConfig['options']>, positionals: number | 'many') {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON, ...options }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new CliUsageError(`cert ${command}: ${(e as Error).message}`);
  }
  const { values } = parsed;
  if (!values.help && positionals !== 'many' && parsed.positionals.length !== positionals) {
    throw new CliUsageError(`cert ${command}: ${positionals === 0 ? `unexpected argument '${parsed.positionals[0]}'` : 'expects one name'}; see 'loadstar cert --help'`);
  }
  return {
    help: values.help === true,
    positionals: parsed.positionals,
    str: (name: string) => values[name] as string | undefined,
    strs: (name: string) => values[name] as string[] | undefined,
    flag: (name: string) => values[name] === true,
    store: () => new CertStore({ dataDir: values['data-dir'] as string | undefined }),
  };
}

export async function certCommand(argv: string[], io: CertOutput, usersOf?: CertUsersOf): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '-h':
    case '--help':
      io.out(CERT_HELP);
      return 0;
    case 'ca':
      return await caCommand(rest, io);
    case 'issue':
      return await issue(rest, io);
    case 'client':
      return await client(rest, io);
    case 'import':
      return importCommand(rest, io);
    case 'list':
      return list(rest, io);
    case 'remove':
      return remove(rest, io, usersOf);
    default:
      throw new CliUsageError(`cert: unknown command '${command}'. Run 'loadstar cert --help' for the list.`);
  }
}

async function caCommand(argv: string[], io: CertOutput): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'init': {
      const a = args('ca init', rest, { key: { type: 'string' }, name: { type: 'string' }, days: { type: 'string' }, force: { type: 'boolean' } }, 0);
      if (a.help) return help(io);
      const ca = await a.store().initCa({ key: a.str('key') as KeyType | undefined, commonName: a.str('name'), days: days(a.str('days')), force: a.flag('force') });
      io.out(`created local CA '${ca.subject}' (${ca.key}), valid until ${ca.notAfter.slice(0, 10)}\n  certificate: ${ca.certPath}\n  sha256:      ${ca.fingerprint256}\n`);
      if (a.flag('force')) io.err('[WARNING] certificates issued by the previous CA are no longer trusted by devices that trust the new one\n');
      io.out("next: install the CA on your devices ('loadstar cert ca export', see docs/certificates.md), then 'loadstar cert issue'\n");
      return 0;
    }
    case 'show': {
      const a = args('ca show', rest, {}, 0);
      if (a.help) return help(io);
      const ca = a.store().caStatus();
      if (!ca) throw new CertError('LS_ERR_CERT_CA_MISSING', "no local CA yet: create one with 'loadstar cert ca init'");
      io.out(`${ca.subject}\n  key:         ${ca.key}\n  valid:       ${ca.notBefore.slice(0, 10)} to ${ca.notAfter.slice(0, 10)} (${ca.daysLeft} days left)\n  sha256:      ${ca.fingerprint256}\n  certificate: ${ca.certPath}\n`);
      return 0;
    }
    case 'export': {
      const a = args('ca export', rest, { der: { type: 'boolean' }, out: { type: 'string' } }, 0);
      if (a.help) return help(io);
      const der = a.flag('der');
      const out = a.str('out');
      const data = der ? a.store().exportCa('der') : a.store().exportCa('pem');
      if (out) {
        try {
          fs.writeFileSync(out, data, { mode: 0o644 });
        } catch (e) {
          throw new CertError('LS_ERR_CERT_STORE', `cannot write ${out}: ${(e as Error).message}`, { cause: e });
        }
        io.err(`wrote the CA certificate (${der ? 'DER' : 'PEM'}) to ${out}\n`);
      } else if (typeof data === 'string') io.out(data);
      else if (process.stdout.isTTY && !io.outBytes) throw new CliUsageError('cert ca export --der: binary output to a terminal; add --out FILE');
      else (io.outBytes ?? ((b: Uint8Array) => process.stdout.write(b)))(data);
      return 0;
    }
    default:
      throw new CliUsageError(`cert ca: expects 'init', 'show' or 'export'${sub ? `, got '${sub}'` : ''}`);
  }
}

async function issue(argv: string[], io: CertOutput): Promise<number> {
  const a = args('issue', argv, {
    dns: { type: 'string', multiple: true }, ip: { type: 'string', multiple: true },
    days: { type: 'string' }, key: { type: 'string' }, 'self-signed': { type: 'boolean' },
  }, 1);
  if (a.help) return help(io);
  const info = await a.store().issue({
    name: a.positionals[0]!, dns: a.strs('dns'), ip: a.strs('ip'), days: days(a.str('days')), key: a.str('key') as KeyType | undefined, selfSigned: a.flag('self-signed'),
  });
  io.out(`issued '${info.name}' for ${info.sans.join(', ')}${info.selfSigned ? ' (self-signed)' : ''}\n${describe(info)}`);
  return 0;
}

async function client(argv: string[], io: CertOutput): Promise<number> {
  const a = args('client', argv, {
    out: { type: 'string' }, pem: { type: 'string' }, email: { type: 'string' }, days: { type: 'string' }, key: { type: 'string' }, 'password-env': { type: 'string' },
  }, 1);
  if (a.help) return help(io);
  const out = a.str('out');
  if (!out) throw new CliUsageError('cert client: --out FILE.p12 is required (the PKCS#12 file to give to the holder)');
  let password = '';
  const variable = a.str('password-env');
  if (variable !== undefined) {
    password = process.env[variable] ?? '';
    if (process.env[variable] === undefined) throw new CliUsageError(`cert client: --password-env ${variable}: the environment variable '${variable}' is not set`);
  }
  const issued = await a.store().issueClient({ commonName: a.positionals[0]!, email: a.str('email'), days: days(a.str('days')), key: a.str('key') as KeyType | undefined, password });
  const write = (file: string, data: string | Uint8Array): void => {
    try {
      fs.writeFileSync(file, data, { mode: 0o600 }); // holds a private key
    } catch (e) {
      throw new CertError('LS_ERR_CERT_STORE', `cannot write ${file}: ${(e as Error).message}`, { cause: e });
    }
  };
  write(out, issued.pkcs12);
  const pem = a.str('pem');
  if (pem) write(pem, issued.pem);
  io.out(`issued a client certificate for '${issued.commonName}' (serial ${issued.serialHex}, valid until ${issued.notAfter})\n  PKCS#12: ${out}${password ? '' : ' (no password)'}\n${pem ? `  PEM:     ${pem}\n` : ''}`);
  return 0;
}

function importCommand(argv: string[], io: CertOutput): number {
  const a = args('import', argv, { name: { type: 'string' }, 'passphrase-env': { type: 'string' } }, 'many');
  if (a.help) return help(io);
  const name = a.str('name');
  if (a.positionals.length === 0) throw new CliUsageError('cert import: give the PEM file(s): loadstar cert import site.pem --name site');
  if (!name) throw new CliUsageError('cert import: --name NAME is required (the stored file becomes <data>/certs/NAME.pem)');
  let passphrase: string | undefined;
  const variable = a.str('passphrase-env');
  if (variable !== undefined) {
    passphrase = process.env[variable];
    if (passphrase === undefined) throw new CliUsageError(`cert import: --passphrase-env ${variable}: the environment variable '${variable}' is not set`);
  }
  const sources = a.positionals.map((file) => {
    try {
      return { label: file, data: fs.readFileSync(file) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CertError('LS_ERR_CERT_READ', `cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`, { cause: e });
    }
  });
  const stored = a.store().import({ name, sources, passphrase });
  printWarnings(stored.warnings, io);
  io.out(`imported '${stored.info.name}' for ${stored.info.sans.join(', ') || stored.info.subject}\n${describe(stored.info)}`);
  return 0;
}

function list(argv: string[], io: CertOutput): number {
  const a = args('list', argv, { json: { type: 'boolean' } }, 0);
  if (a.help) return help(io);
  const store = a.store();
  const listing = store.list();
  if (a.flag('json')) {
    io.out(JSON.stringify(listing, null, 2) + '\n');
    return 0;
  }
  if (listing.certs.length === 0 && listing.unreadable.length === 0) io.out(`no certificates in ${store.certsDir}\n`);
  for (const info of listing.certs) io.out(`${info.name}\n${describe(info)}`);
  for (const bad of listing.unreadable) io.err(`[WARNING] ${bad.path}: ${bad.error}\n`);
  return 0;
}

function remove(argv: string[], io: CertOutput, usersOf: CertUsersOf | undefined): number {
  const a = args('remove', argv, { force: { type: 'boolean' } }, 1);
  if (a.help) return help(io);
  const store = a.store();
  const name = a.positionals[0]!;
  const file = store.pathOf(name);
  // As certRemove refuses in the UI: without the file, the configuration that loads it no longer starts or reloads.
  const users = a.flag('force') || !fs.existsSync(file) ? [] : usersOf?.(store.dataDir, file) ?? [];
  if (users.length > 0) {
    throw new CertError('LS_ERR_CERT_IN_USE', `cert remove: ${name} is used by ${path.join(store.dataDir, 'haproxy.cfg')}: ${users.join(', ')}. `
      + 'Without its file that configuration no longer loads; change it first, or remove with --force.');
  }
  store.remove(name);
  io.out(`removed ${file}\n`);
  return 0;
}

function describe(info: CertInfo): string {
  const issuer = info.selfSigned ? 'self-signed' : `${info.issuer}${info.localCa ? ' (local CA)' : ''}`;
  return [
    `  subject:  ${info.subject}`,
    `  SANs:     ${info.sans.join(', ') || '(none)'}`,
    `  issuer:   ${issuer}`,
    `  valid:    ${info.notBefore.slice(0, 10)} to ${info.notAfter.slice(0, 10)} (${info.daysLeft < 0 ? `expired ${-info.daysLeft} days ago` : `${info.daysLeft} days left`})`,
    `  key:      ${info.key}${info.chainLength > 0 ? `, chain of ${info.chainLength}` : ''}`,
    `  sha256:   ${info.fingerprint256}`,
    `  file:     ${info.path}`,
  ].join('\n') + '\n';
}

function printWarnings(warnings: CertWarning[], io: CertOutput): void {
  for (const w of warnings) io.err(`[WARNING] ${w.message}\n`);
}

function days(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text)) throw new CertError('LS_ERR_CERT_BAD_DAYS', `--days expects a whole number of days, got '${text}'`);
  return Number(text);
}

function help(io: CertOutput): number {
  io.out(CERT_HELP);
  return 0;
}
