// The timeline: changes newest first, with the `search` filters kept in the URL's query string.

import { RULE_IDS } from '../../../../packages/risk/index.js';
import type { EntriesJson } from '../entry-json.js';
import { FILTER_PARAMS } from '../params.js';
import type { Verdict } from '../verify-entry.js';
import { fetchEntries } from './api-client.js';
import { entryView, showVerdict } from './change-view.js';
import { h, replace } from './dom.js';
import { nextFrame, type View, verificationSummary } from './view.js';

const SELECTS: Record<string, string[]> = {
  action: ['', 'create', 'update', 'delete'],
  verb: ['', 'create', 'update', 'patch', 'delete', 'deletecollection'],
  // Every rule the ledger knows, from its one list (reason-missing included).
  risk: ['', ...RULE_IDS],
};

function filterForm(url: URLSearchParams, go: (q: URLSearchParams) => void): HTMLFormElement {
  const fields = FILTER_PARAMS.map((name) => {
    const value = url.get(name) ?? '';
    const options = SELECTS[name];
    const input =
      options === undefined
        ? h('input', {
            name,
            id: `f-${name}`,
            value,
            placeholder: name === 'since' ? '2h or RFC 3339' : undefined,
          })
        : h(
            'select',
            { name, id: `f-${name}` },
            options.map((o) =>
              h('option', { value: o, selected: o === value ? '' : undefined }, o === '' ? 'any' : o),
            ),
          );
    return h('label', { for: `f-${name}` }, h('span', {}, name), input);
  });
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    fields,
    h('button', { type: 'submit' }, 'Search'),
    h('a', { href: '?', class: 'clear' }, 'clear'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (typeof v === 'string' && v.trim() !== '') q.set(k, v.trim());
    go(q);
  });
  return form;
}

export function timelineView(url: URLSearchParams, ctx: View['ctx']): View {
  const list = h('ol', { class: 'entries', id: 'entries' });
  const status = h('div', { class: 'list-status', role: 'status' });
  const pager = h('nav', { class: 'pager' });
  const element = h('section', { class: 'timeline' }, filterForm(url, ctx.navigate), status, list, pager);
  const api = timelineQuery(url);
  let shown = new Set<string>();

  const render = async (answer: EntriesJson) => {
    const verdicts = new Map<string, Verdict>();
    const items = answer.entries.map((e) => {
      const el = entryView(e);
      if (shown.size > 0 && !shown.has(e.index)) el.classList.add('new');
      return el;
    });
    shown = new Set(answer.entries.map((e) => e.index));
    replace(list, items);
    performance.mark('console:listed');
    replace(
      pager,
      answer.next === undefined
        ? null
        : h('a', { href: `?${withParam(url, 'page', answer.next)}`, class: 'older' }, 'older changes →'),
    );
    const update = () => replace(status, verificationSummary(answer.entries.length, verdicts));
    update();
    // The list is painted and takes input before any signature is checked.
    await nextFrame();
    ctx.showCheckpoint(answer.checkpoint);
    await ctx.verifier.run(answer.checkpoint, answer.entries, (e, v) => {
      verdicts.set(e.index, v);
      const el = items[answer.entries.indexOf(e)];
      if (el !== undefined) showVerdict(el, v);
    });
    performance.mark('console:verified');
    update();
  };

  return {
    element,
    ctx,
    async refresh() {
      await render(await fetchEntries(api));
    },
    // Live updates apply to the first page only: a later page is a fixed window into the past.
    live: url.get('page') === null,
  };
}

/** The data API query of a timeline URL: its filters and page, nothing else. */
export function timelineQuery(url: URLSearchParams): URLSearchParams {
  const api = new URLSearchParams();
  for (const name of [...FILTER_PARAMS, 'page'])
    if (url.get(name) !== null && url.get(name) !== '') api.set(name, url.get(name) as string);
  return api;
}

function withParam(url: URLSearchParams, k: string, v: string): URLSearchParams {
  const q = new URLSearchParams(url);
  q.set(k, v);
  return q;
}
