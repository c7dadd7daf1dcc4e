/**
 * Connection limits (`maxconn` in global, in frontends and on bind lines). Like HAProxy, which
 * stops accepting and lets the kernel's backlog hold the excess, a connection
 * over the limit is accepted but left unread and unanswered until a slot frees;
 * it is never refused.
 */
import type net from 'node:net';

export class ConnectionLimiter {
  active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Limiters below this one (or itself) with connections waiting: they may go on when this one frees a slot. */
  private readonly waitingChildren = new Set<ConnectionLimiter>();

  /** `parent`: the limiter a connection also counts against (a bind's frontend, a frontend's process). */
  /** `limit` 0 = unlimited (a reload may change it). */
  constructor(public limit: number, private readonly parent?: ConnectionLimiter) {}

  /** Runs `start` now if there is room here and in every limiter above, else when there is. */
  admit(socket: net.Socket, start: () => void): void {
    if (this.roomAllTheWay()) return this.take(socket, start);
    socket.pause();
    const entry = (): void => {
      if (socket.destroyed) return;
      this.take(socket, start);
    };
    this.waiting.push(entry);
    this.waitingChildren.add(this);
    for (let above = this.parent; above; above = above.parent) above.waitingChildren.add(this);
    socket.once('close', () => {
      const i = this.waiting.indexOf(entry);
      if (i >= 0) this.waiting.splice(i, 1);
    });
  }

  /** A new limit (`set maxconn`): connections waiting here or below take the room it makes. */
  setLimit(limit: number): void {
    this.limit = limit;
    this.drainChildren();
  }

  private hasRoom(): boolean {
    return this.limit === 0 || this.active < this.limit;
  }

  private roomAllTheWay(): boolean {
    for (let l: ConnectionLimiter | undefined = this; l; l = l.parent) if (!l.hasRoom()) return false;
    return true;
  }

  private take(socket: net.Socket, start: () => void): void {
    for (let l: ConnectionLimiter | undefined = this; l; l = l.parent) l.active++;
    (socket as LimitedSocket)[LIMITER] = this;
    // 'close' comes once: a shared listener, no closure per connection.
    socket.on('close', releaseOnClose);
    socket.resume();
    start();
  }

  /** @internal A connection it admitted closed: every limiter on the way up has a slot more. */
  release(): void {
    for (let l: ConnectionLimiter | undefined = this; l; l = l.parent) l.active--;
    for (let l: ConnectionLimiter | undefined = this; l; l = l.parent) l.drainChildren();
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.roomAllTheWay()) this.waiting.shift()!();
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
