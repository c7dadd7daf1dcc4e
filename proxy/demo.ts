/**
 * The built-in configuration `loadstar run` uses when no file is given: two
 * small demo web servers and an API server inside the process, behind a
 * frontend on 127.0.0.1:8080 — refresh the page to watch round robin, open
 * /api/ to see ACL routing, and read the access log on stdout.
 */
import http from 'node:http';
import type net from 'node:net';

export interface Demo {
  config: string;
  close(): Promise<void>;
}

/**
 * The demo configurations set `option forwardfor`, so a request that came through Loadstar carries
 * X-Forwarded-For; health checks (`loadstar serve`'s demo checks every 2 s) and direct visits do not,
 * and are counted apart: a first visitor reads "Request #1", not the number of checks made so far.
 */
function page(name: string, color: string): http.RequestListener {
  let hits = 0;
  let direct = 0;
  return (req, res) => {
    const forwardedFor = req.headers['x-forwarded-for'];
    if (forwardedFor === undefined) direct++;
    else hits++;
    const api = req.url?.startsWith('/api');
    res.setHeader('content-type', api ? 'application/json' : 'text/html; charset=utf-8');
    res.end(api
      ? JSON.stringify({ server: name, hits, direct, path: req.url, forwardedFor: forwardedFor ?? null }) + '\n'
      : `<!doctype html><title>Loadstar demo</title><body style="font-family:sans-serif;background:${color};padding:2em">
<h1>Served by ${name}</h1><p><strong>Loadstar demo server</strong>, running inside Loadstar itself.</p><p>Request #${hits} through Loadstar to this server${direct > 0 ? ` (and ${direct} straight to it: health checks, direct visits)` : ''}. Reload: Loadstar balances round robin between the web servers.</p>
<p><a href="/api/status">/api/status</a> goes to the api backend (an ACL on the path).</p></body>\n`);
  };
}

/** A demo server that is not a demo backend of `loadstar run` (used by `loadstar serve`'s default configuration). */
export interface DemoServer {
  name: string;
  port: number;
  close(): Promise<void>;
}

/** One labelled demo web server on `host:port` (port 0: any free port); rejects when the port is taken. */
export async function startDemoServer(name: string, host: string, port: number, color = '#f4f4f4'): Promise<DemoServer> {
  const server = http.createServer(page(name, color));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    name,
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startDemo(port: number): Promise<Demo> {
  const servers = [
    { name: 'web1', color: '#e8f4ff' },
    { name: 'web2', color: '#fff4e0' },
    { name: 'api1', color: '#fff' },
  ].map((s) => ({ ...s, server: http.createServer(page(s.name, s.color)) }));
  const ports: number[] = [];
  for (const s of servers) {
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    ports.push((s.server.address() as net.AddressInfo).port);
  }
  const config = `# Loadstar's built-in demo configuration (loadstar run without -f).
defaults
    mode http
    option httplog
    option forwardfor
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend demo
    bind 127.0.0.1:${port}
    acl is_api path_beg /api/
    use_backend api if is_api
    default_backend web

backend web
    balance roundrobin
    server web1 127.0.0.1:${ports[0]}
    server web2 127.0.0.1:${ports[1]}

backend api
    server api1 127.0.0.1:${ports[2]}
`;
  return {
    config,
    close: async () => {
      for (const s of servers) {
        s.server.closeAllConnections();
        await new Promise<void>((resolve) => s.server.close(() => resolve()));
      }
    },
  };
}
