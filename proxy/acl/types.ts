/**
 * Shared types of the ACL / sample-expression / log-format language, modelled
 * on HAProxy 2.6 (configuration manual section 7, sources acl.c, sample.c,
 * arg.c, pattern.c, log.c). Everything here is plain data so that an
 * evaluator can walk it without re-parsing anything.
 */

/**
 * Type of a sample (HAProxy's SMP_T_*): 'addr' is "IPv4 or IPv6", 'meth' an
 * HTTP method, 'any' a type only known at run time (e.g. `var()`).
 */
export type SampleType = 'any' | 'bool' | 'int' | 'addr' | 'ipv4' | 'ipv6' | 'str' | 'bin' | 'meth';

/**
 * Declared type of a fetch or converter argument (HAProxy's ARGT_*):
 * `msk4`/`msk6` are netmasks (bit count or address form), `be`/`fe`/`tab`/
 * `srv`/`usr` name a backend, frontend, stick-table, server or userlist and are
 * resolved later by the caller, `reg` is a regex, `pbuf` a dotted protocol
 * buffers field path.
 */
export type ArgType =
  | 'int' | 'str' | 'ipv4' | 'msk4' | 'ipv6' | 'msk6'
  | 'be' | 'fe' | 'tab' | 'srv' | 'usr' | 'reg' | 'pbuf';

/** Argument list of a fetch or converter. */
export interface ArgSpec {
  /** Types of the arguments, in order. */
  readonly types: readonly ArgType[];
  /** Number of mandatory leading arguments (the rest are optional). */
  readonly min: number;
}

/** What a resolvable argument refers to. */
export type RefKind = 'backend' | 'frontend' | 'table' | 'server' | 'userlist';

/** Variable scopes (`txn.foo` → scope 'txn', name 'foo'). */
export type VarScope = 'proc' | 'sess' | 'txn' | 'req' | 'res' | 'check';

/** A parsed, typed fetch or converter argument. */
export type SampleArg =
  /** Integer (64-bit in HAProxy; exact here up to 2^53). */
  | { type: 'int'; value: number }
  /** String, after second-level unquoting. */
  | { type: 'str'; value: string }
  /** IPv4 address or mask, as an unsigned 32-bit number (a.b.c.d = a<<24 | b<<16 | c<<8 | d). */
  | { type: 'ipv4'; value: number }
  /** IPv6 address or mask, 16 bytes. */
  | { type: 'ipv6'; value: Uint8Array }
  /**
   * Reference to another object, not checked here. An empty name means "the
   * current proxy" (HAProxy's implicit argument, e.g. `nbsrv` alone).
   * For servers the name may be `backend/server`.
   */
  | { type: 'ref'; kind: RefKind; name: string }
  /** Regex (PCRE syntax translated to a JS RegExp). */
  | { type: 'regex'; source: string; ignoreCase: boolean; global: boolean; regex: RegExp }
  /** Variable reference (`txn.foo`). */
  | { type: 'var'; scope: VarScope; name: string }
  /** Protocol buffers field path (`1.2.3`). */
  | { type: 'pbuf'; path: number[] };

/**
 * Where a fetch takes its data from (HAProxy's SMP_SRC_* / SMP_USE_* names):
 * CONST constants, INTRN internal state, LISTN listener, FTEND frontend,
 * L4CLI client address, L5CLI client-side connection (SSL…), TRACK stick
 * counters, L6REQ request buffer, HRQHV/HRQHP/HRQBO HTTP request headers
 * (volatile) / request (persistent) / body, BKEND backend, SERVR server,
 * L4SRV/L5SRV server address / server-side connection, L6RES response buffer,
 * HRSHV/HRSHP/HRSBO HTTP response headers / response / body.
 */
export type SampleSource =
  | 'CONST' | 'INTRN' | 'LISTN' | 'FTEND' | 'L4CLI' | 'L5CLI' | 'TRACK' | 'L6REQ'
  | 'HRQHV' | 'HRQHP' | 'HRQBO' | 'BKEND' | 'SERVR' | 'L4SRV' | 'L5SRV' | 'L6RES'
  | 'HRSHV' | 'HRSHP' | 'HRSBO' | 'RQFIN' | 'RSFIN' | 'TXFIN' | 'SSFIN';

/**
 * Coarse layer a fetch needs: 'internal' (constants, counters, proxy state),
 * 'l4' (addresses), 'l5' (TLS/connection), 'l6-req'/'l6-res' (raw buffer
 * contents), 'l7-req'/'l7-res' (parsed HTTP request/response), 'l7' (either
 * HTTP direction, like `hdr`).
 */
export type FetchLayer = 'internal' | 'l4' | 'l5' | 'l6-req' | 'l6-res' | 'l7-req' | 'l7-res' | 'l7';

/**
 * Places where a sample may be evaluated (HAProxy's SMP_CKP_*). Use with
 * `fetchUsableAt()` to reject e.g. `path` in `tcp-request connection`.
 */
export type Checkpoint =
  | 'frontend-tcp-request-connection' | 'frontend-tcp-request-session' | 'frontend-tcp-request-content'
  | 'frontend-http-request' | 'frontend-http-request-body' | 'frontend-use-backend'
  | 'backend-tcp-request-content' | 'backend-http-request' | 'backend-http-request-body'
  | 'backend-use-server' | 'backend-server-source' | 'backend-tcp-response-content'
  | 'backend-http-response' | 'backend-http-response-body' | 'backend-stick-store'
  | 'frontend-tcp-response-content' | 'frontend-http-response' | 'frontend-http-response-body'
  | 'log' | 'backend-tcp-check' | 'config-parser' | 'cli-parser';

/** A sample fetch method (`src`, `hdr(name[,occ])`, …). */
export interface FetchDef {
  /** Keyword, e.g. 'req.hdr'. */
  readonly name: string;
  readonly args: ArgSpec;
  /** Type of the fetched sample. */
  readonly output: SampleType;
  /** Data sources it reads (determines where it may be used). */
  readonly sources: readonly SampleSource[];
  /** Coarse summary of `sources`. */
  readonly layer: FetchLayer;
  /** Bit i set = usable at CHECKPOINTS[i] (see checkpoints.ts). */
  readonly validAt: number;
}

/** A converter (`lower`, `map(file)`, …). */
export interface ConverterDef {
  readonly name: string;
  readonly args: ArgSpec;
  /** Type the input sample is cast to before conversion. */
  readonly input: SampleType;
  /** Type of the converted sample. */
  readonly output: SampleType;
}

/** One converter applied in a sample expression. */
export interface ConverterCall {
  readonly def: ConverterDef;
  /** Parsed arguments (optional trailing ones omitted). */
  readonly args: SampleArg[];
}

/** `fetch(args),conv1(args),conv2…` */
export interface SampleExpr {
  /** The expression as written (for messages and logs). */
  readonly text: string;
  readonly fetch: FetchDef;
  /** Parsed fetch arguments (optional trailing ones omitted). */
  readonly args: SampleArg[];
  readonly converters: ConverterCall[];
  /** Type of the final sample (output of the last converter, else of the fetch). */
  readonly type: SampleType;
}

/** Pattern matching methods (`-m NAME`). 'regm' is accepted by HAProxy though undocumented for ACLs. */
export type MatchMethod =
  | 'found' | 'bool' | 'int' | 'ip' | 'bin' | 'len'
  | 'str' | 'beg' | 'sub' | 'dir' | 'dom' | 'end' | 'reg' | 'regm';

/**
 * How pattern words are parsed: 'none' ignores them (found/bool), 'dotted'
 * reads `major.minor` versions (req.ssl_ver), 'meth' HTTP methods.
 */
export type PatternParser = 'none' | 'int' | 'dotted' | 'ip' | 'bin' | 'str' | 'reg' | 'meth';

/** A parsed ACL pattern. */
export type AclPattern =
  /** Inclusive integer range; an absent bound is open. `eq 5` → {min:5,max:5}. Dotted versions are major<<16|minor. */
  | { kind: 'int'; min?: number; max?: number }
  /** IPv4 network: unsigned 32-bit address and mask (mask need not be contiguous). Match: (ip & mask) === (addr & mask). */
  | { kind: 'ipv4'; addr: number; mask: number }
  /** IPv6 network: 16-byte address and prefix length. */
  | { kind: 'ipv6'; addr: Uint8Array; prefix: number }
  /** Host name HAProxy would resolve (IPv4 only) while starting; the caller must resolve it. */
  | { kind: 'host'; name: string; mask: number }
  /** String for str/beg/sub/dir/dom/end/len… matching. */
  | { kind: 'str'; value: string }
  /** Compiled regex (case-insensitivity already applied). */
  | { kind: 'regex'; source: string; regex: RegExp }
  /** Binary block from hex digits. */
  | { kind: 'bin'; bytes: Uint8Array }
  /** HTTP method; `known` for the 8 standard methods, matched exactly; others follow -i. */
  | { kind: 'method'; method: string; known: boolean };

/** A `-f FILE` pattern source, to be read and parsed by the caller (see parsePattern()). */
export interface AclPatternFile {
  readonly file: string;
  /** `-i` was in effect when the file was named. */
  readonly ignoreCase: boolean;
  /** `-n` was in effect (no DNS resolution for IP patterns). */
  readonly noDns: boolean;
  /** `-M`: the file is a two-column map file; only the first column is a pattern. */
  readonly map: boolean;
  /** Index of the file name in the words array. */
  readonly wordIndex: number;
}

/** Special matchers of some ACL keywords. */
export type SpecialMatcher = 'method' | 'auth-group';

/** One `acl NAME CRITERION [FLAGS] [OPERATOR] VALUE…` line, or an anonymous `{ … }` ACL. */
export interface AclDeclaration {
  /** ACL name; '' for an anonymous ACL. Several declarations with one name are ORed. */
  readonly name: string;
  /** The criterion word as written, e.g. 'hdr_beg(host)' or 'req.hdr(host),lower'. */
  readonly criterion: string;
  /** ACL-specific keyword used (e.g. 'hdr_beg'), when the criterion is not a plain fetch. */
  readonly aclKeyword?: string;
  /** The sample to fetch and convert. */
  readonly sample: SampleExpr;
  /** Effective matching method. */
  readonly match: MatchMethod;
  /** True when given with `-m`. */
  readonly matchExplicit: boolean;
  /** Parser used for pattern words and for lines of `files`. */
  readonly parser: PatternParser;
  /** Special matching done by some ACL keywords (`method`, `http_auth_group`). */
  readonly specialMatcher?: SpecialMatcher;
  /** `-i` in effect for the inline patterns. */
  readonly ignoreCase: boolean;
  /** `-n`: no DNS resolution for IP patterns. */
  readonly noDns: boolean;
  /** `-M` was given. */
  readonly loadAsMap: boolean;
  /** `-u ID`. */
  readonly uniqueId?: number;
  /** Pattern files (`-f`), in order. */
  readonly files: AclPatternFile[];
  /** Inline patterns, parsed; any one matching makes the ACL match. */
  readonly patterns: AclPattern[];
  /** Inline pattern words as HAProxy stores them (operators folded into ranges). */
  readonly values: string[];
  /** Index of the criterion in the words array given to the parser. */
  readonly wordIndex: number;
  /** Warnings HAProxy would print (the declaration is still valid). */
  readonly warnings: string[];
  /** Where the declaration was written; never set by the parser, free for the caller. */
  loc?: { readonly file: string; readonly line: number; readonly column: number };
}

/** Error returned (never thrown) by all parsers. Messages follow HAProxy's wording. */
export interface AclParseError {
  readonly error: string;
  /** Index of the offending word in the words array, when known. */
  readonly wordIndex?: number;
}

/** A condition term: a named ACL (predefined or declared) or an anonymous one. */
export type ConditionTerm =
  | {
    readonly kind: 'acl';
    readonly name: string;
    /** `!name`. */
    readonly negate: boolean;
    /**
     * The name is one of HAProxy's predefined ACLs. A declared ACL of the same
     * name takes precedence (HAProxy looks up declared ACLs first).
     */
    readonly predefined: boolean;
    readonly wordIndex: number;
  }
  | { readonly kind: 'anon'; readonly acl: AclDeclaration; readonly negate: boolean; readonly wordIndex: number };

/** Conjunction (implicit AND between consecutive terms). */
export interface ConditionAnd {
  readonly kind: 'and';
  readonly terms: ConditionTerm[];
}

/**
 * `if`/`unless` condition in disjunctive form: OR of ANDs (`||`/`or` bind
 * looser than the implicit AND; there are no parentheses). With 'unless' the
 * result of the OR is inverted.
 */
export interface Condition {
  readonly kind: 'or';
  readonly polarity: 'if' | 'unless';
  readonly terms: ConditionAnd[];
  /**
   * Where the rule holding it runs, set by the configuration parser. An ACL declaration whose fetch
   * is not usable at any of them never matches there: HAProxy warns so at load ("will never match"),
   * and at run time its fetch finds nothing (the request's head is gone once it was forwarded …).
   */
  checkpoints?: readonly Checkpoint[];
}

/** A named ACL referenced by a condition. */
export interface AclReference {
  readonly name: string;
  /** Is a predefined ACL name (TRUE, METH_GET, …). */
  readonly predefined: boolean;
  readonly wordIndex: number;
}

/** Result of parseCondition(). */
export type ConditionParseResult =
  | {
    readonly condition: Condition;
    /** Distinct ACL names referenced, in order of appearance (to check they exist). */
    readonly references: string[];
    /** Same as `references`, with predefined flags and positions. */
    readonly referencedAcls: AclReference[];
    /** Index just past the condition (the condition runs to the end of the words). */
    readonly endIndex: number;
    readonly warnings: string[];
  }
  | AclParseError;

/** Per-field log-format flags (`%{+Q,-E}x`). */
export interface LogFormatOptions {
  /** Q: quote strings. */
  readonly quote: boolean;
  /** X: hexadecimal representation. */
  readonly hex: boolean;
  /** E: escape '"', '\' and ']' (RFC5424 structured data). */
  readonly escape: boolean;
  /** M: mandatory (emit '-' when empty). */
  readonly mandatory: boolean;
}

/** One piece of a log-format / header-value string. */
export type LogFormatToken =
  /** Literal text (with '%%' already turned into '%'). */
  | { readonly kind: 'text'; readonly text: string }
  /**
   * Run of spaces when spaces are merged (log-format, unique-id-format): emit
   * one space, unless nothing was emitted yet or the last thing emitted was a
   * separator.
   */
  | { readonly kind: 'separator' }
  /** `%ci`, `%{+Q}r` … (see LOG_FORMAT_VARIABLES). */
  | { readonly kind: 'var'; readonly name: string; readonly options: LogFormatOptions }
  /** `%[sample,expr]`. */
  | { readonly kind: 'sample'; readonly expr: SampleExpr; readonly options: LogFormatOptions };

/** Result of parseLogFormat(). */
export type LogFormatParseResult =
  | { readonly tokens: LogFormatToken[]; readonly warnings: string[] }
  | { readonly error: string; readonly offset?: number };
