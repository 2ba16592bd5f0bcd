// `ingress-ledger notify`: delivers the ledger's alerts to webhooks, Slack, Falco, syslog and SIEMs
// (docs/alerts.md). Bad usage or configuration exits 2 with a message naming the flag.
import type { Command } from 'commander';
import { loadSettings, runService, settingsCommand } from '../../packages/runtime/index.js';
import { NOTIFY_SETTINGS, type NotifyConfig, notifyConfig } from './config.js';
import { startNotify } from './notify.js';

export function configFromSources(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): NotifyConfig {
  return notifyConfig(loadSettings(NOTIFY_SETTINGS, flags, env));
}

export function notifyCommand(): Command {
  const cmd = settingsCommand(
    'notify',
    'Deliver risk alerts from INGRESS_ALERTS to webhooks, Slack, Falco, syslog, Elasticsearch, Loki and Splunk',
    NOTIFY_SETTINGS,
  );
  cmd.action((flags: Record<string, unknown>) =>
    runService('notify', () => startNotify(configFromSources(flags, process.env))),
  );
  return cmd;
}
