// The kube-apiserver audit policy rules ingress-ledger needs, derived from what the collector records
// (packages/change: DEFAULT_RESOURCES, RECORDED_SUBRESOURCES, MODIFYING_VERBS), so the policy and the
// collector cannot disagree about a resource. deploy/audit-policy-rules.yaml is this rendered (a test
// compares them) and deploy/audit-policy.yaml is these rules plus a catch-all.
//
// The rules go at the TOP of a policy's rules: the apiserver uses the first rule that matches an
// event, so a broader rule above ours (say `level: Metadata` for everything) would hide the bodies.
// They match only writes of the recorded resources and leave reads and everything else to the rules
// below them. Each omits RequestReceived itself (one event per request is enough), because a rule
// cannot rely on the policy's own omitStages; omitStages only ever adds stages, so a policy that
// omits ResponseComplete or Panic at the top level takes those events from our rules too.
import { Document, isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import {
  DEFAULT_RESOURCES,
  MODIFYING_VERBS,
  RECORDED_STAGES,
  RECORDED_SUBRESOURCES,
} from '../../../packages/change/index.js';

/** Written as a comment on each of our rules; `audit-policy merge` replaces rules that carry it. */
export const RULE_MARKER = 'ingress-ledger-managed';

export { RECORDED_STAGES };

/** An audit.k8s.io/v1 PolicyRule, as much of it as we write. */
export interface PolicyRule {
  level: 'None' | 'Metadata' | 'Request' | 'RequestResponse';
  verbs?: string[];
  resources?: { group: string; resources: string[] }[];
  omitStages?: string[];
  omitManagedFields?: boolean;
}

/** `ingresses.networking.k8s.io` as { group, resource }; a name without a dot is the core group. */
function split(name: string): { group: string; resource: string } {
  const dot = name.indexOf('.');
  return dot < 0
    ? { group: '', resource: name }
    : { group: name.slice(dot + 1), resource: name.slice(0, dot) };
}

/** The recorded resources by API group, groups in the order they first appear. */
function byGroup(names: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const { group, resource } = split(name);
    groups.set(group, [...(groups.get(group) ?? []), resource]);
  }
  return groups;
}

interface OurRule {
  rule: PolicyRule;
  /** What the rule is for, written after the marker. */
  purpose: string;
}

/** Our rules, in order. */
export function ourRules(names: readonly string[] = DEFAULT_RESOURCES): OurRule[] {
  const groups = [...byGroup(names)];
  const common = { verbs: [...MODIFYING_VERBS], omitStages: ['RequestReceived'] };
  return [
    {
      purpose: 'status writes of the recorded resources (load-balancer addresses): no bodies',
      rule: {
        level: 'Metadata',
        ...common,
        resources: groups.map(([group, resources]) => ({
          group,
          resources: resources.flatMap((r) => RECORDED_SUBRESOURCES.map((s) => `${r}/${s}`)),
        })),
      },
    },
    {
      purpose: 'writes of the recorded resources: the request and the stored object',
      rule: {
        level: 'RequestResponse',
        ...common,
        omitManagedFields: true,
        resources: groups.map(([group, resources]) => ({ group, resources })),
      },
    },
  ];
}

/** The PolicyRule objects alone. */
export function ourRuleValues(names: readonly string[] = DEFAULT_RESOURCES): PolicyRule[] {
  return ourRules(names).map((r) => r.rule);
}

/** Our rules as YAML nodes of doc, each with its marker comment and short lists in flow style. */
export function ourRuleNodes(doc: Document, names: readonly string[] = DEFAULT_RESOURCES): Node[] {
  return ourRules(names).map(({ rule, purpose }) => {
    const node = doc.createNode(rule) as YAMLMap;
    for (const item of node.items) {
      if (isSeq(item.value) && item.value.items.every((v) => !isMap(v))) item.value.flow = true;
      if (isSeq(item.value)) {
        for (const group of item.value.items) {
          if (!isMap(group)) continue;
          const list = group.get('resources', true);
          if (isSeq(list)) list.flow = fitsOnALine(list.items);
        }
      }
    }
    node.commentBefore = ` ${RULE_MARKER}: ${purpose}`;
    return node;
  });
}

// Within the repository's line width (biome.json) at the deepest indentation of a policy's rules.
const fitsOnALine = (items: unknown[]): boolean =>
  `        resources: [${items.map((i) => String(isScalar(i) ? i.value : i)).join(', ')}]`.length <= 110;

/** How we write YAML: lists on one line as kubectl shows them, and nobody's long lines folded. */
export const YAML_OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

const SNIPPET_HEADER = [
  ' ingress-ledger: kube-apiserver audit policy rules (audit.k8s.io/v1 PolicyRule list).',
  " Put them at the TOP of your policy's rules (the first matching rule wins), or let",
  ' `ingress-ledger audit-policy merge --policy YOUR-POLICY.yaml` do it. Never replace the',
  " cluster's policy with ours. Generated from the collector's resource list: do not edit.",
].join('\n');

/** deploy/audit-policy-rules.yaml: our rules as a bare YAML sequence. */
export function renderSnippet(names: readonly string[] = DEFAULT_RESOURCES): string {
  const doc = new Document([]);
  const seq = doc.contents as unknown as { items: Node[] };
  seq.items.push(...ourRuleNodes(doc, names));
  doc.commentBefore = SNIPPET_HEADER;
  return doc.toString(YAML_OPTIONS);
}
