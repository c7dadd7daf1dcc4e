/**
 * Bundles main/preload.ts into dist/main/preload.cjs: a sandboxed preload can
 * require nothing but `electron` and a few Node built-ins, so the contract's
 * channel map and the API builder are inlined into one CommonJS file.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/main', import.meta.url)),
    emptyOutDir: false,
    minify: false,
    sourcemap: false,
    target: 'chrome130',
    lib: {
      entry: fileURLToPath(new URL('./preload.ts', import.meta.url)),
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rollupOptions: { external: ['electron'] },
  },
});
