/**
 * The runtime API listeners (`stats socket PATH mode 600 level admin`,
 * `stats socket ipv4@127.0.0.1:PORT`): HAProxy's CLI protocol. A client sends
 * a line (several commands may be separated by ';'), gets each answer
 * followed by an empty line, and the connection closes — unless `prompt`
 * made it interactive ("> " before each line, until `quit`). Idle
 * connections close after `stats timeout` (10 s by default). A command whose
 * line ends with `<<` takes the lines that follow, up to an empty line, as its
 * payload (`set ssl cert <file> <<` then the PEM); the prompt is "+ " meanwhile.
 */
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { LoadstarError } from '../errors.ts';
import type { StatsHost } from './host.ts';
import type { GlobalSettings, StatsSocket } from '../config/model.ts';
import { runCommand } from './commands.ts';
import type { CliSession } from './commands.ts';
import { splitCommands } from './cli-words.ts';

interface OpenSocket {
  key: string;
  server: net.Server;
  spec: StatsSocket;
  path?: string;
}

/** Longest command line accepted (HAProxy's CLI buffer is a few kB too). */
const MAX_LINE = 64 * 1024;
/** Largest payload gathered after a `<<` (a certificate with its chain and key is a few kB). */
const MAX_PAYLOAD = 1024 * 1024;
/** A command ending with this word takes the lines that follow, up to an empty one, as its payload (cli.c PAYLOAD_PATTERN). */
const PAYLOAD_PATTERN = '<<';

export class RuntimeApi {
  private open: OpenSocket[] = [];
  private timeout = 10_000;
  private readonly clients = new Set<net.Socket>();

  constructor(private readonly engine: StatsHost) {}

  /**
   * Opens the configured sockets. On reload a socket at an address that stays
   * keeps listening (with its new level and mode); new addresses are bound
   * first, and the removed ones close only once every bind succeeded, so a
   * failed reload leaves the running sockets exactly as they were.
   */
  async listen(global: GlobalSettings): Promise<void> {
    const wanted = new Map(global.statsSockets.map((s) => [keyOf(s), s]));
    const kept = new Map<OpenSocket, StatsSocket>();
    const removed: OpenSocket[] = [];
    for (const o of this.open) {
      const spec = wanted.get(o.key);
      if (spec) {
        kept.set(o, spec);
        wanted.delete(o.key);
      } else removed.push(o);
    }
    const added: OpenSocket[] = [];
    try {
      for (const [key, spec] of wanted) added.push(await this.bind(key, spec));
    } catch (e) {
      await Promise.all(added.map(closeSocket));
      throw e;
    }
    for (const [o, spec] of kept) {
      if (o.path !== undefined && spec.mode !== undefined && spec.mode !== o.spec.mode) fs.chmodSync(o.path, spec.mode);
      if (o.path !== undefined && (spec.uid !== o.spec.uid || spec.gid !== o.spec.gid)) setOwner(o.path, spec);
      o.spec = spec;
    }
    await Promise.all(removed.map(closeSocket));
    this.open = [...kept.keys(), ...added];
    this.timeout = global.statsTimeout ?? 10_000;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    await Promise.all(this.open.map(closeSocket));
    this.open = [];
  }

  private async bind(key: string, spec: StatsSocket): Promise<OpenSocket> {
    const entry: OpenSocket = { key, spec, server: net.createServer((s) => this.serve(s, entry)) };
    const a = spec.address;
    if (a.family === 'unix') {
      // As HAProxy (uxst_bind_listener): bound under a temporary name, then renamed over the path, so
      // whatever is there (a stale socket of an earlier run, a leftover file) is replaced at once.
      const temporary = `${a.host}.${process.pid}.tmp`;
      try {
        fs.rmSync(temporary, { force: true });
        await listenOn(entry.server, { path: temporary });
        fs.renameSync(temporary, a.host);
      } catch (e) {
        entry.server.close();
        fs.rmSync(temporary, { force: true });
        throw socketBindError(spec, a.host, e as NodeJS.ErrnoException);
      }
      entry.path = a.host;
      if (spec.mode !== undefined) fs.chmodSync(a.host, spec.mode);
      setOwner(a.host, spec);
    } else {
      const host = a.host === '' ? (a.family === 'ipv6' ? '::' : '0.0.0.0') : a.host;
      await listenOn(entry.server, { host, port: a.port }).catch((e: NodeJS.ErrnoException) => {
        throw socketBindError(spec, `${host.includes(':') ? `[${host}]` : host}:${a.port}`, e);
      });
    }
    return entry;
  }

  /** Each socket as `show cli sockets` names it (unix@path, ipv4@addr:port, ipv6@[addr]:port), with its level. */
  private listed(): Array<{ address: string; level: StatsSocket['level'] }> {
    return this.open.map((o) => {
      if (o.path !== undefined) return { address: `unix@${o.path}`, level: o.spec.level };
      const a = o.server.address() as net.AddressInfo;
      return { address: a.family === 'IPv6' ? `ipv6@[${a.address}]:${a.port}` : `ipv4@${a.address}:${a.port}`, level: o.spec.level };
    });
  }

  /** Where each socket listens (tests: the port of `ipv4@127.0.0.1:0`). */
  addresses(): Array<{ path?: string; port?: number }> {
    return this.open.map((o) => (o.path ? { path: o.path } : { port: (o.server.address() as net.AddressInfo).port }));
  }

  private serve(socket: net.Socket, entry: OpenSocket): void {
    this.clients.add(socket);
    // HAProxy's CLI is a stream of its own: show info counts its connections (CumConns, CumReq, Jobs).
    const stats = this.engine.stats;
    stats.cumConns++;
    stats.cumReq++;
    stats.cliConnections++;
    socket.on('close', () => {
      this.clients.delete(socket);
      stats.cliConnections--;
    });
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.timeout, () => socket.destroy());
    const session: CliSession = { level: entry.spec.level, socketLevel: entry.spec.level, interactive: false, quit: false, severityOutput: entry.spec.severityOutput ?? 'none', sockets: () => this.listed() };
    let buffered = '';
    let ended = false;
    let awaitingDrain = false;
    /** A command of the line being run waits for the engine (`enable frontend`): nothing more is run until it answered. */
    let running = false;
    /** The line whose last command ends with `<<`, while its payload lines are gathered. */
    let gathering: { line: string; payload: string[]; size: number } | undefined;
    socket.setEncoding('utf8');
    // Runs the complete lines received. An interactive client that sends commands without reading
    // their answers is not read further until it has taken them (as HAProxy stops reading when its
    // output buffer is full): else each chunk of `show stat` lines would queue megabytes unbounded.
    const pump = (): void => {
      if (running) return;
      let nl: number;
      while (!socket.writableEnded && !socket.destroyed && (nl = buffered.indexOf('\n')) >= 0) {
        if (socket.writableNeedDrain) {
          if (!awaitingDrain) {
            awaitingDrain = true;
            socket.pause();
            socket.once('drain', () => {
              awaitingDrain = false;
              socket.resume();
              pump();
            });
          }
          return;
        }
        const text = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        let pending: Promise<void> | undefined;
        if (gathering) {
          if (text !== '') {
            gathering.payload.push(text);
            gathering.size += text.length + 1;
            // A payload larger than any certificate or map: the client does not speak this protocol.
            if (gathering.size > MAX_PAYLOAD) return void socket.destroy();
            if (session.interactive) socket.write('+ ');
            continue;
          }
          // The empty line ends the payload (its last line's newline is not part of it, as in cli.c).
          // With no line at all, cli.c's payload is the newline the empty line left in its buffer.
          const { line, payload } = gathering;
          gathering = undefined;
          pending = this.runLine(socket, line, session, payload.length === 0 ? '\n' : payload.join('\n'));
        } else if (endsWithPayload(text)) {
          gathering = { line: text, payload: [], size: 0 };
          // What follows the command on its line after a ';' is the payload's first line (cli.c reads on with getline).
          const start = payloadStart(text);
          if (start !== undefined) {
            gathering.line = text.slice(0, start.end);
            gathering.payload.push(start.rest);
          }
          if (session.interactive) socket.write('+ ');
          continue;
        } else pending = this.runLine(socket, text, session);
        if (pending) {
          running = true;
          void pending.then(() => {
            running = false;
            pump();
          });
          return;
        }
      }
      // A client that sends its last command without a newline and half-closes still gets its answer.
      if (ended && !awaitingDrain && !socket.writableEnded && !socket.destroyed) {
        const last = buffered;
        buffered = '';
        // A payload never ended by its empty line is not run (HAProxy drops the command when the client closes).
        if (gathering) return void socket.end();
        const pending = last.trim() !== '' ? this.runLine(socket, last, session) : undefined;
        if (pending) {
          running = true;
          void pending.then(() => {
            running = false;
            if (!socket.writableEnded) socket.end();
          });
        } else if (!socket.writableEnded) socket.end();
      }
    };
    socket.on('data', (chunk: string) => {
      // Answered and closing (not interactive): what else it sends is not read.
      if (socket.writableEnded) return;
      buffered += chunk;
      pump();
      // A line longer than any command: the client does not speak this protocol.
      if (buffered.length - (buffered.lastIndexOf('\n') + 1) > MAX_LINE) socket.destroy();
    });
    socket.on('end', () => {
      ended = true;
      pump();
    });
  }

  /** Runs the commands of one line and sends their answers; a promise when one of them waits for the engine. */
  /** `payload`: what followed a line ending with `<<`, for its last command. */
  private runLine(socket: net.Socket, text: string, session: CliSession, payload?: string): Promise<void> | undefined {
    // Cut at each ';' no backslash escapes (cli_io_handler); an empty command gets the usage message.
    const commands = splitCommands(text);
    let out = '';
    /** Adds one answer; false once `quit` ends the line. */
    // `prompt` ends with its empty line like any command: "\n> " once interactive (cli.c's post-command prompt).
    const add = (answer: string): boolean => {
      out += answer + (session.quit ? '' : '\n');
      return !session.quit;
    };
    const run = (from: number): Promise<void> | undefined => {
      for (let i = from; i < commands.length; i++) {
        const last = i === commands.length - 1;
        let answer: string | Promise<string>;
        try {
          answer = runCommand(commands[i]!, this.engine, session, last ? payload : undefined);
        } catch (e) {
          // A command that fails unexpectedly answers why, and the operator gets an alert with the stack; the engine and the other commands go on.
          answer = this.failed(commands[i]!, e);
        }
        if (typeof answer !== 'string') {
          const command = commands[i]!;
          return answer.catch((e: unknown) => this.failed(command, e)).then((a) => (add(a) ? run(i + 1) : this.send(socket, session, out)));
        }
        if (!add(answer)) break;
      }
      this.send(socket, session, out);
      return undefined;
    };
    return run(0);
  }

  /** The answer of a command that threw: its message; the alert names the command (its first 200 characters) and carries the stack. */
  private failed(command: string, e: unknown): string {
    const error = e instanceof Error ? e : new Error(String(e));
    this.engine.alert?.(`runtime API: '${command.trim().slice(0, 200)}' failed: ${error.stack ?? error.message}`);
    return `${error.message}\n`;
  }

  private send(socket: net.Socket, session: CliSession, out: string): void {
    if (socket.destroyed || socket.writableEnded) return;
    // `set timeout cli`: the session's idle timeout from now on.
    if (session.timeoutMs !== undefined) socket.setTimeout(session.timeoutMs);
    if (session.quit || !session.interactive) {
      socket.end(out);
      return;
    }
    socket.write(out + '> ');
  }
}

/**
 * A line whose command (one of its ';'-separated ones) ends with the `<<` word: its payload follows.
 * As in cli.c, the pattern counts only at the very end of a command, and only as a word of its own
 * to make a payload (glued to a word, `x<<`, the command gets none).
 */
function endsWithPayload(line: string): boolean {
  return splitCommands(line).some((c) => c.endsWith(PAYLOAD_PATTERN));
}

/** Where the first command ending with `<<` ends, and the rest of its line (the payload's first line), if it is not the last one. */
function payloadStart(line: string): { end: number; rest: string } | undefined {
  let at = 0;
  for (const c of splitCommands(line)) {
    at += c.length;
    if (c.endsWith(PAYLOAD_PATTERN)) return at === line.length ? undefined : { end: at, rest: line.slice(at + 1) };
    at += 1;
  }
  return undefined;
}

/** `uid`/`user` and `gid`/`group` of a UNIX socket, as HAProxy applies them once bound (-1 leaves one as it is). */
function setOwner(path: string, spec: StatsSocket): void {
  if (spec.uid !== undefined || spec.gid !== undefined) fs.chownSync(path, spec.uid ?? -1, spec.gid ?? -1);
}

/** A socket is the same across a reload when its address is: level and mode are applied to it in place. */
function keyOf(s: StatsSocket): string {
  return `${s.address.family}|${s.address.host}|${s.address.port}`;
}

/** A stats socket that cannot be listened on, in the words of HAProxy's alert (and no stack trace). */
function socketBindError(spec: StatsSocket, where: string, cause: NodeJS.ErrnoException): LoadstarError {
  const unix = spec.address.family === 'unix';
  const reason = cause.code === 'EADDRINUSE' ? 'address already in use'
    : unix && (cause.code === 'ENOENT' || cause.code === 'EACCES') && !fs.existsSync(path.dirname(where)) ? `no such directory: ${path.dirname(where)}`
    : cause.code === 'EACCES' ? 'permission denied'
    : cause.code === 'EADDRNOTAVAIL' ? 'address not available on this machine'
    : cause.message;
  return new LoadstarError('LS_ERR_ENG_BIND', `Binding [${spec.loc.file}:${spec.loc.line}] for 'stats socket': cannot bind ${unix ? 'UNIX socket ' : ''}${where}: ${reason}`, { cause });
}

function listenOn(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeSocket(o: OpenSocket): Promise<void> {
  return new Promise((resolve) => o.server.close(() => {
    // Node removes the socket file on close; make sure it is gone (HAProxy unlinks it on exit).
    if (o.path && fs.existsSync(o.path)) fs.rmSync(o.path, { force: true });
    resolve();
  }));
}
