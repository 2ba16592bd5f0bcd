// packages/tlog: the pure transparency-log core. No I/O: Merkle math (RFC 6962/9162), C2SP
// tlog-tiles addressing, signed notes, checkpoints, cosignatures, policies and tlog-proof files.
export * from './checkpoint.js';
export * from './crypto.js';
export * from './encoding.js';
export * from './errors.js';
export * from './hash.js';
export * from './merkle.js';
export * from './note.js';
export * from './policy.js';
export * from './tiles.js';
export * from './tlog-proof.js';
export * from './witness-protocol.js';
