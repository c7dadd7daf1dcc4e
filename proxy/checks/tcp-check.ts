/**
 * `option tcp-check` scripts: connect [port N] [addr A], send / send-binary,
 * send-lf / send-binary-lf (log-format, rendered for each check by
 * check-format.ts), expect [!]string / rstring / binary / rbinary / string-lf /
 * binary-lf with min-recv, comment, ok-status / error-status / tout-status,
 * on-success / on-error texts and status-code (HAProxy's tcpcheck_eval_expect:
 * consecutive expects read the same answer, a send starts a new one, and a
 * chain that needs more data starts again from its first inverted expect),
 * set-var / set-var-fmt / unset-var (check-vars.ts: the check.* variables of one run). Rules run in order; the
 * first rule may be a connect (else the check connects first, as HAProxy's
 * implicit connect does). Passing every rule gives the last step's verdict:
 * an expect's ok-status (L7OK) and on-success text, "(tcp-check)" otherwise;
 * L4OK after a connect.
 */
import type { TcpCheckRule } from '../config/model.ts';
import { CheckConnection, failure } from './connection.ts';
import { checkText } from './check-format.ts';
import type { CheckText } from './check-format.ts';
import { checkRunVars, compileCheckVar, compilePortExpr, compileStatusCodeExpr } from './check-vars.ts';
import type { CheckVarStep } from './check-vars.ts';
import type { SampleContext } from '../acl/index.ts';
import type { CheckResult, CheckTarget, Probe, ProbeContext } from './types.ts';

type Expect = Extract<TcpCheckRule, { type: 'expect' }>;

/** An expect rule made ready once: its literal or regex, and its log-format strings. */
interface CompiledExpect {
  literal?: Buffer;
  regex?: RegExp;
  /** string-lf / binary-lf: the pattern rendered at each check. */
  format?: CheckText;
  onSuccess?: CheckText;
  onError?: CheckText;
  statusCode?: (ctx: SampleContext | undefined) => number | undefined;
}

function compileExpect(rule: Expect): CompiledExpect {
  const c: CompiledExpect = {};
  if (rule.kind === 'string') c.literal = Buffer.from(rule.pattern, 'latin1');
  else if (rule.kind === 'binary') c.literal = Buffer.from(rule.pattern, 'hex');
  else if (rule.kind === 'rstring' || rule.kind === 'rbinary') c.regex = new RegExp(rule.pattern);
  else c.format = checkText(rule.pattern, true);
  if (rule.onSuccess !== undefined) c.onSuccess = checkText(rule.onSuccess, true);
  if (rule.onError !== undefined) c.onError = checkText(rule.onError, true);
  if (rule.statusCode !== undefined) c.statusCode = compileStatusCodeExpr(rule.statusCode);
  return c;
}

/** What one evaluation of an expect rule gives: go on, wait for more data, or fail (HAProxy's tcpcheck_eval_expect). */
type ExpectOutcome = 'continue' | 'wait' | { match: boolean; desc?: string };

function evaluateExpect(rule: Expect, c: CompiledExpect, data: Buffer, lastRead: boolean, ctx: SampleContext | undefined): ExpectOutcome {
  // The data the rule needs at least before a mismatch can count.
  if (!lastRead) {
    if (c.literal && data.length < c.literal.length) return 'wait';
    if (rule.minRecv !== undefined && rule.minRecv > 0 && data.length < rule.minRecv) return 'wait';
  }
  let match: boolean;
  if (c.literal) match = data.includes(c.literal);
  else if (c.regex) match = c.regex.test(rule.kind === 'rbinary' ? data.toString('hex').toUpperCase() : data.toString('latin1'));
  else {
    const text = c.format!(ctx);
    if (text === '') return { match: false, desc: 'log-format string evaluated to an empty string' };
    let wanted = Buffer.from(text, 'latin1');
    if (rule.kind === 'binary-lf') {
      if (!/^([0-9a-fA-F]{2})+$/.test(text)) return { match: false, desc: 'Failed to parse hexastring resulting of eval of a log-format string' };
      wanted = Buffer.from(text, 'hex');
    }
    if (data.length < wanted.length && !lastRead) return 'wait';
    match = data.length >= wanted.length && data.includes(wanted);
  }
  // A mismatch waits for more data unless a minimum was set (then it is conclusive).
  if (!match && !lastRead && (rule.minRecv === undefined || rule.minRecv === -1)) return 'wait';
  if (match !== rule.negate) return 'continue';
  return { match };
}

const KIND_IN_ERROR: Record<Expect['kind'], (pattern: string) => string> = {
  'string': (p) => ` '${p}'`,
  'binary': () => ' (binary)',
  'rstring': () => ' (regex)',
  'rbinary': () => ' (binary regex)',
  'string-lf': () => ' (log-format string)',
  'binary-lf': () => ' (log-format binary)',
};

/** tcpcheck_expect_onerror_message: on-error's text, else HAProxy's own words; then the comment. */
function errorInfo(rule: Expect, c: CompiledExpect, step: number, match: boolean, desc: string | undefined, ctx: SampleContext | undefined): string {
  const text = desc ?? (c.onError ? c.onError(ctx) : `${match ? 'TCPCHK matched unwanted content' : 'TCPCHK did not match content'}${KIND_IN_ERROR[rule.kind](rule.pattern)} at step ${step}`);
  return rule.comment !== undefined ? `${text} comment: ${rule.comment}` : text;
}

/** chk_report_conn_err: what a timeout or a lost connection names of the expect rule it was at. */
function expectStep(rule: Expect): string {
  const what = rule.kind === 'string' ? `string '${rule.pattern}'` : rule.kind === 'binary' ? `binary '${Buffer.from(rule.pattern, 'hex').toString('latin1')}'`
    : rule.kind === 'rstring' ? 'regex' : rule.kind === 'rbinary' ? 'binary regex' : rule.kind === 'string-lf' ? 'log-format string' : 'log-format binary';
  return `(expect ${what})${rule.comment !== undefined ? ` comment: '${rule.comment}'` : ''}`;
}

function expectFailed(rule: Expect, c: CompiledExpect, step: number, outcome: { match: boolean; desc?: string }, started: number, ctx: SampleContext | undefined): CheckResult {
  const code = outcome.desc !== undefined ? 'L7RSP' : rule.errorStatus ?? 'L7RSP';
  return failure(code, started, errorInfo(rule, c, step, outcome.match, outcome.desc, ctx), c.statusCode?.(ctx) ?? 0);
}

export function tcpCheckProbe(rules: readonly TcpCheckRule[]): Probe {
  const steps = rules.filter((r) => r.type !== 'comment');
  const formats = new Map<TcpCheckRule, CheckText>();
  for (const r of steps) if (r.type === 'send-lf' || r.type === 'send-binary-lf') formats.set(r, checkText(r.data, true));
  const actions = new Map<TcpCheckRule, CheckVarStep>();
  for (const r of steps) if (r.type === 'set-var' || r.type === 'set-var-fmt' || r.type === 'unset-var') actions.set(r, compileCheckVar(r));
  const portExprs = new Map<TcpCheckRule, (ctx: SampleContext | undefined) => number | undefined>();
  for (const r of steps) if (r.type === 'connect' && r.portExpr !== undefined) portExprs.set(r, compilePortExpr(r.portExpr));
  const expects = new Map<TcpCheckRule, CompiledExpect>();
  for (const r of steps) if (r.type === 'expect') expects.set(r, compileExpect(r));
  // HAProxy's implicit connect goes before the first rule that is not a variable rule or a comment.
  const firstReal = steps.find((r) => !actions.has(r));
  const lastStep = [...steps].reverse().find((r) => !actions.has(r));
  // Each expect's chain head: the first inverted expect of the run of expects it ends (variable rules
  // inside the run are skipped), else itself — where HAProxy starts again when more data is needed.
  const heads = new Map<TcpCheckRule, number>();
  steps.forEach((r, i) => {
    if (r.type !== 'expect') return;
    let head = i;
    for (let j = i - 1; j >= 0; j--) {
      const p = steps[j]!;
      if (p.type === 'expect') {
        if (p.negate) head = j;
        continue;
      }
      if (!actions.has(p)) break;
    }
    heads.set(r, head);
  });
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
    // `explicit`: a `tcp-check connect` line, which sends a PROXY header only with its own `send-proxy`, and
    // speaks TLS only with its own `ssl`, unless `default` takes the server's check settings (tcpcheck_eval_connect).
    const connect = async (port?: number, addr?: string, explicit?: Extract<TcpCheckRule, { type: 'connect' }>): Promise<CheckResult | undefined> => {
      conn?.close();
      const sendProxy = explicit ? explicit.sendProxy || (explicit.default === true && target.sendProxy === true) : target.sendProxy;
      const tls = explicit ? target.connectTls?.get(explicit) : target.tls;
      // The same for `via-socks4` (tcpcheck_eval_connect: the line's own, or check-via-socks4 with `default`).
      const viaSocks4 = explicit ? explicit.viaSocks4 === true || (explicit.default === true && target.viaSocks4 === true) : target.viaSocks4;
      const opened = await CheckConnection.open({ ...target, host: addr ?? target.host, port: port ?? target.port, ...(addr !== undefined ? { path: undefined } : {}), sendProxy, tls, viaSocks4 }, started);
      if (!(opened instanceof CheckConnection)) return opened;
      conn = opened;
      consumed = 0;
      return undefined;
    };
    try {
      let connected = false;
      // The server closed: what was received is all there is (HAProxy's last_read).
      let lastRead = false;
      for (let i = 0; i < steps.length; i++) {
        const rule = steps[i]!;
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
          const failed = await connect(portExprs.get(rule)?.(sampleNow()) ?? rule.port, rule.addr, rule);
          if (failed) return { ...failed, info: failed.info ? `${failed.info} ${step} (connect)` : `${step} (connect)` };
          lastRead = false;
          continue;
        }
        if (rule.type !== 'expect') {
          // A send starts a new answer: what was received so far is dropped (HAProxy releases check->bi).
          consumed = conn!.received.length;
        }
        if (rule.type === 'send') {
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
          // Consecutive expects all read the same answer, from its start (check->bi is not consumed).
          const compiled = expects.get(rule)!;
          const c = conn!;
          const outcome = evaluateExpect(rule, compiled, c.received.subarray(consumed), lastRead, sampleNow());
          if (outcome === 'continue') continue;
          if (outcome !== 'wait') return expectFailed(rule, compiled, i + 1, outcome, started, sampleNow());
          // More data is needed: the chain starts again from its head (its first inverted expect) when it comes,
          // and a timeout or a close is reported at that head (tcpcheck_main's current_step = expect.head).
          const head = heads.get(rule)!;
          const headRule = steps[head] as Expect;
          const headStep = `at step ${head + 1} of tcp-check`;
          const read = await c.waitData(c.received.length);
          if (read === 'timeout') return failure(headRule.toutStatus ?? 'L7TOUT', started, ` ${headStep} ${expectStep(headRule)}`);
          if (read !== 'data') {
            if (c.received.length === consumed) return failure('L7RSP', started, `${read === 'error' ? 'Connection reset by peer' : 'Connection closed'} ${headStep} ${expectStep(headRule)}`);
            lastRead = true;
          }
          i = head - 1;
        }
      }
      if (!connected && firstReal === undefined) {
        // Only variable rules: the implicit connect still runs.
        const failed = await connect();
        if (failed) return failed;
      }
      // Every rule passed: the verdict is the last step's (variable rules are not steps), as tcpcheck_main gives it.
      if (!lastStep) return failure('L4OK', started, ''); // the implicit connect alone
      if (lastStep.type === 'connect') return failure('L4OK', started, '(tcp-check)');
      if (lastStep.type !== 'expect') return failure('L7OK', started, '(tcp-check)', 0);
      // An expect: its ok-status, on-success text and status-code (tcpcheck_expect_onsuccess_message).
      const compiled = expects.get(lastStep)!;
      const ctx = sampleNow();
      const info = compiled.onSuccess ? compiled.onSuccess(ctx) : '(tcp-check)';
      return failure(lastStep.okStatus ?? 'L7OK', started, info, compiled.statusCode?.(ctx) ?? 0);
    } finally {
      conn?.close();
    }
  };
}
