/**
 * The login page: plain HTML, a stylesheet and one small script served from
 * the admin itself (no inline script or style: the CSP forbids both), light
 * and dark from the system preference, usable on a phone. The form works
 * without the script; the script only keeps the screen asked for.
 */
export const LOGIN_CSS = `:root { color-scheme: light dark; --bg: #f5f6f8; --fg: #1c1f24; --card: #fff; --border: #c9ced6; --accent: #1f5fbf; --error: #a4161a; }
@media (prefers-color-scheme: dark) { :root { --bg: #16181c; --fg: #e6e8eb; --card: #22252b; --border: #454b55; --accent: #7fb0ff; --error: #ff8a8a; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(22rem, calc(100vw - 2rem)); background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 1.5rem; }
h1 { font-size: 1.25rem; margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input[type=password] { width: 100%; padding: .6rem; font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--border); border-radius: 4px; }
input[type=password]:focus-visible, button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button { margin-top: 1rem; width: 100%; padding: .6rem; font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: 4px; cursor: pointer; }
@media (prefers-color-scheme: dark) { button { color: #0b1220; } }
.message { margin: 0 0 1rem; padding: .5rem .75rem; border-left: 4px solid var(--error); color: var(--error); }
.hint { margin: 1rem 0 0; font-size: .875rem; opacity: .8; }
`;

/**
 * Keeps the screen asked for through the login. A page opened logged out (`/#/config`) is redirected
 * to `/login`, and the browser keeps the `#/config` on that redirect; the form then posts to
 * `/login#/config`, and the browser keeps that fragment on the redirect that answers the post: to
 * `/#/config` after a login, to `/login?failed=password#/config` after a wrong password. Only a
 * fragment naming a screen (`#/…` in a URL's fragment characters, at most 2,000) is kept; the path the form
 * posts to is its own, so the page reached stays on this admin server.
 */
export const LOGIN_JS = `'use strict';
(function () {
  var form = document.querySelector('form[action="/login"]');
  var hash = location.hash;
  if (form && hash.length <= 2000 && /^#\\/[\\w\\-.~%!$&'()*+,;=:@\\/?]*$/.test(hash)) form.setAttribute('action', '/login' + hash);
})();
`;

export type LoginNotice = 'wrong-password' | 'rate-limited' | 'expired' | undefined;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function loginPage(notice: LoginNotice, retryAfterSeconds = 0): string {
  const message = notice === 'wrong-password' ? 'Wrong password. Try again.'
    : notice === 'rate-limited' ? `Too many attempts from this address. Try again in ${retryAfterSeconds} seconds.`
      : notice === 'expired' ? 'Your session has ended. Log in again.'
        : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Log in: Loadstar</title>
<link rel="stylesheet" href="/login.css">
<script src="/login.js" defer></script>
</head>
<body>
<main>
<h1>Loadstar admin</h1>
${message ? `<p class="message" role="alert">${escapeHtml(message)}</p>\n` : ''}<form method="post" action="/login">
<input type="hidden" name="username" value="admin" autocomplete="username">
<label for="password">Admin password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
</form>
<p class="hint">Forgot it? On the server run <code>loadstar serve --set-password</code> and restart.</p>
</main>
</body>
</html>
`;
}
