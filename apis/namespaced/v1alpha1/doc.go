// Package v1alpha1 contains the namespaced API of provider-ory
// (ory.m.crossplane.io): ProjectAPIKey, ProviderConfig and
// ClusterProviderConfig.
// +kubebuilder:object:generate=true
// +groupName=ory.m.crossplane.io
// +versionName=v1alpha1
package v1alpha1
