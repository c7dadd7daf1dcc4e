/**
 * Which sections of a configuration load a certificate file: a frontend's `bind … crt` naming the
 * file, the directory holding it or the bundle it is a member of, a `crt-list` one of whose lines
 * names it, or a bind's `ca-file`; a backend's `server … crt` (the client certificate shown to the
 * server) or `ca-file`. Paths resolve as the engine loads them (tls/bind-tls.ts): `crt` against
 * `crt-base`, `ca-file` against `ca-base`, else the working directory. A file is the same when its
 * path is, or when both name one inode (a symlinked data dir). certRemove refuses while this finds
 * a user: without the file every later apply and reload fails ("unable to stat SSL certificate").
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bind, Config, ParsedServer } from '../config/model.ts';
import { resolveCertPath } from '../config/kw-bind.ts';
import { bundleMembers, certificateFiles } from '../tls/pem.ts';

export interface CertUser {
  /** The section that loads the file, as people read it: `frontend site`, `backend app`, `listen both`. */
  section: string;
  /**
   * How it names the file, as written: `crt /data/certs/nas.pem`, `crt /etc/ssl/sites/`,
   * `crt-list /etc/ssl/list.txt`, `ca-file ca.pem`; a server's with its name, `server s1 crt client.pem`.
   */
  via: string;
}

/** The sections whose binds or servers load `file`, in file order, each once (its first bind or server that does). */
export function sectionsUsingCertFile(config: Config, file: string): CertUser[] {
  const users: CertUser[] = [];
  const same = sameFileAs(file);
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults' || proxy.name === '') continue;
    const via = proxy.binds.map((b) => bindUsing(b, config, same)).find((v) => v !== undefined)
      ?? proxy.servers.map((s) => serverUsing(s, config, same)).find((v) => v !== undefined);
    if (via !== undefined) users.push({ section: `${proxy.kind} ${proxy.name}`, via });
  }
  return users;
}

function serverUsing(server: ParsedServer, config: Config, same: (f: string) => boolean): string | undefined {
  const { crt, caFile } = server.options;
  if (crt !== undefined && same(resolveCertPath(crt, config.global.crtBase))) return `server ${server.name} crt ${crt}`;
  if (caFile !== undefined && same(resolveCertPath(caFile, config.global.caBase))) return `server ${server.name} ca-file ${caFile}`;
  return undefined;
}

function bindUsing(bind: Bind, config: Config, same: (f: string) => boolean): string | undefined {
  const base = config.global.crtBase;
  const bundles = config.global.certKeyFiles.bundle;
  for (const crt of bind.crt) {
    if (filesOf(resolveCertPath(crt, base), bundles).some(same)) return `crt ${crt}`;
  }
  if (bind.crtList !== undefined) {
    for (const crt of crtListFiles(resolveCertPath(bind.crtList, base))) {
      const target = resolveCertPath(crt, base);
      const members = bundles && !fs.existsSync(target) ? bundleMembers(target) : [];
      if ((members.length > 0 ? members : [target]).some(same)) return `crt-list ${bind.crtList}`;
    }
  }
  const caFile = bind.clientAuth?.caFile;
  if (caFile !== undefined && same(resolveCertPath(caFile, config.global.caBase))) return `ca-file ${caFile}`;
  return undefined;
}

/** What a `crt` argument loads; nothing when it cannot be read (that bind does not hold this file). */
function filesOf(target: string, bundles: boolean): string[] {
  try {
    return certificateFiles(target, bundles);
  } catch {
    return [];
  }
}

/** The certificate path of each line of a crt-list (its first word; tls/crt-list.ts reads the rest). */
function crtListFiles(listFile: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(listFile, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').map((line) => line.replace(/#.*$/, '').trim().split(/\s+/)[0] ?? '').filter((crt) => crt !== '');
}

function sameFileAs(file: string): (other: string) => boolean {
  const resolved = path.resolve(file);
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return (other) => {
    if (path.resolve(other) === resolved) return true;
    if (!stat) return false;
    const o = fs.statSync(other, { throwIfNoEntry: false });
    return o !== undefined && o.ino === stat.ino && o.dev === stat.dev;
  };
}
