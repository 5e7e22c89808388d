// The Kubernetes target (cdktf + @cdktf/provider-kubernetes) lands with its own issue.
export {};
