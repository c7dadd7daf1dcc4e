/**
 * Public API of the ACL / condition / sample-expression / log-format parser
 * (HAProxy 2.6 section 7 and 8.2.6). All parsers return values, never throw;
 * errors are `{ error, wordIndex? }` with HAProxy's wording, to be prefixed
 * with the file and line by the caller.
 */
export type * from './types.ts';

export { parseAclDeclaration, parseAclExpression, invalidAclNameChar } from './acl.ts';
export { parseCondition } from './condition.ts';
export type { ConditionParseOptions } from './condition.ts';
export { PREDEFINED_ACLS, isPredefinedAcl, predefinedAcl } from './predefined.ts';

export { parseSampleExpression, parseSampleWords } from './sample.ts';
export type { SampleParseResult, SampleWordsResult } from './sample.ts';
export { parseLogFormat, LOG_FORMAT_VARIABLES, DEFAULT_LOG_FORMATS, ALL_CHECKPOINTS } from './logformat.ts';
export type { LogFormatParseOptions } from './logformat.ts';

export { findFetch, fetchNames, findAclKeyword, aclKeywordNames, suggestCriterion, suggestFetch } from './fetches.ts';
export type { AclKeywordDef, FetchEntry } from './fetches.ts';
export { findConverter, converterNames, suggestConverter, canCast } from './converters.ts';
export { CHECKPOINTS, fetchUsableAt, checkpointDescription, checkpointBit, sourceNames } from './checkpoints.ts';

export {
  MATCH_METHODS, MATCH_INPUT_TYPE, KNOWN_METHODS, parsePattern, parseIntRange, applyOperator, parseOperator,
  parserFor, defaultMatchFor, methodCompatible,
} from './matchers.ts';
export type { IntOperator, PatternParseOptions } from './matchers.ts';
export { compilePcre } from './regex.ts';
export type { PcreOptions, PcreResult } from './regex.ts';
export { parseIPv4, parseIPv6, parseNetPattern, formatIPv4 } from './ip.ts';
export { parseVarName } from './validators.ts';
export { aclReferences, sampleReferences } from './references.ts';
export { filePatternsProblem } from './eval-match.ts';
export { mapFileProblem } from './converter/map.ts';
export type { References } from './references.ts';

// ---- evaluation (compiled once at configuration load, run per request)
export {
  compileSample, compileAcl, compileAclResult, compileCondition, compileConditionResult, compileLogFormat,
  ACL_FAIL, ACL_MISS, ACL_PASS,
} from './evaluate.ts';
export type { CompileOptions, SampleEvaluator, AclResult } from './evaluate.ts';
export { MapVarStore } from './context.ts';
export { PatternRef, PatternRefs, withPatternRefs, activePatternRefs } from './pattern-ref.ts';
export type { PatternEntry, PatternUse } from './pattern-ref.ts';
export type { VarMap } from './context.ts';
export { SET_VAR_CONDITIONS, parseSetVarTarget, setVariable } from './var-set.ts';
export type { SetVarCondition } from './var-set.ts';
export type {
  SampleContext, ConnectionInfo, HttpRequestInfo, HttpResponseInfo, ClientCertInfo, DistinguishedName, VarStore, EngineHooks,
  StickQuery, StickCounterSlots, BackendMetric, ServerMetric, FrontendMetric,
} from './context.ts';
export {
  castSample, sampleToString, parseAddress, ipv4ToString, ipv6ToString, mkStr, mkInt, mkBool, mkBin, mkIPv4, mkIPv6,
} from './eval-sample.ts';
export type { Sample } from './eval-sample.ts';
export type { LogVars, LogFormatCompileOptions } from './eval-logformat.ts';
export { EvalCompileError } from './eval-errors.ts';
export type { EvalErrorKind } from './eval-errors.ts';
export { UNSUPPORTED_CONVERTERS } from './eval-converters.ts';
export { UNSUPPORTED_FETCHES } from './eval-fetches.ts';
export { parseClientHelloSni } from './eval-payload.ts';
