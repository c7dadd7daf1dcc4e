/**
 * HAProxy 2.6's reg-test converter/fix.vtc (its be2 half): tcp-request and tcp-response content rules
 * validating a FIX logon each way with fix_is_valid and fix_tag_value, variables set from the response
 * and checked by later rules. A server answering the valid logon is relayed; one answering an invalid
 * message is cut (the client reads nothing). Replayed on Loadstar and, when installed, on haproxy 2.6.12.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRawServer, freePort } from '../../helpers/net.ts';
import { sideBySide } from '../http/lib/side-by-side.ts';

/** 8=FIX.4.4|9=102|35=A|49=CLIENT1|56=EXECUTOR|34=1|52=20201029-13:02:44.528|98=0|108=30|141=Y|553=Username|554=Password|10=252| */
const LOGON = Buffer.from('383d4649582e342e3401393d3130320133353d410134393d434c49454e54310135363d4558454355544f520133343d310135323d32303230313032392d31333a30323a34342e3532380139383d30013130383d3330013134313d59013535333d557365726e616d65013535343d50617373776f72640131303d32353201', 'hex');
/** 8=FIX.4.4|9=79|35=A|34=1|49=EXECUTOR|52=20201029-13:02:44.535360|56=CLIENT1|98=0|108=30|141=Y|10=038| */
const ANSWER = Buffer.from('383d4649582e342e3401393d37390133353d410133343d310134393d4558454355544f520135323d32303230313032392d31333a30323a34342e3533353336300135363d434c49454e54310139383d30013130383d3330013134313d590131303d30333801', 'hex');
/** The same answer with BeginString and BodyLength swapped: not a valid FIX message. */
const INVALID = Buffer.concat([Buffer.from('9=79\x018=FIX.4.4\x01'), ANSWER.subarray(ANSWER.indexOf('\x01', ANSWER.indexOf('\x01') + 1) + 1)]);

const BACKEND_RULES = `    tcp-response inspect-delay 1s
    tcp-response content reject unless { res.payload(0,0),fix_is_valid }
    tcp-response content set-var(res.fix_vsn)    res.payload(0,0),fix_tag_value(8)
    tcp-response content set-var(res.fix_len)    res.payload(0,0),fix_tag_value(9)
    tcp-response content set-var(res.fix_type)   res.payload(0,0),fix_tag_value(35)
    tcp-response content set-var(res.fix_sender) res.payload(0,0),fix_tag_value(49)
    tcp-response content set-var(res.fix_target) res.payload(0,0),fix_tag_value(56)
    tcp-response content set-var(res.fix_chksum) res.payload(0,0),fix_tag_value(10)
    tcp-response content reject if ! { var(res.fix_vsn) -m str "FIX.4.4" }    || ! { var(res.fix_len) -m str "79" }
    tcp-response content reject if ! { var(res.fix_type) -m str "A" }         || ! { var(res.fix_sender) -m str "EXECUTOR" }
    tcp-response content reject if ! { var(res.fix_target) -m str "CLIENT1" } || ! { var(res.fix_chksum) -m str "038" }
`;

const FRONTEND_RULES = `    tcp-request inspect-delay 1s
    tcp-request content reject unless { req.payload(0,0),fix_is_valid }
    tcp-request content set-var(req.fix_vsn)    req.payload(0,0),fix_tag_value(BeginString)
    tcp-request content set-var(req.fix_len)    req.payload(0,0),fix_tag_value(BodyLength)
    tcp-request content reject if ! { var(req.fix_vsn) -m str "FIX.4.4" }     || ! { var(req.fix_len) -m str "102" }
`;

function config(invalidPort: number, good: number, bad: number) {
  return (port: number): string => `defaults
    mode tcp
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe2
    bind 127.0.0.1:${port}
${FRONTEND_RULES}    default_backend be2
frontend fe3
    bind 127.0.0.1:${invalidPort}
${FRONTEND_RULES}    default_backend be3
backend be2
    server s2 127.0.0.1:${good}
${BACKEND_RULES}backend be3
    server s3 127.0.0.1:${bad}
${BACKEND_RULES}`;
}

/** Sends the logon; resolves with the bytes received before the connection closed. */
function logon(port: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(LOGON));
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** A server reading the whole logon, answering `answer`, then closing (fix.vtc's s2). */
function fixServer(answer: Buffer) {
  return startRawServer((s) => {
    let got = 0;
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= LOGON.length) s.end(answer);
    });
  });
}

test('tcp-request and tcp-response rules validate a FIX logon each way as HAProxy 2.6 does (fix.vtc)', async (t) => {
  const good = await fixServer(ANSWER);
  const bad = await fixServer(INVALID);
  const invalidPort = await freePort();
  try {
    await sideBySide(t, config(invalidPort, good.port, bad.port), async (port) => {
      assert.equal((await logon(port)).toString('hex'), ANSWER.toString('hex'));
      assert.equal((await logon(invalidPort)).length, 0);
    });
  } finally {
    await good.close();
    await bad.close();
  }
});

test('fix_is_valid and fix_tag_value read the messages of fix.vtc as HAProxy 2.6 does', async () => {
  const { parseSampleExpression, compileSample } = await import('../../../proxy/acl/index.ts');
  const run = (expr: string): unknown => {
    const parsed = parseSampleExpression(expr);
    if ('error' in parsed) throw new Error(parsed.error);
    const s = compileSample(parsed.expr)({ conn: { src: '', srcPort: 0, dst: '', dstPort: 0, frontend: 'f', ssl: false } });
    return s && (s.type === 'bin' ? Buffer.from(s.value).toString() : s.value);
  };
  const valid = (hex: string): unknown => run(`bin(${hex}),fix_is_valid`);
  assert.equal(valid(LOGON.toString('hex')), true);
  assert.equal(valid(ANSWER.toString('hex')), true);
  // fix.vtc's c2_1 (an empty tag name), c2_2 (an empty value), c2_4 (BodyLength first): invalid.
  assert.equal(valid('383d4649582e342e3401393d3130300133353d410134393d434c49454e54310135363d4558454355544f520133343d310135323d32303230313032392d31333a30323a34342e353238013d30013130383d3330013134313d59013535333d557365726e616d65013535343d50617373776f72640131303d32353201'), false);
  assert.equal(valid('383d4649582e342e3401393d3130310133353d410134393d434c49454e54310135363d4558454355544f520133343d310135323d32303230313032392d31333a30323a34342e3532380139383d013130383d3330013134313d59013535333d557365726e616d65013535343d50617373776f72640131303d32353201'), false);
  assert.equal(valid(INVALID.toString('hex')), false);
  // Incomplete: no answer yet.
  assert.equal(valid(LOGON.subarray(0, 60).toString('hex')), undefined);
  assert.equal(run(`bin(${LOGON.toString('hex')}),fix_tag_value(SenderCompID)`), 'CLIENT1');
  assert.equal(run(`bin(${LOGON.toString('hex')}),fix_tag_value(554)`), 'Password');
  assert.equal(run(`bin(${LOGON.toString('hex')}),fix_tag_value(999)`), undefined);
  assert.equal('error' in parseSampleExpression('bin(00),fix_tag_value(Nope)'), true);
});
