// Which audited resources become changes (DESIGN 3.2). A resource is named `<resource>.<group>` as
// kubectl does (`ingresses.networking.k8s.io`); the core group is the bare resource name.
import { ChangeError } from './errors.js';

/** The default recorded resources: Ingress, IngressClass (both API groups) and the Gateway API. */
export const DEFAULT_RESOURCES: readonly string[] = [
  'ingresses.networking.k8s.io',
  'ingressclasses.networking.k8s.io',
  'ingresses.extensions',
  'ingressclasses.extensions',
  'gateways.gateway.networking.k8s.io',
  'gatewayclasses.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
  'grpcroutes.gateway.networking.k8s.io',
  'tlsroutes.gateway.networking.k8s.io',
  'referencegrants.gateway.networking.k8s.io',
];

/** Subresources whose writes are recorded (and marked by `object.subresource`). */
export const RECORDED_SUBRESOURCES: readonly string[] = ['status'];

// DNS-1123 subdomain-ish: resources and groups are lower-case labels separated by dots.
const RESOURCE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A set of `<resource>.<group>` names; `has` answers for an audit objectRef's group and resource. */
export class ResourceFilter {
  readonly #names: ReadonlySet<string>;

  constructor(names: readonly string[] = DEFAULT_RESOURCES) {
    for (const n of names) {
      if (n.length > 253 || !RESOURCE_NAME.test(n)) {
        throw new ChangeError('SCHEMA', `resource ${JSON.stringify(n)} is not <resource>.<group>`);
      }
    }
    this.#names = new Set(names);
  }

  has(group: string, resource: string): boolean {
    return this.#names.has(group === '' ? resource : `${resource}.${group}`);
  }

  get names(): string[] {
    return [...this.#names];
  }
}
