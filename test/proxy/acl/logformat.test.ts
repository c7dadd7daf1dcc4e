import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogFormat, DEFAULT_LOG_FORMATS, LOG_FORMAT_VARIABLES } from '../../../proxy/acl/index.ts';
import type { LogFormatParseOptions, LogFormatToken } from '../../../proxy/acl/index.ts';

const LOG: LogFormatParseOptions = { mergeSpaces: true, checkpoints: ['log'], defaults: { mandatory: true } };

function ok(fmt: string, options: LogFormatParseOptions = {}): LogFormatToken[] {
  const r = parseLogFormat(fmt, options);
  if ('error' in r) assert.fail(`unexpected error for '${fmt}': ${r.error}`);
  return r.tokens;
}

function err(fmt: string, options: LogFormatParseOptions = {}): string {
  const r = parseLogFormat(fmt, options);
  if (!('error' in r)) assert.fail(`expected an error for '${fmt}'`);
  return r.error;
}

/** Compact rendering: %var (+Q when quoted), [expr], "text", _ for separators. */
function show(tokens: LogFormatToken[]): string {
  return tokens.map((t) => {
    switch (t.kind) {
      case 'text': return JSON.stringify(t.text);
      case 'separator': return '_';
      case 'var': return `%${t.name}${t.options.quote ? '+Q' : ''}`;
      case 'sample': return `[${t.expr.text}]${t.options.quote ? '+Q' : ''}`;
    }
  }).join(' ');
}

test('the default httplog format parses into variables, text and separators', () => {
  const tokens = ok(DEFAULT_LOG_FORMATS.http, LOG);
  assert.equal(show(tokens.slice(0, 9)), '%ci ":" %cp _ "[" %tr "]" _ %ft');
  const last = tokens[tokens.length - 1]!;
  assert.equal(last.kind === 'var' && last.name, 'r');
  assert.equal(last.kind === 'var' && last.options.quote, true);
  assert.equal(last.kind === 'var' && last.options.mandatory, true);
  assert.equal(tokens.filter((t) => t.kind === 'var').length, 26);
});

test('the other built-in formats parse too', () => {
  for (const fmt of [DEFAULT_LOG_FORMATS.tcp, DEFAULT_LOG_FORMATS.https, DEFAULT_LOG_FORMATS.clf]) ok(fmt, LOG);
});

test('the HTTPS format mixes sample expressions with variables', () => {
  const samples = ok(DEFAULT_LOG_FORMATS.https, LOG).filter((t) => t.kind === 'sample');
  assert.deepEqual(samples.map((t) => t.kind === 'sample' && t.expr.text), ['fc_err', 'ssl_fc_err,hex', 'ssl_c_err', 'ssl_c_ca_err', 'ssl_fc_is_resumed', 'ssl_fc_sni']);
});

test('%o sets the flags of all following fields', () => {
  const tokens = ok('%{+Q}o %t %s %{-Q}r', LOG);
  assert.equal(show(tokens), '_ %t+Q _ %s+Q _ %r');
});

test('flags may be combined and unknown flags are ignored', () => {
  const [t] = ok('%{+Q,+E,+X,+Z}ci');
  assert.ok(t!.kind === 'var' && t.options.quote && t.options.escape && t.options.hex);
  const [u] = ok('%{+Q}[src]');
  assert.ok(u!.kind === 'sample' && u.options.quote);
});

test('the structured-data example of the manual parses', () => {
  const tokens = ok('%{+Q,+E}o [exampleSDID@1234 header=%[capture.req.hdr(0)]]', LOG);
  assert.equal(show(tokens), '_ "[exampleSDID@1234" _ "header=" [capture.req.hdr(0)]+Q "]"');
});

test('percent signs: %% is a literal, a % before other punctuation is dropped', () => {
  assert.equal(show(ok('100%% %!x')), '"100% !x"');
  assert.equal(show(ok('%ci %cp%%%Tw')), '%ci " " %cp "%" %Tw');
});

test('without space merging, spaces are plain text (header values)', () => {
  assert.equal(show(ok('%[src]  x')), '[src] "  x"');
  assert.equal(show(ok('a  b', { mergeSpaces: true })), '"a" _ "b"');
});

test('sample expressions inside %[ ] accept converters and quoted arguments', () => {
  const [t] = ok("%[req.hdr(host),regsub('a,(b)',c),lower]");
  assert.ok(t!.kind === 'sample');
  if (t!.kind === 'sample') assert.deepEqual(t.expr.converters.map((c) => c.def.name), ['regsub', 'lower']);
  assert.equal(show(ok('%[src,,lower]')), '[src,,lower]');
});

test('unknown variables and misplaced percent signs are rejected with HAProxy messages', () => {
  assert.equal(err('%foo'), "no such format variable 'foo'. If you wanted to emit the '%' character verbatim, you need to use '%%'");
  assert.equal(err('%cifoo'), "no such format variable 'cifoo'. If you wanted to emit the '%' character verbatim, you need to use '%%'");
  assert.match(err('%cii'), /; did you mean '%ci'\?$/);
  assert.equal(err('%5'), "unexpected variable name near '5' at position 1 line : '%5'. Maybe you want to write a single '%', use the syntax '%%'");
  assert.equal(err('%'), "truncated line after '%'");
  assert.equal(err('abc %'), "truncated line after '%'");
  assert.equal(err('%{+Q'), "truncated line after '+Q'");
  assert.equal(err('%{+Q}'), "parse argument modifier without variable name near '%{+Q}'");
  assert.equal(err('%{+Q} x'), "parse argument modifier without variable name near '%{+Q}'");
});

test('sample expression errors inside log formats', () => {
  assert.equal(err('%[src'), "missing ']' after 'src'");
  assert.equal(err('%[src)'), "expected ']' after 'src', but found ')'");
  assert.equal(err('%[src ]'), "expected ']' after 'src', but found ' '");
  assert.equal(err('%[foo]'), "failed to parse sample expression <foo]> : unknown fetch method 'foo'");
  assert.equal(err('%[]'), 'failed to parse sample expression <]> : missing fetch method');
  assert.equal(err('%[src] %[src,]'), "failed to parse sample expression <src,]> : unknown converter ''");
});

test('fetches unavailable where the string is evaluated are rejected when a check point is given', () => {
  assert.equal(err('%[res.hdr(x)] %[status]', LOG),
    "sample fetch <res.hdr(x)] %[status]> may not be reliably used here because it needs 'HTTP response headers' which is not available here");
  assert.equal(err('%[res.hdr(x)]', { checkpoints: ['frontend-http-request'] }),
    "sample fetch <res.hdr(x)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here");
  ok('%[req.hdr(host)]', { checkpoints: ['frontend-http-request'] });
  ok('%[status] %[src]', LOG);
});

test('HTTP-only variables are refused in TCP mode', () => {
  assert.equal(err('%r', { mode: 'tcp' }), "format variable 'r' is reserved for HTTP mode");
  ok(DEFAULT_LOG_FORMATS.tcp, { ...LOG, mode: 'tcp' });
});

test('the variable table matches the manual', () => {
  assert.equal(LOG_FORMAT_VARIABLES.size, 64);
  for (const v of ['ci', 'cp', 'H', 't', 'r', 'HM', 'HPO', 'sslv', 'tsc', 'Ta', 'ID']) assert.ok(LOG_FORMAT_VARIABLES.has(v), v);
});
