/**
 * A NetworkPolicy evaluator for the tests: does the rendered set of NetworkPolicies let one pod open a
 * TCP connection to another's port? Kubernetes' semantics (networking.k8s.io/v1): a pod selected by
 * no policy of a direction is open in that direction; a selected pod allows only what some rule of a
 * selecting policy allows; a peer's podSelector alone means the policy's namespace, namespaceSelector
 * alone every pod of the matching namespaces, both together their intersection; a rule without `to`/
 * `from` matches every peer, without `ports` every port. Namespaces carry `kubernetes.io/metadata.name`.
 * Named ports and ipBlocks are not evaluated (no cdk-mlops policy names a port; ipBlocks are not pods).
 */
import { Json } from './helpers';

export interface PodRef { readonly namespace: string; readonly labels: Record<string, string> }

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined;
type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: unknown };
type Rule = { to?: Peer[]; from?: Peer[]; ports?: { port?: number | string; protocol?: string }[] };
type Policy = Json & { metadata: Json; spec: { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] } };

function matches(selector: Selector, labels: Record<string, string>): boolean {
  const expression = (e: { key: string; operator: string; values?: string[] }) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(labels[e.key]);
      case 'NotIn': return !has || !(e.values ?? []).includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: throw new Error(`unknown selector operator ${e.operator}`);
    }
  };
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) && (selector?.matchExpressions ?? []).every(expression);
}

function peerMatches(peer: Peer, policyNamespace: string, pod: PodRef): boolean {
  if (peer.ipBlock) return false;
  const nsLabels = { 'kubernetes.io/metadata.name': pod.namespace };
  const inNamespace = peer.namespaceSelector ? matches(peer.namespaceSelector, nsLabels) : pod.namespace === policyNamespace;
  return inNamespace && (peer.podSelector ? matches(peer.podSelector, pod.labels) : true);
}

function ruleAllows(rule: Rule, peers: Peer[] | undefined, policyNamespace: string, other: PodRef, port: number): boolean {
  const peerOk = peers === undefined || peers.length === 0 || peers.some((p) => peerMatches(p, policyNamespace, other));
  const portOk = rule.ports === undefined || rule.ports.length === 0 || rule.ports.some((p) => p.port === undefined || Number(p.port) === port);
  return peerOk && portOk;
}

function directionAllows(policies: readonly Json[], self: PodRef, other: PodRef, port: number, direction: 'Ingress' | 'Egress'): boolean {
  const selecting = (policies as Policy[]).filter((p) => p.metadata.namespace === self.namespace && matches(p.spec.podSelector, self.labels) && (p.spec.policyTypes ?? ['Ingress']).includes(direction));
  if (selecting.length === 0) return true;
  return selecting.some((p) => (direction === 'Ingress' ? p.spec.ingress : p.spec.egress)?.some((r) => ruleAllows(r, direction === 'Ingress' ? r.from : r.to, String(p.metadata.namespace), other, port)) ?? false);
}

/**
 * True when the policies let `from` connect to `to` on TCP `port` (egress of the one and ingress of the
 * other). `namespaceOf` gives a policy's namespace (the rendered ones name it by a Terraform reference).
 */
export function allowsConnection(policies: readonly Json[], from: PodRef, to: PodRef, port: number, namespaceOf: (p: Json) => string = (p) => String((p.metadata as Json).namespace)): boolean {
  const resolved = policies.map((p) => ({ ...p, metadata: { ...(p.metadata as Json), namespace: namespaceOf(p) } }));
  return directionAllows(resolved, from, to, port, 'Egress') && directionAllows(resolved, to, from, port, 'Ingress');
}
