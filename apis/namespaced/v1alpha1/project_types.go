// The cluster-scoped Project (apis/cluster/v1alpha1) is generated from this
// file by hack/clustertwin: edit this one, then run make generate.
//
//ory:clustertwin

package v1alpha1

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
)

// A ProjectSpec declares an Ory Network project.
// +kubebuilder:validation:XValidation:rule="!has(self.providerConfigRef) || self.providerConfigRef.kind in ['ProviderConfig', 'ClusterProviderConfig']",message="spec.providerConfigRef.kind must be ProviderConfig (in this namespace) or ClusterProviderConfig"
type ProjectSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`

	// ForProvider are the project's settings in Ory.
	ForProvider common.ProjectParameters `json:"forProvider"`
}

// A ProjectStatus is the observed state of a Project.
type ProjectStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`

	// AtProvider is the project as Ory reports it.
	AtProvider common.ProjectObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A Project is an Ory Network project: its identities, sessions, OAuth2
// clients and configuration. The provider creates it with the
// ProviderConfig's workspace API key, renames it in place, and purges it on
// delete only when spec.forProvider.deletionProtection is false. The
// connection Secret, when asked for, holds its projectID, slug and apiURL
// (nothing secret). Import an existing project by setting the
// crossplane.io/external-name annotation to its UUID.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="SLUG",type="string",JSONPath=".status.atProvider.slug"
// +kubebuilder:printcolumn:name="ENVIRONMENT",type="string",JSONPath=".status.atProvider.environment"
// +kubebuilder:printcolumn:name="STATE",type="string",JSONPath=".status.atProvider.state"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,ory}
type Project struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProjectSpec   `json:"spec"`
	Status ProjectStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProjectList is a list of Projects.
type ProjectList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Project `json:"items"`
}

// Parameters returns the project's declared settings.
func (p *Project) Parameters() *common.ProjectParameters {
	return &p.Spec.ForProvider
}

// Observation returns the project's observed state.
func (p *Project) Observation() *common.ProjectObservation {
	return &p.Status.AtProvider
}

// The Project kind, as the controllers and tests name it.
var (
	ProjectGroupVersionKind = SchemeGroupVersion.WithKind("Project")
	ProjectGroupKind        = ProjectGroupVersionKind.GroupKind().String()
)

func init() {
	SchemeBuilder.Register(&Project{}, &ProjectList{})
}
