/**
 * Logging out over HTTP: the transport tells whether this browser is logged in with the admin password
 * (`passwordRequired` in GET api/session, false when not logged in), and `logout()` posts `logout` with
 * the session's CSRF token, fetching the token anew once when it was refused (another tab logged in
 * again meanwhile); a 401 (the session has ended already) is a logout done.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { HttpTransport } from '../../../renderer/src/transport/http.ts';
import { TRANSPORT_ERROR } from '../../../renderer/src/transport/types.ts';

interface Admin {
  base: string;
  seen: string[];
  state: { password: boolean; loggedIn: boolean; token: string; logoutStatus?: number };
  close(): Promise<void>;
}

async function admin(state: Admin['state']): Promise<Admin> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-loadstar-csrf'] ?? ''}`.trim());
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/session') {
        if (state.password && !state.loggedIn) {
          res.statusCode = 401;
          return res.end(JSON.stringify({ ok: false, error: { code: 'LS_ERR_CTL_FORBIDDEN', message: 'not logged in' } }));
        }
        return res.end(JSON.stringify({ ok: true, value: { csrfToken: state.token, csrfHeader: 'X-Loadstar-CSRF', passwordRequired: state.password, authenticated: state.loggedIn } }));
      }
      if (req.url === '/logout' && req.method === 'POST') {
        if (state.logoutStatus) {
          res.statusCode = state.logoutStatus;
          return res.end('refused\n');
        }
        if (!state.loggedIn) {
          res.statusCode = 401;
          return res.end('not logged in.\n');
        }
        if (req.headers['x-loadstar-csrf'] !== state.token) {
          res.statusCode = 403;
          return res.end('missing or wrong CSRF token\n');
        }
        state.loggedIn = false;
        return res.end(JSON.stringify({ ok: true, value: { loggedOut: true } }));
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    seen,
    state,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test('logged in with a password: passwordRequired is true, and logout posts the token and ends the session', async () => {
  const server = await admin({ password: true, loggedIn: true, token: 't1' });
  try {
    const transport = new HttpTransport(server.base, null);
    assert.equal(await transport.passwordRequired(), true);
    assert.deepEqual(await transport.logout(), { ok: true, value: { loggedOut: true } });
    assert.deepEqual(server.seen, ['GET /api/session', 'POST /logout t1']);
    assert.equal(server.state.loggedIn, false);
    // The next question finds no login.
    assert.equal(await transport.passwordRequired(), false);
  } finally {
    await server.close();
  }
});

test('without a password, or not logged in, there is nothing to log out of', async () => {
  const open = await admin({ password: false, loggedIn: false, token: 't' });
  const out = await admin({ password: true, loggedIn: false, token: 't' });
  try {
    assert.equal(await new HttpTransport(open.base, null).passwordRequired(), false);
    assert.equal(await new HttpTransport(out.base, null).passwordRequired(), false);
    assert.deepEqual(await new HttpTransport(out.base, null).logout(), { ok: true, value: { loggedOut: true } });
    assert.deepEqual(out.seen.filter((s) => s.startsWith('POST')), [], 'no POST without a session');
  } finally {
    await open.close();
    await out.close();
  }
});

test("a token refused (a new login in another tab) is fetched anew once; the server's other refusals are errors", async () => {
  const server = await admin({ password: true, loggedIn: true, token: 'old' });
  try {
    const transport = new HttpTransport(server.base, null);
    assert.equal(await transport.passwordRequired(), true);
    server.state.token = 'new';
    assert.deepEqual(await transport.logout(), { ok: true, value: { loggedOut: true } });
    assert.deepEqual(server.seen, ['GET /api/session', 'POST /logout old', 'GET /api/session', 'POST /logout new']);

    server.state.loggedIn = true;
    server.state.logoutStatus = 500;
    const refused = await new HttpTransport(server.base, null).logout();
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, TRANSPORT_ERROR);
    assert.match(!refused.ok ? refused.error.message : '', /refused to log out \(HTTP 500: refused\)/);
  } finally {
    await server.close();
  }
});

test('an admin server that cannot be reached is an error, not a logout', async () => {
  const server = await admin({ password: true, loggedIn: true, token: 't' });
  const base = server.base;
  await server.close();
  const answer = await new HttpTransport(base, null).logout();
  assert.equal(answer.ok, false);
  assert.match(!answer.ok ? answer.error.message : '', /could not be reached to log out/);
});
