// The cluster-scoped ProjectAPIKey (apis/cluster/v1alpha1) is generated from
// this file by hack/clustertwin: edit this one, then run make generate.
//
//ory:clustertwin

package v1alpha1

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
)

// A ProjectAPIKeySpec declares a project API key and where its value goes.
// +kubebuilder:validation:XValidation:rule="has(self.writeConnectionSecretToRef) || (has(self.managementPolicies) && !('*' in self.managementPolicies) && !('Create' in self.managementPolicies) && !('Update' in self.managementPolicies))",message="spec.writeConnectionSecretToRef is required: Ory returns a key's value only once, when the key is created, and the provider stores it in that Secret (it may be left out only when managementPolicies allow neither Create nor Update)"
// +kubebuilder:validation:XValidation:rule="!has(self.providerConfigRef) || self.providerConfigRef.kind in ['ProviderConfig', 'ClusterProviderConfig']",message="spec.providerConfigRef.kind must be ProviderConfig (in this namespace) or ClusterProviderConfig"
// +kubebuilder:validation:XValidation:rule="!has(self.forProvider.rotation) || !has(self.forProvider.rotation.lifetime) || !has(self.forProvider.expiresAt)",message="set either spec.forProvider.expiresAt or spec.forProvider.rotation.lifetime: a rotated key's expiry follows from its lifetime"
// +kubebuilder:validation:XValidation:rule="!has(self.forProvider.importValueFrom) || !has(self.forProvider.importValueFrom.namespace)",message="spec.forProvider.importValueFrom.namespace must be left out: a namespaced ProjectAPIKey reads Secrets of its own namespace only"
type ProjectAPIKeySpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`

	// ForProvider are the key's settings in Ory.
	ForProvider common.ProjectAPIKeyParameters `json:"forProvider"`

	// ConnectionSecretMetadata are labels and annotations the provider puts
	// on the connection Secret, for example to have a tool that restarts
	// workloads notice a new key.
	// +optional
	ConnectionSecretMetadata *common.SecretMetadata `json:"connectionSecretMetadata,omitempty"`
}

// A ProjectAPIKeyStatus is the observed state of a ProjectAPIKey.
type ProjectAPIKeyStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`

	// AtProvider is the key as Ory reports it.
	AtProvider common.ProjectAPIKeyObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A ProjectAPIKey is an API key of an Ory Network project. The provider
// creates it with a workspace API key, writes its value to the connection
// Secret (key "value"), and replaces it when its name, expiry or project
// changes. Import an existing key by setting the crossplane.io/external-name
// annotation to "<key-id>" or "<project-id>/<key-id>".
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="PROJECT",type="string",JSONPath=".status.atProvider.projectID"
// +kubebuilder:printcolumn:name="EXPIRES",type="string",JSONPath=".status.atProvider.expiresAt"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,ory}
type ProjectAPIKey struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProjectAPIKeySpec   `json:"spec"`
	Status ProjectAPIKeyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProjectAPIKeyList is a list of ProjectAPIKeys.
type ProjectAPIKeyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProjectAPIKey `json:"items"`
}

// Parameters returns the key's declared settings.
func (k *ProjectAPIKey) Parameters() *common.ProjectAPIKeyParameters {
	return &k.Spec.ForProvider
}

// SecretMetadata returns the labels and annotations wanted on the connection
// Secret, or nil.
func (k *ProjectAPIKey) SecretMetadata() *common.SecretMetadata {
	return k.Spec.ConnectionSecretMetadata
}

// Observation returns the key's observed state.
func (k *ProjectAPIKey) Observation() *common.ProjectAPIKeyObservation {
	return &k.Status.AtProvider
}

// KeyParameters returns the settings every API key kind shares.
func (k *ProjectAPIKey) KeyParameters() *common.KeyParameters {
	return &k.Spec.ForProvider.KeyParameters
}

// KeyObservation returns the observed state every API key kind shares.
func (k *ProjectAPIKey) KeyObservation() *common.KeyObservation {
	return &k.Status.AtProvider.KeyObservation
}

// ParentID returns spec.forProvider.projectID: the project that holds the
// key.
func (k *ProjectAPIKey) ParentID() *string {
	return &k.Spec.ForProvider.ProjectID
}

// ObservedParentID returns status.atProvider.projectID.
func (k *ProjectAPIKey) ObservedParentID() *string {
	return &k.Status.AtProvider.ProjectID
}

// The ProjectAPIKey kind, as the controllers and tests name it.
var (
	ProjectAPIKeyGroupVersionKind = SchemeGroupVersion.WithKind("ProjectAPIKey")
	ProjectAPIKeyGroupKind        = ProjectAPIKeyGroupVersionKind.GroupKind().String()
)

func init() {
	SchemeBuilder.Register(&ProjectAPIKey{}, &ProjectAPIKeyList{})
}
