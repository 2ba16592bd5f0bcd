// Puts our audit rules at the top of an existing kube-apiserver audit Policy and keeps everything
// else. Pure: text in, text out. The policy file is hostile input (it may come from anywhere and is
// fed to a YAML parser): its size and flow nesting are checked before parsing, aliases are capped
// when it is expanded, and every failure is a CliError('CONFIG') (exit 2) with one clear line.
import { isDeepStrictEqual } from 'node:util';
import { type Document, isNode, isScalar, isSeq, parseAllDocuments, visit, YAMLSeq } from 'yaml';
import { DEFAULT_RESOURCES } from '../../../packages/change/index.js';
import { CliError } from '../errors.js';
import { ourRuleNodes, ourRuleValues, RECORDED_STAGES, RULE_MARKER, YAML_OPTIONS } from './rules.js';

/** Audit policies are a few kilobytes; this is far above any real one and keeps parsing cheap. */
export const MAX_POLICY_BYTES = 256 * 1024;
/**
 * Most `[` and `{` accepted. Deeply nested flow collections are what makes the parser slow, and
 * counting every bracket bounds nesting without having to understand quotes and comments. A large
 * real policy has a few hundred.
 */
export const MAX_FLOW_OPENERS = 10_000;
/** Aliases expanded when the policy is read (the yaml package's guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;
const API_VERSION = 'audit.k8s.io/v1';

export interface MergeResult {
  text: string;
  /** How many of our rules were already in the policy and were replaced. */
  replaced: number;
  inserted: number;
  /** Things the user should know, one line each (nothing fatal). */
  notes: string[];
}

const bad = (message: string): never => {
  throw new CliError('CONFIG', message);
};

/** Our rules (for the resources named, default the collector's) at the top of the policy in text. */
export function mergePolicy(
  text: string,
  source = 'policy',
  names: readonly string[] = DEFAULT_RESOURCES,
): MergeResult {
  const doc = parsePolicy(text, source);
  const policy = expand(doc, source);
  const notes = checkPolicy(policy, source);

  let rules = doc.get('rules', true);
  if (rules === undefined || (isScalar(rules) && rules.value === null)) {
    rules = new YAMLSeq();
    doc.set('rules', rules);
  }
  if (!isSeq(rules)) return bad(`${source}: rules must be a list written out in the file (not an alias)`);

  // The first item's comment is kept on the list itself by the parser; ours is one marker line.
  const listComment = (rules.commentBefore ?? '').split('\n');
  const firstMarked = listComment.some((l) => l.includes(RULE_MARKER));
  const ours = ourRuleValues(names);
  const kept = rules.items.filter((item, i) => {
    const marked =
      (isNode(item) && (item.commentBefore ?? '').includes(RULE_MARKER)) || (i === 0 && firstMarked);
    const value = isNode(item) ? item.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT }) : item;
    return !(marked || ours.some((r) => isDeepStrictEqual(r, value)));
  });
  const replaced = rules.items.length - kept.length;
  // Comments above the list belonged to its first rule: keep them with that rule, below ours.
  const otherComment = listComment.filter((l) => !l.includes(RULE_MARKER)).join('\n');
  const first = kept[0];
  if (otherComment.trim() !== '' && isNode(first)) {
    first.commentBefore =
      first.commentBefore === undefined ? otherComment : `${otherComment}\n${first.commentBefore}`;
  }
  rules.commentBefore = null;
  rules.flow = false;
  rules.items = [...ourRuleNodes(doc, names), ...kept];
  if (replaced > 0 && replaced !== ours.length) {
    notes.push(`replaced ${replaced} rules marked as ours (this version has ${ours.length})`);
  }
  let merged: string;
  try {
    merged = doc.toString(YAML_OPTIONS);
  } catch (err) {
    // An alias elsewhere in the file that pointed into one of the rules we replaced.
    return bad(`${source}: cannot write the merged policy (${(err as Error).message})`);
  }
  return { text: merged, replaced, inserted: ours.length, notes };
}

function parsePolicy(text: string, source: string): Document {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) bad(`${source}: larger than ${MAX_POLICY_BYTES} bytes`);
  if (flowOpeners(text) > MAX_FLOW_OPENERS) {
    bad(`${source}: more than ${MAX_FLOW_OPENERS} "[" and "{"; not an audit policy this tool will read`);
  }
  let docs: Document[];
  try {
    // Duplicate keys are checked below in linear time; the parser's own check is quadratic.
    docs = parseAllDocuments(text, { uniqueKeys: false, prettyErrors: false }) as Document[];
  } catch (err) {
    return bad(`${source}: not YAML (${(err as Error).message})`);
  }
  if (!Array.isArray(docs) || docs.length === 0) return bad(`${source}: empty; expected an audit Policy`);
  if (docs.length > 1) return bad(`${source}: ${docs.length} YAML documents; expected one audit Policy`);
  const doc = docs[0] as Document;
  const error = doc.errors[0];
  if (error !== undefined) {
    return bad(`${source}:${lineOf(text, error.pos[0])}: not YAML (${error.message.split('\n')[0]})`);
  }
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) bad(`${source}: duplicate key ${JSON.stringify(String(key)).slice(0, 80)}`);
        seen.add(key);
      }
    },
  });
  return doc;
}

function expand(doc: Document, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return bad(`${source}: cannot be read (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad(`${source}: not an audit Policy (expected a mapping with kind: Policy)`);
  }
  return value as Record<string, unknown>;
}

/** Validates the parts we rely on; returns notes for what is allowed but worth saying. */
function checkPolicy(policy: Record<string, unknown>, source: string): string[] {
  if (policy.kind !== 'Policy') {
    bad(`${source}: kind is ${JSON.stringify(policy.kind ?? null)}; expected an audit Policy (kind: Policy)`);
  }
  if (policy.apiVersion !== API_VERSION) {
    const was = JSON.stringify(policy.apiVersion ?? null);
    bad(
      `${source}: apiVersion is ${was}; only ${API_VERSION} is supported (v1beta1 was removed in Kubernetes 1.24)`,
    );
  }
  const rules = policy.rules;
  if (rules !== undefined && rules !== null) {
    if (!Array.isArray(rules)) bad(`${source}: rules must be a list`);
    (rules as unknown[]).forEach((r, i) => {
      if (typeof r !== 'object' || r === null || Array.isArray(r))
        bad(`${source}: rules[${i}] is not a mapping`);
    });
  }
  const omit = policy.omitStages;
  if (omit !== undefined && omit !== null && !Array.isArray(omit))
    bad(`${source}: omitStages must be a list`);
  const omitted = ((omit ?? []) as unknown[]).filter((s): s is string => typeof s === 'string');
  // Policy-level omitStages apply to every rule, ours too, and a rule cannot take a stage back.
  if (omitted.includes('ResponseComplete')) {
    bad(
      `${source}: the policy's omitStages drops ResponseComplete for every rule, ours included, and the ` +
        'collector records only ResponseComplete (and Panic) events; move ResponseComplete from the ' +
        "policy's omitStages to the omitStages of the rules that should drop it",
    );
  }
  const notes: string[] = [];
  for (const stage of RECORDED_STAGES) {
    if (stage !== 'ResponseComplete' && omitted.includes(stage)) {
      notes.push(
        `the policy's omitStages drops ${stage} events for our rules too; the collector records them`,
      );
    }
  }
  return notes;
}

/** How many `[` and `{` the text has, quoted or not: a bound on flow nesting that cannot be gamed. */
export function flowOpeners(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) n++;
  }
  return n;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
