/**
 * Reference row, not a Loadstar design: the `http-proxy` npm package written
 * the way its users write it — a plain node:http server handing every request
 * to `proxy.web()`, upstream connections kept alive by an http.Agent. Issue
 * #15's goal is Loadstar ≥ 5× its req/s on 100 B responses.
 *
 *   node --import tsx bench/prototypes/node-http-proxy.ts --port 0 --upstream 127.0.0.1:8000
 */
import http from 'node:http';
import httpProxy from 'http-proxy';
import { announce, parseArgs } from './common.ts';

const { port, upstreamHost, upstreamPort } = parseArgs();
const agent = new http.Agent({ keepAlive: true });
const proxy = httpProxy.createProxyServer({ target: `http://${upstreamHost}:${upstreamPort}`, agent });

proxy.on('error', (_err, _req, res) => {
  // res is a ServerResponse for proxy.web() (a Socket only for proxy.ws())
  if (res instanceof http.ServerResponse && !res.headersSent) {
    res.writeHead(502);
    res.end();
  } else {
    res.destroy();
  }
});

const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => announce(server, 'node http-proxy'));
