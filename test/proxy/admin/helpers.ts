/** A recording stand-in for the control contract and an HTTP client that sets any header (Host, Origin, Cookie). */
import http from 'node:http';
import https from 'node:https';
import type { ControlContract, ControlEvent, ControlTopic, SubscribeOptions } from '../../../proxy/control/contract.ts';
import { CONTROL_METHODS } from '../../../proxy/control/contract.ts';
import { startAdminServer } from '../../../proxy/admin/server.ts';
import type { AdminServer, AdminServerOptions } from '../../../proxy/admin/server.ts';
import { parseListen } from '../../../proxy/admin/listen.ts';

export interface FakeControl extends ControlContract {
  calls: Array<{ method: string; args: unknown[] }>;
  /** Pushes an event to subscribers (and the replay buffer). */
  emit<K extends ControlTopic>(topic: K, payload: unknown): ControlEvent;
  listeners: number;
}

/** Every contract method answers `{ ok: true, value: { method, args } }`; `throwing` methods throw instead. */
export function fakeControl(throwing: string[] = []): FakeControl {
  const calls: FakeControl['calls'] = [];
  const buffer: ControlEvent[] = [];
  const subs = new Set<{ topics: readonly ControlTopic[]; fn: (e: ControlEvent) => void }>();
  let seq = 0;
  const control: Record<string, unknown> = {
    calls,
    get listeners() {
      return subs.size;
    },
    emit(topic: ControlTopic, payload: unknown) {
      const event = { seq: ++seq, topic, payload } as ControlEvent;
      buffer.push(event);
      if (buffer.length > 1000) buffer.shift();
      for (const s of subs) if (s.topics.includes(topic)) s.fn(event);
      return event;
    },
    subscribe(topics: readonly ControlTopic[], fn: (e: ControlEvent) => void, options?: SubscribeOptions) {
      if (options?.afterSeq !== undefined) for (const e of buffer) if (e.seq > options.afterSeq && topics.includes(e.topic)) fn(e);
      const sub = { topics, fn };
      subs.add(sub);
      return () => subs.delete(sub);
    },
  };
  for (const method of Object.keys(CONTROL_METHODS)) {
    control[method] = async (...args: unknown[]) => {
      calls.push({ method, args });
      if (throwing.includes(method)) throw new Error(`${method} exploded`);
      return { ok: true, value: { method, args } };
    };
  }
  return control as unknown as FakeControl;
}

export async function adminWith(options: Partial<AdminServerOptions> & { control: ControlContract }): Promise<AdminServer & { origin: string; host: string }> {
  const admin = await startAdminServer({ listen: parseListen('127.0.0.1:0'), log: () => {}, ...options });
  const host = `127.0.0.1:${admin.port}`;
  return Object.assign(admin, { host, origin: `${options.tls ? 'https' : 'http'}://${host}` });
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): any;
}

export function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string, tls = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const lib = tls ? https : http;
    const req = lib.request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, rejectUnauthorized: false, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Cookie and CSRF token of a fresh session (GET /api/session), and the headers a page's POST carries. */
export async function session(admin: { port: number; origin: string }, cookie = '', tls = false): Promise<{ cookie: string; token: string; headers: Record<string, string> }> {
  const answer = await call(admin.port, 'GET', '/api/session', cookie ? { cookie } : {}, undefined, tls);
  const set = answer.headers['set-cookie']?.[0]?.split(';')[0] ?? cookie;
  const token = answer.json().value.csrfToken as string;
  return { cookie: set, token, headers: { cookie: set, origin: admin.origin, 'x-loadstar-csrf': token, 'content-type': 'application/json' } };
}

/** A configuration whose one frontend answers every request itself (200 "fixed"): no origin needed. */
export function fixedSiteConfig(port: number): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    http-request return status 200 content-type text/plain string "fixed"
`;
}
