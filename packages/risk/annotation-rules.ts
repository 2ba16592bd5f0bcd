// Rules about ingress-nginx annotations (DESIGN 5.1: nginx-snippet, nginx-risky-annotation,
// annotation-injection, auth-removed). Each compares the annotations of the stored object before
// and after the change, so re-applying an unchanged snippet is not a new finding.
import { cidrContains, parseRangeList } from './cidr.js';
import type { RiskConfig } from './config.js';
import { annotationsOf } from './extract.js';
import type { Hit, RuleInput } from './rule.js';
import { pointer } from './types.js';

export const SNIPPET_ANNOTATIONS = [
  'configuration-snippet',
  'server-snippet',
  'stream-snippet',
  'auth-snippet',
  'modsecurity-snippet',
];
export const RISKY_ANNOTATIONS = [
  'server-alias',
  'auth-url',
  'auth-signin',
  'mirror-target',
  'mirror-host',
  'proxy-ssl-name',
  'upstream-hash-by',
];
export const AUTH_ANNOTATIONS = ['auth-url', 'auth-type', 'auth-secret', 'auth-tls-verify-client'];
export const ALLOWLIST_ANNOTATIONS = ['whitelist-source-range', 'allowlist-source-range'];
/** Fragments that have no business in any annotation value, snippets included. */
export const HOSTILE_FRAGMENTS = [
  '_by_lua',
  'load_module',
  '/var/run/secrets',
  'serviceaccount/token',
  'serviceaccount',
];
/** Characters that break out of an nginx directive when a non-snippet value is templated in. */
export const DIRECTIVE_BREAKERS = ['\n', '\r', ';', '{', '}'];

const annPath = (key: string) => pointer('metadata', 'annotations', key);

/** Short name (after the prefix) of a controller annotation, or undefined for other annotations. */
function shortName(key: string, cfg: RiskConfig): string | undefined {
  for (const p of cfg.annotationPrefixes) if (key.startsWith(p)) return key.slice(p.length);
  return undefined;
}

/** Controller annotations whose value is new or different after the change. */
function changedAnnotations(
  input: RuleInput,
  cfg: RiskConfig,
): { key: string; short: string; value: string }[] {
  if (input.after === null) return [];
  const before = annotationsOf(input.before);
  const out: { key: string; short: string; value: string }[] = [];
  for (const [key, value] of annotationsOf(input.after)) {
    const short = shortName(key, cfg);
    if (short !== undefined && before.get(key) !== value) out.push({ key, short, value });
  }
  return out;
}

export function nginxSnippet(input: RuleInput, cfg: RiskConfig): Hit[] {
  return changedAnnotations(input, cfg)
    .filter((a) => SNIPPET_ANNOTATIONS.includes(a.short))
    .map((a) => ({ message: `snippet annotation ${a.key} added or changed`, path: annPath(a.key) }));
}

export function nginxRiskyAnnotation(input: RuleInput, cfg: RiskConfig): Hit[] {
  return changedAnnotations(input, cfg)
    .filter((a) => RISKY_ANNOTATIONS.includes(a.short))
    .map((a) => ({
      message: `high-risk annotation ${a.key} set to ${JSON.stringify(a.value.slice(0, 200))}`,
      path: annPath(a.key),
    }));
}

export function annotationInjection(input: RuleInput, cfg: RiskConfig): Hit[] {
  const hits: Hit[] = [];
  for (const a of changedAnnotations(input, cfg)) {
    const lower = a.value.toLowerCase();
    const hostile = HOSTILE_FRAGMENTS.find((f) => lower.includes(f));
    // Snippets are nginx config by design, so only the hostile fragments count there.
    const breaker = SNIPPET_ANNOTATIONS.includes(a.short)
      ? undefined
      : DIRECTIVE_BREAKERS.find((c) => a.value.includes(c));
    const what = hostile ?? breaker;
    if (what !== undefined) {
      hits.push({
        message: `annotation ${a.key} value contains ${JSON.stringify(what)}`,
        path: annPath(a.key),
      });
    }
  }
  return hits;
}

export function authRemoved(input: RuleInput, cfg: RiskConfig): Hit[] {
  if (input.before === null || input.after === null) return [];
  const before = annotationsOf(input.before);
  const after = annotationsOf(input.after);
  const hits: Hit[] = [];
  for (const [key, value] of before) {
    const short = shortName(key, cfg);
    if (short === undefined) continue;
    if (AUTH_ANNOTATIONS.includes(short) && !after.has(key)) {
      hits.push({ message: `authentication annotation ${key} removed`, path: annPath(key) });
    }
    if (short === 'auth-tls-verify-client' && value === 'on' && after.has(key) && after.get(key) !== 'on') {
      hits.push({
        message: `client certificate verification weakened to ${JSON.stringify(after.get(key))}`,
        path: annPath(key),
      });
    }
  }
  const allow = (m: Map<string, string>) => {
    for (const [key, value] of m) {
      const short = shortName(key, cfg);
      if (short !== undefined && ALLOWLIST_ANNOTATIONS.includes(short))
        return { key, ranges: parseRangeList(value) };
    }
    return undefined;
  };
  const was = allow(before);
  if (was !== undefined) {
    const now = allow(after);
    if (now === undefined) {
      hits.push({ message: `source range allow-list ${was.key} removed`, path: annPath(was.key) });
    } else {
      const widened = now.ranges.filter((r) => !was.ranges.some((w) => cidrContains(w, r)));
      if (widened.length > 0) {
        const open = widened.some((r) => r.prefix === 0);
        hits.push({
          message: open
            ? `source range allow-list ${now.key} opened to every address`
            : `source range allow-list ${now.key} widened`,
          path: annPath(now.key),
        });
      }
    }
  }
  return hits;
}
