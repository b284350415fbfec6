// Package config is provider-ory's catalogue of managed kinds: for each kind,
// how its external name is parsed and written, and which keys its connection
// Secret holds. Controllers read these from here, so adding a kind starts
// with an entry in this package.
package config

import (
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/google/uuid"
)

// Keys of a ProjectAPIKey's connection Secret.
const (
	// ConnectionKeyValue holds the key's secret value (ory_pat_...). Ory
	// returns it only when the key is created.
	ConnectionKeyValue = "value"
	// ConnectionKeyID holds the key's ID in Ory.
	ConnectionKeyID = "keyID"
	// ConnectionKeyProjectID holds the UUID of the key's project.
	ConnectionKeyProjectID = "projectID"
	// ConnectionKeyAPIURL holds the URL of the project's own API, where the
	// key is used: https://<slug>.projects.oryapis.com, or the
	// ProviderConfig's override for a custom domain.
	ConnectionKeyAPIURL = "apiURL"
)

// ProjectAPIKeyConnectionKeys are all keys a ProjectAPIKey's connection
// Secret may hold, in the order the README lists them.
var ProjectAPIKeyConnectionKeys = []string{ConnectionKeyValue, ConnectionKeyID, ConnectionKeyProjectID, ConnectionKeyAPIURL}

// A Ref identifies a project API key in Ory. ProjectID is empty when the
// external name did not say which project the key belongs to.
type Ref struct {
	Parent string
	ID     string
}

// IsZero reports whether the reference names no key.
func (r Ref) IsZero() bool { return r.ID == "" }

// String is the long form of the reference, "<project-id>/<key-id>", or the
// key ID alone when the project is unknown.
func (r Ref) String() string {
	if r.Parent == "" {
		return r.ID
	}
	return r.Parent + "/" + r.ID
}

// ProjectAPIKeyExternalName is the external name the provider writes for a
// key it created or adopted: the key ID alone, since the project is recorded
// in spec.forProvider.projectID.
func ProjectAPIKeyExternalName(r Ref) string { return r.ID }

// ParseRef reads a key reference, the external name of a ProjectAPIKey:
// "" (no key yet), "<key-id>", or "<project-id>/<key-id>" (the form an import
// may use to name the project too). Both IDs are UUIDs.
func ParseRef(name string) (Ref, error) {
	if name == "" {
		return Ref{}, nil
	}
	project, key, found := strings.Cut(name, "/")
	if !found {
		project, key = "", name
	}
	if !isUUID(key) || (found && !isUUID(project)) {
		return Ref{}, errors.Errorf("external name %q is neither <key-id> nor <project-id>/<key-id> with UUIDs: set the crossplane.io/external-name annotation to the ID of the key (and optionally its project), or remove it to create a new key", name)
	}
	return Ref{Parent: strings.ToLower(project), ID: strings.ToLower(key)}, nil
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
