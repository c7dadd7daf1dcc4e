/**
 * What an app:// request answers: a file under the renderer build
 * (dist/renderer) and nothing else. Plain Node; main/window.ts hands the
 * result to Electron's protocol.handle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { APP_HOST, APP_RESPONSE_HEADERS, APP_SCHEME } from './security.ts';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export type AppAnswer =
  | { status: 200; file: string; headers: Record<string, string> }
  | { status: 403 | 404; headers: Record<string, string> };

/**
 * Maps an app:// URL to a file inside `root`. Paths that leave the root
 * (`..`, encoded or not), another host, or a missing file are refused.
 * `/` and unknown extension-less paths (client-side routes) get index.html.
 */
export function resolveAppRequest(rawUrl: string, root: string): AppAnswer {
  const headers = { ...APP_RESPONSE_HEADERS };
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { status: 404, headers };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { status: 403, headers };
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return { status: 404, headers };
  }
  if (pathname.includes('\0')) return { status: 404, headers };
  const base = path.resolve(root);
  let file = path.resolve(base, '.' + path.posix.normalize('/' + pathname));
  if (file !== base && !file.startsWith(base + path.sep)) return { status: 403, headers };
  if (file === base || (path.extname(file) === '' && !isFile(file))) file = path.join(base, 'index.html');
  if (!isFile(file)) return { status: 404, headers };
  // A symlink inside the build pointing outside it is refused too.
  const real = fs.realpathSync(file);
  const realBase = fs.realpathSync(base);
  if (!real.startsWith(realBase + path.sep)) return { status: 403, headers };
  return { status: 200, file: real, headers: { ...headers, 'content-type': MIME[path.extname(real).toLowerCase()] ?? 'application/octet-stream' } };
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
