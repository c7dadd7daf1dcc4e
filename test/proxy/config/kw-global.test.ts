/**
 * Global keywords that ask for what Loadstar already does: accepted (HAProxy's home-lab guides
 * carry them), with HAProxy 2.6's message for a wrong use; checked with `haproxy -c` when installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const site = (global: string): string => `global\n${global}defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend web\n    bind 127.0.0.1:8080\n    http-request return status 200\n`;

const CASES: Array<{ text: string; message?: string }> = [
  // HTTP/2 clients are no longer told they may upgrade over a stream (RFC 8441): test/proxy/http/h2-extended-connect.test.ts.
  { text: site('    h2-workaround-bogus-websocket-clients\n') },
  { text: site('    h2-workaround-bogus-websocket-clients now\n'), message: "'h2-workaround-bogus-websocket-clients' cannot handle unexpected argument 'now'." },
  // HTTP/1.0 GET/HEAD/DELETE with a body: let through instead of 413 (http/request-checks.ts).
  { text: site('    h1-accept-payload-with-any-method\n') },
  { text: site('    h1-accept-payload-with-any-method yes\n'), message: "'h1-accept-payload-with-any-method' cannot handle unexpected argument 'yes'." },
];

test('global keywords Loadstar already honours: accepted, or refused with HAProxy\'s message', () => {
  for (const c of CASES) {
    const r = parseConfig([{ name: 'x.cfg', text: c.text }]);
    assert.deepEqual(r.diagnostics.map((d) => d.message), c.message === undefined ? [] : [c.message]);
  }
});

test('haproxy -c agrees', (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-global-'));
  try {
    for (const c of CASES) {
      const file = path.join(dir, 'x.cfg');
      fs.writeFileSync(file, c.text);
      const { status, output } = haproxyCheck(file, dir);
      assert.equal(status === 0, c.message === undefined, output);
      if (c.message) assert.ok(output.includes(c.message), output);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
