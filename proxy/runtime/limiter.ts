/**
 * Connection limits (`maxconn` in global and in frontends). Like HAProxy, which
 * stops accepting and lets the kernel's backlog hold the excess, a connection
 * over the limit is accepted but left unread and unanswered until a slot frees;
 * it is never refused.
 */
import type net from 'node:net';

export class ConnectionLimiter {
  active = 0;
  private readonly waiting: Array<() => void> = [];

  /** `parent` is the process-wide limiter a frontend also counts against. */
  /** `limit` 0 = unlimited (a reload may change it). */
  constructor(public limit: number, private readonly parent?: ConnectionLimiter) {}

  /** Runs `start` now if there is room in this limiter and its parent, else when there is. */
  admit(socket: net.Socket, start: () => void): void {
    if (this.hasRoom() && (!this.parent || this.parent.hasRoom())) return this.take(socket, start);
    socket.pause();
    const entry = (): void => {
      if (socket.destroyed) return;
      this.take(socket, start);
    };
    this.waiting.push(entry);
    (this.parent ?? this).waitingChildren.add(this);
    socket.once('close', () => {
      const i = this.waiting.indexOf(entry);
      if (i >= 0) this.waiting.splice(i, 1);
    });
  }

  private readonly waitingChildren = new Set<ConnectionLimiter>();

  private hasRoom(): boolean {
    return this.limit === 0 || this.active < this.limit;
  }

  private take(socket: net.Socket, start: () => void): void {
    this.active++;
    if (this.parent) this.parent.active++;
    (socket as LimitedSocket)[LIMITER] = this;
    // 'close' comes once: a shared listener, no closure per connection.
    socket.on('close', releaseOnClose);
    socket.resume();
    start();
  }

  /** @internal A connection it admitted closed. */
  release(): void {
    this.active--;
    if (this.parent) this.parent.active--;
    this.drain();
    this.parent?.drainChildren();
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.hasRoom() && (!this.parent || this.parent.hasRoom())) this.waiting.shift()!();
  }

  private drainChildren(): void {
    for (const child of this.waitingChildren) {
      child.drain();
      if (child.waiting.length === 0) this.waitingChildren.delete(child);
    }
  }
}

const LIMITER = Symbol('loadstar.limiter');
type LimitedSocket = net.Socket & { [LIMITER]?: ConnectionLimiter };

function releaseOnClose(this: LimitedSocket): void {
  const limiter = this[LIMITER];
  this[LIMITER] = undefined;
  limiter?.release();
}
