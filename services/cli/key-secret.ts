// A key pair as a Kubernetes Secret manifest, so a private key reaches a cluster through
// `kubectl apply -f` and never through a ConfigMap. Pure: names are checked here, files are the
// caller's.
import { stringify } from 'yaml';

/** Kubernetes object names (Secret names): a DNS-1123 subdomain. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Namespaces: a DNS-1123 label. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Keys of a Secret's data. */
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

export const isSecretName = (s: string): boolean => s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
export const isNamespace = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s);
export const isSecretDataKey = (s: string): boolean =>
  s.length <= 253 && DATA_KEY.test(s) && s !== '.' && s !== '..';

export interface SecretSpec {
  name: string;
  namespace?: string;
  /** What the Secret holds, said in a comment at the top of the file. */
  description: string;
  /** Data key -> bytes, in order. */
  data: readonly (readonly [string, Uint8Array])[];
}

/** The manifest's text: an Opaque Secret with base64 data. Names must have been checked. */
export function secretManifest(spec: SecretSpec): string {
  const metadata: Record<string, unknown> = { name: spec.name };
  if (spec.namespace !== undefined) metadata.namespace = spec.namespace;
  metadata.labels = { 'app.kubernetes.io/part-of': 'ingress-ledger' };
  const data: Record<string, string> = {};
  for (const [key, bytes] of spec.data) data[key] = Buffer.from(bytes).toString('base64');
  const body = stringify(
    { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data },
    { lineWidth: 0 },
  );
  return `# ${spec.description}\n${body}`;
}
