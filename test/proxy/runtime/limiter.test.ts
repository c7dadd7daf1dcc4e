/**
 * Connection limits: global, frontend and bind `maxconn` nest (proxy/runtime/limiter.ts). A
 * connection over any limit on its way up waits unread, and goes on when a slot frees at every
 * level; then side by side with haproxy 2.6.12, a bind's own `maxconn` holds a second client
 * until the first leaves while the frontend's other bind still serves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Socket } from 'node:net';
import { ConnectionLimiter } from '../../../proxy/runtime/limiter.ts';
import { freePort } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';

/** Enough of a socket for the limiter: pause/resume and one 'close'. */
function fakeSocket(): Socket & { close(): void } {
  const s = new EventEmitter() as EventEmitter & { destroyed: boolean; pause(): void; resume(): void; close(): void };
  s.destroyed = false;
  s.pause = () => {};
  s.resume = () => {};
  s.close = () => {
    s.destroyed = true;
    s.emit('close');
  };
  return s as unknown as Socket & { close(): void };
}

test('nested limits: a bind at its maxconn holds its own connections; the frontend\'s limit holds every bind\'s; a slot freed anywhere lets the right waiter on', () => {
  const process = new ConnectionLimiter(0);
  const frontend = new ConnectionLimiter(3, process);
  const bindA = new ConnectionLimiter(1, frontend);
  const started: string[] = [];
  const a1 = fakeSocket();
  const a2 = fakeSocket();
  const b1 = fakeSocket();
  const b2 = fakeSocket();
  const b3 = fakeSocket();
  bindA.admit(a1, () => started.push('a1'));
  bindA.admit(a2, () => started.push('a2'));
  assert.deepEqual(started, ['a1'], 'bind A is full');
  frontend.admit(b1, () => started.push('b1'));
  frontend.admit(b2, () => started.push('b2'));
  frontend.admit(b3, () => started.push('b3'));
  assert.deepEqual(started, ['a1', 'b1', 'b2'], 'the frontend is full (3)');
  assert.equal(process.active, 3);
  a1.close();
  // A slot freed by bind A: the frontend has room for one, bind A too — A's waiter or the frontend's may take it, not both.
  assert.equal(started.length, 4);
  assert.equal(frontend.active, 3);
  b1.close();
  assert.deepEqual([...started].sort(), ['a1', 'a2', 'b1', 'b2', 'b3']);
  assert.equal(bindA.active, 1);
  assert.equal(frontend.active, 3);
  assert.equal(process.active, 3);
});

test('bind … maxconn as haproxy 2.6.12: a second client of that bind waits until the first leaves; the other bind is not held', async (t) => {
  // Loadstar runs first, then haproxy: each gets its own port for the frontend's other bind.
  const otherPorts = [await freePort(), await freePort()];
  let configured = 0;
  let checked = 0;
  await sideBySide(t, (port) => `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port} maxconn 1
    bind 127.0.0.1:${otherPorts[configured++]}
    http-request return status 200 content-type text/plain string ok
`, async (port) => {
    const otherPort = otherPorts[checked++]!;
    const first = await openAndAsk(port);
    assert.match(first.answer, /^HTTP\/1\.1 200/);
    // The second client's request waits while the first stays connected (keep-alive)…
    const second = openAndAsk(port);
    const early = await Promise.race([second.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 400))]);
    assert.equal(early, 'waiting');
    // …while the frontend's other bind answers at once.
    const elsewhere = await openAndAsk(otherPort);
    assert.match(elsewhere.answer, /^HTTP\/1\.1 200/);
    elsewhere.socket.destroy();
    first.socket.destroy();
    const late = await second;
    assert.match(late.answer, /^HTTP\/1\.1 200/);
    late.socket.destroy();
  });
});

/** Connects, sends one keep-alive request and resolves with the first bytes of the answer (the socket stays open). */
function openAndAsk(port: number): Promise<{ socket: net.Socket; answer: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    socket.on('error', () => {});
    socket.once('data', (d: Buffer) => resolve({ socket, answer: d.toString('latin1') }));
  });
}
