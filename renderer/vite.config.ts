/**
 * Builds the renderer into dist/renderer/ (served by `loadstar serve` and
 * loaded by the desktop app from app://). The admin server's CSP allows
 * scripts and style elements only from its own origin, so the build must
 * contain no inline <script> and Svelte's component CSS goes into the CSS
 * file (css: 'external'), never into a <style> element injected at runtime.
 */
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [svelte({ compilerOptions: { css: 'external' }, emitCss: true })],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // Keep the module-preload helper out of the HTML: it would be an inline script.
    modulePreload: { polyfill: false },
    // Every asset is a file (no data: URLs that a CSP would have to allow).
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
  server: { host: '127.0.0.1' },
});
