#!/usr/bin/env node
// Generates every icon from the SVGs in build/ (run after editing one; the PNGs are committed):
//   build/icon.svg      → build/icons/NxN.png (16…512, Linux), build/icon.png (512),
//                          build/icon.ico (Windows: PNG entries 16…256), build/icon.icns (macOS: PNG entries 16…1024)
//   build/tray/tray-<state>.svg → build/tray/tray-<state>-16.png and -16@2x.png (Electron picks by screen scale)
// Rasterising needs rsvg-convert (Debian: apt-get install librsvg2-bin); .ico and .icns are packed here.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const build = fileURLToPath(new URL('../build/', import.meta.url));
const APP_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// icns types holding PNG data, by pixel size.
const ICNS_TYPES = { 16: 'icp4', 32: 'icp5', 64: 'icp6', 128: 'ic07', 256: 'ic08', 512: 'ic09', 1024: 'ic10' };

function rasterise(svg, size) {
  try {
    return execFileSync('rsvg-convert', ['-w', String(size), '-h', String(size), '-f', 'png', svg], { maxBuffer: 64 << 20 });
  } catch (e) {
    if (e.code === 'ENOENT') {
      console.error('build-icons: rsvg-convert is missing (Debian/Ubuntu: apt-get install librsvg2-bin; macOS: brew install librsvg)');
      process.exit(1);
    }
    throw e;
  }
}

/** ICO with PNG-compressed entries (Windows Vista and later read them). */
export function packIco(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map(({ size, png }) => {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0);
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map((i) => i.png)]);
}

/** ICNS with PNG entries. */
export function packIcns(images) {
  const chunks = images.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

function main() {
  const appSvg = path.join(build, 'icon.svg');
  fs.mkdirSync(path.join(build, 'icons'), { recursive: true });
  const png = new Map();
  const at = (size) => png.get(size) ?? png.set(size, rasterise(appSvg, size)).get(size);
  for (const size of APP_SIZES) fs.writeFileSync(path.join(build, 'icons', `${size}x${size}.png`), at(size));
  fs.writeFileSync(path.join(build, 'icon.png'), at(512));
  fs.writeFileSync(path.join(build, 'icon.ico'), packIco(ICO_SIZES.map((size) => ({ size, png: at(size) }))));
  fs.writeFileSync(path.join(build, 'icon.icns'), packIcns(Object.entries(ICNS_TYPES).map(([size, type]) => ({ type, png: at(Number(size)) }))));
  const trayDir = path.join(build, 'tray');
  for (const file of fs.readdirSync(trayDir).filter((f) => f.endsWith('.svg'))) {
    const name = file.slice(0, -4);
    fs.writeFileSync(path.join(trayDir, `${name}-16.png`), rasterise(path.join(trayDir, file), 16));
    fs.writeFileSync(path.join(trayDir, `${name}-16@2x.png`), rasterise(path.join(trayDir, file), 32));
  }
  console.log(`build-icons: ${APP_SIZES.length} app PNGs, icon.png, icon.ico, icon.icns, tray icons for ${fs.readdirSync(trayDir).filter((f) => f.endsWith('.svg')).length} states`);
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main();
