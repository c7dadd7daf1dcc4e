/**
 * `agent-check` (configuration.txt §5.2, tcpcheck.c tcpcheck_agent_expect_reply):
 * every agent-inter, a TCP connection to agent-addr:agent-port, the
 * `agent-send` string if any, then one ASCII line read up to the first CR or
 * LF. Its words, separated by spaces, tabs or commas, in any order (the last
 * of a kind wins): "75%" (weight relative to the configured one), "maxconn:N",
 * "ready" / "drain" / "maint" (admin state), "up" / "down" / "fail" /
 * "stopped" (operational state), and "#text" starting a description.
 * Failing to reach the agent changes nothing: connectivity is the regular
 * check's business.
 */
import { CheckConnection, failure } from './connection.ts';
import type { CheckResult, CheckTarget } from './types.ts';
import type { AdminState } from './state.ts';

export interface AgentSettings {
  target: CheckTarget;
  /** `agent-send`, written once connected. */
  send?: string;
  /** `agent-inter`, ms (HAProxy default 2000). */
  inter: number;
}

/** What one agent line asks for; fields the agent did not mention are absent (and left unchanged). */
export interface AgentReply {
  /** The health word as written: up, down, fail or stopped (any case). */
  health?: string;
  admin?: AdminState;
  /** The weight word, e.g. "75%". */
  weight?: string;
  /** What follows "maxconn:". */
  maxconn?: string;
  /** Text after '#', reported with a health word. */
  description: string;
  /** The first word not understood. */
  error?: string;
}

const HEALTH_WORDS = new Set(['up', 'down', 'fail', 'stopped']);
const ADMIN_WORDS: Readonly<Record<string, AdminState>> = { ready: 'READY', drain: 'DRAIN', maint: 'MAINT' };

/** Parses the line (without its CR/LF), as HAProxy does word by word. */
export function parseAgentReply(line: string): AgentReply {
  const reply: AgentReply = { description: '' };
  const words = /[^ \t,]+/g;
  for (let m = words.exec(line); m; m = words.exec(line)) {
    const word = m[0];
    if (word.startsWith('#')) {
      // A '#' opening a word starts the description: the rest of the line, leading blanks skipped.
      reply.description = line.slice(m.index + 1).replace(/^[ \t]+/, '');
      break;
    }
    const lower = word.toLowerCase();
    if (HEALTH_WORDS.has(lower)) reply.health = word;
    else if (lower in ADMIN_WORDS) reply.admin = ADMIN_WORDS[lower];
    else if (/^\d/.test(word) && word.includes('%')) reply.weight = word;
    else if (lower.startsWith('maxconn:')) reply.maxconn = word.slice('maxconn:'.length);
    else reply.error ??= word;
  }
  return reply;
}

/** strtol(): optional blanks and sign, then digits; returns the number and what follows, or undefined without digits. */
function strtol(text: string): { value: number; rest: string } | undefined {
  const m = /^[ \t]*([+-]?\d+)/.exec(text);
  return m ? { value: Number(m[1]), rest: text.slice(m[0].length) } : undefined;
}

/**
 * server_parse_weight_change_request(): "N%" is relative to the configured
 * weight (capped at 25600% and at 256), "N" absolute (0..256). Returns the
 * weight or HAProxy's warning.
 */
export function agentWeight(word: string, configuredWeight: number): number | string {
  const n = strtol(word);
  if (!n) return 'Empty weight string empty or preceded by garbage';
  if (n.rest === '%') {
    if (n.value < 0) return 'Relative weight must be positive.\n';
    return Math.min(256, Math.floor((configuredWeight * Math.min(n.value, 25600)) / 100));
  }
  if (n.value < 0 || n.value > 256) return 'Absolute weight can only be between 0 and 256 inclusive.\n';
  if (n.rest !== '') return 'Trailing garbage in weight string';
  return n.value;
}

/** server_parse_maxconn_change_request(): the new maxconn or HAProxy's warning. */
export function agentMaxconn(text: string): number | string {
  if (text === '') return 'Require <maxconn>.\n';
  const n = strtol(text);
  if (!n) return 'maxconn string empty or preceded by garbage';
  if (n.rest !== '') return 'Trailing garbage in maxconn string';
  return n.value;
}

/** One exchange: the line the agent answered, or the result explaining why there is none. */
export type AgentExchange = { line: string; result: CheckResult } | { line?: undefined; result: CheckResult };

/** Connects, sends agent-send, reads up to the first CR/LF (a NUL or the end before it is an incomplete line). */
export async function readAgent(settings: AgentSettings): Promise<AgentExchange> {
  const started = Date.now();
  const conn = await CheckConnection.open(settings.target, started);
  if (!(conn instanceof CheckConnection)) return { result: conn };
  try {
    if (settings.send) conn.write(Buffer.from(settings.send, 'latin1'));
    for (;;) {
      const text = conn.received.toString('latin1');
      const end = text.search(/[\0\r\n]/);
      if (end >= 0 && text[end] !== '\0') return { line: text.slice(0, end), result: failure('L7OK', started, '') };
      const outcome = end >= 0 ? 'closed' : await conn.waitData(conn.received.length);
      if (outcome === 'data') continue;
      if (outcome === 'timeout') return { result: failure('L7TOUT', started, '') };
      return { result: failure('L7RSP', started, 'Ignoring incomplete line from agent') };
    }
  } finally {
    conn.close();
  }
}

/** The `info` HAProxy stores with a health word: "via agent : down (overloaded)". */
export function agentInfo(reply: AgentReply, warning: string | undefined): string {
  let msg = reply.description;
  if (!msg || reply.health!.toLowerCase() === 'up') msg = reply.error ?? warning ?? msg;
  return `via agent : ${reply.health}${msg ? ` (${msg})` : ''}`;
}
