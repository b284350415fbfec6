// Package v1alpha1 holds the API types that the namespaced (ory.m.crossplane.io)
// and the cluster-scoped (ory.crossplane.io) kinds share, so that both scopes
// declare a ProjectAPIKey and a ProviderConfig with the very same fields.
// +kubebuilder:object:generate=true
package v1alpha1
