// packages/change: the change object (schema ingress-ledger.change/v1), its canonical JSON form,
// and its signed-note leaf (made by collectors, opened by the ledger and by auditors).
export * from './body-refs.js';
export * from './canonical.js';
export * from './change.js';
export * from './errors.js';
export * from './from-audit.js';
export * from './make-leaf.js';
export * from './open-leaf.js';
export * from './reason.js';
export * from './resources.js';
export * from './validate.js';
