/**
 * HAProxy's protocol health checks (`option redis-check`, `pgsql-check`,
 * `mysql-check`, `smtpchk`, `ssl-hello-chk`, `ldap-check`). HAProxy 2.6 builds
 * each as a fixed tcp-check ruleset (tcpcheck.c proxy_parse_*_opt, with the
 * 2.6 stable branch's smtpchk QUIT; haproxy 2.6.12 is the reference); this module
 * runs the same rules with the same bytes, the same error / ok / timeout codes
 * and the same info texts (their on-error / on-success formats and the custom
 * MySQL and LDAP expect functions), numbered as HAProxy numbers their steps.
 *
 * Evaluation follows tcpcheck_main: a send drops what was received so far;
 * consecutive expects read once and look at the same bytes, and when one
 * needs more data the group is evaluated again from its first expect; a
 * protocol check's failing expect has no generic "TCPCHK did not match" text;
 * the MySQL and LDAP custom expects, when last, report their own success text
 * (the server version, "Success").
 */
import type { CheckCode, CheckResult, CheckTarget, Probe } from './types.ts';
import { CheckConnection, errnoText, failure } from './connection.ts';

import { PROTOCOL_CHECKS } from '../config/protocol-check-names.ts';
import type { ProtocolCheck } from '../config/protocol-check-names.ts';
export { PROTOCOL_CHECKS };
export type { ProtocolCheck };

/** What an expect decides: wait for more bytes, go on, or end the check with this verdict. */
type ExpectOutcome = 'wait' | 'continue' | Verdict;
interface Verdict { code: CheckCode; info: string; status: number }

type Rule =
  | { type: 'connect' }
  | { type: 'send'; data: () => Buffer }
  | {
      type: 'expect';
      /** A failure before anything was read (empty response) uses this code. */
      errCode: CheckCode;
      okCode?: CheckCode;
      toutCode?: CheckCode;
      /** The on-success text (HAProxy's on-success log-format) and status code. */
      onSuccess?: (data: Buffer) => string;
      statusCode?: (data: Buffer) => number | undefined;
      evaluate: (data: Buffer, lastRead: boolean, isLastRule: boolean) => ExpectOutcome;
    };

/** The check's info is a C string of at most HCHK_DESC_LEN - 1 bytes. */
function cString(text: string): string {
  const nul = text.indexOf('\0');
  return (nul >= 0 ? text.slice(0, nul) : text).slice(0, 127);
}

/** HAProxy's `cut_crlf` converter: up to the first CR or LF. */
function cutCrlf(text: string): string {
  const i = text.search(/[\r\n]/);
  return i >= 0 ? text.slice(0, i) : text;
}

/** `res.payload(<offset>,0)`: from offset to the end, as latin1 text (empty when shorter). */
function payloadFrom(data: Buffer, offset: number): string {
  return data.length > offset ? data.subarray(offset).toString('latin1') : '';
}

/** `res.payload(0,3)` cast to an integer, as check->code (unchanged when not a number). */
function payloadCode(data: Buffer): number | undefined {
  const text = data.subarray(0, 3).toString('latin1');
  return data.length >= 3 && /^[0-9]+$/.test(text) ? Number(text) : undefined;
}

interface PatternExpect {
  kind: 'string' | 'rstring' | 'rbinary';
  pattern: string;
  negate?: boolean;
  /** -1 when unset: a mismatch then waits for more data. */
  minRecv?: number;
  errCode?: CheckCode;
  okCode?: CheckCode;
  toutCode?: CheckCode;
  onError?: (data: Buffer) => string;
  onSuccess?: (data: Buffer) => string;
  statusCode?: (data: Buffer) => number | undefined;
}

/** tcpcheck_eval_expect for string / rstring / rbinary rules. */
function patternExpect(spec: PatternExpect): Rule {
  const minRecv = spec.minRecv ?? -1;
  const errCode = spec.errCode ?? 'L7RSP';
  const regex = spec.kind === 'string' ? undefined : new RegExp(spec.pattern);
  const literal = spec.kind === 'string' ? Buffer.from(spec.pattern, 'latin1') : undefined;
  return {
    type: 'expect',
    errCode,
    ...(spec.okCode ? { okCode: spec.okCode } : {}),
    ...(spec.toutCode ? { toutCode: spec.toutCode } : {}),
    ...(spec.onSuccess ? { onSuccess: spec.onSuccess } : {}),
    ...(spec.statusCode ? { statusCode: spec.statusCode } : {}),
    evaluate(data, lastRead) {
      if (!lastRead) {
        if (literal && data.length < literal.length) return 'wait';
        if (minRecv > 0 && data.length < minRecv) return 'wait';
      }
      const match = literal ? data.includes(literal)
        : regex!.test(spec.kind === 'rbinary' ? data.toString('hex').toUpperCase() : data.toString('latin1'));
      if (!match && !lastRead && minRecv === -1) return 'wait';
      if (match !== (spec.negate ?? false)) return 'continue';
      return { code: errCode, info: spec.onError ? spec.onError(data) : '', status: spec.statusCode?.(data) ?? 0 };
    },
  };
}

/** tcpcheck_mysql_expect_packet: a MySQL packet at `offset`; an error packet (0xff) is L7STS with its code. */
function mysqlPacket(data: Buffer, offset: number, lastRead: boolean, isLastRule: boolean): ExpectOutcome {
  const truncated: Verdict = { code: 'L7RSP', info: '', status: 0 };
  if (data.length < offset + 4) return lastRead ? truncated : 'wait';
  const plen = data[offset]! + (data[offset + 1]! << 8) + (data[offset + 2]! << 16);
  if (data.length < offset + plen + 4) return lastRead ? truncated : 'wait';
  if (data[offset + 4] === 0xff) {
    const code = (data[offset + 5] ?? 0) + ((data[offset + 6] ?? 0) << 8);
    return { code: 'L7STS', info: payloadFrom(data, offset + 7), status: code };
  }
  // The last rule reports the server's version (the handshake's NUL-terminated string at offset 5).
  return isLastRule ? { code: 'L7OK', info: payloadFrom(data, 5), status: 0 } : 'continue';
}

function mysqlExpect(which: 'handshake' | 'ok'): Rule {
  return {
    type: 'expect',
    errCode: 'L7RSP',
    evaluate(data, lastRead, isLastRule) {
      if (which === 'handshake') return mysqlPacket(data, 0, lastRead, isLastRule);
      const hslen = 4 + (data[0] ?? 0) + ((data[1] ?? 0) << 8) + ((data[2] ?? 0) << 16);
      return mysqlPacket(data, hslen, lastRead, isLastRule);
    },
  };
}

/** tcpcheck_ldap_expect_bindrsp: a BindResponse whose resultCode is 0. */
const ldapBindResponse: Rule = {
  type: 'expect',
  errCode: 'L7RSP',
  evaluate(data, lastRead, isLastRule) {
    const notLdap: Verdict = { code: 'L7RSP', info: 'Not LDAPv3 protocol', status: 0 };
    const tooShort = (): ExpectOutcome => (lastRead ? { code: 'L7RSP', info: '', status: 0 } : 'wait');
    let p = 1;
    let nbytes = 0;
    let msglen: number;
    const size = data[p] ?? 0;
    if (size & 0x80) {
      nbytes = size & 0x7f;
      // HAProxy checks 1 + nbytes and may read past the data; reading needs them all.
      if (data.length < 2 + nbytes) return tooShort();
      if (nbytes === 4) msglen = data.readUInt32BE(p + 1);
      else if (nbytes === 2) msglen = data.readUInt16BE(p + 1);
      else return notLdap;
    } else msglen = size;
    p += 1 + nbytes;
    if (data.length < 2 + nbytes + msglen) return tooShort();
    if (!data.subarray(p, p + 4).equals(Buffer.from([0x02, 0x01, 0x01, 0x61]))) return notLdap;
    p += 4;
    const inner = data[p] ?? 0;
    p += 1 + (inner & 0x80 ? inner & 0x7f : 0);
    if (!data.subarray(p, p + 2).equals(Buffer.from([0x0a, 0x01]))) return notLdap;
    p += 2;
    // check->code is an int taken from a (signed) char.
    const result = ((data[p] ?? 0) << 24) >> 24;
    if (result !== 0) return { code: 'L7STS', info: 'See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9', status: result };
    return isLastRule ? { code: 'L7OK', info: 'Success', status: 0 } : 'continue';
  },
};

const REDIS_REQUEST = '*1\r\n$4\r\nPING\r\n';

/** The SSLv3 CLIENT HELLO of `option ssl-hello-chk`, with the current time at offset 11. */
function sslClientHello(): Buffer {
  const time = Buffer.alloc(4);
  time.writeUInt32BE(Math.floor(Date.now() / 1000) >>> 0);
  const ciphers = [...Array.from({ length: 0x1b }, (_, i) => i + 1), ...Array.from({ length: 0x3a - 0x2f + 1 }, (_, i) => 0x2f + i)];
  const suites = Buffer.alloc(ciphers.length * 2);
  ciphers.forEach((c, i) => suites.writeUInt16BE(c, i * 2));
  return Buffer.concat([
    Buffer.from('160300007901000075' + '0300', 'hex'),
    time,
    Buffer.from('HAPROXYSSLCHK\nHAPROXYSSLCHK\n', 'latin1'),
    Buffer.from('00004e', 'hex'),
    suites,
    Buffer.from('0100', 'hex'),
  ]);
}

/** `option pgsql-check user <name>`: a StartupMessage for protocol 3.0. */
function pgsqlStartup(user: string): Buffer {
  const name = Buffer.from(user, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(15 + name.length);
  return Buffer.concat([len, Buffer.from('000300007573657200', 'hex'), name, Buffer.from('0000', 'hex')]);
}

/** `option mysql-check user <name> [post-41|pre-41]`: a client authentication packet, then COM_QUIT. */
function mysqlAuth(user: string, post41: boolean): Buffer {
  const name = Buffer.from(user, 'latin1');
  const plen = name.length + 7 + (post41 ? 27 : 0);
  const header = Buffer.from([plen & 0xff, (plen >> 8) & 0xff, (plen >> 16) & 0xff, 1]);
  const body = post41 ? Buffer.from('00820000' + '00800001' + '21' + '00'.repeat(23), 'hex') : Buffer.from('0080' + '000001', 'hex');
  return Buffer.concat([header, body, name, Buffer.from('00' + '00' + '010000' + '00' + '01', 'hex')]);
}

/** The rules of a protocol check from its option arguments (validated by the parser). */
export function protocolCheckRules(name: ProtocolCheck, args: readonly string[]): Rule[] {
  switch (name) {
    case 'redis-check':
      return [
        { type: 'send', data: () => Buffer.from(REDIS_REQUEST, 'latin1') },
        patternExpect({ kind: 'string', pattern: '+PONG\r\n', errCode: 'L7STS', onError: (d) => cutCrlf(payloadFrom(d, 0)), onSuccess: () => 'Redis server is ok' }),
      ];
    case 'ssl-hello-chk':
      return [
        { type: 'send', data: sslClientHello },
        patternExpect({ kind: 'rbinary', pattern: '^1[56]', minRecv: 5, okCode: 'L6OK', errCode: 'L6RSP', toutCode: 'L6TOUT' }),
      ];
    case 'smtpchk': {
      const command = args.length >= 2 && (args[0] === 'EHLO' || args[0] === 'HELO') ? `${args[0]} ${args[1]}` : 'HELO localhost';
      const text = (d: Buffer): string => cutCrlf(payloadFrom(d, 4).replace(/^ +/, ''));
      return [
        { type: 'connect' },
        patternExpect({ kind: 'rstring', pattern: '^[0-9]{3}[ \r]', minRecv: 4, errCode: 'L7RSP', onError: (d) => cutCrlf(payloadFrom(d, 0)) }),
        patternExpect({ kind: 'rstring', pattern: '^2[0-9]{2}[ \r]', minRecv: 4, errCode: 'L7STS', onError: text, statusCode: payloadCode }),
        { type: 'send', data: () => Buffer.from(`${command}\r\n`, 'latin1') },
        // The whole (multi-line) 2xx reply, then a QUIT for a clean end (HAProxy 2.6.x backports of issue #1812).
        patternExpect({ kind: 'rstring', pattern: '^(2[0-9]{2}-[^\r]*\r\n)*2[0-9]{2}[ \r]', errCode: 'L7STS', onError: text, onSuccess: text, statusCode: payloadCode }),
        { type: 'send', data: () => Buffer.from('QUIT\r\n', 'latin1') },
        patternExpect({ kind: 'rstring', pattern: '^2[0-9]{2}[- \r]', minRecv: 4, errCode: 'L7STS', onError: text, onSuccess: text, statusCode: payloadCode }),
      ];
    }
    case 'pgsql-check':
      return [
        { type: 'connect' },
        { type: 'send', data: () => pgsqlStartup(args[1] ?? '') },
        patternExpect({ kind: 'rstring', pattern: '^E', negate: true, minRecv: 5, errCode: 'L7RSP', onError: (d) => payloadFrom(d, 6) }),
        patternExpect({
          kind: 'rbinary', pattern: '^52000000(08|0A|0C)000000(00|02|03|04|05|06)', minRecv: 9, errCode: 'L7STS',
          onSuccess: () => 'PostgreSQL server is ok', onError: () => 'PostgreSQL unknown error',
        }),
      ];
    case 'mysql-check': {
      if (args[0] !== 'user') return [{ type: 'connect' }, mysqlExpect('handshake')];
      return [
        { type: 'connect' },
        { type: 'send', data: () => mysqlAuth(args[1] ?? '', args[2] !== 'pre-41') },
        mysqlExpect('handshake'),
        mysqlExpect('ok'),
      ];
    }
    case 'ldap-check':
      return [
        { type: 'send', data: () => Buffer.from('300C020101600702010304008000', 'hex') },
        patternExpect({ kind: 'rbinary', pattern: '^30', minRecv: 14, onError: () => 'Not LDAPv3 protocol' }),
        ldapBindResponse,
      ];
  }
}

/** Runs a protocol check as HAProxy's tcpcheck_main runs its ruleset. */
export function protocolCheckProbe(name: ProtocolCheck, args: readonly string[]): Probe {
  const rules = protocolCheckRules(name, args);
  return async (target: CheckTarget): Promise<CheckResult> => {
    const started = Date.now();
    const end = (v: Verdict): CheckResult => failure(v.code, started, cString(v.info), v.status);
    let conn: CheckConnection | undefined;
    try {
      // The implicit connect when the ruleset does not start with one.
      if (rules[0]?.type !== 'connect') {
        const opened = await CheckConnection.open(target, started);
        if (!(opened instanceof CheckConnection)) return opened;
        conn = opened;
      }
      let base = 0;
      let lastExpect: Extract<Rule, { type: 'expect' }> | undefined;
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i]!;
        if (rule.type === 'connect') {
          conn?.close();
          const opened = await CheckConnection.open(target, started);
          if (!(opened instanceof CheckConnection)) return opened;
          conn = opened;
          base = 0;
          continue;
        }
        const c = conn!;
        if (rule.type === 'send') {
          // HAProxy releases the input buffer before each send.
          base = c.received.length;
          c.write(rule.data());
          continue;
        }
        // A group of consecutive expects: read, then evaluate them all on the same bytes.
        let groupEnd = i;
        while (rules[groupEnd + 1]?.type === 'expect') groupEnd++;
        const head = rule;
        const step = i + 1;
        for (;;) {
          if (c.received.length === base) {
            const outcome = await c.waitData(base);
            if (outcome === 'timeout') return end({ code: head.toutCode ?? 'L7TOUT', info: '', status: 0 });
            if (outcome === 'error') return end({ code: 'SOCKERR', info: errnoText(c.error), status: 0 });
            if (outcome === 'closed') return end({ code: head.errCode, info: `TCPCHK got an empty response at step ${step}`, status: 0 });
          }
          const lastRead = c.closed;
          const data = c.received.subarray(base);
          let waiting = false;
          for (let j = i; j <= groupEnd; j++) {
            const expect = rules[j] as Extract<Rule, { type: 'expect' }>;
            const outcome = expect.evaluate(data, lastRead, j === rules.length - 1);
            if (outcome === 'wait') { waiting = true; break; }
            if (outcome !== 'continue') return end(outcome);
          }
          if (!waiting) break;
          const have = c.received.length;
          const outcome = await c.waitData(have);
          if (outcome === 'timeout') return end({ code: head.toutCode ?? 'L7TOUT', info: '', status: 0 });
          // Closed or reset with data: evaluate once more with what came (last read).
        }
        lastExpect = rules[groupEnd] as Extract<Rule, { type: 'expect' }>;
        i = groupEnd;
      }
      if (!lastExpect) return failure('L4OK', started, '');
      const data = conn!.received.subarray(base);
      return end({ code: lastExpect.okCode ?? 'L7OK', info: lastExpect.onSuccess?.(data) ?? '', status: lastExpect.statusCode?.(data) ?? 0 });
    } catch (e) {
      // A probe always resolves: whatever a server sends must not break the check loop.
      return failure('L7RSP', started, cString(`protocol check error: ${(e as Error).message}`));
    } finally {
      conn?.close();
    }
  };
}
