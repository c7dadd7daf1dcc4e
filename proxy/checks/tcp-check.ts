/**
 * `option tcp-check` scripts: connect [port N] [addr A], send / send-binary,
 * send-lf / send-binary-lf (log-format, rendered for each check by
 * check-format.ts), expect [!]string / rstring / binary / rbinary,
 * set-var / set-var-fmt / unset-var (check-vars.ts: the check.* variables of one run). Rules run in order; the
 * first rule may be a connect (else the check connects first, as HAProxy's
 * implicit connect does). Passing every rule is L7OK, or L4OK when the script
 * has no expect (HAProxy reports a bare connect as L4OK).
 */
import type { TcpCheckRule } from '../config/model.ts';
import { CheckConnection, failure } from './connection.ts';
import { checkText } from './check-format.ts';
import type { CheckText } from './check-format.ts';
import { checkRunVars, compileCheckVar, compilePortExpr } from './check-vars.ts';
import type { CheckVarStep } from './check-vars.ts';
import type { SampleContext } from '../acl/index.ts';
import type { CheckResult, CheckTarget, Probe, ProbeContext } from './types.ts';

function expectMatches(rule: Extract<TcpCheckRule, { type: 'expect' }>, data: Buffer): boolean {
  switch (rule.kind) {
    case 'string': return data.includes(rule.pattern, 0, 'latin1');
    case 'rstring': return new RegExp(rule.pattern).test(data.toString('latin1'));
    case 'binary': return data.includes(Buffer.from(rule.pattern, 'hex'));
    case 'rbinary': return new RegExp(rule.pattern).test(data.toString('hex').toUpperCase());
  }
}

function describe(rule: Extract<TcpCheckRule, { type: 'expect' }>): string {
  return `TCPCHK ${rule.negate ? 'found unexpected' : 'did not match'} content '${rule.pattern}'`;
}

export function tcpCheckProbe(rules: readonly TcpCheckRule[]): Probe {
  const steps = rules.filter((r) => r.type !== 'comment');
  const formats = new Map<TcpCheckRule, CheckText>();
  for (const r of steps) if (r.type === 'send-lf' || r.type === 'send-binary-lf') formats.set(r, checkText(r.data, true));
  const actions = new Map<TcpCheckRule, CheckVarStep>();
  for (const r of steps) if (r.type === 'set-var' || r.type === 'set-var-fmt' || r.type === 'unset-var') actions.set(r, compileCheckVar(r));
  const portExprs = new Map<TcpCheckRule, (ctx: SampleContext | undefined) => number | undefined>();
  for (const r of steps) if (r.type === 'connect' && r.portExpr !== undefined) portExprs.set(r, compilePortExpr(r.portExpr));
  // HAProxy's implicit connect goes before the first rule that is not a variable rule or a comment.
  const firstReal = steps.find((r) => !actions.has(r));
  return async (target: CheckTarget, context?: ProbeContext): Promise<CheckResult> => {
    const started = Date.now();
    // The check's own session: its check.* and sess.* variables start empty at each run;
    // req.payload, res.payload and friends read what the current connection received (check->bi).
    const base = context?.sample;
    const vars = checkRunVars(base?.vars);
    const sampleNow = (): SampleContext | undefined => {
      if (!base) return undefined;
      const data = conn?.received.subarray(0);
      return { ...base, vars, conn: { ...base.conn, ...(data ? { payload: data, resPayload: data } : {}) } };
    };
    let conn: CheckConnection | undefined;
    let consumed = 0;
    let expects = 0;
    // `explicit`: a `tcp-check connect` line, which sends a PROXY header only with its own `send-proxy` (tcpcheck_eval_connect).
    const connect = async (port?: number, addr?: string, explicit?: { sendProxy: boolean }): Promise<CheckResult | undefined> => {
      conn?.close();
      const sendProxy = explicit ? explicit.sendProxy : target.sendProxy;
      const opened = await CheckConnection.open({ ...target, host: addr ?? target.host, port: port ?? target.port, ...(addr !== undefined ? { path: undefined } : {}), sendProxy }, started);
      if (!(opened instanceof CheckConnection)) return opened;
      conn = opened;
      consumed = 0;
      return undefined;
    };
    try {
      let connected = false;
      for (const [i, rule] of steps.entries()) {
        const step = `at step ${i + 1} of tcp-check`;
        const action = actions.get(rule);
        if (action) {
          const ctx = sampleNow();
          if (ctx) action(ctx);
          continue;
        }
        if (!connected && rule.type !== 'connect') {
          const failed = await connect();
          if (failed) return failed;
        }
        connected = true;
        if (rule.type === 'connect') {
          if (rule.ssl) return failure('L6RSP', started, `${step} (connect): check-ssl is not supported yet`);
          const failed = await connect(portExprs.get(rule)?.(sampleNow()) ?? rule.port, rule.addr, { sendProxy: rule.sendProxy });
          if (failed) return { ...failed, info: failed.info ? `${failed.info} ${step} (connect)` : `${step} (connect)` };
        } else if (rule.type === 'send') {
          conn!.write(Buffer.from(rule.data.replace(/\\r/g, '\r').replace(/\\n/g, '\n').replace(/\\t/g, '\t'), 'latin1'));
        } else if (rule.type === 'send-lf' || rule.type === 'send-binary-lf') {
          // HAProxy sends nothing for an empty rendering, and fails the check on bad hex.
          const text = formats.get(rule)!(sampleNow());
          if (rule.type === 'send-lf') {
            if (text !== '') conn!.write(Buffer.from(text, 'latin1'));
          } else if (!/^([0-9a-fA-F]{2})*$/.test(text)) {
            return failure('L7RSP', started, `tcp-check send : failed to build log-format string at step ${i + 1}`);
          } else if (text !== '') conn!.write(Buffer.from(text, 'hex'));
        } else if (rule.type === 'send-binary') {
          conn!.write(Buffer.from(rule.data, 'hex'));
        } else if (rule.type === 'expect') {
          expects++;
          const c = conn!;
          for (;;) {
            const data = c.received.subarray(consumed);
            const enough = rule.minRecv === undefined || rule.minRecv < 0 || data.length >= rule.minRecv;
            if (enough && data.length > 0 && expectMatches(rule, data)) {
              if (rule.negate) return failure('L7RSP', started, `${describe(rule)} at step ${i + 1}`);
              consumed = c.received.length;
              break;
            }
            const outcome = await c.waitData(c.received.length);
            if (outcome === 'data') continue;
            if (rule.negate && outcome !== 'error') { consumed = c.received.length; break; }
            if (outcome === 'timeout') return failure('L7TOUT', started, `${step} (expect ${rule.kind})`);
            if (c.received.length === consumed) return failure('L7RSP', started, `${outcome === 'error' ? 'Connection reset by peer' : 'Connection closed'} ${step} (expect ${rule.kind})`);
            // HAProxy's tcpcheck_expect_onerror_message: "at step N", without "of tcp-check".
            return failure('L7RSP', started, `${describe(rule)} at step ${i + 1}`);
          }
        }
      }
      if (!connected && firstReal === undefined) {
        // Only variable rules: the implicit connect still runs.
        const failed = await connect();
        if (failed) return failed;
      }
      return failure(expects > 0 ? 'L7OK' : 'L4OK', started, '');
    } finally {
      conn?.close();
    }
  };
}
