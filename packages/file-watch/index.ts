// packages/file-watch: files re-read when their content changes (certificates, keys, tokens), so a
// renewal takes effect without a restart. No dependencies beyond Node.
export {
  DEFAULT_POLL_INTERVAL_MS,
  type PolledFiles,
  type PolledFilesOptions,
  pollFiles,
} from './polled-files.js';
