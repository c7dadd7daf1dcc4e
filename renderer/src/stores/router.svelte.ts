/**
 * A hash router: `#/`, `#/traffic/<object id>`, `#/health/<backend>[/<server>]`,
 * `#/server/<backend>/<server>`, `#/log`, `#/events`. The hash keeps every
 * screen reachable by a bookmark without any help from the server.
 */
export type Route =
  | { screen: 'overview' }
  | { screen: 'traffic'; id?: string }
  | { screen: 'health'; backend?: string; server?: string }
  | { screen: 'server'; backend: string; server: string }
  | { screen: 'log' }
  | { screen: 'events' }
  | { screen: 'setup'; edit?: 'frontend' | 'backend'; name?: string }
  | { screen: 'config' }
  | { screen: 'import' }
  | { screen: 'trace'; frontend?: string }
  | { screen: 'certificates' }
  | { screen: 'not-found'; path: string };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '');
  const parts = path.split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [head, a, b] = parts;
  switch (head) {
    case undefined: return { screen: 'overview' };
    // A server's id has a '/' of its own: `#/traffic/server:web/web1` typed as the docs write it is that server
    // (it opened 'server:web', refused with an empty object list); names never hold a '/'.
    case 'traffic': return { screen: 'traffic', id: a === undefined ? undefined : parts.slice(1).join('/') };
    case 'health': return { screen: 'health', backend: a, server: b };
    case 'server': return a !== undefined && b !== undefined ? { screen: 'server', backend: a, server: b } : { screen: 'not-found', path };
    case 'log': return { screen: 'log' };
    case 'events': return { screen: 'events' };
    // Part 2 (issue #13): `#/setup` new site, `#/setup/frontend/<name>` and `#/setup/backend/<name>` edit forms.
    case 'setup':
      if (a === undefined) return { screen: 'setup' };
      return (a === 'frontend' || a === 'backend') && b !== undefined ? { screen: 'setup', edit: a, name: b } : { screen: 'not-found', path };
    case 'config': return { screen: 'config' };
    case 'import': return { screen: 'import' };
    case 'trace': return { screen: 'trace', frontend: a };
    case 'certificates': return { screen: 'certificates' };
    default: return { screen: 'not-found', path };
  }
}

export function isAnchor(hash: string): boolean {
  return hash.length > 1 && !hash.startsWith('#/');
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

class Router {
  route = $state<Route>(typeof location === 'undefined' || isAnchor(location.hash) ? { screen: 'overview' } : parseHash(location.hash));

  start(): () => void {
    const onChange = (event: HashChangeEvent) => {
      // The event's own URL, not location.hash: two hash changes in one task queue two events that would both
      // read the last hash, and a screen keyed on the route (the wizard's form) would never see it change.
      const hash = new URL(event.newURL).hash;
      // `#main` or `#backend-api` are in-page anchors (skip link, overview links), not routes.
      if (isAnchor(hash)) return;
      this.route = parseHash(hash);
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }
}

export const router = new Router();
