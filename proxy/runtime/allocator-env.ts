/**
 * glibc malloc settings for a process that runs the engine, given through the
 * environment because glibc reads them once, at start (bin/loadstar.js's
 * shebang, `npm start`, the desktop app's engine process and the benchmarks set
 * them; test/proxy/runtime/allocator-env.test.ts keeps those in step).
 *
 * Why: llhttp hands every response body chunk over as a fresh copy (up to
 * 64 KiB) and Node reads unconsumed sockets into fresh 64 KiB blocks. Freed,
 * they leave free space at the top of glibc's heap, which glibc gives back to
 * the kernel past its 128 KiB trim threshold — and faults in again for the next
 * response: ~2 minor faults per 64 KiB response, and a process that had first
 * served small responses settled into that state (HTTP 64 KiB measured at
 * 328 µs/request in that state vs 116 with these settings, same run). With the
 * top kept (trim at 64 MiB, 16 MiB pad) and a fixed mmap threshold, blocks are
 * reused instead. The cost: up to 64 MiB of freed heap stays resident.
 * Other C libraries (musl, macOS, Windows) ignore these variables.
 */
export const ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024),
  MALLOC_TOP_PAD_: String(16 * 1024 * 1024),
  MALLOC_MMAP_THRESHOLD_: String(1024 * 1024),
};

/**
 * V8 flags for the engine's process (bin/loadstar.js's shebang; NODE_OPTIONS for the
 * processes started with withAllocatorEnv; execArgv for the desktop app's engine process).
 *
 * --max-semi-space-size=8 (MiB): V8 doubles its young generation from 2 × 8 to 2 × 16 MiB
 * when more bytes survive scavenges than it holds — as they do while connections arrive,
 * every connection's objects surviving — and does not shrink it back until its allocation
 * rate has been low for ~5 s (quiet-reclaim.ts then asks it to): ~1.2 KB per connection of
 * 10,000 idle keep-alive connections in the meantime
 * (bench:idle 5.9 → 4.8 KiB, docs/architecture.md "Idle keep-alive connections (#15)").
 * The hot path measured the same with and without it (bench/ab.ts --b-flags, HTTP 100 B
 * and 64 KiB, TCP 100 B). Read at V8's start only, hence a process flag; 4 and 2 MiB
 * measured worse (more objects promoted to the old generation before they die).
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * `env` plus the allocator settings and ENGINE_NODE_FLAGS in NODE_OPTIONS; values already
 * in `env` (the user's) win: their NODE_OPTIONS come after these flags, and V8 takes the last.
 */
export function withAllocatorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const nodeOptions = [...ENGINE_NODE_FLAGS, env.NODE_OPTIONS ?? ''].join(' ').trim();
  return { ...ALLOCATOR_ENV, ...env, NODE_OPTIONS: nodeOptions };
}
