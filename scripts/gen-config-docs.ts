/**
 * Writes docs/configuration.md from the keyword registry, so the page a user
 * coming from HAProxy reads first cannot drift from what the parser does.
 * `npm run docs:config` regenerates it; a test fails when it is stale.
 */
import fs from 'node:fs';
import { renderConfigurationDoc } from '../proxy/config/docs.ts';

const target = new URL('../docs/configuration.md', import.meta.url);
fs.writeFileSync(target, renderConfigurationDoc());
console.log(`wrote ${target.pathname}`);
