/**
 * The stats page's admin form (`stats admin if …`, a POST of `b=#<id>&s=<server>&…&action=<a>`), read
 * as haproxy 2.6's stats_process_http_post reads it: parameters split on '&' and taken from the last
 * to the first, so the last `b` and `action` win; `s` parameters seen before both are known are taken
 * again once they are; each key and value percent-decoded with '+' as a space (a bad '%' sequence
 * ends the reading there, what was done stays); a parameter of 2048 bytes or more, an unknown
 * backend or an unknown action is ERRP at once. The status it answers (`st=` of the 303): NONE when
 * no server was counted, ERRP when none was changed, DONE when all were, else PART.
 */

export type AdminFormStatus = 'DONE' | 'NONE' | 'PART' | 'ERRP';

/** HAProxy's action names (ST_ADM_ACTION_*): the page offers ready, drain and maint; the others are older or scripted. */
const ACTIONS = ['ready', 'drain', 'maint', 'shutdown', 'dhlth', 'ehlth', 'hrunn', 'hnolb', 'hdown', 'dagent', 'eagent', 'arunn', 'adown', 'disable', 'enable', 'stop', 'start'] as const;
export type AdminFormAction = (typeof ACTIONS)[number];

/** HAProxy's LINESIZE: the key buffer a parameter is copied to. */
const LINESIZE = 2048;

/**
 * What a form acts on. `apply` says what became of one server: `altered` (counted, changed),
 * `skipped` (not counted: HAProxy's actions that find nothing to do, `disable` on a server already
 * in maintenance), `failed` (counted, unchanged: a server the action cannot change), or undefined
 * when the backend has no such server (counted, unchanged).
 */
export interface AdminFormTarget<B> {
  /** proxy_be_by_name: a backend (or listen) by name, or `#<id>` by its id. */
  backend(nameOrId: string): B | undefined;
  apply(backend: B, server: string, action: AdminFormAction): 'altered' | 'skipped' | 'failed' | undefined;
}

export function applyAdminForm<B>(body: string, target: AdminFormTarget<B>): AdminFormStatus {
  let backend: B | undefined;
  let action: AdminFormAction | undefined;
  let total = 0;
  let altered = 0;
  // The C loop's cursors: `cur` walks back from the end; a parameter ends at `next` ('&' or the end).
  let cur = body.length;
  let next = body.length;
  let reprocess: { cur: number; next: number } | undefined;
  while (cur > 0) {
    cur--;
    if (body[cur] !== '&' && cur !== 0) continue;
    for (;;) {
      // The first parameter is taken from the very first byte, even a '&' (HAProxy's poffset).
      const bytes = body.slice(cur === 0 ? 0 : cur + 1, next);
      if (bytes.length + 1 > LINESIZE) return 'ERRP';
      // Copied as a C string: a NUL byte ends it.
      const param = bytes.split('\0', 1)[0]!;
      const eq = param.indexOf('=');
      const key = urlDecode(eq < 0 ? param : param.slice(0, eq));
      const value = key === undefined ? undefined : urlDecode(eq < 0 ? '' : param.slice(eq + 1));
      if (key === undefined || value === undefined) return result(total, altered);
      if (backend === undefined && key === 'b') {
        backend = target.backend(value);
        if (backend === undefined) return 'ERRP';
      } else if (action === undefined && key === 'action') {
        if (!(ACTIONS as readonly string[]).includes(value)) return 'ERRP';
        action = value as AdminFormAction;
      } else if (key === 's') {
        if (backend === undefined || action === undefined) reprocess ??= { cur, next };
        else {
          const outcome = target.apply(backend, value, action);
          if (outcome !== 'skipped') total++;
          if (outcome === 'altered') altered++;
        }
      }
      // Backend and action now known: the servers named before them are taken again, from the first one met.
      if (reprocess && backend !== undefined && action !== undefined) {
        ({ cur, next } = reprocess);
        reprocess = undefined;
        continue;
      }
      break;
    }
    next = cur;
  }
  return result(total, altered);
}

function result(total: number, altered: number): AdminFormStatus {
  if (total === 0) return 'NONE';
  if (altered === 0) return 'ERRP';
  return altered === total ? 'DONE' : 'PART';
}

const hex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * url_decode(text, in_form=1): '+' is a space, `%XX` a byte; undefined for a '%' without two hex
 * digits. Bytes as latin1 characters; the C string ends at a decoded NUL.
 */
function urlDecode(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '+') out += ' ';
    else if (c === '%') {
      if (!hex(text[i + 1]) || !hex(text[i + 2])) return undefined;
      out += String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += c;
  }
  const nul = out.indexOf('\0');
  return nul < 0 ? out : out.slice(0, nul);
}
