/**
 * TCP content inspection (`tcp-request inspect-delay` + `tcp-request content`):
 * the client's first bytes are held back and the content rules are run again
 * on every chunk, until one decides or the delay expires. Then a last pass
 * treats the contents as definitive (HAProxy's SMP_OPT_FINAL), so fetches
 * still lacking data stop matching. The contents are definitive too when the
 * client half-closes or when the buffer is full. Without a delay there is a
 * single, final pass on what is there (HAProxy: "will not wait at all and
 * will immediately apply a verdict based on the available information").
 */
import type net from 'node:net';
import type { VarStore } from '../acl/index.ts';
import type { ContentRules, ContentVerdict } from './rules.ts';
import { faults, faultPoint } from '../runtime/faults.ts';

/**
 * HAProxy's tune.bufsize (16384) less tune.maxrewrite (1024): the most a
 * request buffer takes in; once that much is held it cannot change any more.
 */
export const INSPECT_BUFFER_LIMIT = 16384 - 1024;

/** The bytes held back from the client while rules inspect them; forwarded first once a server is connected. */
export class HeldRequest {
  private chunks: Buffer[] = [];
  private joined: Buffer | undefined;
  length = 0;
  /** The client half-closed (FIN) while its data was held: nothing more will come. */
  ended = false;
  private listeners: { data: (d: Buffer) => void; end: () => void; close: () => void } | undefined;

  constructor(private readonly socket: net.Socket) {}

  get full(): boolean {
    return this.length >= INSPECT_BUFFER_LIMIT;
  }

  /** What the layer-6 fetches read: the held bytes, at most one buffer's worth. */
  view(): Uint8Array {
    if (this.chunks.length === 0) return EMPTY;
    this.joined ??= this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    return this.joined.length > INSPECT_BUFFER_LIMIT ? this.joined.subarray(0, INSPECT_BUFFER_LIMIT) : this.joined;
  }

  /** Hands the held bytes over for forwarding (and forgets them). */
  take(): Buffer | undefined {
    const all = this.chunks.length === 0 ? undefined : this.joined ?? Buffer.concat(this.chunks);
    this.chunks = [];
    this.joined = undefined;
    this.length = 0;
    return all;
  }

  /** Reads from the client: `changed` after each chunk or FIN, `aborted` if the connection dies first. */
  watch(changed: () => void, aborted: () => void): void {
    const data = (d: Buffer): void => {
      this.chunks.push(d);
      this.joined = undefined;
      this.length += d.length;
      // A full buffer makes the next pass final; reading more could not change it.
      if (this.full) this.socket.pause();
      changed();
    };
    const end = (): void => {
      this.ended = true;
      changed();
    };
    this.listeners = { data, end, close: aborted };
    this.socket.on('data', data);
    this.socket.once('end', end);
    this.socket.once('close', aborted);
    this.socket.resume();
  }

  /** Stops reading: further data waits in the socket until it is piped. */
  unwatch(): void {
    this.socket.pause();
    const l = this.listeners;
    if (!l) return;
    this.listeners = undefined;
    this.socket.off('data', l.data);
    this.socket.off('end', l.end);
    this.socket.off('close', l.close);
  }
}

const EMPTY = new Uint8Array(0);

export interface InspectionOutcome {
  /** switch: `switch-mode http` decided, the connection goes on as HTTP (tcp/frontend.ts). */
  verdict: 'accept' | 'reject' | 'switch';
  /** The client closed (or timed out) before a rule decided; the verdict is the last, final pass. */
  aborted: boolean;
  /** A rule threw while running from a socket event or the delay timer (a bug): the caller closes the connection. */
  error?: unknown;
}

/**
 * Runs `rules` over `held` until a verdict, waiting at most `delayMs` for data.
 * With no delay there is one final pass at once, on what is held: at accept
 * time that is nothing, as in HAProxy, whose first pass runs before it has
 * read from the new connection.
 */
export function inspect(
  socket: net.Socket, held: HeldRequest, rules: ContentRules, delayMs: number, vars: VarStore | undefined,
  done: (outcome: InspectionOutcome) => void,
): void {
  const pass = (final: boolean) => rules(socket, { payload: held.view(), final, vars });
  const decided = (verdict: ContentVerdict, aborted = false): void => done({ verdict: verdict === 'reject' || verdict === 'drop' ? 'reject' : verdict === 'switch' ? 'switch' : 'accept', aborted }) // silent-drop is refused in TCP mode (unsupported.ts);
  const first = pass(delayMs <= 0 || held.ended || held.full);
  if (first !== 'wait') return decided(first);
  let settled = false;
  const finish = (verdict: ContentVerdict, aborted = false): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    held.unwatch();
    decided(verdict, aborted);
  };
  // Containment: later passes run from socket events and the timer, where nothing above would catch.
  const failed = (error: unknown): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    held.unwatch();
    done({ verdict: 'reject', aborted: false, error });
  };
  const timer = setTimeout(() => {
    try {
      finish(pass(true));
    } catch (e) {
      failed(e);
    }
  }, delayMs);
  held.watch(
    () => {
      try {
        // In TCP mode the content rules reading the first bytes are the "request head" stage.
        if (faults.armed) faultPoint('request-head');
        const verdict = pass(held.ended || held.full);
        if (verdict !== 'wait') finish(verdict);
      } catch (e) {
        failed(e);
      }
    },
    () => {
      try {
        finish(pass(true), true);
      } catch (e) {
        failed(e);
      }
    },
  );
}
