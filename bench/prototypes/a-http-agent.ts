/**
 * Prototype A — the straightforward design: node:http server on the client
 * side, http.request() with a keep-alive http.Agent upstream, bodies piped.
 *
 *   node --import tsx bench/prototypes/a-http-agent.ts --port 0 --upstream 127.0.0.1:8000
 */
import http from 'node:http';
import { HOP_BY_HOP, announce, parseArgs } from './common.ts';

const { port, upstreamHost, upstreamPort } = parseArgs();
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' });

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
  res.sendDate = false;
  const up = http.request({ agent, host: upstreamHost, port: upstreamPort, method: req.method, path: req.url, headers }, (ures) => {
    const out: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(ures.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
    res.writeHead(ures.statusCode ?? 502, ures.statusMessage, out);
    ures.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) { res.writeHead(502); res.end(); } else res.destroy();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => announce(server, 'A node:http + http.Agent'));
