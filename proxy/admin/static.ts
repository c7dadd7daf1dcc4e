/**
 * The built UI (dist/renderer/, written by `npm run build`) as static files.
 * Only regular files under the build directory are ever served: the request
 * path is decoded once, and anything that could step outside or be read two
 * ways (`..` or `.` segments, backslashes, NUL, encoded slashes that decode
 * into separators, symlinks leading out) is refused before the file system is
 * asked. Vite's hashed assets are cached for a year; everything else is
 * revalidated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type http from 'node:http';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Vite names built assets `name-<hash>.ext` (hash: 8 base64url characters) under assets/. */
export function isHashedAsset(relative: string): boolean {
  return /^assets\/(?:[^/]+\/)*[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(relative);
}

/** The package root (the directory of Loadstar's package.json), from the source or the compiled file alike. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(from);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    try {
      if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'loadstar') return dir;
    } catch {
      // not here; go up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find Loadstar's package.json above ${from}`);
    dir = parent;
  }
}

export function defaultUiDir(): string {
  return path.join(packageRoot(), 'dist', 'renderer');
}

/**
 * The path relative to the build directory that a URL path names, or
 * undefined when it must be refused. `/` is `index.html`.
 */
export function safeRelativePath(urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  // A `%` left after decoding is a double encoding (`%252e%252e`): no built file has one in its name.
  if (!decoded.startsWith('/') || /[\0\\%:]/.test(decoded)) return undefined;
  const segments = decoded.slice(1).split('/');
  if (segments.some((s) => s === '..' || s === '.' || s.length > 255)) return undefined;
  const relative = segments.filter((s) => s !== '').join('/');
  return relative === '' ? 'index.html' : relative;
}

export interface StaticFiles {
  /** Serves GET/HEAD `urlPath`; false when no file matched (the caller answers 404). */
  serve(req: http.IncomingMessage, res: http.ServerResponse, urlPath: string): boolean | 'refused';
  readonly built: boolean;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loadstar: UI not built</title></head>
<body><h1>UI not built</h1><p>The Loadstar admin server is running, but the web UI has not been built.
Run <code>npm run build</code> in the Loadstar directory, then reload this page.</p>
<p>The control API is available at <code>/api/</code>.</p></body></html>
`;

export function staticFiles(root?: string): StaticFiles {
  let realRoot: string | undefined;
  try {
    // Outside a Loadstar package (a copied dist/) there is no build to serve: the not-built page says so.
    realRoot = fs.realpathSync(root ?? defaultUiDir());
    if (!fs.statSync(path.join(realRoot, 'index.html')).isFile()) realRoot = undefined;
  } catch {
    realRoot = undefined;
  }
  return {
    built: realRoot !== undefined,
    serve(req, res, urlPath) {
      const relative = safeRelativePath(urlPath);
      if (relative === undefined) return 'refused';
      if (realRoot === undefined) {
        if (relative !== 'index.html') return false;
        return send(res, req, Buffer.from(NOT_BUILT), 'text/html; charset=utf-8', 'no-store');
      }
      let file = path.join(realRoot, ...relative.split('/'));
      let stat = statFile(file);
      // Client-side routes (`/backends/web`) get the page; missing files with an extension stay 404.
      if (!stat && path.extname(relative) === '') {
        file = path.join(realRoot, 'index.html');
        stat = statFile(file);
      }
      if (!stat) return false;
      let real: string;
      try {
        real = fs.realpathSync(file);
      } catch {
        return false;
      }
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return 'refused';
      const cache = isHashedAsset(relative) ? 'public, max-age=31536000, immutable' : 'no-cache';
      res.statusCode = 200;
      res.setHeader('Content-Type', contentTypeOf(real));
      res.setHeader('Content-Length', stat.size);
      res.setHeader('Cache-Control', cache);
      res.setHeader('Last-Modified', stat.mtime.toUTCString());
      if (req.method === 'HEAD') {
        res.end();
        return true;
      }
      const stream = fs.createReadStream(real);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
      return true;
    },
  };
}

function statFile(file: string): fs.Stats | undefined {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? stat : undefined;
  } catch {
    return undefined;
  }
}

function send(res: http.ServerResponse, req: http.IncomingMessage, body: Buffer, type: string, cache: string): true {
  res.statusCode = 200;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', cache);
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
