/**
 * The editor's HAProxy mode: which word of a line gets which style. Sample fetches are highlighted
 * as such with or without arguments: an ACL's criterion and the first word of an anonymous ACL
 * (`req.ssl_sni`, `src` were plain text; only `hdr(host)`, with its parenthesis, was a fetch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StringStream } from '@codemirror/language';
import { token, type State } from '../../../renderer/src/lib/haproxy-language.ts';

/** Each word of each line with its style, as CodeMirror would tokenise the text. */
function styles(text: string): Array<[string, string | null]> {
  const state: State = { section: '', word: 0, keyword: '', inCondition: false, braces: 0, fetchNext: false };
  const out: Array<[string, string | null]> = [];
  for (const line of text.split('\n')) {
    const stream = new StringStream(line, 4, 4);
    while (!stream.eol()) {
      const style = token(stream, state);
      const word = stream.current().trim();
      if (word !== '') out.push([word, style]);
      stream.start = stream.pos;
    }
  }
  return out;
}

test('an ACL criterion and the first word of { … } are fetches, with or without arguments', () => {
  const s = styles(`frontend tls_pass
    tcp-request content accept if { req.ssl_hello_type 1 }
    acl is_git req.ssl_sni -i git.home.arpa
    acl lan src 192.168.1.0/24
    acl host_nas hdr(host) -i nas.home.arpa
    use_backend git_tls if is_git`);
  const style = (word: string): string | null | undefined => s.find(([w]) => w === word)?.[1];
  assert.equal(style('req.ssl_hello_type'), 'builtin');
  assert.equal(style('req.ssl_sni'), 'builtin');
  assert.equal(style('src'), 'builtin');
  assert.equal(style('hdr(host)'), 'builtin');
  assert.equal(style('is_git'), 'def', 'the ACL name where it is declared');
  assert.equal(style('-i'), 'meta');
  assert.equal(style('git.home.arpa'), null, 'a value is plain');
  assert.equal(style('1'), 'number', 'the value after the fetch is not a fetch');
  assert.equal(style('frontend'), 'heading');
  assert.equal(style('acl'), 'keyword');
});
