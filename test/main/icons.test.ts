/** The committed icons: one SVG per tray state and the app icon in every size, .ico and .icns included. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TRAY_ICON_SHAPES } from '../../main/tray-state.ts';
// @ts-expect-error a plain JavaScript script without type declarations
import { packIco, packIcns } from '../../scripts/build-icons.js';

const build = (p: string) => fileURLToPath(new URL(`../../build/${p}`, import.meta.url));

function pngSize(file: string): [number, number] {
  const data = fs.readFileSync(file);
  assert.equal(data.subarray(1, 4).toString('ascii'), 'PNG', `${file} is a PNG`);
  return [data.readUInt32BE(16), data.readUInt32BE(20)];
}

test('every tray state has its SVG and PNGs at 16 px and 32 px (@2x)', () => {
  for (const state of Object.keys(TRAY_ICON_SHAPES)) {
    assert.ok(fs.existsSync(build(`tray/tray-${state}.svg`)), state);
    assert.deepEqual(pngSize(build(`tray/tray-${state}-16.png`)), [16, 16]);
    assert.deepEqual(pngSize(build(`tray/tray-${state}-16@2x.png`)), [32, 32]);
  }
});

test('the app icon exists in every size from 16 to 512 px, as .ico and as .icns', () => {
  for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) assert.deepEqual(pngSize(build(`icons/${size}x${size}.png`)), [size, size]);
  assert.deepEqual(pngSize(build('icon.png')), [512, 512]);
  const ico = fs.readFileSync(build('icon.ico'));
  assert.equal(ico.readUInt16LE(2), 1, 'ICO type');
  assert.equal(ico.readUInt16LE(4), 7, 'seven sizes');
  const icns = fs.readFileSync(build('icon.icns'));
  assert.equal(icns.subarray(0, 4).toString('ascii'), 'icns');
  assert.equal(icns.readUInt32BE(4), icns.length);
});

test('the .ico and .icns packers lay out their entries as the formats say', () => {
  const png = Buffer.from('89504e470d0a1a0a', 'hex');
  const ico: Buffer = packIco([{ size: 16, png }, { size: 256, png }]);
  assert.equal(ico.length, 6 + 32 + 16);
  assert.equal(ico.readUInt8(6), 16);
  assert.equal(ico.readUInt8(22), 0, '256 px is written as 0');
  assert.equal(ico.readUInt32LE(6 + 12), 38, 'first image right after the directory');
  assert.equal(ico.readUInt32LE(22 + 12), 46);
  const icns: Buffer = packIcns([{ type: 'ic07', png }]);
  assert.equal(icns.length, 8 + 8 + 8);
  assert.equal(icns.subarray(8, 12).toString('ascii'), 'ic07');
  assert.equal(icns.readUInt32BE(12), 16);
});
