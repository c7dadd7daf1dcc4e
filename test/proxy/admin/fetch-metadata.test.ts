import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '../../../proxy/admin/password.ts';
import { fakeControl, adminWith, call, session } from './helpers.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (password: string) => new URLSearchParams({ username: 'admin', password }).toString();

test('logins posted by another site\'s page are refused with 403 without counting, so they cannot lock the user out; the login page and curl still log in', async () => {
  const admin = await adminWith({ control: fakeControl(), password: await hashPassword('correct horse battery') });
  try {
    const hostile: Array<[string, Record<string, string>]> = [
      ['a sandboxed frame (Origin: null, cross-site)', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
      ['another port of this host (same-site)', { 'sec-fetch-site': 'same-site' }],
      ['Origin: null without Sec-Fetch-Site', { origin: 'null' }],
    ];
    for (const [what, headers] of hostile) {
      for (let i = 0; i < 4; i++) {
        const answer = await call(admin.port, 'POST', '/login', { ...FORM, ...headers }, form(i === 0 ? 'correct horse battery' : `guess ${i}`));
        assert.equal(answer.status, 403, what);
        assert.match(answer.body, headers.origin === 'null' ? /^requests from origin 'null' are not accepted\.\n$/ : /^A login posted .* is refused: log in on this server's own \/login page\.\n$/, what);
        assert.equal(answer.headers['set-cookie'], undefined, what);
      }
    }
    // Twelve refused posts later the address still has its five attempts: four wrong ones from curl (no Origin, no Sec-Fetch-*)…
    for (let i = 0; i < 4; i++) {
      const wrong = await call(admin.port, 'POST', '/login', FORM, form(`typo ${i}`));
      assert.equal(wrong.status, 303);
      assert.equal(wrong.headers.location, '/login?failed=password');
    }
    // …and the login page's own post (its Referrer-Policy same-origin gives it this server's Origin) logs in.
    const page = await call(admin.port, 'GET', '/login');
    assert.equal(page.headers['referrer-policy'], 'same-origin');
    const right = await call(admin.port, 'POST', '/login', { ...FORM, origin: admin.origin, 'sec-fetch-site': 'same-origin' }, form('correct horse battery'));
    assert.equal(right.status, 303);
    assert.equal(right.headers.location, '/');
    assert.ok(right.headers['set-cookie']);
    // A login typed after opening /login from the address bar is `none`; curl with the right password logs in too.
    assert.equal((await call(admin.port, 'POST', '/login', { ...FORM, origin: admin.origin, 'sec-fetch-site': 'none' }, form('correct horse battery'))).headers.location, '/');
    // A browser without Sec-Fetch-Site (Safari before 16.4) posting the page's form with its Origin logs in too.
    assert.equal((await call(admin.port, 'POST', '/login', { ...FORM, origin: admin.origin }, form('correct horse battery'))).headers.location, '/');
    assert.equal((await call(admin.port, 'POST', '/login', FORM, form('correct horse battery'))).headers.location, '/');
  } finally {
    await admin.close();
  }
});

test('GET /api/session from another site\'s page creates no session (403), so looping fetches cannot evict the UI\'s; the UI and curl still get one', async () => {
  const control = fakeControl();
  const admin = await adminWith({ control, sessions: { max: 3 } });
  try {
    const ui = await call(admin.port, 'GET', '/api/session', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' });
    assert.equal(ui.status, 200);
    const cookie = ui.headers['set-cookie']![0]!.split(';')[0]!;
    const token = ui.json().value.csrfToken as string;
    for (const site of ['cross-site', 'same-site', 'cross-site', 'cross-site', 'same-site']) {
      const answer = await call(admin.port, 'GET', '/api/session', { 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors' });
      assert.equal(answer.status, 403, site);
      assert.deepEqual(answer.json(), { ok: false, error: { code: 'LS_ERR_CTL_FORBIDDEN', message: `requests from another site's page (Sec-Fetch-Site: ${site}) are not accepted: a session is opened only for this server's own pages.` } });
      assert.equal(answer.headers['set-cookie'], undefined, site);
    }
    assert.equal(admin.sessions.size, 1);
    const post = await call(admin.port, 'POST', '/api/status', { cookie, origin: admin.origin, 'x-loadstar-csrf': token, 'content-type': 'application/json' }, '{"args":[]}');
    assert.equal(post.status, 200, 'the UI\'s session is still there');

    const typed = await call(admin.port, 'GET', '/api/session', { 'sec-fetch-site': 'none' });
    assert.equal(typed.status, 200);
    assert.ok(typed.headers['set-cookie'], 'opened from the address bar');
    const curl = await session(admin);
    assert.equal((await call(admin.port, 'POST', '/api/status', curl.headers, '{"args":[]}')).status, 200, 'curl, without Sec-Fetch-Site');
  } finally {
    await admin.close();
  }
});
