/**
 * llhttp compiled to WebAssembly (the build undici 7 ships), driven from JS:
 * the same parser as Node's C++ binding, but its callbacks are wasm→JS calls
 * inside V8 instead of C++→JS crossings, and the bytes come from an ordinary
 * JS read (socket `onread`) copied into wasm memory. The owner sets the
 * callbacks; header names/values are gathered here as Node's binding does
 * (a name or value split across reads is joined).
 *
 * Prototype for issue #15 (e-wasm-llhttp.ts); not used by the engine.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** undici 7's lib/llhttp/ (a direct dependency if there is one, else the copy under cheerio). */
function llhttpDir(): string {
  const root = fileURLToPath(new URL('../../node_modules/', import.meta.url));
  for (const d of ['undici', 'cheerio/node_modules/undici']) {
    const pkg = root + d + '/package.json';
    if (existsSync(pkg) && (require(pkg) as { version: string }).version.startsWith('7.')) return root + d + '/lib/llhttp/';
  }
  throw new Error('undici 7.x not found under node_modules');
}
const dir = llhttpDir();
const constants = require(dir + 'constants.js') as { METHODS: Record<string, number>; TYPE: { REQUEST: number; RESPONSE: number }; ERROR: Record<string, number | string> };

export const REQUEST = constants.TYPE.REQUEST;
export const RESPONSE = constants.TYPE.RESPONSE;
/** Method names by llhttp's method number. */
export const methods: string[] = [];
for (const [name, n] of Object.entries(constants.METHODS)) methods[n] = name;
export const ERROR_NAMES = constants.ERROR as Record<number, string>;

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  llhttp_alloc(type: number): number;
  llhttp_free(p: number): void;
  malloc(n: number): number;
  free(p: number): void;
  llhttp_execute(p: number, data: number, len: number): number;
  llhttp_finish(p: number): number;
  llhttp_reset(p: number): void;
  llhttp_get_method(p: number): number;
  llhttp_get_http_major(p: number): number;
  llhttp_get_http_minor(p: number): number;
  llhttp_get_error_pos(p: number): number;
  llhttp_get_error_reason(p: number): number;
  llhttp_resume(p: number): void;
}

/** The parser llhttp is calling back now, and where the read it parses sits (JS buffer and wasm copy). */
let current: WasmParser | null = null;
let src: Buffer = Buffer.alloc(0);
let srcBase = 0; // wasm address of src[0]

/** Node's Buffer#latin1Slice (what toString('latin1') ends in, without its argument checks). */
const latin1 = (Buffer.prototype as unknown as { latin1Slice(this: Buffer, s: number, e: number): string }).latin1Slice;
function field(at: number, len: number): string { return latin1.call(src, at - srcBase, at - srcBase + len); }

const imports = {
  env: {
    wasm_on_message_begin: (): number => { current!.begin(); return 0; },
    wasm_on_url: (_p: number, at: number, len: number): number => { current!.url += field(at, len); return 0; },
    wasm_on_status: (_p: number, at: number, len: number): number => { current!.statusMessage += field(at, len); return 0; },
    wasm_on_header_field: (_p: number, at: number, len: number): number => {
      const c = current!;
      if (c.inValue) { c.inValue = false; c.headers.push(field(at, len)); } else if (c.headers.length % 2 === 1) c.headers[c.headers.length - 1] += field(at, len);
      else c.headers.push(field(at, len));
      return 0;
    },
    wasm_on_header_value: (_p: number, at: number, len: number): number => {
      const c = current!;
      if (c.inValue) c.headers[c.headers.length - 1] += field(at, len);
      else { c.inValue = true; c.headers.push(field(at, len)); }
      return 0;
    },
    wasm_on_headers_complete: (p: number, status: number, upgrade: number, keepAlive: number): number => {
      const c = current!;
      return c.onHeadersComplete(ex.llhttp_get_http_major(p), ex.llhttp_get_http_minor(p), c.headers,
        c.type === REQUEST ? ex.llhttp_get_method(p) : 0, c.url, status, c.statusMessage, upgrade === 1, keepAlive === 1) | 0;
    },
    wasm_on_body: (_p: number, at: number, len: number): number => { current!.onBody(src, at - srcBase, len); return 0; },
    wasm_on_message_complete: (): number => { current!.onMessageComplete(); return 0; },
  },
};

let mod: WebAssembly.Module;
try { mod = new WebAssembly.Module(require(dir + 'llhttp_simd-wasm.js') as Buffer<ArrayBuffer>); } catch { mod = new WebAssembly.Module(require(dir + 'llhttp-wasm.js') as Buffer<ArrayBuffer>); }
const instance = new WebAssembly.Instance(mod, imports);
const ex = instance.exports as unknown as Exports;
ex._initialize();

/** One wasm buffer every parser copies its read into (parsing is synchronous). */
let inSize = 0;
let inPtr = 0;
let heap = new Uint8Array(ex.memory.buffer);

export type HeadersComplete = (major: number, minor: number, headers: string[], method: number, url: string,
  status: number, statusMessage: string, upgrade: boolean, keepAlive: boolean) => number;

export class WasmParser {
  readonly ptr: number;
  url = '';
  statusMessage = '';
  headers: string[] = [];
  inValue = false;
  onHeadersComplete: HeadersComplete = () => 0;
  /** `buf[start, start+len)`: valid only during the call (the read buffer is reused). */
  onBody: (buf: Buffer, start: number, len: number) => void = () => {};
  onMessageComplete: () => void = () => {};

  constructor(readonly type: number) {
    this.ptr = ex.llhttp_alloc(type);
  }

  begin(): void { this.url = ''; this.statusMessage = ''; this.headers = []; this.inValue = false; }

  /** Parses buf[0, len); returns 0 or llhttp's error number. */
  execute(buf: Buffer, len: number): number {
    // a parse started from inside another parser's callback gets a wasm buffer of its own
    const nested = current !== null;
    let at: number;
    if (nested) at = ex.malloc(len);
    else {
      if (len > inSize) {
        if (inPtr) ex.free(inPtr);
        inSize = Math.ceil(len / 4096) * 4096;
        inPtr = ex.malloc(inSize);
      }
      at = inPtr;
    }
    if (heap.byteLength === 0) heap = new Uint8Array(ex.memory.buffer); // growing memory detaches the old view
    heap.set(len === buf.length ? buf : buf.subarray(0, len), at);
    const prev = current, prevSrc = src, prevBase = srcBase;
    current = this; src = buf; srcBase = at;
    try {
      return ex.llhttp_execute(this.ptr, at, len);
    } finally {
      current = prev; src = prevSrc; srcBase = prevBase;
      if (nested) ex.free(at);
    }
  }

  /** Parses `len` bytes read straight into `buf`, a view of wasm memory from `wasmReadBuffer()` (no copy). */
  executeInPlace(buf: Buffer, len: number): number {
    if (mem.length === 0) mem = Buffer.from(ex.memory.buffer);
    const prev = current, prevSrc = src, prevBase = srcBase;
    current = this; src = mem; srcBase = 0;
    try {
      return ex.llhttp_execute(this.ptr, buf.byteOffset, len);
    } finally {
      current = prev; src = prevSrc; srcBase = prevBase;
    }
  }

  free(): void { ex.llhttp_free(this.ptr); }
}

/** All of wasm memory as a Buffer (replaced when memory grows, which detaches the old one). */
let mem = Buffer.from(ex.memory.buffer);

/**
 * A buffer in wasm memory for sockets to read into (`onread`), so llhttp parses the read where it
 * landed. Prototype only: wasm memory is grown up front (malloc + free of `reserve` bytes, which
 * dlmalloc keeps) so that parsers allocated later do not grow it, because growing detaches every
 * view of it — this one included, while libuv keeps reading into its address. Throws if it did.
 */
export function wasmReadBuffer(size: number, reserve = 32 << 20): Buffer {
  ex.free(ex.malloc(reserve));
  const ptr = ex.malloc(size);
  mem = Buffer.from(ex.memory.buffer);
  return Buffer.from(ex.memory.buffer, ptr, size);
}
