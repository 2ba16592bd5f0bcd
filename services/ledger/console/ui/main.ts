// The console's entry point: reads the policy and keys, picks the view from the query string
// (`?object=` opens a history, anything else is the timeline), and refreshes the view when the
// live stream says more entries can be read.
import type { CheckpointJson } from '../entry-json.js';
import { trustOf } from '../verify-entry.js';
import { fetchTrust, prefetch } from './api-client.js';
import { h, replace } from './dom.js';
import { historyQuery, historyView } from './history-view.js';
import { timelineQuery, timelineView } from './timeline.js';
import { Verifier } from './verifier.js';
import type { View } from './view.js';

const app = document.getElementById('app') as HTMLElement;
const checkpointLine = h('p', { class: 'checkpoint', id: 'checkpoint', role: 'status' });
const liveLine = h('span', { class: 'live', id: 'live' }, 'live: connecting');
const content = h('div', { id: 'content' });

function fatal(message: string): void {
  replace(content, h('p', { class: 'summary failed' }, h('strong', { class: 'alarm' }, message)));
}

const isHistory = (url: URLSearchParams) => url.has('object') || url.has('uid');

async function start(): Promise<void> {
  // The first view's data is on its way while the policy and keys are read and parsed.
  const first = new URLSearchParams(location.search);
  if (isHistory(first)) prefetch('/api/history', historyQuery(first));
  else prefetch('/api/entries', timelineQuery(first));
  let trust: ReturnType<typeof trustOf>;
  let origin = '';
  try {
    const t = await fetchTrust();
    origin = t.origin;
    trust = trustOf(t);
    // Phases of the first view, for loadtest/console.ts and a browser's performance panel.
    performance.mark('console:trust');
  } catch (err) {
    return fatal(`Cannot verify anything: the policy or keys could not be read (${(err as Error).message})`);
  }
  replace(
    app,
    h(
      'header',
      { class: 'top' },
      h('h1', {}, h('a', { href: '?' }, 'ingress-ledger')),
      h('span', { class: 'origin' }, origin),
      liveLine,
    ),
    checkpointLine,
    content,
  );
  const verifier = new Verifier(trust);
  const showCheckpoint = (c: CheckpointJson) => {
    const v = verifier.checkpoint(c);
    checkpointLine.className = v.status === 'verified' ? 'checkpoint verified' : 'checkpoint failed';
    checkpointLine.setAttribute('data-verification', v.status);
    checkpointLine.textContent =
      v.status === 'verified'
        ? `✓ checkpoint of ${c.size} entries: signed by the log, cosigned by ${v.cosigners.join(', ') || 'no witness (policy quorum none)'}`
        : `✗ CHECKPOINT VERIFICATION FAILED: ${v.reason}`;
  };

  let view: View | undefined;
  let refreshing: Promise<void> | undefined;
  let again = false;
  const refresh = async () => {
    if (view === undefined) return;
    if (refreshing !== undefined) {
      again = true;
      return;
    }
    const current = view;
    refreshing = current.refresh().catch((err: Error) => fatal(`Could not load: ${err.message}`));
    await refreshing;
    refreshing = undefined;
    if (again && view === current) {
      again = false;
      await refresh();
    }
  };

  const route = () => {
    const url = new URLSearchParams(location.search);
    const ctx: View['ctx'] = { verifier, navigate, showCheckpoint };
    view = isHistory(url) ? historyView(url, ctx) : timelineView(url, ctx);
    replace(content, view.element);
    document.body.setAttribute('data-view', isHistory(url) ? 'history' : 'timeline');
    void refresh();
  };
  const navigate = (q: URLSearchParams) => {
    history.pushState(null, '', `?${q}`);
    route();
  };
  window.addEventListener('popstate', route);
  // Links inside the console change the view without a reload.
  document.addEventListener('click', (ev) => {
    const a = (ev.target as Element | null)?.closest('a');
    if (a === null || a === undefined || a.hasAttribute('download') || a.target !== '') return;
    const href = a.getAttribute('href') ?? '';
    if (!href.startsWith('?')) return;
    ev.preventDefault();
    navigate(new URLSearchParams(href.slice(1)));
  });
  route();

  const events = new EventSource('/api/live');
  let size = -1n;
  events.addEventListener('open', () => {
    liveLine.textContent = 'live';
    liveLine.className = 'live on';
  });
  events.addEventListener('error', () => {
    liveLine.textContent = 'live: reconnecting';
    liveLine.className = 'live off';
  });
  events.addEventListener('size', (ev) => {
    const next = BigInt((JSON.parse((ev as MessageEvent<string>).data) as { size: string }).size);
    if (size >= 0n && next > size && view?.live) void refresh();
    size = next;
  });
}

void start();
