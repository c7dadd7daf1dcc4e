/** What the status says of the built-in demo (proxy/admin/default-config.ts demoStatusOf), from the configuration alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { defaultConfigText, demoStatusOf, PREFERRED_DEMO_PORTS, DEMO_NOTE, withoutDemoNote } from '../../../proxy/admin/default-config.ts';
import { applyEdits } from '../../../proxy/config/edit.ts';
import type { ConfigEdit } from '../../../proxy/config/edit.ts';

const demo = defaultConfigText(PREFERRED_DEMO_PORTS);
const statusOf = (text: string) => {
  const parsed = parseConfig([{ name: 'haproxy.cfg', text }]);
  assert.ok(parsed.ok, JSON.stringify(parsed.diagnostics));
  return demoStatusOf(parsed.config);
};

test('the built-in configuration is the demo and nothing else, edited or not (comments gone, a weight, another demo server)', () => {
  assert.deepEqual(statusOf(demo), { only: true, servers: ['demo-web/demo-web1', 'demo-web/demo-web2', 'demo-api/demo-api1'] });
  const edited = demo.replace(/^#.*\n/gm, '').replace('server demo-web2 127.0.0.1:8082 check inter 2s', 'server demo-web2 127.0.0.1:8082 check inter 2s weight 5\n    server demo-web3 127.0.0.1:8084');
  assert.deepEqual(statusOf(edited), { only: true, servers: ['demo-web/demo-web1', 'demo-web/demo-web2', 'demo-web/demo-web3', 'demo-api/demo-api1'] });
});

test("the user's own server next to the demo makes it partly the demo; without demo servers there is none", () => {
  const mixed = `${demo}
backend mine
    server nas 192.168.1.20:80
`;
  assert.equal(statusOf(mixed)?.only, false);
  assert.equal(statusOf(mixed)?.servers.length, 3);
  // A demo-* name on another host is the user's server, not one Loadstar runs.
  assert.equal(statusOf(demo.replace('demo-api1 127.0.0.1', 'demo-api1 192.168.1.9'))?.only, false);
  assert.equal(statusOf(`defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend site
    bind 127.0.0.1:8080
    default_backend mine
backend mine
    server nas 192.168.1.20:80
`), undefined);
  assert.equal(statusOf(''), undefined, 'nothing configured is not a demo either');
});

function tidied(text: string, edits: ConfigEdit[]): string {
  const built = applyEdits(text, edits);
  if (!built.ok) throw new Error(JSON.stringify(built.problems));
  return withoutDemoNote(parseConfig([{ name: 'a', text }]).config, parseConfig([{ name: 'b', text: built.text }]).config, built.text);
}

const removeDemo: ConfigEdit[] = [{ op: 'remove-frontend', name: 'demo' }, { op: 'remove-backend', name: 'demo-web' }, { op: 'remove-backend', name: 'demo-api' }];

test('the DEMO note goes with the last demo item the forms remove, and only then', () => {
  assert.ok(demo.includes(DEMO_NOTE));
  const partly = tidied(demo, removeDemo.slice(0, 2));
  assert.ok(partly.includes(DEMO_NOTE), 'demo-api is still there');
  const gone = tidied(partly, removeDemo.slice(2));
  assert.ok(!gone.includes('DEMO'), gone);
  assert.equal(gone, `# Loadstar: the configuration 'loadstar serve' runs. It is HAProxy's
# configuration language; edit it in the UI or here (then send SIGHUP or
# restart Loadstar to apply a hand edit).

defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`);
  assert.equal(tidied(demo, removeDemo), gone, 'all in one batch');
});

test("the user's own comments stay, and a DEMO note the user changed stays too", () => {
  const withMine = demo.replace('defaults\n', '# my note: DEMO ports are 8080-8083\ndefaults\n');
  const gone = tidied(withMine, removeDemo);
  assert.ok(gone.includes('# my note: DEMO ports are 8080-8083\ndefaults\n'));
  assert.ok(!gone.includes('# DEMO: this first-run'));
  const changed = demo.replace('This note can go too.', 'This note stays, I like it.');
  assert.ok(tidied(changed, removeDemo).includes('This note stays, I like it.'));
  // Nothing of the demo before the edit: nothing to tidy (a user's file that quotes the note keeps it).
  const plain = `${DEMO_NOTE}\ndefaults\n    mode http\n\nbackend b\n    server s 127.0.0.1:1\n`;
  assert.ok(tidied(plain, [{ op: 'remove-server', backend: 'b', name: 's' }]).includes(DEMO_NOTE));
});

test("a demo server removed by the forms takes the first run's comment above it along; other comments stay", () => {
  const mine = demo.replace('    server demo-web2', '    # my own note\n    server demo-web2');
  const text = tidied(mine, [{ op: 'remove-server', backend: 'demo-web', name: 'demo-web1' }, { op: 'remove-server', backend: 'demo-web', name: 'demo-web2' }]);
  assert.match(text, /option httpchk GET \/\n    # my own note\n\nbackend demo-api\n    option httpchk GET \/api\/health\n    # demo server, runs inside Loadstar\n    server demo-api1 /);
  assert.ok(text.includes(DEMO_NOTE), 'demo-api is left');
  // An edit that removes no demo server leaves even an orphaned copy of the comment alone.
  const orphan = `${demo}\nbackend b\n    # demo server, runs inside Loadstar\n    server s 10.0.0.1:80\n`;
  assert.ok(tidied(orphan, [{ op: 'set-server', backend: 'b', server: { name: 's', address: '10.0.0.2', port: 80 } }]).includes('backend b\n    # demo server, runs inside Loadstar\n'));
});
