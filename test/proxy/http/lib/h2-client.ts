/** An HTTP/2 client over TLS (the test CA's site.home.arpa) making one request and telling what it saw. */
import http2 from 'node:http2';
import { testCa } from '../../../helpers/tls.ts';

export interface H2Request {
  /** Request headers besides :path (default GET /). */
  headers: Record<string, string>;
  body?: string;
  /** Trailers sent after the body. */
  trailers?: Record<string, string>;
}

/** One event a line (response headers without date, data, trailers, end, error), then how the stream closed. */
export function h2Exchange(port: number, r: H2Request): Promise<string> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: testCa, servername: 'site.home.arpa' });
  session.on('error', () => {});
  return new Promise<string>((resolve) => {
    let got = '';
    const timer = setTimeout(() => resolve(`${got}(no end within 3 s)\n`), 3000);
    const req = session.request({ ':path': '/', ...r.headers }, { waitForTrailers: !!r.trailers, endStream: r.body === undefined && !r.trailers });
    req.on('response', (h) => {
      const shown = Object.entries(h).filter(([k]) => k !== 'date');
      got += `response ${JSON.stringify(Object.fromEntries(shown))}\n`;
    });
    req.on('trailers', (h) => { got += `trailers ${JSON.stringify(h)}\n`; });
    req.on('data', (d: Buffer) => { got += `data ${JSON.stringify(d.toString('latin1'))}\n`; });
    req.on('end', () => { got += 'end\n'; });
    req.on('error', (e) => { got += `error ${e.message}\n`; });
    req.on('close', () => {
      clearTimeout(timer);
      resolve(`${got}closed, reset code ${req.rstCode}\n`);
    });
    req.on('wantTrailers', () => req.sendTrailers(r.trailers!));
    if (r.body !== undefined) req.end(r.body);
    else if (r.trailers) req.end();
  }).finally(() => session.destroy());
}
