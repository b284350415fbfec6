// The cluster-scoped OAuth2Client (apis/cluster/v1alpha1) is generated from
// this file by hack/clustertwin: edit this one, then run make generate.
//
//ory:clustertwin

package v1alpha1

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
)

// An OAuth2ClientSpec declares an OAuth 2.0 client and where its
// credentials go. The connection Secret is required even for a public
// client, which has no secret: it still receives the client ID and the
// project's OAuth2 URLs.
// +kubebuilder:validation:XValidation:rule="has(self.writeConnectionSecretToRef) || (has(self.managementPolicies) && !('*' in self.managementPolicies) && !('Create' in self.managementPolicies) && !('Update' in self.managementPolicies))",message="spec.writeConnectionSecretToRef is required: Ory returns a client's secret only once, when the client is created or its secret rotated, and the provider stores it in that Secret (it may be left out only when managementPolicies allow neither Create nor Update)"
// +kubebuilder:validation:XValidation:rule="!has(self.providerConfigRef) || self.providerConfigRef.kind in ['ProviderConfig', 'ClusterProviderConfig']",message="spec.providerConfigRef.kind must be ProviderConfig (in this namespace) or ClusterProviderConfig"
// +kubebuilder:validation:XValidation:rule="!has(self.forProvider.importSecretFrom) || !has(self.forProvider.importSecretFrom.namespace)",message="spec.forProvider.importSecretFrom.namespace must be left out: a namespaced OAuth2Client reads Secrets of its own namespace only"
type OAuth2ClientSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`

	// ForProvider are the client's settings in Ory.
	ForProvider common.OAuth2ClientParameters `json:"forProvider"`

	// ConnectionSecretMetadata are labels and annotations the provider puts
	// on the connection Secret, for example to have a tool that restarts
	// workloads notice a rotated secret.
	// +optional
	ConnectionSecretMetadata *common.SecretMetadata `json:"connectionSecretMetadata,omitempty"`
}

// An OAuth2ClientStatus is the observed state of an OAuth2Client.
type OAuth2ClientStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`

	// AtProvider is the client as Ory reports it.
	AtProvider common.OAuth2ClientObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// An OAuth2Client is an OAuth 2.0 client of an Ory Network project, made
// on the project's own API with the ProviderConfig's project credentials.
// The provider creates it, writes its credentials to the connection Secret
// (keys clientID, clientSecret, issuerURL, tokenURL and authorizationURL;
// a public client, tokenEndpointAuthMethod none, has no clientSecret),
// corrects drift of its settings in place, and rotates its secret without
// downtime under spec.forProvider.rotation. Import an existing client by
// setting the crossplane.io/external-name annotation to its client ID.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="CLIENT-NAME",type="string",JSONPath=".status.atProvider.clientName"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,ory}
type OAuth2Client struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   OAuth2ClientSpec   `json:"spec"`
	Status OAuth2ClientStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// OAuth2ClientList is a list of OAuth2Clients.
type OAuth2ClientList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []OAuth2Client `json:"items"`
}

// ClientParameters returns the client's declared settings.
func (c *OAuth2Client) ClientParameters() *common.OAuth2ClientParameters {
	return &c.Spec.ForProvider
}

// ClientObservation returns the client's observed state.
func (c *OAuth2Client) ClientObservation() *common.OAuth2ClientObservation {
	return &c.Status.AtProvider
}

// KeyParameters returns the client's settings in the shape every kind whose
// secret Ory returns once shares: its name, rotation and import source. It
// is derived, a new value on each call: set the client's own fields, not
// these (Rotation and ImportValueFrom point at the spec's own).
func (c *OAuth2Client) KeyParameters() *common.KeyParameters {
	p := &c.Spec.ForProvider
	return &common.KeyParameters{Name: p.ClientName, Rotation: p.Rotation, ImportValueFrom: p.ImportSecretFrom}
}

// KeyObservation returns the observed state every such kind shares: the
// client ID, creation time and next rotation.
func (c *OAuth2Client) KeyObservation() *common.KeyObservation {
	return &c.Status.AtProvider.KeyObservation
}

// ParentID returns spec.forProvider.projectID: the project that holds the
// client.
func (c *OAuth2Client) ParentID() *string {
	return &c.Spec.ForProvider.ProjectID
}

// ObservedParentID returns status.atProvider.projectID.
func (c *OAuth2Client) ObservedParentID() *string {
	return &c.Status.AtProvider.ProjectID
}

// SecretMetadata returns the labels and annotations wanted on the connection
// Secret, or nil.
func (c *OAuth2Client) SecretMetadata() *common.SecretMetadata {
	return c.Spec.ConnectionSecretMetadata
}

// The OAuth2Client kind, as the controllers and tests name it.
var (
	OAuth2ClientGroupVersionKind = SchemeGroupVersion.WithKind("OAuth2Client")
	OAuth2ClientGroupKind        = OAuth2ClientGroupVersionKind.GroupKind().String()
)

func init() {
	SchemeBuilder.Register(&OAuth2Client{}, &OAuth2ClientList{})
}
