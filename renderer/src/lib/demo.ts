/**
 * What the Overview says about `loadstar serve`'s built-in demo (the status's
 * `demo`, read by the engine from the running configuration): that this is
 * the demo and what it is, where to try it, and the next step. Plain data,
 * so the words are tested without a browser.
 */
import type { DemoStatus, FrontendStatus } from '../../../proxy/control/contract.ts';

export interface DemoNotice {
  /** `only`: the configuration is the demo alone; `partly`: the user's own servers run next to it. */
  kind: 'only' | 'partly';
  title: string;
  /** What it is, in one or two sentences. */
  text: string;
  /** Addresses to open in a browser: the listening binds of the frontends that lead to the demo. */
  urls: string[];
  /** Backends holding demo servers (what to remove once it is not needed). */
  backends: string[];
  /** Frontends that lead only to demo backends. */
  frontends: string[];
}

const list = (names: readonly string[]): string => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);

export function demoNotice(status: { demo?: DemoStatus; frontends: readonly FrontendStatus[] }): DemoNotice | undefined {
  const demo = status.demo;
  if (!demo || demo.servers.length === 0) return undefined;
  const backends = [...new Set(demo.servers.map((s) => s.slice(0, s.indexOf('/'))))];
  const servers = demo.servers.map((s) => s.slice(s.indexOf('/') + 1));
  const leadsTo = (f: FrontendStatus): string[] => [...f.routes.map((r) => r.backend), ...(f.defaultBackend ? [f.defaultBackend] : [])];
  const demoFrontends = status.frontends.filter((f) => {
    const targets = leadsTo(f);
    return targets.length > 0 && targets.every((b) => backends.includes(b));
  });
  const urls = demoFrontends.flatMap((f) => f.binds.filter((b) => b.listening).map((b) => {
    const host = b.address === '0.0.0.0' ? '127.0.0.1' : b.address === '::' ? '[::1]' : b.address.includes(':') ? `[${b.address}]` : b.address;
    return `${b.tls ? 'https' : 'http'}://${host}:${b.port}/`;
  }));
  const what = `small demo web servers (${list(servers)}) that Loadstar runs itself on 127.0.0.1`;
  if (demo.only) {
    return {
      kind: 'only',
      title: 'This is the built-in demo configuration',
      text: `Nothing here is yours yet. Loadstar is balancing traffic between ${what}, so you can see it work; no traffic leaves this computer.`,
      urls,
      backends,
      frontends: demoFrontends.map((f) => f.name),
    };
  }
  return {
    kind: 'partly',
    title: 'The demo is still configured',
    text: `Next to your own servers, backend${backends.length === 1 ? '' : 's'} ${list(backends)} still hold${backends.length === 1 ? 's' : ''} ${what}. Remove ${backends.length === 1 ? 'it' : 'them'}${demoFrontends.length > 0 ? ` and frontend${demoFrontends.length === 1 ? '' : 's'} ${list(demoFrontends.map((f) => f.name))}` : ''} when you no longer need the demo.`,
    urls,
    backends,
    frontends: demoFrontends.map((f) => f.name),
  };
}
