/**
 * The parser's own cost per exchange, without sockets: one request as wrk sends
 * it and one response as the nginx origin answers (100 B body), each parsed
 * from a Buffer in a loop by Node's llhttp binding (execute(), callbacks into JS)
 * and by the wasm build (llhttp-wasm.ts). Bounds what any change of parser can
 * save on HTTP 100 B (issue #15, seventh pass).
 *
 *   node --import tsx bench/prototypes/parse-micro.ts [--n 300000]
 */
import { HTTPParser, kOnBody, kOnHeadersComplete, kOnMessageComplete } from './llhttp.ts';
import { REQUEST, RESPONSE, WasmParser } from './llhttp-wasm.ts';
import { opt } from '../lib/args.ts';

const N = Number(opt('n', '300000'));
const req = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1:40000\r\n\r\n', 'latin1');
const res = Buffer.from('HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 12:00:00 GMT\r\n' +
  'Content-Type: application/octet-stream\r\nContent-Length: 100\r\nConnection: keep-alive\r\n\r\n' + 'x'.repeat(99) + '\n', 'latin1');

let sink = 0;
function time(name: string, fn: () => void): void {
  for (let i = 0; i < N / 10; i++) fn(); // warm-up
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) fn();
  const d = process.cpuUsage(t0);
  console.log(`${name}: ${((d.user + d.system) / N).toFixed(3)} µs per exchange (request + response)`);
}

const nreq = new HTTPParser(); nreq.initialize(HTTPParser.REQUEST, {}, 16384, 0);
const nres = new HTTPParser(); nres.initialize(HTTPParser.RESPONSE, {}, 16384, 0);
for (const p of [nreq, nres]) {
  p[kOnHeadersComplete] = (_a: number, _b: number, h: string[]) => { sink += h.length; return 0; };
  p[kOnBody] = (b: Buffer) => { sink += b.length; };
  p[kOnMessageComplete] = () => { sink++; };
}
const wreq = new WasmParser(REQUEST), wres = new WasmParser(RESPONSE);
for (const p of [wreq, wres]) {
  p.onHeadersComplete = (_a, _b, h) => { sink += h.length; return 0; };
  p.onBody = (_b, _s, len) => { sink += len; };
  p.onMessageComplete = () => { sink++; };
}
for (let round = 0; round < 3; round++) {
  time('Node binding, execute()', () => { nreq.execute(req); nres.execute(res); });
  time('wasm llhttp, execute()  ', () => { wreq.execute(req, req.length); wres.execute(res, res.length); });
}
if (sink < 0) console.log(sink);
