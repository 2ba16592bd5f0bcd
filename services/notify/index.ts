// The notify service (docs/alerts.md): alerts from the INGRESS_ALERTS stream to the receivers
// security teams watch, at least once, with retries, dead letters and metrics per output.
export { configFromSources, notifyCommand } from './command.js';
export {
  NOTIFY_SETTINGS,
  type NotifyConfig,
  notifyConfig,
  type RawSettings as NotifyRawSettings,
} from './config.js';
export { type RunningNotify, startNotify } from './notify.js';
