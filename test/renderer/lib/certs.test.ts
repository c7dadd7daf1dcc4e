/**
 * frontendsUsingCert (renderer/src/lib/certs.ts): the Certificates screen asks
 * it before a removal, with the model the engine builds from real text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formModel } from '../../../proxy/config/edit.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { frontendsUsingCert } from '../../../renderer/src/lib/certs.ts';

const text = `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend https_frontend
    bind 127.0.0.1:8443 ssl crt /data/certs/https_frontend.pem
    bind 127.0.0.1:8080
    default_backend web

frontend other
    bind 127.0.0.1:9443 ssl crt /data/certs/
    default_backend web

backend web
    server web1 127.0.0.1:8081
`;

test('a certificate named by a bind is used by that frontend; one in a crt directory or not named is used by none', () => {
  const model = formModel(parseConfig([{ name: 'haproxy.cfg', text }]).config);
  assert.deepEqual(frontendsUsingCert(model, '/data/certs/https_frontend.pem'), ['https_frontend']);
  assert.deepEqual(frontendsUsingCert(model, '/data/certs/unused.pem'), []);
  assert.deepEqual(frontendsUsingCert(null, '/data/certs/https_frontend.pem'), []);
});
