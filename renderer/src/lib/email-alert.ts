/**
 * A backend's e-mail alerts as form fields, and the translation both ways:
 * from the form model (the backend's `email-alert` settings and the `mailers`
 * section they name) and to the contract's edits (a `set-mailers` edit for the
 * SMTP servers, the backend's `emailAlert`). HAProxy mails a server's state
 * changes at the chosen level or more severe: DOWN is `alert`, UP again and
 * maintenance are `notice`, each health-check result change is `info`
 * (server.c and check.c send_email_alert).
 */
import type { ConfigEdit, EmailAlertSpec, FormModel, MailerSpec, MailersForm, SyslogLevel } from '../../../proxy/control/contract.ts';

export interface AlertDraft {
  on: boolean;
  /** The `mailers` section the alert uses: the one it named, else the first of the file, else `alerts`. */
  mailers: string;
  /** SMTP servers, `host:port`, separated by spaces, commas or new lines. */
  smtp: string;
  from: string;
  to: string;
  level: SyslogLevel;
  /** Kept from the text (HELO name). */
  myhostname?: string;
}

/** The levels the form offers, in words; another level read from the text is shown as written. */
export const ALERT_LEVELS: Array<{ id: SyslogLevel; text: string }> = [
  { id: 'alert', text: 'A server goes DOWN' },
  { id: 'notice', text: 'A server goes DOWN, comes back UP, or is put in maintenance or drain' },
  { id: 'info', text: 'All of these, and each health check that starts failing or passing (many mails)' },
];

/** A simple e-mail address: one word, a local part, @, a domain of letters, digits, '-' and dots. */
const EMAIL = /^[^\s@<>()",;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** The section name a new alert uses: the file's first mailers section, else `alerts`. */
function defaultMailers(model: FormModel | null | undefined): string {
  return model?.mailers?.[0]?.name ?? 'alerts';
}

function mailersOf(model: FormModel | null | undefined, name: string): MailersForm | undefined {
  return model?.mailers?.find((m) => m.name === name);
}

/** `127.0.0.1:25 [::1]:25` as the SMTP field shows a section's mailers. */
export function smtpText(mailers: readonly MailerSpec[]): string {
  return mailers.map((m) => `${m.address.includes(':') ? `[${m.address}]` : m.address}:${m.port}`).join(' ');
}

/** The alert form of a backend: as read (its alert, that section's SMTP servers), else off with the file's mailers pre-filled. */
export function alertDraft(alert: EmailAlertSpec | undefined, model: FormModel | null | undefined): AlertDraft {
  const name = alert?.mailers ?? defaultMailers(model);
  return {
    on: alert !== undefined,
    mailers: name,
    smtp: smtpText(mailersOf(model, name)?.mailers ?? []),
    from: alert?.from ?? '',
    to: alert?.to ?? '',
    level: alert?.level ?? 'alert',
    ...(alert?.myhostname !== undefined ? { myhostname: alert.myhostname } : {}),
  };
}

/** One `host:port` (or `[v6]:port`) of the SMTP field → address and port; a reason in words when it is not one. */
export function parseSmtp(word: string): { address: string; port: number } | { error: string } {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(word) ?? /^([^\s:[\]/,]+):(\d+)$/.exec(word);
  if (!m) {
    return /:\d*$/.test(word) || word.includes(':')
      ? { error: `${word} is not host:port (an IPv6 address goes in brackets: [::1]:25)` }
      : { error: `${word} has no port: write host:port, e.g. ${word}:25` };
  }
  const port = Number(m[2]);
  if (!(port >= 1 && port <= 65535)) return { error: `${m[2]} in ${word} is not a port: use a whole number from 1 to 65535 (25 or 587 for mail)` };
  if (/^[\d.]+$/.test(m[1]!) && !/^(\d{1,3})(\.\d{1,3}){3}$/.test(m[1]!)) return { error: `${m[1]} is not an IP address: use four numbers from 0 to 255 separated by dots` };
  if (/^[\d.]+$/.test(m[1]!) && m[1]!.split('.').some((p) => Number(p) > 255)) return { error: `${m[1]} is not an IP address: each number is at most 255` };
  return { address: m[1]!, port };
}

/** Words of the SMTP field. */
export function smtpWords(text: string): string[] {
  return text.split(/[\s,]+/).filter((w) => w !== '');
}

/** Local checks of an alert form; errors keyed by `<at>.smtp`, `<at>.from`, `<at>.to`. */
export function checkAlert(a: AlertDraft, at: string): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!a.on) return errors;
  const words = smtpWords(a.smtp);
  if (words.length === 0) errors[`${at}.smtp`] = 'Enter the SMTP server that sends the mail, as host:port (e.g. 192.168.1.2:25).';
  else {
    const bad = words.map(parseSmtp).find((r): r is { error: string } => 'error' in r);
    if (bad) errors[`${at}.smtp`] = `${bad.error}.`;
  }
  if (a.from.trim() === '') errors[`${at}.from`] = 'Enter the sender address, e.g. loadstar@example.org.';
  else if (!EMAIL.test(a.from.trim())) errors[`${at}.from`] = `${a.from.trim()} is not an e-mail address: write it as name@example.org, without spaces or angle brackets.`;
  if (a.to.trim() === '') errors[`${at}.to`] = 'Enter the address the alerts go to, e.g. ops@example.org.';
  else if (!EMAIL.test(a.to.trim())) errors[`${at}.to`] = `${a.to.trim()} is not an e-mail address: write one address as name@example.org (HAProxy sends to one).`;
  return errors;
}

/** The backend's `emailAlert` (undefined: off). */
export function alertSpec(a: AlertDraft): EmailAlertSpec | undefined {
  if (!a.on) return undefined;
  return { mailers: a.mailers, from: a.from.trim(), to: a.to.trim(), level: a.level, ...(a.myhostname !== undefined ? { myhostname: a.myhostname } : {}) };
}

/**
 * The `set-mailers` edit for the alert's SMTP servers, or none when the section
 * already has exactly these. A server keeps its name when its address is unchanged;
 * new ones are `smtp1`, `smtp2` … (a name not taken).
 */
export function mailersEdit(a: AlertDraft, model: FormModel | null | undefined): ConfigEdit | undefined {
  if (!a.on) return undefined;
  const wanted = smtpWords(a.smtp).map(parseSmtp).filter((r): r is { address: string; port: number } => !('error' in r));
  const current = mailersOf(model, a.mailers);
  const kept = current?.mailers ?? [];
  const taken = new Set<string>();
  const mailers: MailerSpec[] = wanted.map((w) => {
    const same = kept.find((m) => m.address === w.address && m.port === w.port && !taken.has(m.name));
    if (same) { taken.add(same.name); return same; }
    return { name: '', ...w };
  });
  const names = new Set([...taken, ...kept.map((m) => m.name)]);
  let n = 1;
  for (const m of mailers) {
    if (m.name !== '') continue;
    while (names.has(`smtp${n}`)) n++;
    m.name = `smtp${n}`;
    names.add(m.name);
  }
  if (current && current.mailers.length === mailers.length && current.mailers.every((m, i) => m.name === mailers[i]!.name && m.address === mailers[i]!.address && m.port === mailers[i]!.port)) return undefined;
  return { op: 'set-mailers', mailers: { name: a.mailers, mailers } };
}

/** Which backends (other than `own`) send their alerts through the section: the form says they change too. */
export function sharedWith(model: FormModel | null | undefined, mailers: string, own: string | undefined): string[] {
  return (model?.backends ?? []).filter((b) => b.emailAlert?.mailers === mailers && b.name !== own).map((b) => b.name);
}

/** The alert in words (review step). */
export function alertWords(a: AlertDraft): string {
  if (!a.on) return 'off';
  const level = ALERT_LEVELS.find((l) => l.id === a.level)?.text.toLowerCase() ?? `level ${a.level} or more severe`;
  return `mail ${a.to.trim()} from ${a.from.trim()} through ${smtpWords(a.smtp).join(', ')} when ${level}`;
}
