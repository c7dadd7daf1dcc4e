import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autostartEntry, isAutostartEnabled, quoteExecArg, setAutostart, xdgAutostartDir } from '../../main/autostart.ts';
import { readPreferences, writePreferences } from '../../main/preferences.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-autostart-'));

test('the autostart directory follows XDG_CONFIG_HOME, ignoring a relative one', () => {
  assert.equal(xdgAutostartDir({ XDG_CONFIG_HOME: '/cfg' }, '/home/u'), '/cfg/autostart');
  assert.equal(xdgAutostartDir({ XDG_CONFIG_HOME: 'relative' }, '/home/u'), '/home/u/.config/autostart');
  assert.equal(xdgAutostartDir({}, '/home/u'), '/home/u/.config/autostart');
});

test('turning open-at-login on writes a desktop entry that starts Loadstar hidden; off removes it', () => {
  const dir = path.join(tmp(), 'autostart');
  assert.equal(isAutostartEnabled(dir), false);
  setAutostart(true, ['/opt/Loadstar/loadstar', '--hidden'], dir);
  const text = fs.readFileSync(path.join(dir, 'loadstar.desktop'), 'utf8');
  assert.match(text, /^\[Desktop Entry\]\nType=Application\nName=Loadstar\n/);
  assert.match(text, /^Exec=\/opt\/Loadstar\/loadstar --hidden$/m);
  assert.match(text, /^Categories=Network;$/m);
  assert.equal(isAutostartEnabled(dir), true);
  setAutostart(true, ['/opt/Loadstar/loadstar', '--hidden'], dir);
  assert.deepEqual(fs.readdirSync(dir), ['loadstar.desktop'], 'rewritten in place, no temp file left');
  setAutostart(false, [], dir);
  assert.equal(isAutostartEnabled(dir), false);
  assert.deepEqual(fs.readdirSync(dir), []);
  setAutostart(false, [], dir);
});

test('an entry disabled by the desktop settings counts as off', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'loadstar.desktop'), autostartEntry(['/x']).replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
  assert.equal(isAutostartEnabled(dir), false);
  fs.writeFileSync(path.join(dir, 'loadstar.desktop'), autostartEntry(['/x']) + 'Hidden=true\n');
  assert.equal(isAutostartEnabled(dir), false);
});

test('Exec arguments with spaces and reserved characters are quoted as the Desktop Entry spec says', () => {
  assert.equal(quoteExecArg('/opt/Loadstar/loadstar'), '/opt/Loadstar/loadstar');
  assert.equal(quoteExecArg('/home/me/Apps/Loadstar 1.0.AppImage'), '"/home/me/Apps/Loadstar 1.0.AppImage"');
  assert.equal(quoteExecArg('a"b$c`d\\e'), '"a\\"b\\$c\\`d\\\\e"');
  assert.equal(quoteExecArg('100%'), '"100%%"');
  assert.equal(autostartEntry(['/a b/x', '--hidden']).match(/^Exec=.*$/m)![0], 'Exec="/a b/x" --hidden');
});

test('preferences default to notifications on and survive a damaged file', () => {
  const dir = tmp();
  assert.deepEqual(readPreferences(dir), { notifications: true });
  writePreferences(dir, { notifications: false });
  assert.deepEqual(readPreferences(dir), { notifications: false });
  fs.writeFileSync(path.join(dir, 'desktop.json'), '{not json');
  assert.deepEqual(readPreferences(dir), { notifications: true });
});
