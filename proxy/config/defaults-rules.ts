/**
 * What a defaults section's TCP/HTTP rules impose on the sections that inherit from it
 * (HAProxy 2.6, cfgparse-listen.c): who may inherit rules at all — defaults and listen sections
 * may not, and one defaults section serves either frontends or backends — and the capture slots
 * its `http-request capture … len` rules declare in each frontend, ahead of the frontend's own.
 */
import type { Diagnostics } from './diagnostics.ts';
import type { Capture, DefaultsProxy, HttpRule, ParsedProxy } from './model.ts';

function definesRules(d: DefaultsProxy): boolean {
  return d.httpRequestRules.length > 0 || d.httpResponseRules.length > 0 || d.httpAfterResponseRules.length > 0
    || d.tcpRequestRules.length > 0 || (d.tcpResponseRules?.length ?? 0) > 0;
}

/** A defaults section's `http-request capture … len` rules: each declares a slot in the frontends that inherit it. */
function captureSlotRules(d: DefaultsProxy): HttpRule[] {
  return d.httpRequestRules.filter((r) => r.action.type === 'capture' && r.action.len !== undefined);
}

/** Remembers, per defaults section with rules, whether frontends or backends took it first. */
export class DefaultsRuleUsers {
  private readonly side = new Map<DefaultsProxy, 'frontend' | 'backend'>();

  /** HAProxy's refusals, at the inheriting section's line: the first rule refusal that applies, and the capture one. */
  check(proxy: ParsedProxy, parent: DefaultsProxy, diagnostics: Diagnostics): void {
    const at = `(defaults section at ${parent.section.loc.file}:${parent.section.loc.line})`;
    const ruleRefusal = this.ruleRefusal(proxy, parent, at);
    if (ruleRefusal) diagnostics.alert(proxy.section.loc, 'LS_ERR_CFG_SYNTAX', ruleRefusal, proxy.kind);
    if (proxy.kind !== 'frontend' && captureSlotRules(parent).length > 0) {
      diagnostics.alert(proxy.section.loc, 'LS_ERR_CFG_SYNTAX', `backend or defaults sections cannot inherit from a defaults section defining capptures ${at}.`, proxy.kind);
    }
  }

  private ruleRefusal(proxy: ParsedProxy, parent: DefaultsProxy, at: string): string | undefined {
    if (!definesRules(parent)) return undefined;
    const kind = proxy.kind;
    const taken = this.side.get(parent);
    if (kind === 'defaults') return `a defaults section cannot inherit from a defaults section defining TCP/HTTP rules ${at}.`;
    if (kind === 'listen') return `a listen section cannot inherit from a defaults section defining TCP/HTTP rules.`;
    if (taken !== undefined && taken !== kind) return `frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules ${at}.`;
    if (kind === 'backend' && parent.tcpRequestRules.some((r) => r.phase !== 'content')) {
      return `a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules ${at}.`;
    }
    if (kind === 'frontend' && (parent.tcpResponseRules?.length ?? 0) > 0) {
      return `a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules ${at}.`;
    }
    this.side.set(parent, kind);
    return undefined;
  }
}

/**
 * After a frontend took its defaults section's rules (placed before its own): the defaults' capture
 * slots come first, numbered 0…k-1 in their rules' order, and the frontend's own `len` slots, numbered
 * from 0 while it was parsed, move up by k — as capture.req.hdr(N) and %hr see them in HAProxy.
 */
export function inheritCaptureSlots(proxy: ParsedProxy, parent: DefaultsProxy): void {
  const inherited = captureSlotRules(parent);
  if (inherited.length === 0 || proxy.kind !== 'frontend') return;
  const slots: Capture[] = inherited.map((r) => ({ kind: 'request slot', name: '', len: (r.action as { len: number }).len, loc: r.loc }));
  proxy.httpRequestRules = proxy.httpRequestRules.map((rule) => {
    const a = rule.action;
    if (a.type !== 'capture' || a.len === undefined) return rule;
    const index = inherited.indexOf(rule);
    // Rules are shared with the defaults section and its other frontends: number a copy.
    return { ...rule, action: { ...a, id: index >= 0 ? index : a.id! + inherited.length } };
  });
  proxy.captures = [...slots, ...proxy.captures];
}
