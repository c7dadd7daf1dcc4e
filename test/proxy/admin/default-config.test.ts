/** What the status says of the built-in demo (proxy/admin/default-config.ts demoStatusOf), from the configuration alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { defaultConfigText, demoStatusOf, PREFERRED_DEMO_PORTS } from '../../../proxy/admin/default-config.ts';

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
