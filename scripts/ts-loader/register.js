// `node --import ./scripts/ts-loader/register.js`: loads TypeScript through hooks.js. A test run
// (run-tests.js) compiles the sources first and names the compiled set in LOADSTAR_TS_COMPILED
// ({ root, outDir, compiledAt } as JSON); its children inherit it. Without it every source is
// compiled as it loads, which is slower but the same.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const compiled = JSON.parse(process.env.LOADSTAR_TS_COMPILED || '{}');
const root = compiled.root ?? fileURLToPath(new URL('../../', import.meta.url));
// Stacks name the .ts file and line, as under tsx.
process.setSourceMapsEnabled(true);
register(new URL('./hooks.js', import.meta.url), { data: { ...compiled, root } });
