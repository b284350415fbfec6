package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KeyParameters are the settable fields every API key kind shares (a
// project's keys and a workspace's alike). Ory cannot change a key in place:
// a change of any of them replaces the key (the new key is created and stored
// before the old one is deleted).
type KeyParameters struct {
	// Name of the key, as the Ory console shows it. Changing it replaces the
	// key.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// ExpiresAt is when Ory stops accepting the key, in RFC 3339
	// (for example 2027-01-31T00:00:00Z); Ory keeps it to the second.
	// Leave it out for a key that does not expire. Changing it replaces the
	// key. A key past this time is reported as not Ready.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// Rotation replaces the key on a schedule, or once on demand. The new
	// key's value is stored before the old key is deleted.
	// +optional
	Rotation *Rotation `json:"rotation,omitempty"`

	// ImportValueFrom names a Secret key holding the value of an imported
	// key, for a key that was made outside this resource. The provider
	// publishes it to the connection Secret only after checking it against
	// the key's lastCharacters in Ory. A namespaced key can only name a
	// Secret of its own namespace.
	// +optional
	ImportValueFrom *ValueSource `json:"importValueFrom,omitempty"`
}

// WorkspaceAPIKeyParameters are the settable fields of an Ory Network
// workspace API key (ory_wak_...), the kind of key the provider itself
// authenticates with. Ory cannot change a key in place: a change of any of
// them replaces the key.
type WorkspaceAPIKeyParameters struct {
	// WorkspaceID is the UUID of the Ory Network workspace the key belongs
	// to. Leave it out to use the ProviderConfig's workspaceID; the provider
	// then records that workspace here. Changing it replaces the key.
	// +optional
	// +kubebuilder:validation:Format=uuid
	WorkspaceID string `json:"workspaceID,omitempty"`

	KeyParameters `json:",inline"`
}

// Rotation says when the provider replaces a key with a fresh one.
// +kubebuilder:validation:XValidation:rule="!has(self.renewBefore) || has(self.lifetime)",message="rotation.renewBefore needs rotation.lifetime"
// +kubebuilder:validation:XValidation:rule="!has(self.lifetime) || !has(self.renewBefore) || duration(self.renewBefore) < duration(self.lifetime)",message="rotation.renewBefore must be shorter than rotation.lifetime"
type Rotation struct {
	// Lifetime of each key: the provider creates keys that expire this long
	// after they are created (a Go duration such as 720h), and replaces each
	// renewBefore ahead of its expiry. Leave spec.forProvider.expiresAt out
	// when this is set. For an OAuth2Client, whose secret never expires, it
	// is how long after it was issued a secret is rotated. A changed
	// lifetime applies from the next rotation.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	Lifetime *Duration `json:"lifetime,omitempty"`

	// RenewBefore is how long before its expiry a key is replaced. Defaults
	// to a third of the lifetime. An OAuth2Client refuses it: its secret
	// never expires.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	RenewBefore *Duration `json:"renewBefore,omitempty"`

	// Overlap keeps a replaced key valid this long after its replacement is
	// stored, so workloads that read the old value have time to pick up the
	// new one. Without it the old key is deleted as soon as the new one is
	// stored. It applies to every replacement, scheduled or not. For an
	// OAuth2Client, Ory keeps accepting the rotated secret this long, then
	// the provider has it drop the rotated secrets.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	Overlap *Duration `json:"overlap,omitempty"`

	// Trigger is any string; changing it replaces the key once, now (for
	// example after a leak). The current key was made for the value it had
	// when the key was created. For an OAuth2Client it rotates the secret
	// once.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Trigger string `json:"trigger,omitempty"`
}

// A ValueSource selects the key of a Secret that holds a key's value.
type ValueSource struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Namespace of the Secret. Required for a cluster-scoped key;
	// a namespaced one reads its own namespace and must leave this out.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Key in the Secret's data that holds the value.
	// +kubebuilder:validation:MinLength=1
	Key string `json:"key"`

	// AcceptUnchecked lets the provider publish a value it cannot check:
	// Ory recorded no lastCharacters for keys made before it introduced
	// them. Without it such a value is refused. An OAuth2Client requires
	// it: Ory keeps only a hash of a client secret, so no imported secret
	// can be checked.
	// +optional
	AcceptUnchecked bool `json:"acceptUnchecked,omitempty"`
}

// KeyObservation is the state every API key kind shares, as Ory reports
// it. The key's value is never part of it: the value is only in the
// connection Secret.
type KeyObservation struct {
	// ID of the key in Ory.
	ID string `json:"id,omitempty"`

	// OwnerID is the Ory identity that owns the key.
	OwnerID string `json:"ownerID,omitempty"`

	// CreatedAt is when Ory created the key.
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`

	// ExpiresAt is when the key expires; empty for a key that does not expire.
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// LastCharacters are the last characters of the key's value, to tell
	// keys apart without revealing them. Ory leaves it empty for keys made
	// before it recorded them.
	LastCharacters string `json:"lastCharacters,omitempty"`

	// RenewAt is when the provider will replace the key, under
	// spec.forProvider.rotation.
	RenewAt *metav1.Time `json:"renewAt,omitempty"`
}

// ProjectAPIKeyObservation is the state of a project API key as Ory reports
// it.
type ProjectAPIKeyObservation struct {
	// ProjectID of the project the key belongs to.
	ProjectID string `json:"projectID,omitempty"`

	KeyObservation `json:",inline"`
}

// WorkspaceAPIKeyObservation is the state of a workspace API key as Ory
// reports it.
type WorkspaceAPIKeyObservation struct {
	// WorkspaceID of the workspace the key belongs to.
	WorkspaceID string `json:"workspaceID,omitempty"`

	KeyObservation `json:",inline"`
}

// SecretMetadata are labels and annotations for a Secret. Keys and values
// follow Kubernetes' rules for labels and annotations, and keys under
// crossplane.io (the provider's and Crossplane's own bookkeeping, such as the
// record of which key a connection Secret holds) are refused.
type SecretMetadata struct {
	// Labels to set on the Secret: keys are [prefix/]name (a DNS subdomain
	// prefix of at most 253 characters, a name of at most 63 letters,
	// digits, '-', '_' or '.', starting and ending alphanumeric); values are
	// empty or such a name.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="label keys must be [prefix/]name: an optional DNS subdomain prefix and a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].matches('^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$'))",message="label values must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	// +kubebuilder:validation:XValidation:rule="!self.exists(k, k.matches('^([^/]*[.])?crossplane[.]io/'))",message="label keys under crossplane.io are kept for Crossplane and the provider"
	Labels map[string]LabelValue `json:"labels,omitempty"`
	// Annotations to set on the Secret: keys as for labels, values of any
	// text.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="annotation keys must be [prefix/]name: an optional DNS subdomain prefix and a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	// +kubebuilder:validation:XValidation:rule="!self.exists(k, k.matches('^([^/]*[.])?crossplane[.]io/'))",message="annotation keys under crossplane.io are kept for Crossplane and the provider: the provider records there which key a connection Secret holds"
	Annotations map[string]AnnotationValue `json:"annotations,omitempty"`
}

// A LabelValue is the value of a label: empty, or at most 63 characters.
// +kubebuilder:validation:MaxLength=63
type LabelValue string

// An AnnotationValue is the value of an annotation.
// +kubebuilder:validation:MaxLength=4096
type AnnotationValue string

// Strings returns m as a plain string map, the form object metadata takes;
// nil for an empty m.
func Strings[V ~string](m map[string]V) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// A Duration is a Go duration as the manifest spells it ("720h", "1h30m").
// It is kept as written, not as metav1.Duration's "720h0m0s": the provider
// updates the spec (it records the project), and a respelled value would
// take the field from the GitOps tool that applied it (server-side apply then
// reports a conflict). The schema of each field admits only valid
// durations.
type Duration string

// Get returns the duration; 0 for a value the schema would have refused.
func (d *Duration) Get() time.Duration {
	if d == nil {
		return 0
	}
	v, _ := time.ParseDuration(string(*d))
	return v
}

// NewDuration returns d spelled as Go spells it.
func NewDuration(d time.Duration) *Duration {
	v := Duration(d.String())
	return &v
}
