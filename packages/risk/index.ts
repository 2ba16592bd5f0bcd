// packages/risk: the pure risk rules of DESIGN 5.1 and the structural diff of stored objects.
// No I/O: the ledger's search index feeds changes in log order and stores what comes back.
export { deniedActor } from './actor-rules.js';
export { defaultRiskConfig, parseRiskConfig, type RiskConfig } from './config.js';
export { diffObjects } from './diff.js';
export { RiskEngine } from './evaluate.js';
export { annotationsOf, hostsOf, tlsSecretsOf } from './extract.js';
export { succeeded } from './rule.js';
export { isStoredObject, storedAfter } from './stored-object.js';
export { type DiffOp, type Finding, isObject, RULE_IDS, type Severity } from './types.js';
