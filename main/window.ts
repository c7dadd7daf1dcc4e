/**
 * Electron glue for the dashboard window: the app:// scheme (files of the
 * renderer build only), the session's permission policy, and the one
 * BrowserWindow with the settings of main/security.ts. Navigation,
 * window.open and <webview> are refused for every web contents.
 */
import fs from 'node:fs';
import { app, BrowserWindow, protocol, shell } from 'electron';
import type { Session } from 'electron';
import { resolveAppRequest } from './app-protocol.ts';
import {
  APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, isAllowedNavigation, permissionDecision, secureWebPreferences, windowOpenDecision,
} from './security.ts';

/** Must run before `ready`. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
}

/** app://loadstar/… answers from `rendererRoot` (dist/renderer) with the CSP header; nothing else is served. */
export function serveRenderer(rendererRoot: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const answer = resolveAppRequest(request.url, rendererRoot);
    if (answer.status !== 200) return new Response(null, { status: answer.status, headers: answer.headers });
    return new Response(await fs.promises.readFile(answer.file), { status: 200, headers: answer.headers });
  });
}

export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => callback(permissionDecision(permission)));
  session.setPermissionCheckHandler((_contents, permission) => permissionDecision(permission));
}

/** For every web contents ever created: no navigation away, no new windows, no webviews. */
export function lockDownWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const decision = windowOpenDecision(url);
      if (decision.openExternally) void shell.openExternal(url);
      return { action: decision.action };
    });
  });
}

export function createDashboardWindow(preloadPath: string, iconPath: string | undefined): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: 'Loadstar',
    show: false,
    ...(iconPath ? { icon: iconPath } : {}),
    webPreferences: secureWebPreferences(preloadPath),
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
