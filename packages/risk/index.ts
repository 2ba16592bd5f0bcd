// packages/risk: the pure risk rules of DESIGN 5.1 and the structural diff of stored objects.
// No I/O: the ledger's search index feeds changes in log order and stores what comes back.
export * from './actor-rules.js';
export * from './annotation-rules.js';
export * from './cidr.js';
export * from './config.js';
export * from './diff.js';
export * from './errors.js';
export * from './evaluate.js';
export * from './extract.js';
export * from './object-rules.js';
export * from './rule.js';
export * from './stored-object.js';
export * from './types.js';
