// One object's history (`?object=<namespace>/<name>`): every version with its YAML diff against the
// one before, unified or side by side (`&diff=split`).
import { type Change, isBodyRef } from '../../../../packages/change/index.js';
import { storedAfter } from '../../../../packages/risk/index.js';
import { decodeBase64 } from '../../../../packages/tlog/index.js';
import type { EntryJson, HistoryJson } from '../entry-json.js';
import { HISTORY_PARAMS } from '../params.js';
import type { Verdict } from '../verify-entry.js';
import { fetchHistory } from './api-client.js';
import { changeOfLeaf, entryView, showVerdict } from './change-view.js';
import { h, replace } from './dom.js';
import { nextFrame, type View, verificationSummary } from './view.js';
import { type DiffStyle, diffView, toYaml } from './yaml-diff.js';

const utf8 = new TextDecoder();

/** The change with its out-of-leaf bodies put back (their digests are checked by the verifier). */
function withBodies(e: EntryJson): Change {
  const c = changeOfLeaf(e.leaf) as unknown as Change;
  const body = (v: unknown) => {
    if (!isBodyRef(v)) return v;
    const b = e.bodies.find((x) => x.sha256 === v.sha256);
    if (b === undefined) return v;
    try {
      return JSON.parse(utf8.decode(decodeBase64(b.data))) as unknown;
    } catch {
      return v;
    }
  };
  return { ...c, request: body(c.request), response: body(c.response) };
}

/** The data API query of a history URL. */
export function historyQuery(url: URLSearchParams): URLSearchParams {
  const api = new URLSearchParams();
  for (const name of HISTORY_PARAMS)
    if (url.get(name) !== null && url.get(name) !== '') api.set(name, url.get(name) as string);
  return api;
}

export function historyView(url: URLSearchParams, ctx: View['ctx']): View {
  const style: DiffStyle = url.get('diff') === 'split' ? 'split' : 'unified';
  const api = historyQuery(url);
  const other = new URLSearchParams(url);
  other.set('diff', style === 'split' ? 'unified' : 'split');
  const list = h('ol', { class: 'entries history', id: 'entries' });
  const status = h('div', { class: 'list-status', role: 'status' });
  const element = h(
    'section',
    { class: 'object-history' },
    h(
      'header',
      {},
      h(
        'h2',
        {},
        `History of ${url.get('object') ?? url.get('uid') ?? ''}`,
        url.get('cluster') ? ` in ${url.get('cluster')}` : '',
      ),
      h('a', { href: '?', class: 'back' }, '← timeline'),
      h('a', { href: `?${other}`, class: 'diff-style' }, style === 'split' ? 'unified diff' : 'side by side'),
    ),
    status,
    list,
  );

  const render = async (answer: HistoryJson) => {
    let before: unknown = null;
    // Newest first like the timeline; each diff is against the version before it in the log.
    const items = answer.versions.map((v) => {
      const after = storedAfter(withBodies(v), before);
      const diff = diffView(toYaml(before), toYaml(after), style);
      before = after;
      return entryView(v, { details: h('div', { class: 'version-diff' }, diff) });
    });
    replace(list, [...items].reverse());
    if (answer.versions.length === 0) replace(status, h('p', {}, 'No recorded versions of this object.'));
    const verdicts = new Map<string, Verdict>();
    const update = () => replace(status, verificationSummary(answer.versions.length, verdicts));
    update();
    await nextFrame();
    ctx.showCheckpoint(answer.checkpoint);
    await ctx.verifier.run(answer.checkpoint, answer.versions, (e, v) => {
      verdicts.set(e.index, v);
      const el = items[answer.versions.indexOf(e as HistoryJson['versions'][number])];
      if (el !== undefined) showVerdict(el, v);
    });
    update();
  };

  return {
    element,
    ctx,
    async refresh() {
      await render(await fetchHistory(api));
    },
    live: true,
  };
}
