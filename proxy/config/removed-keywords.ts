/**
 * Keywords HAProxy removed, with the message HAProxy 2.6 gives for each (cfgparse-listen.c): a
 * configuration written for an older HAProxy (`reqadd`, `rspdel`, `clitimeout`, `block` …) gets
 * what to write instead, not "unknown keyword". Each is refused in every proxy section alike.
 */

const since21 = (name: string, instead?: string): string =>
  `The '${name}' directive is not supported anymore since HAProxy 2.1.${instead ? ` Use '${instead}' instead.` : ''}`;
const REPLACE_PATH = "http-request replace-path', 'http-request replace-uri' or 'http-request replace-header";

const REMOVED: Readonly<Record<string, (args: readonly string[]) => string>> = {
  appsession: () => `'appsession' is not supported anymore since HAProxy 1.6.`,
  block: () => `The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.`,
  cliexp: () => since21('cliexp', REPLACE_PATH),
  clitimeout: () => `the 'clitimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout client'.`,
  contimeout: () => `the 'contimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout connect'.`,
  srvtimeout: () => `the 'srvtimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout server'.`,
  grace: () => `the 'grace' keyword is not supported any more since HAProxy version 2.5.`,
  'monitor-net': (args) => `'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src ${args[0] ?? ''} }' instead.`,
  redisp: () => `keyword 'redisp' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.`,
  redispatch: () => `keyword 'redispatch' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.`,
  reqadd: () => since21('reqadd', 'http-request add-header'),
  reqallow: () => since21('reqallow', 'http-request allow'),
  reqiallow: () => since21('reqiallow', 'http-request allow'),
  reqdel: () => since21('reqdel', 'http-request del-header'),
  reqidel: () => since21('reqidel', 'http-request del-header'),
  // HAProxy's own wording for these two lacks "directive".
  reqdeny: () => `The 'reqdeny' not supported anymore since HAProxy 2.1. Use 'http-request deny' instead.`,
  reqpass: () => `The 'reqpass' not supported anymore since HAProxy 2.1.`,
  reqideny: () => since21('reqideny', 'http-request deny'),
  reqipass: () => since21('reqipass'),
  reqrep: () => since21('reqrep', REPLACE_PATH),
  reqirep: () => since21('reqirep', 'http-request replace-header'),
  reqtarpit: () => since21('reqtarpit', 'http-request tarpit'),
  reqitarpit: () => since21('reqitarpit', 'http-request tarpit'),
  rspadd: () => since21('rspadd', 'http-response add-header'),
  rspdel: () => `The 'rspdel' directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' .`,
  rspidel: () => since21('rspidel', 'http-response del-header'),
  rspdeny: () => since21('rspdeny', 'http-response deny'),
  rspideny: () => since21('rspideny', 'http-response deny'),
  rsprep: () => since21('rsprep', 'http-response replace-header'),
  rspirep: () => since21('rspirep', 'http-response replace-header'),
  srvexp: () => since21('srvexp', 'http-response replace-header'),
  usesrc: () => `'usesrc' only allowed after a 'source' statement.`,
};

const REMOVED_OPTIONS: Readonly<Record<string, string>> = {
  forceclose: `option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use 'option httpclose' if absolutely needed.`,
  'http-tunnel': `option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it shouldn't be needed.`,
  http_proxy: `option 'http_proxy' is not supported any more since HAProxy 2.5. This option stopped working in HAProxy 1.9 and usually had nasty side effects. It can be more reliably implemented with combinations of 'http-request set-dst' and 'http-request set-uri', and even 'http-request do-resolve' if DNS resolution is desired.`,
};

/** HAProxy's message for a removed proxy keyword (`words`: the line's words), or undefined. */
export function removedKeywordMessage(words: readonly string[]): string | undefined {
  const [first, second] = words;
  if (first === 'option') return second === undefined ? undefined : REMOVED_OPTIONS[second];
  return Object.hasOwn(REMOVED, first ?? '') ? REMOVED[first!]!(words.slice(1)) : undefined;
}
