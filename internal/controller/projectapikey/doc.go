// Package projectapikey is the adapter of the ProjectAPIKey kind: what the
// value-once engine (internal/engine) cannot know of a project's keys. Where
// a key is used (its project's API URL, published in the connection Secret),
// and whether its project is gone. The kind itself is declared in config.
package projectapikey

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// Allowed refuses a project that is not in the allowedProjectIDs of a
// ProviderConfig that lists them.
func Allowed(cfg *providerconfig.Config, projectID string) error {
	if cfg.Allows(projectID) {
		return nil
	}
	return errors.Errorf("project %s is not in the allowedProjectIDs of %s: use an allowed project, or ask whoever manages that ProviderConfig to allow it", projectID, cfg.Ref)
}
