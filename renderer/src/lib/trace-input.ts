/**
 * The tracer's form checked before the engine is asked: a request a real
 * client could not send (a path without its leading '/', a source that is
 * no IP address) would be traced as if it were fine and explain nothing.
 */

export interface TraceInputProblems {
  url?: string;
  source?: string;
}

function isIpv4(a: string): boolean {
  const parts = a.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIpv6(a: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(a) || !a.includes(':') || (a.match(/::/g) ?? []).length > 1) return false;
  const groups = a.split(':');
  const last = groups.at(-1)!;
  const v4Tail = last.includes('.');
  if (v4Tail && !isIpv4(last)) return false;
  const hex = v4Tail ? groups.slice(0, -1) : groups;
  const count = hex.filter((g) => g !== '').length + (v4Tail ? 2 : 0);
  return hex.every((g) => /^[0-9A-Fa-f]{0,4}$/.test(g)) && (a.includes('::') ? count < 8 : count === 8);
}

/** Problems of the URL (HTTP frontends only) and the source address, in words, by field. */
export function traceInputProblems(input: { url: string; source: string; http: boolean }): TraceInputProblems {
  const problems: TraceInputProblems = {};
  const url = input.url.trim();
  if (input.http && !(url.startsWith('/') || /^https?:\/\/[^/\s]/i.test(url) || url === '*')) {
    problems.url = `'${url}' is not a request target: start it with '/', e.g. /${url.replace(/^\/*/, '') || 'index.html'}`;
  }
  const source = input.source.trim();
  if (source !== '' && !isIpv4(source) && !isIpv6(source)) {
    problems.source = `'${source}' is not an IP address, e.g. 192.168.1.20 or fd00::20`;
  }
  return problems;
}
