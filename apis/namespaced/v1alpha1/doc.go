// Package v1alpha1 contains the namespaced API of provider-ory
// (ory.m.crossplane.io): ProjectAPIKey, WorkspaceAPIKey, ProviderConfig and
// ClusterProviderConfig. The cluster-scoped API's key kinds are generated
// from the files here marked //ory:clustertwin (hack/clustertwin).
// +kubebuilder:object:generate=true
// +groupName=ory.m.crossplane.io
// +versionName=v1alpha1
package v1alpha1
