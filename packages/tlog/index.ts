// packages/tlog: the pure transparency-log core. No I/O: Merkle math (RFC 6962/9162), C2SP
// tlog-tiles addressing, signed notes, checkpoints, cosignatures, policies and tlog-proof files.
export {
  type Checkpoint,
  cosignatureVerifier,
  cosignCheckpoint,
  formatCheckpoint,
  mergeSignatures,
  parseCheckpoint,
} from './checkpoint.js';
export { CompactRange } from './compact-range.js';
export { type CryptoProvider, describeCrypto, getCrypto, setCrypto } from './crypto.js';
export { decodeBase64, encodeBase64, parseDecimal } from './encoding.js';
export { TlogError } from './errors.js';
export { HASH_SIZE, leafHash, nodeHash } from './hash.js';
export { isValidKeyName } from './key-name.js';
export { cosignatureVkey, generateKey, parseSkey, parseVkey } from './keys.js';
export type { NodeId, NodeReader } from './merkle.js';
export {
  consistencyProof,
  consistencyProofNodes,
  EdgeFoldCache,
  inclusionProof,
  inclusionProofNodes,
  rootAt,
} from './merkle-proof.js';
export { verifyConsistency, verifyInclusion } from './merkle-verify.js';
export {
  formatNote,
  KEY_TYPE_ED25519,
  type Note,
  openNote,
  type PrivateKey,
  type PublicKey,
  parseNote,
  parseSignatureLines,
  signNote,
  type Verifier,
} from './note.js';
export {
  formatPolicy,
  type Policy,
  parsePolicy,
  QUORUM_NONE,
  quorumMet,
  verifyCheckpointNote,
} from './policy.js';
export {
  encodeEntryBundle,
  encodeTileIndex,
  entriesPath,
  MAX_BUNDLE_ENTRY_BYTES,
  MAX_TILE_LEVEL,
  type ParsedTilePath,
  parseEntryBundle,
  parseTilePath,
  readTile,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileNodes,
  tilePath,
  tileWidth,
} from './tiles.js';
export { formatTlogProof, parseTlogProof, type TlogProof } from './tlog-proof.js';
export {
  ADD_CHECKPOINT_PATH,
  type AddCheckpointRequest,
  formatAddCheckpoint,
  formatTlogSize,
  parseAddCheckpoint,
  parseTlogSize,
  TLOG_SIZE_CONTENT_TYPE,
} from './witness-protocol.js';
