/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`): self time per function
 * and per category (llhttp, JS header handling, socket writes, streams, GC...).
 * Self time of a native API function (e.g. the stream handle's writev) is
 * time spent in C++ below it, down to the write syscall. HTTPParser.execute()
 * gets no frame: its time shows as the caller's self time (the prototypes name
 * that caller `llhttpExecute`; node:http's client calls it from socketOnData). '(program)' is native time not entered from JS (libuv,
 * reads delivered by the event loop, consume()d parsers); '(idle)' is epoll.
 */
import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export interface FnStat { name: string; where: string; selfUs: number; pct: number; category: string }
export interface ProfileSummary { totalUs: number; busyUs: number; byCategory: { category: string; us: number; pct: number }[]; top: FnStat[] }

const WRITE_FNS = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']);

export function categorize(fn: string, url: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle (epoll wait)';
  if (fn === '(program)') return 'native, not from JS (libuv/event loop, reads)';
  if (fn === '(root)') return 'other';
  // V8 gives HTTPParser.execute() no frame of its own: llhttp's time (and the C++ that builds the
  // header arrays and calls the kOn* callbacks) is the self time of the JS function calling it
  if ((url === '' && (fn === 'execute' || fn === 'finish')) || fn === 'llhttpExecute' || (fn === 'socketOnData' && url === 'node:_http_client')) return 'llhttp (execute(): C parser + callback dispatch)';
  if (url === '' && WRITE_FNS.has(fn)) return 'socket writes (C++ + write syscalls)';
  if (url === '' && (fn === 'readStart' || fn === 'readStop' || fn === 'shutdown' || fn === 'close' || fn === 'connect' || fn === 'setNoDelay')) return 'other socket syscalls';
  if (url.includes('/bench/prototypes/')) return 'proxy JS (header handling, dispatch)';
  if (url.startsWith('node:_http') || url.startsWith('node:http')) return 'node:http JS';
  if (url.includes('internal/streams') || url.includes('stream_base_commons') || url === 'node:stream' || url.includes('internal/stream')) return 'streams JS';
  if (url === 'node:net' || url.startsWith('node:internal/net')) return 'net JS';
  if (url.includes('internal/process/task_queues') || url.includes('internal/timers') || url.includes('async_hooks') || url.includes('internal/process/')) return 'ticks/timers/async hooks';
  if (url === 'node:events' || url.includes('internal/events')) return 'events JS';
  if (url.startsWith('node:buffer') || url.includes('internal/buffer')) return 'Buffer JS';
  if (url === '') return `other native (${fn})`;
  return 'other JS';
}

/**
 * @param window optional [start, end] in µs of CLOCK_MONOTONIC (process.hrtime.bigint() / 1000n),
 *   the clock V8 profiles use: only samples inside it count (skips start-up and warm-up).
 */
export function summarizeProfile(path: string, topN = 25, window?: [number, number]): ProfileSummary {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of prof.nodes) byId.set(n.id, n);
  const self = new Map<number, number>();
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    const dt = prof.timeDeltas[i + 1] ?? 0; // time until the next sample belongs to this one
    if (window && (t < window[0] || t > window[1])) continue;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const fns = new Map<string, FnStat>();
  const cats = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    const file = url.replace(/^file:\/\/.*\/(bench\/)/, '$1');
    const where = url ? `${file}:${lineNumber + 1}` : '(native)';
    const key = `${name}@${where}`;
    const category = categorize(name, url);
    const s = fns.get(key) ?? { name, where, selfUs: 0, pct: 0, category };
    s.selfUs += us;
    fns.set(key, s);
    cats.set(category, (cats.get(category) ?? 0) + us);
    total += us;
    if (name === '(idle)') idle += us;
  }
  const busy = total - idle;
  const top = [...fns.values()].filter((f) => f.name !== '(idle)').sort((a, b) => b.selfUs - a.selfUs).slice(0, topN);
  for (const f of top) f.pct = (100 * f.selfUs) / busy;
  const byCategory = [...cats.entries()].filter(([c]) => !c.startsWith('idle'))
    .map(([category, us]) => ({ category, us, pct: (100 * us) / busy })).sort((a, b) => b.us - a.us);
  return { totalUs: total, busyUs: busy, byCategory, top };
}
