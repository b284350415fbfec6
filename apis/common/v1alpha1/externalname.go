package v1alpha1

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// A Ref identifies an API key in Ory: its ID, and the ID of the project or
// workspace that holds it (its parent). Parent is empty when an external name
// did not say.
// +kubebuilder:object:generate=false
type Ref struct {
	Parent string
	ID     string
}

// IsZero reports whether the reference names no key.
func (r Ref) IsZero() bool { return r.ID == "" }

// String is the long form of the reference, "<parent-id>/<key-id>", or the
// key ID alone when the parent is unknown.
func (r Ref) String() string {
	if r.Parent == "" {
		return r.ID
	}
	return r.Parent + "/" + r.ID
}

// ExternalName is the external name the provider writes for a key it created
// or adopted: the key ID alone, since the parent is recorded in
// spec.forProvider (projectID, workspaceID).
func ExternalName(r Ref) string { return r.ID }

// ParseRef reads a key reference, the external name of an API key kind: ""
// (no key yet), "<key-id>", or "<parent-id>/<key-id>" (the form an import may
// use to name the project or workspace too). Both IDs are UUIDs; they are
// returned in lower case. The same form records keys in the annotations
// below.
func ParseRef(name string) (Ref, error) {
	if name == "" {
		return Ref{}, nil
	}
	parent, key, found := strings.Cut(name, "/")
	if !found {
		parent, key = "", name
	}
	if !isUUID(key) || (found && !isUUID(parent)) {
		return Ref{}, fmt.Errorf("external name %q is neither <key-id> nor <project-or-workspace-id>/<key-id> with UUIDs: set the crossplane.io/external-name annotation to the ID of the key (and optionally of its project or workspace), or remove it to create a new key", name)
	}
	return Ref{Parent: strings.ToLower(parent), ID: strings.ToLower(key)}, nil
}

// ParseProjectID reads the external name of a Project: "" (no project yet)
// or the project's UUID, returned in lower case. Ory's GetProject takes the
// ID only, not the slug.
func ParseProjectID(name string) (string, error) {
	if name == "" || isUUID(name) {
		return strings.ToLower(name), nil
	}
	return "", fmt.Errorf("external name %q is not a project ID (a UUID): set the crossplane.io/external-name annotation to the ID of the project, as the Ory Console shows it in the project settings, or remove it to create a new project", name)
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
