/**
 * Gives an accepted client socket the `onread` behaviour `net.connect` offers
 * for outgoing ones: reads land in buffers the caller supplies and go to a
 * callback, instead of a fresh 64 KiB allocation per read pushed through the
 * socket's Readable stream ('data', maybeReadMore's nextTick, …).
 *
 * Why: in a TCP session at 100 B per exchange, the client's reads were the one
 * half of the relay still on Node's stream path (the server side uses
 * `net.connect`'s `onread`); giving them `onread` too cut Loadstar's CPU per
 * request by ~10 % (docs/perf-tcp.md). `net.Server` has no `onread` option,
 * so this sets, on the accepted socket, the three fields the `net.Socket`
 * constructor sets from that option (the buffer, the function giving the next
 * one, the callback) and tells the handle to read into the buffer
 * (`useUserBuffer`, what the constructor does next). From then on Node's own
 * code treats the socket as one created with `onread`: `pause()`/`resume()`
 * stop and start reading, timeouts are refreshed per read, a FIN still ends
 * the stream ('end'), errors still destroy it.
 *
 * The fields are Node's private symbols; they are found once, by value, on a
 * socket constructed with a known `onread` option — not by name — and when
 * they cannot be found (another Node version) or the socket is not a plain
 * TCP socket (TLS: its reads are decrypted by the TLS layer), `adoptReads`
 * returns false and the caller reads through 'data' as before.
 */
import net from 'node:net';

export interface OnRead {
  buffer: () => Buffer;
  callback: (bytes: number, buffer: Uint8Array) => boolean;
}

interface OnreadSymbols {
  buffer: symbol;
  generator: symbol;
  callback: symbol;
}

/** The socket fields behind `onread`, as this Node sets them; undefined if they cannot be told apart. */
function findSymbols(): OnreadSymbols | undefined {
  try {
    const generator = (): Buffer => buffer;
    const callback = (): boolean => true;
    const buffer = Buffer.alloc(1);
    // No handle: the constructor records the option without reading anything (the typings list
    // `onread` for connect() only; the constructor is where Node reads it). One probe with a
    // buffer, one with a generator: each field is the symbol holding the value given.
    const withBuffer = new net.Socket({ onread: { buffer, callback } } as net.SocketConstructorOpts);
    const withGenerator = new net.Socket({ onread: { buffer: generator, callback } } as net.SocketConstructorOpts);
    const holding = (socket: net.Socket, value: unknown): symbol[] =>
      Object.getOwnPropertySymbols(socket).filter((s) => (socket as unknown as Record<symbol, unknown>)[s] === value);
    const found = [holding(withBuffer, buffer), holding(withGenerator, generator), holding(withBuffer, callback)];
    withBuffer.destroy();
    withGenerator.destroy();
    if (found.some((symbols) => symbols.length !== 1)) return undefined;
    return { buffer: found[0]![0]!, generator: found[1]![0]!, callback: found[2]![0]! };
  } catch {
    return undefined;
  }
}

const symbols = findSymbols();

interface HandleWithUserBuffer {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/** Whether `adoptReads` can work on this Node at all (tests look at it). */
export function clientReadsAvailable(): boolean {
  return symbols !== undefined;
}

/**
 * Makes `socket` read through `onread` from now on; false (and nothing changed) when it cannot.
 * The caller must first take what the socket's stream already holds (`socket.read()`): it is not
 * replayed through the callback.
 */
export function adoptReads(socket: net.Socket, onread: OnRead): boolean {
  if (!symbols || socket.destroyed || socket.connecting || (socket as { encrypted?: boolean }).encrypted) return false;
  if (Object.getPrototypeOf(socket) !== net.Socket.prototype) return false;
  const handle = (socket as unknown as { _handle?: HandleWithUserBuffer | null })._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function') return false;
  const first = onread.buffer();
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[symbols.buffer] = first;
  fields[symbols.generator] = onread.buffer;
  fields[symbols.callback] = onread.callback;
  handle.useUserBuffer(first);
  return true;
}
