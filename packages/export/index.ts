// packages/export: preserving the log outside the ledger (DESIGN 10). Mirrors a tlog-tiles layout
// (a tiles server, or the ledger's own store) into a directory or an S3 bucket with Object Lock,
// verifying everything against the checkpoint before it writes, writing every object but
// `checkpoint` once; and reads such an export back for `restore`.
export { type CheckpointCheck, checkpointCheck, noteText } from './checkpoint-trust.js';
export { DirLayout, dirReader } from './dir-layout.js';
export { ExportError, type ExportErrorCode } from './errors.js';
export {
  DEFAULT_EXPORT_CONCURRENCY,
  type ExportEvents,
  type ExportStepOptions,
  exportedCheckpoint,
  exportStep,
  type ObjectKind,
  type StepResult,
} from './exporter.js';
export { DEFAULT_FOLLOW_INTERVAL_MS, type FollowOptions, follow, MAX_BACKOFF_MS } from './follow.js';
export { bodyKey, CHECKPOINT_KEY, checkpointKey, MAX_BYTES } from './layout.js';
export type { LayoutReader, LayoutWriter, PutOutcome } from './layout-io.js';
export {
  type Location,
  parseLocation,
  parseObjectLockMode,
  parseRetention,
  type Retention,
} from './location.js';
export { ExportMetrics } from './metrics.js';
export { type OpenLayoutOptions, openLayout } from './open-layout.js';
export { forEachLimit } from './pool.js';
export { type ObjectLock, type ObjectLockMode, S3Layout, s3ClientFromEnv } from './s3-layout.js';
export { tilesSource } from './tiles-source.js';
export { checkBundle, checkTiles, type TileRef, TileSet, tilesFor } from './tree-check.js';
