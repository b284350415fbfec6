package v1alpha1

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
)

// A ProviderConfigSpec says how a namespace's managed resources reach Ory.
// +kubebuilder:validation:XValidation:rule="has(self.credentials) || has(self.projectCredentials)",message="set spec.credentials (a workspace API key, for ProjectAPIKeys, WorkspaceAPIKeys and Projects), spec.projectCredentials (a project API key, for kinds served by a project's API such as OAuth2Client), or both"
type ProviderConfigSpec struct {
	// Credentials locate the Ory workspace API key (ory_wak_...), in a
	// Secret of this ProviderConfig's namespace, for the kinds managed
	// through the Ory console: ProjectAPIKey, WorkspaceAPIKey, Project.
	// +optional
	Credentials *common.LocalCredentials `json:"credentials,omitempty"`

	// ProjectCredentials locate a project API key (ory_pat_...) and its
	// project's API URL, in a Secret of this ProviderConfig's namespace,
	// for the kinds served by a project's own API, such as OAuth2Client:
	// by default the keys value, apiURL and projectID of a ProjectAPIKey's
	// connection Secret. Set credentials, projectCredentials, or both.
	// +optional
	ProjectCredentials *common.LocalProjectCredentials `json:"projectCredentials,omitempty"`

	common.ConsoleSettings `json:",inline"`
}

// A ClusterProviderConfigSpec says how managed resources of any namespace
// reach Ory.
// +kubebuilder:validation:XValidation:rule="has(self.credentials) || has(self.projectCredentials)",message="set spec.credentials (a workspace API key, for ProjectAPIKeys, WorkspaceAPIKeys and Projects), spec.projectCredentials (a project API key, for kinds served by a project's API such as OAuth2Client), or both"
type ClusterProviderConfigSpec struct {
	// Credentials locate the Ory workspace API key (ory_wak_...), for the
	// kinds managed through the Ory console: ProjectAPIKey,
	// WorkspaceAPIKey, Project.
	// +optional
	Credentials *common.Credentials `json:"credentials,omitempty"`

	// ProjectCredentials locate a project API key (ory_pat_...) and its
	// project's API URL, for the kinds served by a project's own API, such
	// as OAuth2Client: by default the keys value, apiURL and projectID of
	// a ProjectAPIKey's connection Secret. Set credentials,
	// projectCredentials, or both.
	// +optional
	ProjectCredentials *common.ProjectCredentials `json:"projectCredentials,omitempty"`

	common.ConsoleSettings `json:",inline"`
}

// A ProviderConfigStatus is the observed state of a ProviderConfig.
type ProviderConfigStatus struct {
	xpv2.ProviderConfigStatus `json:",inline"`
}

// +kubebuilder:object:root=true

// A ProviderConfig configures how the managed resources of its own namespace
// reach Ory: a workspace API key, a project API key (projectCredentials, such
// as a ProjectAPIKey's connection Secret) or both, from Secrets of that
// namespace, the console URL, a default project and the projects keys may be
// made in.
// +kubebuilder:printcolumn:name="PROJECT",type="string",JSONPath=".spec.projectID"
// +kubebuilder:printcolumn:name="SECRET-NAME",type="string",JSONPath=".spec.credentials.secretRef.name",priority=1
// +kubebuilder:printcolumn:name="USERS",type="integer",JSONPath=".status.users"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,ory}
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProviderConfigList is a list of ProviderConfigs.
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ClusterProviderConfig configures how managed resources of every namespace
// reach Ory: the workspace API key, a project API key (projectCredentials)
// or both, the console URL, a default project and the projects keys may be
// made in.
// +kubebuilder:printcolumn:name="PROJECT",type="string",JSONPath=".spec.projectID"
// +kubebuilder:printcolumn:name="SECRET-NAME",type="string",JSONPath=".spec.credentials.secretRef.name",priority=1
// +kubebuilder:printcolumn:name="USERS",type="integer",JSONPath=".status.users"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,ory}
type ClusterProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterProviderConfigSpec `json:"spec"`
	Status ProviderConfigStatus      `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterProviderConfigList is a list of ClusterProviderConfigs.
type ClusterProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ProviderConfigUsage records that a ProjectAPIKey uses a ProviderConfig
// or a ClusterProviderConfig, so that neither is deleted while in use.
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="CONFIG-KIND",type="string",JSONPath=".providerConfigRef.kind"
// +kubebuilder:printcolumn:name="CONFIG-NAME",type="string",JSONPath=".providerConfigRef.name"
// +kubebuilder:printcolumn:name="RESOURCE-KIND",type="string",JSONPath=".resourceRef.kind"
// +kubebuilder:printcolumn:name="RESOURCE-NAME",type="string",JSONPath=".resourceRef.name"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,ory}
type ProviderConfigUsage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	xpv2.TypedProviderConfigUsage `json:",inline"`
}

// +kubebuilder:object:root=true

// ProviderConfigUsageList is a list of ProviderConfigUsages.
type ProviderConfigUsageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfigUsage `json:"items"`
}

// The ProviderConfig kinds, as the controllers and tests name them.
var (
	ProviderConfigGroupVersionKind          = SchemeGroupVersion.WithKind("ProviderConfig")
	ProviderConfigGroupKind                 = ProviderConfigGroupVersionKind.GroupKind().String()
	ProviderConfigUsageGroupVersionKind     = SchemeGroupVersion.WithKind("ProviderConfigUsage")
	ProviderConfigUsageGroupKind            = ProviderConfigUsageGroupVersionKind.GroupKind().String()
	ClusterProviderConfigGroupVersionKind   = SchemeGroupVersion.WithKind("ClusterProviderConfig")
	ClusterProviderConfigGroupKind          = ClusterProviderConfigGroupVersionKind.GroupKind().String()
	ProviderConfigUsageListGroupVersionKind = SchemeGroupVersion.WithKind("ProviderConfigUsageList")
)

func init() {
	SchemeBuilder.Register(&ProviderConfig{}, &ProviderConfigList{}, &ProviderConfigUsage{}, &ProviderConfigUsageList{}, &ClusterProviderConfig{}, &ClusterProviderConfigList{})
}
