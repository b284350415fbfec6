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
// +kubebuilder:validation:XValidation:rule="(!has(self.forProvider.projectIDRef) || !has(self.forProvider.projectIDRef.policy) || !has(self.forProvider.projectIDRef.policy.resolution) || self.forProvider.projectIDRef.policy.resolution == 'Required') && (!has(self.forProvider.projectIDSelector) || !has(self.forProvider.projectIDSelector.policy) || !has(self.forProvider.projectIDSelector.policy.resolution) || self.forProvider.projectIDSelector.policy.resolution == 'Required')",message="spec.forProvider.projectIDRef.policy.resolution and spec.forProvider.projectIDSelector.policy.resolution must be Required: a reference left unresolved would leave projectID empty, and the key would be made in the ProviderConfig's default project"
// +kubebuilder:validation:XValidation:rule="(!has(self.forProvider.projectIDSelector) || !has(self.forProvider.projectIDSelector.namespace)) && (oldSelf.hasValue() || !has(self.forProvider.projectIDRef) || !has(self.forProvider.projectIDRef.namespace))",optionalOldSelf=true,message="spec.forProvider.projectIDRef.namespace and spec.forProvider.projectIDSelector.namespace must be left out: a namespaced ProjectAPIKey references Projects of its own namespace only"
type ProjectAPIKeySpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`

	// ForProvider are the key's settings in Ory.
	ForProvider ProjectAPIKeyParameters `json:"forProvider"`

	// ConnectionSecretMetadata are labels and annotations the provider puts
	// on the connection Secret, for example to have a tool that restarts
	// workloads notice a new key.
	// +optional
	ConnectionSecretMetadata *common.SecretMetadata `json:"connectionSecretMetadata,omitempty"`
}

// ProjectAPIKeyParameters are the settable fields of an Ory Network project
// API key. Ory cannot change a key in place: a change of any of them replaces
// the key (the new key is created and stored before the old one is deleted).
// The project's fields are declared in each scope, because a reference to a
// Project differs by scope; the rest are the KeyParameters every key kind
// shares.
type ProjectAPIKeyParameters struct {
	// ProjectID is the UUID of the Ory Network project the key belongs to.
	// Leave it out to take it from projectIDRef or projectIDSelector, or else
	// from the ProviderConfig's projectID; the provider then records that
	// project here. A project slug is not accepted: Ory reports keys by
	// project UUID, and a slug would never match it. Changing it replaces
	// the key.
	// +optional
	// +kubebuilder:validation:Format=uuid
	// +crossplane:generate:reference:type=Project
	// +crossplane:generate:reference:extractor=github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1.ProjectID()
	ProjectID string `json:"projectID,omitempty"`

	// ProjectIDRef names a Project resource whose project the key belongs
	// to: projectID is set to that Project's UUID once its controller has
	// read the project from Ory (status.atProvider.id); until then the key
	// waits, with Synced false. A namespaced key references a Project of its
	// own namespace: a namespace here is refused when the key is created,
	// and a reference to another namespace is not resolved (after a
	// selector matched, the key's own namespace is recorded here). A
	// cluster-scoped key references a cluster-scoped Project. Resolved once,
	// while projectID is empty, unless policy.resolve is Always (then a
	// Project with another UUID replaces the key).
	// +optional
	ProjectIDRef *xpv2.NamespacedReference `json:"projectIDRef,omitempty"`

	// ProjectIDSelector selects the Project whose project the key belongs
	// to by labels (matchLabels), or the one composed with the key
	// (matchControllerRef), when projectIDRef is not set; the first match is
	// recorded in projectIDRef. As for projectIDRef, a namespaced key selects
	// in its own namespace, a cluster-scoped key among cluster-scoped
	// Projects.
	// +optional
	ProjectIDSelector *xpv2.NamespacedSelector `json:"projectIDSelector,omitempty"`

	common.KeyParameters `json:",inline"`
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
func (k *ProjectAPIKey) Parameters() *ProjectAPIKeyParameters {
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
