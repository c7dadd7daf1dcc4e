// Types of compile.js (plain JavaScript: run-tests.js runs it before any TypeScript loader exists).
export const SOURCE_DIRS: readonly string[];
export function tsconfigRaw(root: string): { compilerOptions: Record<string, unknown> };
export function compileOne(path: string, tsconfigRaw: { compilerOptions: Record<string, unknown> }): Promise<string>;
export function compiledPath(outDir: string, root: string, path: string): string;
export function compileAll(root: string, outDir: string): Promise<number>;
