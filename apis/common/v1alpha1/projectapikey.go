package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProjectAPIKeyParameters are the settable fields of an Ory Network project
// API key. Ory cannot change a key in place: a change of any of them replaces
// the key (the new key is created and stored before the old one is deleted).
type ProjectAPIKeyParameters struct {
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

	// ProjectID is the UUID of the Ory Network project the key belongs to.
	// Leave it out to use the ProviderConfig's projectID; the provider then
	// records that project here. A project slug is not accepted: Ory reports
	// keys by project UUID, and a slug would never match it. Changing it
	// replaces the key.
	// +optional
	// +kubebuilder:validation:Format=uuid
	ProjectID string `json:"projectID,omitempty"`
}

// ProjectAPIKeyObservation is the state of the key as Ory reports it. The
// key's value is never part of it: the value is only in the connection Secret.
type ProjectAPIKeyObservation struct {
	// ID of the key in Ory.
	ID string `json:"id,omitempty"`

	// ProjectID of the project the key belongs to.
	ProjectID string `json:"projectID,omitempty"`

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
}
