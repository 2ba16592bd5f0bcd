// packages/change: the change object (schema ingress-ledger.change/v1), its canonical JSON form
// and its signed-note leaf.
export * from './canonical.js';
export * from './change.js';
