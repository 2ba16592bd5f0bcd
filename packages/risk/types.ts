// The shapes every rule and the history diff share. Finding and DiffOp are the wire shapes of
// DESIGN 5.1 (the ledger's search index re-exports them).

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

/** The rule ids of DESIGN 5.1 (binding), and reason-missing of issue 18. */
export const RULE_IDS = [
  'nginx-snippet',
  'nginx-risky-annotation',
  'annotation-injection',
  'tls-removed',
  'host-exposed',
  'auth-removed',
  'backend-changed',
  'ingress-class-changed',
  'unusual-actor',
  'denied-attempt',
  'gateway-exposure',
  'reason-missing',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  /** RFC 6901 pointer into the stored object (or the request when there is none); '' when none. */
  path: string;
}

export interface DiffOp {
  op: 'add' | 'remove' | 'replace';
  /** RFC 6901 JSON Pointer into the stored object. */
  path: string;
  /** The old value as JSON text (remove, replace). */
  from?: string;
  /** The new value as JSON text (add, replace). */
  to?: string;
}

/** A JSON object as parsed from a leaf: only plain data. */
export type JsonObject = { [key: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Escapes one reference token of a JSON Pointer (RFC 6901 section 3). */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Builds a JSON Pointer from raw tokens. */
export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => `/${escapePointerToken(String(t))}`).join('');
}
