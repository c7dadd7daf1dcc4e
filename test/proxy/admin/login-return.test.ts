/**
 * The login keeps the screen asked for: the login page loads /login.js (served before any login, as a
 * script the CSP allows), which makes the form post to `/login#/<screen>` when the page was opened with
 * such a fragment, and to `/login` with anything else. (The browser keeps that fragment on the redirects
 * that answer the post: test/e2e/ui-audit-fixes.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { hashPassword } from '../../../proxy/admin/password.ts';
import { LOGIN_JS } from '../../../proxy/admin/login-page.ts';
import { fakeControl, adminWith, call } from './helpers.ts';

/** The form's action after LOGIN_JS ran on a login page opened with `hash`. */
function actionAfter(hash: string): string {
  let action = '/login';
  const form = { setAttribute: (name: string, value: string) => { if (name === 'action') action = value; } };
  const document = { querySelector: (selector: string) => (selector === 'form[action="/login"]' ? form : null) };
  vm.runInNewContext(LOGIN_JS, { document, location: { hash } });
  return action;
}

test('the login page loads /login.js, served without a login as JavaScript under the same strict CSP', async () => {
  const admin = await adminWith({ control: fakeControl(), password: await hashPassword('correct horse battery') });
  try {
    const page = await call(admin.port, 'GET', '/login');
    assert.match(page.body, /<script src="\/login.js" defer><\/script>/);
    assert.match(page.body, /<form method="post" action="\/login">/, 'without the script the form posts to /login as before');
    const script = await call(admin.port, 'GET', '/login.js');
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.match(String(script.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(script.body, LOGIN_JS);
  } finally {
    await admin.close();
  }
});

test("the login form posts to /login with the screen's fragment, and only a screen's", () => {
  assert.equal(actionAfter('#/config'), '/login#/config');
  assert.equal(actionAfter('#/server/web/web1'), '/login#/server/web/web1');
  assert.equal(actionAfter('#/traffic/server%3Aweb%2Fweb1'), '/login#/traffic/server%3Aweb%2Fweb1');
  for (const other of ['', '#', '#main', '#javascript:alert(1)', '#/a b', '#/a"onmouseover', `#/${'x'.repeat(2000)}`]) {
    assert.equal(actionAfter(other), '/login', JSON.stringify(other.slice(0, 40)));
  }
});
