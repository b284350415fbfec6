// Package v1alpha1 contains the cluster-scoped API of provider-ory
// (ory.crossplane.io): the ProjectAPIKey, WorkspaceAPIKey and ProviderConfig
// of Crossplane v1 style compositions and claims. The key kinds'
// zz_generated.*_types.go are generated from the namespaced API's types
// (hack/clustertwin); edit those.
// +kubebuilder:object:generate=true
// +groupName=ory.crossplane.io
// +versionName=v1alpha1
package v1alpha1
