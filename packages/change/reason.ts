// The stated reason of a change (DESIGN 3.2): an annotation that the request body sets, whatever the
// body's shape: a full object, a merge or strategic-merge patch, or a JSON Patch (RFC 6902).

/** The project's own reason annotation; it wins over the kubectl one. */
export const REASON_ANNOTATION = 'ingress-ledger.dev/reason';
/** kubectl's legacy `--record` annotation, still set by hand and by tools. */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

const REASON_KEYS = [REASON_ANNOTATION, CHANGE_CAUSE_ANNOTATION] as const;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// JSON Pointer escaping (RFC 6901): '~' is '~0' and '/' is '~1'.
const pointerOf = (key: string) => `/metadata/annotations/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

function fromJsonPatch(ops: unknown[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const op of ops) {
    if (!isObject(op) || (op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string') continue;
    for (const key of REASON_KEYS) {
      if (op.path === pointerOf(key) && typeof op.value === 'string') found.set(key, op.value);
    }
    if (op.path === '/metadata/annotations' && isObject(op.value)) {
      for (const key of REASON_KEYS) {
        const v = op.value[key];
        if (typeof v === 'string') found.set(key, v);
      }
    }
    if (op.path === '/metadata' && isObject(op.value) && isObject(op.value.annotations)) {
      for (const key of REASON_KEYS) {
        const v = op.value.annotations[key];
        if (typeof v === 'string') found.set(key, v);
      }
    }
  }
  return found;
}

/** The reason the request body states, or null. Later JSON Patch operations override earlier ones. */
export function extractReason(request: unknown): string | null {
  let found: Map<string, string>;
  if (Array.isArray(request)) {
    found = fromJsonPatch(request);
  } else if (isObject(request) && isObject(request.metadata) && isObject(request.metadata.annotations)) {
    const annotations = request.metadata.annotations;
    found = new Map();
    for (const key of REASON_KEYS) {
      const v = annotations[key];
      if (typeof v === 'string') found.set(key, v);
    }
  } else {
    return null;
  }
  for (const key of REASON_KEYS) {
    const v = found.get(key);
    if (v !== undefined) return v;
  }
  return null;
}
