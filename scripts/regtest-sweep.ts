/**
 * HAProxy reg-test configuration sweep: which configurations of HAProxy's own
 * reg-tests (reg-tests/**.vtc at a tag) does haproxy accept (`haproxy -c`) and
 * Loadstar refuse (`loadstar check`)? Not part of `npm test`: it needs the
 * HAProxy git mirror and the `haproxy` binary.
 *
 *   node --import tsx scripts/regtest-sweep.ts [--repo GITDIR] [--tag v2.6.0]
 *        [--json OUT.json] [--show-refused] [--only SUBSTRING]
 *
 * Each `haproxy hN [flags] -conf {…}` / `-conf-OK {…}` block is extracted
 * (`-conf-BAD` blocks are meant to fail and are left out), vtest's macros are
 * replaced by loopback values (fd@${fe1} → 127.0.0.1:PORT, ${s1_addr}:${s1_port},
 * ${h1_fe1_addr}/…_port/…_sock, ${tmpdir}, ${testdir} → the vtc's directory
 * extracted from the tag, so maps, certificates and error files exist), and
 * HAProxy's own `${HAPROXY_…}` variables are left for both sides to expand.
 * Configurations loading Lua or SPOE are skipped. The report groups the
 * configurations haproxy accepts and Loadstar refuses by the first refused
 * keyword, directive, fetch, converter or action.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { main as loadstarMain } from '../proxy/cli.ts';

const { values: opts } = parseArgs({
  options: {
    repo: { type: 'string', default: '/work/.mirror/haproxy+haproxy/repo' },
    tag: { type: 'string', default: 'v2.6.0' },
    json: { type: 'string' },
    'show-refused': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

const repo = opts.repo!;
const tag = opts.tag!;
const work = mkdtempSync(join(tmpdir(), 'regtest-sweep-'));
const tree = join(work, 'tree');
const tmp = join(work, 'tmp');
mkdirSync(tree);
mkdirSync(tmp);
// The tag's reg-tests/ as files, for ${testdir}/… references.
execFileSync('sh', ['-c', `git -C '${repo}' archive ${tag} reg-tests | tar -x -C '${tree}'`]);

const vtcs = execFileSync('git', ['-C', repo, 'ls-tree', '-r', '--name-only', tag, 'reg-tests'], { encoding: 'utf8' })
  .split('\n')
  .filter((p) => p.endsWith('.vtc') && (!opts.only || p.includes(opts.only)));

interface Block { vtc: string; instance: string; index: number; flags: string; text: string }

/** `haproxy NAME [flags] -conf {` or `-conf-OK {`, the braces balanced as vtest reads them. */
function extractBlocks(vtc: string, src: string): Block[] {
  const blocks: Block[] = [];
  const re = /^\s*haproxy\s+(\S+)\s+([^\n{]*?\s)?-conf(-OK)?\s+\{/gm;
  let m: RegExpExecArray | null;
  let index = 0;
  while ((m = re.exec(src))) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < src.length && depth > 0; i++) {
      const c = src[i];
      if (c === '\\') { i++; continue; }
      if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    blocks.push({ vtc, instance: m[1], index: index++, flags: m[2] ?? '', text: src.slice(re.lastIndex, i - 1) });
    re.lastIndex = i;
  }
  return blocks;
}

function substitute(block: Block): string {
  const ports = new Map<string, number>();
  let next = 30000;
  const port = (key: string) => {
    let p = ports.get(key);
    if (p === undefined) { p = next++; ports.set(key, p); }
    return p;
  };
  const h = block.instance;
  const testdir = join(tree, dirname(block.vtc));
  return block.text
    .replace(/fd@\$\{([A-Za-z0-9_-]+)\}/g, (_, name: string) => `127.0.0.1:${port(`${h}_${name}`)}`)
    .replace(/\$\{([A-Za-z0-9_-]+)\}/g, (whole: string, name: string) => {
      if (name === 'testdir') return testdir;
      if (name === 'tmpdir') return tmp;
      if (name === 'no-htx') return '';
      if (/^h\d+_pid$/.test(name)) return '4242';
      let mm = /^(.*)_(addr|port|sock)$/.exec(name);
      if (mm) {
        const key = mm[1];
        if (mm[2] === 'addr') return '127.0.0.1';
        if (mm[2] === 'port') return String(port(key));
        return `127.0.0.1:${port(key)}`;
      }
      if (name.startsWith('HAPROXY_')) return whole;
      return whole;
    });
}

function skipReason(text: string): string | undefined {
  if (/^\s*lua-(load|prepend-path|load-per-thread)\b/m.test(text) || /\blua\./.test(text)) return 'Lua';
  if (/\bfilter\s+spoe\b/.test(text) || /\bspoe-/.test(text)) return 'SPOE';
  return undefined;
}

interface Result {
  name: string;
  skipped?: string;
  haproxyOk?: boolean;
  haproxyOut?: string;
  loadstarOk?: boolean;
  loadstarOut?: string;
  group?: string;
}

/** The first refused thing in Loadstar's output, as a short group key. */
function groupOf(out: string): string {
  const lines = out.split('\n').filter((l) => l.startsWith('[ALERT]') && !l.includes('Fatal errors found'));
  const first = lines[0] ?? out.trim().split('\n')[0] ?? '';
  let msg = first.replace(/^\[ALERT\]\s*(parsing \[[^\]]*\]\s*:\s*)?/, '');
  // `'bind ADDR' in section 'listen' : 'X' is not supported…`, `'server be/s' : 'X' …`: the X is what is refused.
  msg = msg.replace(/^'(?:bind|server|default-server) [^']*'(?: in section '[^']*')?\s*:\s*/, '');
  if (/^unable to stat SSL certificate/.test(msg)) return 'certificate file missing';
  const patterns: [RegExp, (m: RegExpExecArray) => string][] = [
    [/unknown keyword '([^']+)'/, (m) => `keyword '${m[1]}'`],
    [/(?:fetch|sample fetch)(?: method)? '([^']+)'/, (m) => `fetch '${m[1]}'`],
    [/converter '([^']+)'/, (m) => `converter '${m[1]}'`],
    [/action '([^']+)'/, (m) => `action '${m[1]}'`],
    [/^'([^']+)'/, (m) => `'${m[1]}'`],
    [/'([^']+)'/, (m) => `'${m[1]}'`],
  ];
  for (const [re, f] of patterns) {
    const m = re.exec(msg);
    if (m) return f(m);
  }
  return msg.slice(0, 80);
}

const results: Result[] = [];
for (const vtc of vtcs) {
  const src = execFileSync('git', ['-C', repo, 'show', `${tag}:${vtc}`], { encoding: 'utf8' });
  for (const block of extractBlocks(vtc, src)) {
    const name = `${vtc}#${block.instance}${block.index > 0 ? `.${block.index}` : ''}`;
    const text = substitute(block);
    const skipped = skipReason(text);
    if (skipped) { results.push({ name, skipped }); continue; }
    const file = join(work, `${results.length}.cfg`);
    writeFileSync(file, text + '\n');
    // Master-worker sections (`program`) need -W, as the vtc gives it.
    const hapArgs = [...(/(^|\s)-W(\s|$)/.test(block.flags) ? ['-W'] : []), '-c', '-f', file];
    const hap = spawnSync('haproxy', hapArgs, { encoding: 'utf8', cwd: tmp, timeout: 20_000 });
    // Exit 2, "no error but will not start (no listener)": valid (a checks-only reg-test has no frontend).
    const haproxyOk = hap.status === 0 || (hap.status === 2 && /has no error/.test(hap.stdout + hap.stderr));
    let loadstarOut = '';
    const io = { out: (s: string) => { loadstarOut += s; }, err: (s: string) => { loadstarOut += s; } };
    let code: number;
    // Exit 2, no error but no listener, is right when haproxy says the same.
    try {
      code = await loadstarMain(['check', '-q', '-f', file], io);
    } catch (e) {
      code = 99;
      loadstarOut += `[ALERT] crash: ${(e as Error).stack}`;
    }
    const r: Result = { name, haproxyOk, haproxyOut: (hap.stdout + hap.stderr).trim(), loadstarOk: code === 0 || (code === 2 && hap.status === 2), loadstarOut: loadstarOut.trim() };
    if (haproxyOk && !r.loadstarOk) r.group = groupOf(loadstarOut);
    results.push(r);
  }
}

const skipped = results.filter((r) => r.skipped);
const hapOk = results.filter((r) => r.haproxyOk);
const refused = hapOk.filter((r) => !r.loadstarOk);
const lsOnly = results.filter((r) => r.haproxyOk === false && r.loadstarOk);

const groups = new Map<string, string[]>();
for (const r of refused) groups.set(r.group!, [...(groups.get(r.group!) ?? []), r.name]);
const sorted = [...groups].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));

console.log(`reg-tests ${tag}: ${results.length} configurations, ${skipped.length} skipped (Lua/SPOE), ${hapOk.length} accepted by haproxy -c`);
console.log(`refused by Loadstar: ${refused.length} of ${hapOk.length}`);
console.log(`accepted by Loadstar but refused by haproxy: ${lsOnly.length}${lsOnly.length ? ` (${lsOnly.map((r) => r.name).join(', ')})` : ''}`);
console.log('\nrefused, grouped by the first refused thing:');
for (const [g, names] of sorted) {
  console.log(`${String(names.length).padStart(4)}  ${g}`);
  if (opts['show-refused']) for (const n of names) console.log(`        ${n}`);
}
if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2));
rmSync(work, { recursive: true, force: true });
