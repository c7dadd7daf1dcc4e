/**
 * parseServerList (renderer/src/lib/server-list.ts): the wizard's "add many
 * servers" list, one server a line, with names made up where none is given
 * and every unreadable line reported by number before anything is added.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerList } from '../../../renderer/src/lib/server-list.ts';

test('addresses with and without names, ports, weights and backup flags become servers in order', () => {
  const r = parseServerList(`# the rack
192.168.1.10:80
web2 192.168.1.11:8080 weight 2

web3 192.168.1.12 81 backup
[fd00::12]:80
nas.home.arpa:443
192.168.1.14
`, ['server1'], '80');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.servers.map((s) => [s.name, s.address, s.port, s.weight, s.backup]), [
    ['server2', '192.168.1.10', '80', '1', false],
    ['web2', '192.168.1.11', '8080', '2', false],
    ['web3', '192.168.1.12', '81', '1', true],
    ['server3', 'fd00::12', '80', '1', false],
    ['server4', 'nas.home.arpa', '443', '1', false],
    ['server5', '192.168.1.14', '80', '1', false],
  ]);
});

test('three hundred lines give three hundred distinct names', () => {
  const text = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}:8080`).join('\n');
  const r = parseServerList(text, []);
  assert.equal(r.servers.length, 300);
  assert.equal(new Set(r.servers.map((s) => s.name)).size, 300);
});

test('unreadable lines are reported with their numbers and nothing is added', () => {
  const r = parseServerList(`192.168.1.10:80
web1 192.168.1.11:80 wieght 2
web! 192.168.1.12:80
app1 10.0.0.1:80`, ['app1']);
  assert.deepEqual(r.servers, []);
  assert.equal(r.errors.length, 3);
  assert.match(r.errors[0]!, /^Line 2: 'wieght' is not understood/);
  assert.match(r.errors[1]!, /^Line 3: the name 'web!'/);
  assert.match(r.errors[2]!, /^Line 4: a server named 'app1' is already/);
});

test('a port or a weight out of range is reported by its line, and nothing is added', () => {
  const r = parseServerList('web1 127.0.0.1:80\nweb2 127.0.0.1:99999\nweb3 127.0.0.1 0\nweb4 127.0.0.1:80 weight 300\nweb5 127.0.0.1:80 weight x', []);
  assert.deepEqual(r.servers, []);
  assert.deepEqual(r.errors, [
    'Line 2: 99999 is not a port; use a whole number from 1 to 65535.',
    'Line 3: 0 is not a port; use a whole number from 1 to 65535.',
    'Line 4: weight 300 is not a weight; use a whole number from 0 to 256 (0 = no new traffic).',
    'Line 5: weight x is not a weight; use a whole number from 0 to 256 (0 = no new traffic).',
  ]);
  assert.deepEqual(parseServerList('web1 127.0.0.1:65535 weight 0\nweb2 127.0.0.1:1 weight 256', []).errors, []);
});

test('a line may give the server a connection limit (maxconn N, 1–100000); one out of range is reported by its line', () => {
  const r = parseServerList('web1 127.0.0.1:80 maxconn 50\nweb2 127.0.0.1:81 weight 2 maxconn 100000 backup\nweb3 127.0.0.1:82', []);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.servers.map((s) => [s.name, s.weight, s.maxconn, s.backup]), [['web1', '1', '50', false], ['web2', '2', '100000', true], ['web3', '1', '', false]]);
  assert.deepEqual(parseServerList('web1 127.0.0.1:80 maxconn 0\nweb2 127.0.0.1:80 maxconn many', []).errors, [
    'Line 1: maxconn 0 is not a limit; use a whole number from 1 to 100000.',
    'Line 2: maxconn many is not a limit; use a whole number from 1 to 100000.',
  ]);
});
