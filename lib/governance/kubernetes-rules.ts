/**
 * The Kubernetes checks of the audit report, by id: a leaf module (no imports), so that the spec can
 * name them (`governance.acknowledgements`) without importing the audit.
 */
/** The pack name of the Kubernetes checks in the report's findings. */
export const KUBERNETES_PACK = 'Kubernetes';

/** The Kubernetes rules the report checks; ids as they appear in findings. */
export const KUBERNETES_RULES = {
  defaultDeny: { id: 'Kubernetes-DefaultDenyNetworkPolicy', explanation: 'Every namespace with workloads has a NetworkPolicy that selects all pods and denies all ingress and egress, so only explicit allows let traffic through.' },
  podSecurity: { id: 'Kubernetes-PodSecurityRestricted', explanation: "Every namespace enforces the Pod Security 'restricted' level (label pod-security.kubernetes.io/enforce=restricted)." },
  loadBalancer: { id: 'Kubernetes-NoLoadBalancerService', explanation: 'No Service of type LoadBalancer: it gives the pods an address outside the cluster; expose through an ingress or gateway that authenticates.' },
  nodePort: { id: 'Kubernetes-NoNodePortService', explanation: "No Service of type NodePort: it opens a port on every node's address." },
  rbacWildcard: { id: 'Kubernetes-RbacNoWildcard', explanation: "No RBAC rule grants '*' verbs, resources, API groups or URLs, and no binding grants the built-in cluster-admin: every rule names what it allows." },
  restricted: { id: 'Kubernetes-RestrictedSecurityContext', explanation: 'Every workload meets the Pod Security restricted profile: runAsNonRoot, no privilege escalation, all capabilities dropped, RuntimeDefault (or Localhost) seccomp, not privileged, no host namespaces or hostPath volumes.' },
} as const;
