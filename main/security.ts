/**
 * Every security setting of the desktop shell in one plain module (Electron's
 * security checklist), so a unit test can assert them without Electron:
 * webPreferences of every window, the Content-Security-Policy of app://
 * responses, which frames may call the control contract, and that
 * navigation, new windows and permission requests are refused.
 */

/** The privileged scheme the renderer is served from (never a dev server, never remote content). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'loadstar';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Privileges of app://: a standard, secure origin, so the page is a secure context with its own origin. */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  corsEnabled: false,
  bypassCSP: false,
  allowServiceWorkers: false,
  stream: false,
} as const;

/**
 * webPreferences of every BrowserWindow. No remote module (removed
 * from Electron; nothing brings it back), no node in the renderer, the
 * preload runs sandboxed and talks through contextBridge only.
 */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
  } as const;
}

/**
 * The CSP of every app:// response, as strict as the admin server's (proxy/admin/security.ts)
 * and stricter where a desktop page can be: nothing is allowed unless named.
 * Scripts and style elements come from the app's own files only; style
 * *attributes* may be inline because Svelte writes some when it renders.
 * connect-src stays 'self': the renderer talks through window.loadstar, not the network.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-elem 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers added to every app:// response. */
export const APP_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

function isAppUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * Only our own app:// frame may call the contract over IPC: not a frame that
 * navigated elsewhere, not an iframe of another origin, not a frame that is gone.
 */
export function isTrustedSender(frameUrl: string | undefined | null): boolean {
  return typeof frameUrl === 'string' && isAppUrl(frameUrl);
}

/**
 * A navigation the window may follow: none at all. The renderer is a single
 * page with hash/history routing, which does not navigate the frame. (An
 * in-app reload of the same origin is allowed so Ctrl+R works.)
 */
export function isAllowedNavigation(targetUrl: string): boolean {
  return isAppUrl(targetUrl);
}

/** window.open and target=_blank: always denied; http(s) links go to the system browser instead. */
export function windowOpenDecision(targetUrl: string): { action: 'deny'; openExternally: boolean } {
  let external = false;
  try {
    const url = new URL(targetUrl);
    external = url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    external = false;
  }
  return { action: 'deny', openExternally: external };
}

/** Permission requests (camera, notifications from the page, geolocation …): all denied. */
export function permissionDecision(_permission: string): false {
  return false;
}
