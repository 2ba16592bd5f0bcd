// An object's versions as YAML diffs, unified (as `kubectl diff` prints them) or side by side.
import { diffLines } from 'diff';
import { stringify } from 'yaml';
import { h } from './dom.js';

export type DiffStyle = 'unified' | 'split';

export function toYaml(obj: unknown): string {
  return obj === null || obj === undefined ? '' : stringify(obj, { lineWidth: 0 });
}

function lines(value: string): string[] {
  const out = value.split('\n');
  if (out.at(-1) === '') out.pop();
  return out;
}

export function diffView(before: string, after: string, style: DiffStyle): HTMLElement {
  const parts = diffLines(before, after);
  if (style === 'unified') {
    const rows: HTMLElement[] = [];
    for (const p of parts) {
      const kind = p.added ? 'add' : p.removed ? 'del' : 'ctx';
      const mark = p.added ? '+' : p.removed ? '-' : ' ';
      for (const l of lines(p.value)) rows.push(h('div', { class: `line ${kind}` }, `${mark} ${l}`));
    }
    return h('pre', { class: 'diff unified' }, rows);
  }
  // Side by side: removed lines on the left, the lines that replace them on the right, row by row.
  const left: HTMLElement[] = [];
  const right: HTMLElement[] = [];
  const pad = () => {
    while (left.length < right.length) left.push(h('div', { class: 'line empty' }, ' '));
    while (right.length < left.length) right.push(h('div', { class: 'line empty' }, ' '));
  };
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as (typeof parts)[number];
    if (p.removed) {
      for (const l of lines(p.value)) left.push(h('div', { class: 'line del' }, `- ${l}`));
      const next = parts[i + 1];
      if (next?.added) {
        for (const l of lines(next.value)) right.push(h('div', { class: 'line add' }, `+ ${l}`));
        i++;
      }
      pad();
    } else if (p.added) {
      for (const l of lines(p.value)) right.push(h('div', { class: 'line add' }, `+ ${l}`));
      pad();
    } else {
      for (const l of lines(p.value)) {
        left.push(h('div', { class: 'line ctx' }, `  ${l}`));
        right.push(h('div', { class: 'line ctx' }, `  ${l}`));
      }
    }
  }
  return h(
    'div',
    { class: 'diff split' },
    h('pre', { class: 'side before' }, left),
    h('pre', { class: 'side after' }, right),
  );
}
