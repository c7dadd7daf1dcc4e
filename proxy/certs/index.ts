/**
 * Certificate management (issue #5): the local CA, leaf issuing, PEM import
 * with validation, and the on-disk store. The CLI (`loadstar cert`) and the
 * control contract both go through CertStore, so they behave the same.
 */
export { CertStore } from './store.ts';
export type { SitePem, StoredCert } from './store.ts';
export { assembleBundle, inspectBundle } from './bundle.ts';
export type { PemBundle, BundleOptions } from './bundle.ts';
export { readPemBlocks } from './pem.ts';
export type { PemBlock } from './pem.ts';
export { resolveDataDir } from './data-dir.ts';
export type { DataDirOptions } from './data-dir.ts';
export { writeFileAtomic } from './atomic-write.ts';
export { certFacts, isIssuedBy, isSelfSigned } from './inspect.ts';
export { checkCertName, checkDnsName, checkIpAddress, storeNameFor, MAX_LEAF_DAYS } from './names.ts';
export { KEY_TYPES } from './types.ts';
export type { CaInfo, CaInitRequest, CertInfo, CertInspection, CertListing, CertWarning, ImportRequest, IssueRequest, KeyType, PemSource } from './types.ts';
