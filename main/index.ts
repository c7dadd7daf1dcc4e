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
import { trayView } from './tray-state.ts';
import type { TrayAction } from './tray-state.ts';
import { Notifier } from './notifications.ts';
import { readPreferences, writePreferences } from './preferences.ts';
import { isAutostartEnabled, setAutostart } from './autostart.ts';
import type { StatusSnapshot } from '../proxy/control/contract.ts';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/main
const appRoot = path.resolve(here, '..', '..');
const PATHS = {
  renderer: path.join(appRoot, 'dist', 'renderer'),
  preload: path.join(here, 'preload.cjs'),
  engine: path.join(here, 'engine-entry.js'),
  trayIcons: path.join(appRoot, 'build', 'tray'),
  windowIcon: path.join(appRoot, 'build', 'icons', '512x512.png'),
};
const QUIT_GRACE_MS = 10_000;
const TRAY_REFRESH_MS = 5000;
const CERT_CHECK_MS = 6 * 3600_000;

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

  let preferences = readPreferences(dataDir);
  const notifier = new Notifier({
    send: (n) => { if (Notification.isSupported()) new Notification({ title: n.title, body: n.body }).show(); },
    enabled: () => preferences.notifications,
  });

  let status: StatusSnapshot | undefined;
  let problem: string | undefined;
  const tray = new TrayIcon(PATHS.trayIcons, (action) => void act(action));
  const refreshTray = async (): Promise<void> => {
    const answer = supervisor.state === 'running' ? await control.status() : undefined;
    status = answer?.ok ? answer.value : undefined;
    tray.show(trayView({ supervisor: supervisor.state, status, openAtLogin: openAtLogin(), notifications: preferences.notifications, problem }));
  };
  const checkCertificates = async (): Promise<void> => {
    const listing = await control.certList();
    if (listing.ok) notifier.certificates(listing.value);
  };

  supervisor.onReport((report) => {
    notifier.supervisorReport(report);
    problem = report.type === 'gave-up' || report.type === 'config-failed' ? report.message : undefined;
    if (report.type === 'started') void checkCertificates();
    void refreshTray();
  });
  control.subscribe(['events'], (event) => {
    notifier.engineEvent(event.payload);
    void refreshTray();
  });

  async function act(action: TrayAction): Promise<void> {
    switch (action.type) {
      case 'start':
        if (supervisor.state === 'running') await control.start();
        else supervisor.start();
        break;
      case 'stop':
        // Stops the engine, keeps its host: the dashboard still answers and Start proxy is one click.
        if (supervisor.state === 'running') await control.stop();
        else await supervisor.stop(0);
        break;
      case 'open-dashboard':
        showWindow();
        break;
      case 'toggle-open-at-login':
        setOpenAtLogin(!openAtLogin());
        break;
      case 'toggle-notifications':
        preferences = { ...preferences, notifications: !preferences.notifications };
        writePreferences(dataDir, preferences);
        break;
      case 'quit':
        app.quit();
        return;
    }
    await refreshTray();
  }

  // The window is a view of the proxy: closing it keeps the proxy running in the tray.
  app.on('window-all-closed', () => {});
  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    notifier.dispose();
    // In-flight requests get QUIT_GRACE_MS; the supervisor kills the engine after that plus a margin.
    void supervisor.stop(QUIT_GRACE_MS).finally(() => {
      tray.destroy();
      app.quit();
    });
  });

  supervisor.start();
  setInterval(() => void refreshTray(), TRAY_REFRESH_MS).unref();
  setInterval(() => void checkCertificates(), CERT_CHECK_MS).unref();
  await refreshTray();
  if (!process.argv.includes('--hidden')) showWindow();
}
