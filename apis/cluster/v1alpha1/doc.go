// Package v1alpha1 contains the cluster-scoped API of provider-ory
// (ory.crossplane.io): the ProjectAPIKey and ProviderConfig of Crossplane v1
// style compositions and claims.
// +kubebuilder:object:generate=true
// +groupName=ory.crossplane.io
// +versionName=v1alpha1
package v1alpha1
