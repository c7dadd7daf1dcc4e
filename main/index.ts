/**
 * Loadstar's Electron main process: single instance, one dashboard window on
 * app://, the engine in a supervised utilityProcess, the tray, notifications.
 * Closing the window keeps the proxy running in the tray; Quit stops the
 * engine gracefully (bounded). Data lives in app.getPath('userData'), laid out
 * like `loadstar serve --data-dir`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, Notification, session, utilityProcess } from 'electron';
import { EngineSupervisor } from './supervisor.ts';
import { utilitySpawner } from './engine-process.ts';
import { desktopControl } from './desktop-control.ts';
import { registerControlIpc } from './ipc.ts';
import { createDashboardWindow, hardenSession, lockDownWebContents, registerAppScheme, serveRenderer } from './window.ts';
import { TrayIcon } from './tray.ts';
import { DesktopShell } from './shell.ts';
import { readPreferences, writePreferences } from './preferences.ts';
import { isAutostartEnabled, setAutostart } from './autostart.ts';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/main
const appRoot = path.resolve(here, '..', '..');
const PATHS = {
  renderer: path.join(appRoot, 'dist', 'renderer'),
  preload: path.join(here, 'preload.cjs'),
  engine: path.join(here, 'engine-entry.js'),
  trayIcons: path.join(appRoot, 'build', 'tray'),
  windowIcon: path.join(appRoot, 'build', 'icons', '512x512.png'),
};

// One data folder name on every OS and build (Electron would otherwise use package.json's lowercase name):
// ~/.config/Loadstar, %APPDATA%\Loadstar, ~/Library/Application Support/Loadstar. Set before the
// single-instance lock, which lives there too.
app.setPath('userData', path.join(app.getPath('appData'), 'Loadstar'));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();
  lockDownWebContents();
  void app.whenReady().then(start);
}

let window: BrowserWindow | undefined;

function showWindow(): void {
  if (window && !window.isDestroyed()) {
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    return;
  }
  window = createDashboardWindow(PATHS.preload, PATHS.windowIcon);
  window.on('closed', () => { window = undefined; });
}

function openAtLogin(): boolean {
  return process.platform === 'linux' ? isAutostartEnabled() : app.getLoginItemSettings().openAtLogin;
}

function setOpenAtLogin(enabled: boolean): void {
  if (process.platform === 'linux') setAutostart(enabled, [process.env.APPIMAGE ?? process.execPath, '--hidden']);
  else app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
}

async function start(): Promise<void> {
  const dataDir = app.getPath('userData');
  serveRenderer(PATHS.renderer);
  hardenSession(session.defaultSession);

  const supervisor = new EngineSupervisor({
    spawn: utilitySpawner(utilityProcess, PATHS.engine, { ...process.env, LOADSTAR_DATA_DIR: dataDir }),
  });
  const control = desktopControl(supervisor);
  registerControlIpc(control);

  const tray = new TrayIcon(PATHS.trayIcons, (action) => void shell.act(action));
  const shell: DesktopShell = new DesktopShell(supervisor, control, {
    showTray: (view) => tray.show(view),
    showWindow,
    quit: () => app.quit(),
    notify: (n) => { if (Notification.isSupported()) new Notification({ title: n.title, body: n.body }).show(); },
    openAtLogin: { get: openAtLogin, set: setOpenAtLogin },
    preferences: { read: () => readPreferences(dataDir), write: (p) => writePreferences(dataDir, p) },
  });

  // The window is a view of the proxy: closing it keeps the proxy running in the tray.
  app.on('window-all-closed', () => {});
  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void shell.stop().finally(() => {
      tray.destroy();
      app.quit();
    });
  });

  await shell.start(process.argv.includes('--hidden'));
}
