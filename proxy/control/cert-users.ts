/**
 * Which frontends of a configuration serve a certificate file: a `bind … crt` naming the file,
 * the directory holding it or the bundle it is a member of, or a `crt-list` one of whose lines
 * names it. Paths resolve as the engine loads them (tls/bind-tls.ts): against `crt-base`, else
 * the working directory. A file is the same when its path is, or when both name one inode (a
 * symlinked data dir). certRemove refuses while this finds a user: without the file every later
 * apply and reload fails ("unable to stat SSL certificate").
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bind, Config } from '../config/model.ts';
import { resolveCertPath } from '../config/kw-bind.ts';
import { bundleMembers, certificateFiles } from '../tls/pem.ts';

export interface CertUser {
  /** The frontend (or listen section) whose bind loads the file. */
  frontend: string;
  /** How the bind names it, as written: `crt /data/certs/nas.pem`, `crt /etc/ssl/sites/`, `crt-list /etc/ssl/list.txt`. */
  via: string;
}

/** The frontends whose binds load `file`, in file order, each once (its first bind that does). */
export function frontendsUsingCertFile(config: Config, file: string): CertUser[] {
  const users: CertUser[] = [];
  const same = sameFileAs(file);
  for (const proxy of config.proxies) {
    if (proxy.kind !== 'frontend' && proxy.kind !== 'listen') continue;
    for (const bind of proxy.binds) {
      const via = bindUsing(bind, config, same);
      if (via !== undefined) {
        users.push({ frontend: proxy.name, via });
        break;
      }
    }
  }
  return users;
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
