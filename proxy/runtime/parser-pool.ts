/**
 * llhttp parsers kept for reuse. A parser is ~1.8 KB of native memory (Node's
 * parser object keeps 2 × 32 header slots) plus its JS wrapper: holding one per
 * idle keep-alive connection was the largest per-connection cost (docs/architecture.md,
 * "Idle keep-alive connections"). Connections take a parser while they read
 * requests and give it back when they go idle or close, so the parsers alive
 * follow the connections that are busy, not the ones that are open — the idea of
 * node:http's parsers FreeList, applied to idle connections too.
 *
 * A parser given back must no longer consume a socket and must have no C++ frame
 * on the stack (give it back from a timer or setImmediate, never from one of its
 * own callbacks). `take()` re-initializes it, which resets llhttp's state.
 */
import { HTTPParserClass, type HTTPParser } from './llhttp.ts';

export class ParserPool {
  private readonly free: HTTPParser[] = [];

  /**
   * @param type REQUEST or RESPONSE.
   * @param max parsers kept; beyond that a given-back parser is freed.
   * @param lenient llhttp's lenient flags (llhttp.ts LENIENT_VERSION), 0 for none.
   * @param prepare sets what every parser of this pool shares (its callbacks), once per parser.
   */
  constructor(readonly type: number, readonly max: number, private readonly lenient: number, private readonly prepare: (parser: HTTPParser) => void) {}

  /** A parser ready for a new message stream, from the pool or new. */
  take(maxHeaderSize: number): HTTPParser {
    let parser = this.free.pop();
    if (!parser) {
      parser = new HTTPParserClass();
      this.prepare(parser);
    }
    // A fresh async resource each time, as node:http does: AsyncLocalStorage (used by libraries in the
    // same process) writes its store onto it, so one shared object would leak stores between
    // connections, and a frozen one made initialize() throw (~60 B per parser in use, none per idle connection).
    parser.initialize(this.type, {}, maxHeaderSize, this.lenient);
    return parser;
  }

  /** Back to the pool (or freed when the pool is full). Not from inside the parser's own callbacks. */
  give(parser: HTTPParser): void {
    if (this.free.length < this.max) this.free.push(parser);
    else parser.close();
  }

  get size(): number {
    return this.free.length;
  }
}
