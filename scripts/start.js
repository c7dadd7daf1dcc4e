#!/usr/bin/env node
// `npm start`: the desktop app where Electron's binary and a display are
// available; otherwise `loadstar serve` (the same UI in a browser) with a
// one-line notice saying why and where the UI is. Never imports 'electron'
// (from Node that may try to download its binary): the binary is found through
// the path file its package writes after a download.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const ADMIN_URL = 'http://127.0.0.1:9000/';

/** Electron's executable, when its binary was downloaded (or ELECTRON_OVERRIDE_DIST_PATH points at one). */
export function findElectronBinary(env = process.env, platform = process.platform, electronDir = path.join(root, 'node_modules', 'electron')) {
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const name = platform === 'win32' ? 'electron.exe' : platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';
    const file = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, name);
    return fs.existsSync(file) ? file : undefined;
  }
  try {
    const relative = fs.readFileSync(path.join(electronDir, 'path.txt'), 'utf8').trim();
    const file = path.join(electronDir, 'dist', relative);
    return relative && fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Desktop or headless, and why. Linux needs an X11 or Wayland display; macOS
 * and Windows always have one. LOADSTAR_HEADLESS=1 asks for serve anyway.
 */
export function chooseLauncher({ platform, env, electronBinary }) {
  if (env.LOADSTAR_HEADLESS === '1') return { mode: 'serve', reason: 'LOADSTAR_HEADLESS=1' };
  if (!electronBinary) return { mode: 'serve', reason: "Electron's binary is not installed" };
  const hasDisplay = platform === 'darwin' || platform === 'win32' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  if (!hasDisplay) return { mode: 'serve', reason: 'no display ($DISPLAY / $WAYLAND_DISPLAY unset)' };
  return { mode: 'desktop', command: electronBinary, args: [root] };
}

/** The dashboard's address: serve's default, or the --listen HOST:PORT passed through (`npm start -- --listen …`). */
export function adminUrlOf(args) {
  const i = args.findIndex((a) => a === '--listen' || a.startsWith('--listen='));
  if (i < 0) return ADMIN_URL;
  const value = args[i].startsWith('--listen=') ? args[i].slice('--listen='.length) : args[i + 1];
  return value ? `http://${value}/` : ADMIN_URL;
}

export function serveNotice(reason, adminUrl = ADMIN_URL) {
  return `[NOTICE] desktop app not started (${reason}): running 'loadstar serve'; open ${adminUrl} in a browser\n`;
}

async function main() {
  const choice = chooseLauncher({ platform: process.platform, env: process.env, electronBinary: findElectronBinary() });
  const passed = process.argv.slice(2);
  let child;
  if (choice.mode === 'desktop') {
    child = spawn(choice.command, [...choice.args, ...passed], { stdio: 'inherit' });
  } else {
    process.stderr.write(serveNotice(choice.reason, adminUrlOf(passed)));
    // The engine's malloc settings (proxy/runtime/allocator-env.ts), as bin/loadstar.js's shebang gives them.
    const { withAllocatorEnv } = await import(new URL('../dist/proxy/runtime/allocator-env.js', import.meta.url).href).catch(() => ({ withAllocatorEnv: (env) => env }));
    child = spawn(process.execPath, [path.join(root, 'bin', 'loadstar.js'), 'serve', ...passed], { stdio: 'inherit', env: withAllocatorEnv(process.env) });
  }
  // The child owns the terminal's signals too; forward ours so Ctrl-C and SIGTERM stop it gracefully.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
