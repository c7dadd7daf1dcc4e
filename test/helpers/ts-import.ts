// What a test gives `node --import` for a child that runs TypeScript: in a run of npm test, the
// run's own loader, which reads the sources compiled once before the run (scripts/ts-loader);
// in a test file run on its own (`node --import tsx --test …`), tsx.
export const TS_IMPORT = process.env.LOADSTAR_TS_COMPILED ? new URL('../../scripts/ts-loader/register.js', import.meta.url).href : 'tsx';
