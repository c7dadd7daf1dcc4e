import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { HTTP_DEFAULTS, freePort, request, startEngine } from '../../helpers/net.ts';
import { patternFileReader } from '../../../proxy/runtime/pattern-files.ts';

test('a reload applies the edited contents of ACL pattern files and map files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-patterns-'));
  const denied = path.join(dir, 'denied.lst');
  const colours = path.join(dir, 'colours.map');
  fs.writeFileSync(denied, '/old\n');
  fs.writeFileSync(colours, '/a red\n');
  const port = await freePort();
  const text = `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:${port}
    http-request deny deny_status 403 if { path -f ${denied} }
    http-request return status 200 content-type text/plain lf-string "%[path,map(${colours},none)]"
`;
  const e = await startEngine(text);
  try {
    assert.equal((await request(port, '/old')).status, 403);
    assert.equal((await request(port, '/new')).status, 200);
    assert.equal((await request(port, '/a')).body, 'red');

    fs.writeFileSync(denied, '/new\n');
    fs.writeFileSync(colours, '/a blue\n');
    const parsed = parseConfig([{ name: 'test.cfg', text }]);
    if (!parsed.ok) throw new Error(formatDiagnostics(parsed.diagnostics));
    await e.engine.reload(parsed.config);

    assert.equal((await request(port, '/old')).status, 200);
    assert.equal((await request(port, '/new')).status, 403);
    assert.equal((await request(port, '/a')).body, 'blue');
  } finally {
    await e.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the pattern file reader reads a file once while it is unchanged and again once it changes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-patterns-'));
  const file = path.join(dir, 'list.lst');
  try {
    fs.writeFileSync(file, 'one\n');
    assert.equal(patternFileReader(file), 'one\n');
    assert.equal(patternFileReader(file), 'one\n');
    fs.writeFileSync(file, 'two\nthree\n');
    assert.equal(patternFileReader(file), 'two\nthree\n');
    fs.rmSync(file);
    assert.throws(() => patternFileReader(file), /ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
