// Slack incoming webhooks: a `text` fallback (notifications, old clients) and Block Kit blocks. The
// webhook URL is itself the credential, so it comes from a file and never appears in an error.
import type { Alert } from '../../../packages/runtime/index.js';
import { httpPost } from './http-post.js';
import type { Output } from './output.js';

/** Slack's mrkdwn needs only these three escaped; anything else in input is shown as text. */
const mrkdwn = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
/** Slack refuses section texts over 3,000 characters. */
const MAX_TEXT = 2900;
const clip = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

const ICON: Record<string, string> = {
  critical: ':rotating_light:',
  high: ':warning:',
  medium: ':large_orange_diamond:',
  low: ':information_source:',
};

export function slackMessage(a: Alert): string {
  const where = `${a.cluster}/${a.object.namespace}/${a.object.name}`;
  const text = `[${a.severity}] ${a.rule} on ${where} by ${a.user}: ${a.message}`;
  const lines = [
    `${ICON[a.severity] ?? ''} *${mrkdwn(a.rule)}* (${a.severity}) on \`${mrkdwn(where)}\``,
    mrkdwn(a.message),
    `*${mrkdwn(a.verb)}* by \`${mrkdwn(a.user)}\`${a.impersonatedUser === null ? '' : ` as \`${mrkdwn(a.impersonatedUser)}\``} from ${mrkdwn(a.sourceIPs.join(', ') || 'unknown')}`,
  ];
  if (a.reason !== null) lines.push(`Reason: ${mrkdwn(a.reason)}`);
  const context = [
    `log index ${a.index}`,
    `checkpoint ${a.checkpoint.size}`,
    `audit ID ${mrkdwn(a.auditID)}`,
    mrkdwn(a.stageTimestamp),
  ];
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n')) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: clip(context.join(' · ')) }] },
  ];
  if (a.consoleUrl !== undefined) {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Open in console' }, url: a.consoleUrl },
      ],
    });
  }
  return JSON.stringify({ text: clip(text), blocks });
}

export function slackOutput(o: { url: string; timeoutMs: number }): Output {
  return {
    name: 'slack',
    async deliver(a) {
      await httpPost('slack', o.url, slackMessage(a), { 'content-type': 'application/json' }, o.timeoutMs);
    },
  };
}
