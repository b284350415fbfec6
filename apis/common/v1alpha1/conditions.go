package v1alpha1

import xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

// Condition types and reasons this provider sets besides Ready and Synced.
const (
	// TypeValue says whether the connection Secret holds the value of the
	// key the resource manages.
	TypeValue xpv2.ConditionType = "KeyValue"

	ReasonValueStored              xpv2.ConditionReason = "Stored"
	ReasonValueUnknown             xpv2.ConditionReason = "ValueUnknown"
	ReasonImportedValueUnavailable xpv2.ConditionReason = "ImportedValueUnavailable"
	ReasonImportedValueMismatch    xpv2.ConditionReason = "ImportedValueMismatch"
	ReasonImportedValueUnchecked   xpv2.ConditionReason = "ImportedValueUnchecked"
	ReasonImportedValueMalformed   xpv2.ConditionReason = "ImportedValueMalformed"
	// ReasonValueLost: the connection Secret that held the key's value was
	// deleted or emptied out of band; the key is replaced to restore one.
	ReasonValueLost xpv2.ConditionReason = "ValueLost"
	// ReasonNoSecret: the object has no secret to store (a public OAuth2
	// client); the connection Secret holds its ID and URLs.
	ReasonNoSecret xpv2.ConditionReason = "NoSecret"
	ReasonExpired  xpv2.ConditionReason = "Expired"
	// ReasonKeyNotFound: the key the resource names does not exist in Ory.
	ReasonKeyNotFound xpv2.ConditionReason = "KeyNotFound"
	// ReasonCreateRefused: a key cannot be created as the spec stands; the
	// message says what to fix.
	ReasonCreateRefused xpv2.ConditionReason = "CreateRefused"

	// TypeUpToDate says whether the key in Ory matches the spec. It is set
	// False when it does not and the management policies keep the provider
	// from replacing it, so the difference is not silent.
	TypeUpToDate xpv2.ConditionType = "UpToDate"
	// ReasonDrifted: the key differs from the spec and is left as it is.
	ReasonDrifted xpv2.ConditionReason = "Drifted"
	// ReasonInSync: the key matches the spec.
	ReasonInSync xpv2.ConditionReason = "InSync"
)

// ReasonProjectDeleted is the Ready reason of a key whose project Ory shows
// deleted: the key went with it.
const ReasonProjectDeleted xpv2.ConditionReason = "ProjectDeleted"

// Reasons of a Project's conditions and events.
const (
	// ReasonProjectHalted is the Ready reason of a Project that Ory reports
	// in state halted.
	ReasonProjectHalted xpv2.ConditionReason = "Halted"
	// ReasonDeletionProtected: the resource is deleted while
	// spec.forProvider.deletionProtection is on, so the project stays in Ory
	// and the resource waits; the message says how to go on.
	ReasonDeletionProtected xpv2.ConditionReason = "DeletionProtected"
	// ReasonCreateAmbiguous is the Ready reason of a Project whose create
	// lost its answer while several projects that no resource names fit it:
	// a person must import the right one (its ID as the external name).
	ReasonCreateAmbiguous xpv2.ConditionReason = "CreateAmbiguous"
)
