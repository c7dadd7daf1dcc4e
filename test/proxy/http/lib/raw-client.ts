/** A raw HTTP/1 client: scripted writes on one connection, then whatever comes back. */
import net from 'node:net';

/** A write (latin1 bytes) or a pause (ms). */
export type Step = string | number;

/**
 * Connects to 127.0.0.1:`port`, performs `steps`, and resolves with `client got (closed):\n<bytes>`
 * once the proxy closes the connection, or `client got (still open):\n<bytes>` once nothing has come
 * for `quietMs` after the last step.
 */
export function rawClient(port: number, steps: readonly Step[], quietMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    let quiet: NodeJS.Timeout | undefined;
    let finished = false;
    const done = (how: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(quiet);
      socket.destroy();
      resolve(`client got (${how}):\n${got}`);
    };
    const rearm = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(() => done('still open'), quietMs);
    };
    socket.on('data', (d: Buffer) => { got += d.toString('latin1'); rearm(); });
    socket.on('close', () => done('closed'));
    socket.on('error', () => {});
    socket.on('connect', async () => {
      for (const step of steps) {
        if (typeof step === 'number') await new Promise((r) => setTimeout(r, step));
        else socket.write(step, 'latin1');
      }
      rearm();
    });
  });
}
