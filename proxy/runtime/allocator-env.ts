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

/** `env` plus the allocator settings; values already in `env` (the user's) win. */
export function withAllocatorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...ALLOCATOR_ENV, ...env };
}
