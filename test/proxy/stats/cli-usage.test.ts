/**
 * The runtime API's usage message next to HAProxy 2.6's (cli_gen_usage_msg): `help` and its
 * narrowing words, an unknown command's suggestions by letter-pair fingerprint, an empty command
 * (an empty line, around a ';') listing every command, at admin and user level, interactive or
 * not. HAProxy's commands about its own internals are listed and suggested as HAProxy does, and
 * answer plainly that Loadstar lacks them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, freePort, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { cli } from './helpers.ts';

function config(sock: string, userSock: string, port: number): string {
  return `global
    stats socket ${sock} level admin
    stats socket ${userSock} level user
${HTTP_DEFAULTS}frontend fe
    bind 127.0.0.1:${port}
    http-request return status 200
`;
}

/**
 * Inputs whose answers do not depend on which commands tie in distance (HAProxy keeps the first
 * registered of equals, an order of its source files): typos, prefixes, empty commands.
 */
const INPUTS: Array<[admin: boolean, text: string]> = [
  [true, ''], [true, '   '], [true, ';'], [true, 'show cli level;'], [true, ' ; show cli level'], [true, 'show cli level;;show cli level'],
  [true, 'help'], [true, 'help show'], [true, 'help show st'], [true, 'help help'], [true, 'help foo bar'], [true, 'help set server'],
  [true, 'show stats'], [true, 'show'], [true, 'set serv'], [true, 'disable'], [true, 'foo'], [true, 'shw stat'], [true, 'clear'],
  [true, 'trce'], [true, 'shw pools'], [true, 'sett weight'], [true, 'enable server'], [true, 'add ssl'], [true, 'show servers foo'],
  [true, 'SHOW STAT'], [true, 'show stat1'], [true, 'del'], [true, 'get weigth x/y'],
  [false, ''], [false, 'help'], [false, 'shw info'],
];

test('help, unknown and empty commands answer with HAProxy 2.6\'s usage message, suggestions included', { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-cli-usage-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = async (admin: string, user: string): Promise<string[]> => {
    const out: string[] = [];
    for (const [isAdmin, text] of INPUTS) out.push(await cli(isAdmin ? admin : user, text));
    // Interactive: an empty line after `prompt`, then one that ends the session.
    out.push(await cli(admin, 'prompt\n\nquit'));
    return out;
  };
  const hPort = await freePort();
  const haproxy = await startHaproxy(config(path.join(dir, 'h.sock'), path.join(dir, 'h-user.sock'), hPort), hPort);
  let theirs: string[];
  try {
    theirs = await run(path.join(dir, 'h.sock'), path.join(dir, 'h-user.sock'));
  } finally {
    await haproxy.stop();
  }
  const loadstar = await startEngine(config(path.join(dir, 'l.sock'), path.join(dir, 'l-user.sock'), await freePort()));
  let ours: string[];
  try {
    ours = await run(path.join(dir, 'l.sock'), path.join(dir, 'l-user.sock'));
    // Run, a command about HAProxy's internals says Loadstar lacks it (HAProxy dumps its file descriptors).
    assert.equal(await cli(path.join(dir, 'l.sock'), 'show fd'), "'show fd' is not available in Loadstar: it reports HAProxy's own internals (its file descriptor table), which Loadstar's Node.js engine does not have.\n\n");
    assert.equal(await cli(path.join(dir, 'l-user.sock'), 'trace'), 'Permission denied\n\n');
  } finally {
    await loadstar.stop();
  }
  for (let i = 0; i < INPUTS.length; i++) assert.equal(ours[i], theirs[i], `answer to ${JSON.stringify(INPUTS[i]![1])} (${INPUTS[i]![0] ? 'admin' : 'user'})`);
  assert.equal(ours[INPUTS.length], theirs[INPUTS.length], 'prompt, an empty line, quit');
  // What the comparison covers, stated: an empty line lists every command, a typo gets the one it meant.
  assert.match(ours[0]!, /^Unknown command\. Please enter one of the following commands only:\n {2}abort ssl ca-file/);
  assert.equal(ours[INPUTS.findIndex(([, text]) => text === 'shw stat')], 'Unknown command, but maybe one of the following ones is a better match:\n'
    + '  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n'
    + '  help [<command>]                        : list matching or all commands\n'
    + '  prompt                                  : toggle interactive mode with prompt\n'
    + '  quit                                    : disconnect\n\n');
});
