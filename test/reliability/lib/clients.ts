/** node:http clients for the reliability suite: interim answers seen, errors returned instead of thrown. */
import http from 'node:http';

export interface Exchange {
  /** 1xx status codes relayed before the final answer. */
  interim: number[];
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** The response ended early or the connection failed (ECONNRESET, aborted …). */
  error: string | undefined;
}

export function exchange(port: number, options: http.RequestOptions & { body?: string | Buffer; timeoutMs?: number } = {}): Promise<Exchange> {
  return new Promise((resolve) => {
    const interim: number[] = [];
    let status = 0;
    let headers: http.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (error: string | undefined) => {
      if (done) return;
      done = true;
      resolve({ interim, status, body: Buffer.concat(chunks).toString('latin1'), headers, error });
    };
    const req = http.request({ host: '127.0.0.1', port, agent: false, ...options }, (res) => {
      status = res.statusCode ?? 0;
      headers = res.headers;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(res.complete ? undefined : 'response incomplete'));
      res.on('aborted', () => finish('response aborted'));
      res.on('error', (e) => finish(e.message));
    });
    req.on('information', (info) => interim.push(info.statusCode));
    req.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error('client timeout')));
    req.end(options.body);
  });
}
