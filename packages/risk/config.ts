// Rule settings (docs/risk-rules.md): every rule on/off with its severity and exempt users, plus the
// tunables of unusual-actor and denied-attempt. Parsed and validated once; a bad file stops start-up
// with a RiskError naming the key.
import { parse } from 'yaml';
import { type Cidr, parseCidr } from './cidr.js';
import { RiskError } from './errors.js';
import { RULE_IDS, type RuleId, SEVERITIES, type Severity } from './types.js';

export interface RuleSettings {
  enabled: boolean;
  severity: Severity;
  /** Users whose changes this rule ignores (exact usernames). */
  exemptUsers: readonly string[];
}

export interface RiskConfig {
  rules: Readonly<Record<RuleId, RuleSettings>>;
  /** Annotation prefixes of the ingress-nginx controller family. */
  annotationPrefixes: readonly string[];
  /** unusual-actor: when set, users not in it are findings. */
  allowedUsers?: readonly string[];
  /** unusual-actor: when set, source IPs outside these ranges are findings. */
  allowedSourceRanges?: readonly Cidr[];
  /** denied-attempt: this many denials by one user within the window is a burst. */
  burstThreshold: number;
  burstWindowSeconds: number;
  burstSeverity: Severity;
  /** reason-missing: groups whose members are not asked for a reason (beyond the built-in ones). */
  reasonExemptGroups: readonly string[];
}

/** The default severity of each rule. */
export const DEFAULT_SEVERITIES: Readonly<Record<RuleId, Severity>> = {
  'nginx-snippet': 'critical',
  'nginx-risky-annotation': 'high',
  'annotation-injection': 'critical',
  'tls-removed': 'high',
  'host-exposed': 'medium',
  'auth-removed': 'high',
  'backend-changed': 'medium',
  'ingress-class-changed': 'medium',
  'unusual-actor': 'high',
  'denied-attempt': 'medium',
  'gateway-exposure': 'high',
  'reason-missing': 'low',
};
/** Rules that are off unless the rules file turns them on. */
export const OFF_BY_DEFAULT: readonly RuleId[] = ['reason-missing'];
/** The annotation prefix ingress-nginx reads by default. */
export const DEFAULT_ANNOTATION_PREFIXES = ['nginx.ingress.kubernetes.io/'];
/** Denials by one user within the window that make a burst. */
export const DEFAULT_BURST_THRESHOLD = 5;
/** The sliding window of a denied-attempt burst. */
export const DEFAULT_BURST_WINDOW_SECONDS = 60;
/** Upper bound on list lengths in the file, so a config cannot make every entry slow. */
export const MAX_CONFIG_LIST = 10_000;

export function defaultRiskConfig(): RiskConfig {
  const rules = {} as Record<RuleId, RuleSettings>;
  for (const id of RULE_IDS)
    rules[id] = { enabled: !OFF_BY_DEFAULT.includes(id), severity: DEFAULT_SEVERITIES[id], exemptUsers: [] };
  return {
    rules,
    annotationPrefixes: DEFAULT_ANNOTATION_PREFIXES,
    burstThreshold: DEFAULT_BURST_THRESHOLD,
    burstWindowSeconds: DEFAULT_BURST_WINDOW_SECONDS,
    burstSeverity: 'high',
    reasonExemptGroups: [],
  };
}

const bad = (key: string, why: string) => new RiskError('BAD_CONFIG', `${key}: ${why}`);

function record(v: unknown, key: string): Record<string, unknown> {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(key, 'must be a mapping');
  return v as Record<string, unknown>;
}

function strings(v: unknown, key: string): string[] {
  if (
    !Array.isArray(v) ||
    v.length > MAX_CONFIG_LIST ||
    !v.every((s) => typeof s === 'string' && s.length > 0)
  ) {
    throw bad(key, 'must be a list of non-empty strings');
  }
  return v as string[];
}

function severity(v: unknown, key: string): Severity {
  if (!SEVERITIES.includes(v as Severity)) throw bad(key, `must be one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}

function positiveInt(v: unknown, key: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw bad(key, `must be an integer 1..${max}`);
  return v;
}

function checkKeys(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw bad(`${where}${k}`, 'unknown key');
}

/** Parses the YAML text of a rules file over the defaults. Throws RiskError('BAD_CONFIG'). */
export function parseRiskConfig(text: string): RiskConfig {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw bad('rules file', `not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const top = record(doc, 'rules file');
  checkKeys(top, ['annotationPrefixes', 'rules'], '');
  const cfg = defaultRiskConfig();
  const rules = { ...cfg.rules };
  const out: RiskConfig = { ...cfg, rules };
  if (top.annotationPrefixes !== undefined)
    out.annotationPrefixes = strings(top.annotationPrefixes, 'annotationPrefixes');
  const ruleMap = record(top.rules, 'rules');
  for (const [id, raw] of Object.entries(ruleMap)) {
    if (!RULE_IDS.includes(id as RuleId)) throw bad(`rules.${id}`, 'unknown rule id');
    const rid = id as RuleId;
    const r = record(raw, `rules.${id}`);
    const extra =
      rid === 'unusual-actor'
        ? ['allowedUsers', 'allowedSourceRanges']
        : rid === 'denied-attempt'
          ? ['burstThreshold', 'burstWindowSeconds', 'burstSeverity']
          : rid === 'reason-missing'
            ? ['exemptGroups']
            : [];
    checkKeys(r, ['enabled', 'severity', 'exemptUsers', ...extra], `rules.${id}.`);
    const s = { ...rules[rid] };
    if (r.enabled !== undefined) {
      if (typeof r.enabled !== 'boolean') throw bad(`rules.${id}.enabled`, 'must be true or false');
      s.enabled = r.enabled;
    }
    if (r.severity !== undefined) s.severity = severity(r.severity, `rules.${id}.severity`);
    if (r.exemptUsers !== undefined) s.exemptUsers = strings(r.exemptUsers, `rules.${id}.exemptUsers`);
    rules[rid] = s;
    if (r.allowedUsers !== undefined) out.allowedUsers = strings(r.allowedUsers, `rules.${id}.allowedUsers`);
    if (r.allowedSourceRanges !== undefined) {
      out.allowedSourceRanges = strings(r.allowedSourceRanges, `rules.${id}.allowedSourceRanges`).map((t) => {
        const c = parseCidr(t);
        if (!c)
          throw bad(
            `rules.${id}.allowedSourceRanges`,
            `${JSON.stringify(t.slice(0, 64))} is not a CIDR range`,
          );
        return c;
      });
    }
    if (r.burstThreshold !== undefined)
      out.burstThreshold = positiveInt(r.burstThreshold, `rules.${id}.burstThreshold`, 1_000_000);
    if (r.burstWindowSeconds !== undefined) {
      out.burstWindowSeconds = positiveInt(
        r.burstWindowSeconds,
        `rules.${id}.burstWindowSeconds`,
        86_400 * 30,
      );
    }
    if (r.exemptGroups !== undefined)
      out.reasonExemptGroups = strings(r.exemptGroups, `rules.${id}.exemptGroups`);
    if (r.burstSeverity !== undefined)
      out.burstSeverity = severity(r.burstSeverity, `rules.${id}.burstSeverity`);
  }
  return out;
}
