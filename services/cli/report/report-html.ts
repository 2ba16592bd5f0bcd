// The period report as one self-contained HTML file: inline CSS, no scripts, no external assets,
// laid out to print (or "save as PDF") on A4 and Letter. Every value from the log is escaped: a
// change's reason, names and messages are attacker-controlled text.
import type { PeriodReport, ReportEntry } from './period-report.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const CSS = `
:root { color-scheme: light; }
body { font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 2px solid #d0d7de; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
.meta { color: #57606a; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .25rem .45rem; border-bottom: 1px solid #d8dee4; }
th { background: #f6f8fa; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; padding: .6rem; white-space: pre-wrap; word-break: break-all; border: 1px solid #d8dee4; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: .5rem; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem .7rem; }
.card b { display: block; font-size: 1.4rem; }
.ok { color: #1a7f37; font-weight: 600; }
.warn { color: #9a6700; }
.sev-critical, .sev-high { color: #cf222e; font-weight: 600; }
.sev-medium { color: #9a6700; }
.none { color: #8c959f; font-style: italic; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr, .card, pre { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
@page { margin: 14mm; }
`;

const why = (e: ReportEntry) =>
  e.reason !== null ? esc(e.reason) : `<span class="none">no reason given</span>`;
const source = (e: ReportEntry) => (e.source === null ? '<span class="none">—</span>' : esc(e.source));
const findings = (e: ReportEntry) =>
  e.findings.length === 0
    ? ''
    : e.findings
        .map(
          (f) =>
            `<div class="sev-${esc(f.severity)}">${esc(f.severity)} ${esc(f.rule)}: ${esc(f.message)}</div>`,
        )
        .join('');

function changeRows(entries: readonly ReportEntry[], withObject: boolean, withActor: boolean): string {
  const head = `<tr><th class="n">#</th><th>time (UTC)</th><th>action</th>${withObject ? '<th>object</th>' : ''}${withActor ? '<th>actor</th>' : ''}<th class="n">HTTP</th><th>why</th><th>source</th><th>findings</th></tr>`;
  const rows = entries
    .map(
      (e) =>
        `<tr><td class="n">${esc(e.index)}</td><td>${esc(e.time)}</td><td>${esc(e.action)} (${esc(e.verb)})</td>${withObject ? `<td>${esc(e.object)}</td>` : ''}${withActor ? `<td>${esc(e.actor)}</td>` : ''}<td class="n">${e.responseCode}</td><td>${why(e)}</td><td>${source(e)}</td><td>${findings(e)}</td></tr>`,
    )
    .join('\n');
  return `<table><thead>${head}</thead><tbody>\n${rows}\n</tbody></table>`;
}

export function reportHtml(r: PeriodReport): string {
  const byIndex = new Map(r.entries.map((e) => [e.index, e]));
  const pick = (indexes: readonly string[]) =>
    indexes.map((i) => byIndex.get(i)).filter((e): e is ReportEntry => e !== undefined);
  const c = r.counts;
  const card = (label: string, n: number) => `<div class="card"><b>${n}</b>${esc(label)}</div>`;
  const scope = r.period.cluster === null ? 'all clusters' : `cluster ${esc(r.period.cluster)}`;
  const actorRows = r.byActor
    .map(
      (a) =>
        `<tr><td>${esc(a.actor)}</td><td class="n">${a.changes}</td><td class="n">${a.failed}</td><td class="n">${a.withoutReason}</td><td class="n">${a.withoutWhy}</td><td class="n">${a.personWithoutReason}</td><td class="n">${a.findings}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Ingress changes ${esc(r.period.since)} to ${esc(r.period.until)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Ingress changes, ${esc(r.period.since)} to ${esc(r.period.until)}</h1>
<p class="meta">${scope} · log ${esc(r.checkpoint.origin)} · generated ${esc(r.generatedAt)}</p>

<h2>Summary</h2>
<div class="cards">
${card('changes', c.changes)}
${card('creates', c.create)}
${card('updates', c.update)}
${card('deletes', c.delete)}
${card('failed or denied', c.failed)}
${card('with findings', c.withFindings)}
${card('without a reason', c.withoutReason)}
${card('without a why', c.withoutWhy)}
${card('by people without a reason', c.personWithoutReason)}
</div>
<p>Findings: ${Object.entries(c.findingsBySeverity)
    .map(([s, n]) => (n === 0 ? `${n} ${esc(s)}` : `<span class="sev-${esc(s)}">${n} ${esc(s)}</span>`))
    .join(' · ')}.
"Without a why" counts changes that state no reason and whose source (a GitOps application, Helm
release or pipeline) records none either; a <code>kubectl</code> source is not a why.</p>

<h2>Verified against</h2>
<p class="ok">Every change below was checked: its collector's signature, and its inclusion in this
checkpoint, whose log signature and witness cosignatures satisfied the policy${r.checkpoint.cosigners.length > 0 ? ` (cosigned by ${r.checkpoint.cosigners.map(esc).join(', ')})` : ''}.</p>
<pre>${esc(r.checkpoint.note)}</pre>

<h2>By actor</h2>
<table><thead><tr><th>actor</th><th class="n">changes</th><th class="n">failed</th><th class="n">no reason</th><th class="n">no why</th><th class="n">person, no reason</th><th class="n">findings</th></tr></thead>
<tbody>
${actorRows}
</tbody></table>
${r.byActor.map((a) => `<h3>${esc(a.actor)}</h3>\n${changeRows(pick(a.entries), true, false)}`).join('\n')}

<h2>By object</h2>
${r.byObject.map((o) => `<h3>${esc(o.object)} <span class="meta">(cluster ${esc(o.cluster)})</span></h3>\n${changeRows(pick(o.entries), false, true)}`).join('\n')}

<h2>Verify it again, offline</h2>
<p>The folder <code>evidence/</code> beside this file holds each entry's leaf and proof, the policy
and the collector keys the report was checked with. Compare the policy and keys with copies you
obtained yourself, then run:</p>
<pre>${r.verify.map(esc).join('\n')}</pre>
</body>
</html>
`;
}
