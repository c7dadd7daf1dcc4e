/**
 * `option disable-h2-upgrade`: a plain HTTP/1 connection that starts with HTTP/2's connection
 * preface is not switched to HTTP/2 (h2c by prior knowledge) but answered as HAProxy 2.6.12's H1
 * mux answers the `PRI * HTTP/2.0` request: 400 Bad request, connection closed, logged <BADREQ>.
 * `no option disable-h2-upgrade` in a frontend brings the upgrade back. Side by side with haproxy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { freePort } from '../../helpers/net.ts';
import { sideBySide, linesLogged } from './lib/side-by-side.ts';

/** The preface and an empty SETTINGS frame, as an h2c client with prior knowledge sends them. */
const PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

/** What came back: 'h2 SETTINGS' when the first frame is a SETTINGS frame, else the status line; then how it ended. */
function sendPreface(port: number): Promise<string> {
  return new Promise((resolve) => {
    let bytes = Buffer.alloc(0);
    const s = net.connect(port, '127.0.0.1', () => s.write(PREFACE));
    s.on('data', (d: Buffer) => (bytes = Buffer.concat([bytes, d])));
    s.on('error', () => {});
    const seen = (): string => (bytes.length >= 9 && bytes[3] === 4 ? 'h2 SETTINGS' : bytes.toString('latin1').split('\r\n')[0] ?? '');
    const timer = setTimeout(() => { s.destroy(); resolve(`${seen()}, open`); }, 1000);
    s.on('close', () => { clearTimeout(timer); resolve(`${seen()}, closed`); });
  });
}

const site = (defaults: string, frontend: string) => (port: number): string => `${loggedHttpHead(defaults)}frontend web
    bind 127.0.0.1:${port}
    log-format "%ST %tsc %{+Q}r"
${frontend}    http-request return status 200 content-type text/plain string ok
`;

test('option disable-h2-upgrade: the HTTP/2 preface is answered 400 and logged <BADREQ>, as haproxy does', async (t) => {
  let runs = 0;
  await sideBySide(t, site('', '    option disable-h2-upgrade\n'), async (port, proxy) => {
    const loadstar = runs++ === 0;
    assert.equal(await sendPreface(port), 'HTTP/1.1 400 Bad request, closed');
    // haproxy logged CR-- instead once, on a loaded CI run (the client here sends no FIN: a timing
    // of haproxy's own); Loadstar answers and logs in the read that brought the preface.
    const logged = (await linesLogged(proxy, 1)).slice(-1);
    if (loadstar) assert.deepEqual(logged, ['400 PR-- "<BADREQ>"']);
    else assert.match(logged[0] ?? '', /^400 [PC]R-- "<BADREQ>"$/);
  });
});

test('option disable-h2-upgrade in defaults: the same; without it, or with no option disable-h2-upgrade, the connection goes on as HTTP/2', async (t) => {
  await sideBySide(t, site('    option disable-h2-upgrade\n', ''), async (port) => {
    assert.equal(await sendPreface(port), 'HTTP/1.1 400 Bad request, closed');
  });
  await sideBySide(t, site('    option disable-h2-upgrade\n', '    no option disable-h2-upgrade\n'), async (port) => {
    assert.equal(await sendPreface(port), 'h2 SETTINGS, open');
  });
  await sideBySide(t, site('', ''), async (port) => {
    assert.equal(await sendPreface(port), 'h2 SETTINGS, open');
  });
});

test('a bind with proto h1: the HTTP/2 preface is answered 400 there, as haproxy does, other binds still upgrade', async (t) => {
  const other = await freePort(); // the second bind's (Loadstar and haproxy run one after the other)
  const config = (port: number): string => site('', '')(port).replace(`bind 127.0.0.1:${port}\n`, `bind 127.0.0.1:${port} proto h1\n    bind 127.0.0.1:${other}\n`);
  await sideBySide(t, config, async (port) => {
    assert.equal(await sendPreface(port), 'HTTP/1.1 400 Bad request, closed');
    assert.equal(await sendPreface(other), 'h2 SETTINGS, open');
  });
});
