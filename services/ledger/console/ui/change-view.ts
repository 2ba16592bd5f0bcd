// One entry as the timeline and the history show it: who changed what, when, why, its findings,
// its verification state and a link to its evidence. The change is read from the leaf bytes the
// browser verifies, never from a separate field the server could make disagree with them.
import { stringify } from 'yaml';
import { decodeBase64 } from '../../../../packages/tlog/index.js';
import type { EntryJson } from '../entry-json.js';
import type { Verdict } from '../verify-entry.js';
import { bundleUrl } from './api-client.js';
import { h } from './dom.js';

/** The fields the view reads; the leaf may be anything until it is verified. */
export interface ShownChange {
  cluster?: string;
  verb?: string;
  action?: string;
  object?: { resource?: string; namespace?: string; name?: string; group?: string };
  user?: { username?: string };
  stageTimestamp?: string;
  responseCode?: number;
  reason?: string | null;
  attribution?: { tool?: string; name?: string; revision?: string; url?: string };
  request?: unknown;
  response?: unknown;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The change in a leaf, parsed for display only (the verdict says whether to believe it). */
export function changeOfLeaf(leafB64: string): ShownChange {
  try {
    const text = utf8.decode(decodeBase64(leafB64));
    const parsed = JSON.parse(text.slice(0, text.indexOf('\n'))) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as ShownChange) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function objectPath(c: ShownChange): string {
  const ns = str(c.object?.namespace);
  const name = str(c.object?.name);
  return ns === '' ? name : `${ns}/${name}`;
}

export function objectLink(c: ShownChange): string {
  const q = new URLSearchParams({ object: objectPath(c) });
  if (str(c.cluster) !== '') q.set('cluster', str(c.cluster));
  return `?${q}`;
}

function whyView(c: ShownChange): HTMLElement | null {
  const parts: (string | HTMLElement)[] = [];
  if (typeof c.reason === 'string' && c.reason !== '')
    parts.push(h('span', { class: 'reason' }, `reason: ${c.reason}`));
  const a = c.attribution;
  if (a !== undefined && typeof a === 'object' && a !== null) {
    const what = [str(a.tool), str(a.name), str(a.revision) && `@ ${str(a.revision)}`].filter(
      (s) => s !== '',
    );
    const url = str(a.url);
    parts.push(
      h(
        'span',
        { class: 'attribution' },
        `via ${what.join(' ')}`,
        /^https?:\/\//.test(url)
          ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, ' ↗')
          : null,
      ),
    );
  }
  return parts.length === 0 ? null : h('div', { class: 'why' }, parts);
}

export function findingsView(findings: EntryJson['findings']): HTMLElement | null {
  if (findings.length === 0) return null;
  return h(
    'ul',
    { class: 'findings' },
    findings.map((f) =>
      h(
        'li',
        { class: `finding sev-${f.severity}`, 'data-rule': f.rule, 'data-severity': f.severity },
        h('strong', {}, f.severity.toUpperCase()),
        ` ${f.rule}: ${f.message}`,
        f.path === '' ? null : h('code', {}, ` ${f.path}`),
      ),
    ),
  );
}

/** The element of one entry: `data-entry-index` and `data-verification` are binding (DESIGN 12). */
export function entryView(e: EntryJson, opts: { details?: HTMLElement } = {}): HTMLLIElement {
  const c = changeOfLeaf(e.leaf);
  const code = typeof c.responseCode === 'number' ? c.responseCode : 0;
  return h(
    'li',
    { class: 'entry', 'data-entry-index': e.index, 'data-verification': 'pending' },
    h(
      'div',
      { class: 'entry-head' },
      h('span', { class: 'verification', role: 'status' }, '… verifying'),
      h('time', {}, str(c.stageTimestamp)),
      h('span', { class: `action action-${str(c.action)}` }, str(c.verb) || str(c.action)),
      h('a', { class: 'object', href: objectLink(c) }, `${str(c.object?.resource)} ${objectPath(c)}`),
      h('span', { class: 'cluster' }, str(c.cluster)),
      h('span', { class: 'user' }, `by ${str(c.user?.username)}`),
      h('span', { class: code >= 400 ? 'code denied' : 'code' }, String(code)),
      h('span', { class: 'index' }, `#${e.index}`),
      h(
        'a',
        { class: 'bundle', href: bundleUrl(e.index), download: `entry-${e.index}-evidence.tar` },
        'evidence',
      ),
    ),
    whyView(c),
    findingsView(e.findings),
    opts.details ?? changeDetails(c),
  );
}

/** The whole change as YAML, rendered when first opened: a first view of 100 entries renders none. */
function changeDetails(c: ShownChange): HTMLDetailsElement {
  const pre = h('pre', { class: 'yaml' });
  const details = h('details', {}, h('summary', {}, 'change'), pre);
  details.addEventListener('toggle', () => {
    if (details.open && pre.childNodes.length === 0) pre.textContent = stringify(c, { lineWidth: 0 });
  });
  return details;
}

/** Writes a verdict onto an entry's element: an attribute for tools, words and colour for people. */
export function showVerdict(el: Element, v: Verdict): void {
  el.setAttribute('data-verification', v.status);
  const badge = el.querySelector('.verification');
  if (badge === null) return;
  if (v.status === 'verified') {
    badge.textContent = '✓ verified';
    badge.setAttribute('title', `signed by ${v.signer}; included in the cosigned checkpoint`);
  } else {
    badge.textContent = `✗ VERIFICATION FAILED: ${v.reason}`;
    badge.setAttribute('title', 'what the server shows here is not what the log committed to');
  }
}
