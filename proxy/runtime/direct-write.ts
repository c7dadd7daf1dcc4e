/**
 * Writes a relayed chunk straight to a plain TCP socket's handle when its stream has nothing
 * queued, skipping the Writable state machine. In a TCP session at 100 B per exchange, Node's
 * write path (writeOrBuffer, _writeGeneric, a WriteWrap, then a nextTick to finish a write the
 * kernel already took) was a large share of the ~10 µs of user time per request Loadstar spent
 * against HAProxy's ~5 (docs/perf-tcp.md). This does what `_writeGeneric` does for one buffer —
 * a WriteWrap, `handle.writeBuffer`, the socket's timeout refreshed (`bytesWritten` is the
 * handle's own count, which includes these writes) — and
 * nothing for the common case where the kernel takes the chunk whole.
 *
 * A write the kernel does not take at once stays with libuv, which keeps the order of everything
 * written after it on the same handle (Writable writes included), and holds a shutdown (`end()`)
 * until it is done. The caller gets `'pending'`: it must keep the chunk's memory and stop reading
 * until `done` is called.
 *
 * The WriteWrap constructor and the write-result array are Node's stream binding
 * (`process.binding('stream_wrap')`, as Node 20 exposes it). Where it is missing or not as
 * expected (another Node, Electron's utility process with other internals), `directWriter`
 * returns undefined and callers write through `socket.write` as before.
 */
import net from 'node:net';
import { getSystemErrorName } from 'node:util';

export interface WriteReq {
  handle: unknown;
  oncomplete: (status: number) => void;
  async: boolean;
  /** The chunk of a write that has to wait, kept alive with it. */
  buffer?: Uint8Array;
}

interface StreamWrap {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

export interface StreamHandle {
  writeBuffer(req: WriteReq, data: Uint8Array): number;
  writeLatin1String(req: WriteReq, data: string): number;
}

/** The net.Socket fields Node's own write path keeps up to date. */
export interface SocketInternals {
  _handle: StreamHandle | null;
  /** Refreshes the socket's `setTimeout` timer, as every write does. */
  _unrefTimer?: () => void;
}


function streamWrap(): StreamWrap | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<StreamWrap> }).binding('stream_wrap');
    if (typeof binding.WriteWrap !== 'function' || !(binding.streamBaseState instanceof Int32Array) || typeof binding.kLastWriteWasAsync !== 'number') return undefined;
    if (typeof (net.Socket.prototype as unknown as SocketInternals)._unrefTimer !== 'function') return undefined;
    return binding as StreamWrap;
  } catch {
    return undefined;
  }
}

const binding = streamWrap();

/** Node's stream binding as this module checked it, or undefined where direct writes are not possible. */
export const streamBinding: StreamWrap | undefined = binding;

/** Whether `sink` is a plain TCP socket whose handle can be written directly (not TLS, not another stream). */
export function isDirectWritable(sink: net.Socket): boolean {
  return binding !== undefined && Object.getPrototypeOf(sink) === net.Socket.prototype;
}

/**
 * 'sent': the kernel took it all; 'pending': libuv holds it until `done`; 'failed': the socket is
 * being destroyed; 'stream': not written, the caller writes it through `socket.write`.
 */
export type DirectWriteResult = 'sent' | 'pending' | 'failed' | 'stream';

export type DirectWriter = (chunk: Buffer) => DirectWriteResult;

export function writeError(status: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(status);
  return Object.assign(new Error(`write ${code}`), { errno: status, code, syscall: 'write' });
}

/**
 * A writer of chunks to `sink` (a plain net.Socket, connected), or undefined when direct writes
 * are not possible (the binding is missing, or the socket is TLS or another kind of stream).
 * `done` is called after a 'pending' write has completed or failed, never for other results.
 */
export function directWriter(sink: net.Socket, done: () => void): DirectWriter | undefined {
  if (!binding || !isDirectWritable(sink)) return undefined;
  const { WriteWrap, streamBaseState, kLastWriteWasAsync } = binding;
  const socket = sink as unknown as SocketInternals;
  function oncomplete(status: number): void {
    if (status < 0 && !sink.destroyed) sink.destroy(writeError(status));
    else if (!sink.destroyed) socket._unrefTimer!();
    done();
  }
  // One request object for every write the kernel takes whole: Node's C++ only binds it to a write
  // that has to wait (it is then that write's, and the next one gets a new object). Constructing one
  // per write, as Node's own path does, is a call into C++ each time.
  let req: WriteReq | undefined;
  return (chunk) => {
    const handle = socket._handle;
    // Anything the stream still queues goes first; a socket connecting, ending or closed has its own rules.
    if (!handle || sink.connecting || sink.writableLength > 0 || sink.writableEnded || sink.destroyed) return 'stream';
    if (!req) {
      req = new WriteWrap();
      req.handle = handle;
      req.oncomplete = oncomplete;
      req.async = false;
    }
    const status = handle.writeBuffer(req, chunk);
    if (status !== 0) {
      sink.destroy(writeError(status));
      return 'failed';
    }
    socket._unrefTimer!();
    if (streamBaseState[kLastWriteWasAsync] === 0) return 'sent';
    req.async = true;
    // The chunk's memory must outlive the write: the request object is what libuv's write belongs to.
    req.buffer = chunk;
    req = undefined;
    return 'pending';
  };
}
