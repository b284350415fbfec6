package v1alpha1

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/reference"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

// ProjectParameters are the settable fields of an Ory Network project
// (console API, ProjectAPI.CreateProject and PatchProjectWithRevision).
// +kubebuilder:validation:XValidation:rule="has(self.homeRegion) == has(oldSelf.homeRegion) && (!has(self.homeRegion) || self.homeRegion == oldSelf.homeRegion)",message="spec.forProvider.homeRegion cannot be changed: Ory keeps a project's data in its home region, and the project cannot be replaced without losing its users"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.workspaceID) || (has(self.workspaceID) && self.workspaceID == oldSelf.workspaceID)",message="spec.forProvider.workspaceID cannot be changed once set: a project cannot move between workspaces"
type ProjectParameters struct {
	// Name is the project's name as the Ory Console shows it. Ory does not
	// require it to be unique. Changing it renames the project in place.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`

	// Environment is the project's environment: prod, stage or dev (Ory's
	// plans differ by environment). It cannot be changed: the API that
	// changes it is not public, and a project cannot be replaced without
	// losing its users.
	// +kubebuilder:validation:Enum=prod;stage;dev
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.forProvider.environment cannot be changed: a project cannot be replaced without losing its users; create a new Project instead"
	Environment string `json:"environment"`

	// HomeRegion is where Ory keeps the project's data: eu-central,
	// asia-northeast, us-east, us-west, eu, asia, us or global. Left out,
	// Ory chooses (and status.atProvider.homeRegion shows its choice). It
	// cannot be changed.
	// +optional
	// +kubebuilder:validation:Enum=eu-central;asia-northeast;us-east;us-west;eu;asia;us;global
	HomeRegion string `json:"homeRegion,omitempty"`

	// WorkspaceID is the UUID of the Ory Network workspace the project is
	// created in. Leave it out to use the ProviderConfig's workspaceID (or,
	// without one, the workspace Ory chooses for the ProviderConfig's key).
	// It cannot be changed once set.
	// +optional
	// +kubebuilder:validation:Format=uuid
	WorkspaceID string `json:"workspaceID,omitempty"`

	// DeletionProtection keeps the project when the resource is deleted.
	// Purging a project deletes its identities, sessions, clients and
	// configuration for good. While true (the default), deleting the
	// resource leaves the project in Ory and the resource waits, with a
	// condition that says how to go on: set this false to purge the
	// project, or keep it by setting managementPolicies without Delete
	// (or, on the cluster-scoped Project, deletionPolicy Orphan).
	// +optional
	// +kubebuilder:default=true
	DeletionProtection *bool `json:"deletionProtection,omitempty"`
}

// Protected reports whether deleting the resource must leave the project in
// Ory: deletionProtection is true or unset (its default is true).
func (p *ProjectParameters) Protected() bool {
	return p.DeletionProtection == nil || *p.DeletionProtection
}

// ProjectObservation is the state of a project as Ory reports it
// (console API, ProjectAPI.GetProject).
type ProjectObservation struct {
	// ID is the project's UUID.
	ID string `json:"id,omitempty"`
	// Slug is the project's slug: its own API is served at
	// https://<slug>.projects.oryapis.com.
	Slug string `json:"slug,omitempty"`
	// Name is the project's name in Ory.
	Name string `json:"name,omitempty"`
	// State is the project's state: running, halted or deleted.
	State string `json:"state,omitempty"`
	// Environment is prod, stage or dev.
	Environment string `json:"environment,omitempty"`
	// HomeRegion is where Ory keeps the project's data.
	HomeRegion string `json:"homeRegion,omitempty"`
	// WorkspaceID is the UUID of the workspace the project belongs to.
	WorkspaceID string `json:"workspaceID,omitempty"`
	// RevisionID is the project's current configuration revision; a change
	// names it, and Ory refuses the change (409) when it is stale.
	RevisionID string `json:"revisionID,omitempty"`
	// APIURL is the URL of the project's own API: where a ProjectAPIKey of
	// the project is used, and OAuth2 clients live.
	APIURL string `json:"apiURL,omitempty"`
}

// projectRunning is the state Ory reports for a project in service (the
// console API's project.state; internal/console.ProjectRunning).
const projectRunning = "running"

// ProjectID returns the value a reference to a Project resolves to (the
// extractor of ProjectAPIKey's projectIDRef and projectIDSelector): the
// Project's UUID as its controller last read it from Ory,
// status.atProvider.id, while the state it read with it is running. It is
// empty until then, also for a Project imported by an external name that
// names no project, and while Ory reports the project halted (or the
// controller found it gone), so a key never takes a UUID that Ory has not
// confirmed in service: crossplane-runtime's resolver then reports
// "referenced field was empty (referenced resource may not yet be ready)"
// and the key waits. It is empty for an object that is not a Project.
func ProjectID() reference.ExtractValueFn {
	return func(mg resource.Managed) string {
		p, ok := mg.(interface{ Observation() *ProjectObservation })
		if !ok || p.Observation().State != projectRunning {
			return ""
		}
		return p.Observation().ID
	}
}
