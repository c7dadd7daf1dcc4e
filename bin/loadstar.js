#!/usr/bin/env node
// Entry point for the `loadstar` command. The sources are TypeScript; tsx's
// loader compiles them on first import (and caches), so a fresh `npm ci` is
// all a user needs before running `npx loadstar`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../proxy/cli.ts');
process.exitCode = await main(process.argv.slice(2));
