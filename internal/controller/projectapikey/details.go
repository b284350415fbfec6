package projectapikey

import (
	"context"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// Details are the connection details of a project key besides its value, ID
// and project: the project's API URL (common.ConnectionKeyAPIURL), the
// ProviderConfig's projectAPIURLs override, else its projectAPIURLTemplate
// with the project's slug (https://<slug>.projects.oryapis.com by default),
// left out while it cannot be known.
func Details(ctx context.Context, conn *keyview.Connection, cfg *providerconfig.Config, projectID string) map[string][]byte {
	if u := conn.ProjectAPIURL(ctx, cfg.ProjectAPIURLs[projectID], cfg.ProjectAPIURLTemplate, projectID); u != "" {
		return map[string][]byte{common.ConnectionKeyAPIURL: []byte(u)}
	}
	return nil
}
