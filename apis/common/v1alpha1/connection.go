package v1alpha1

// Keys of the connection Secrets the provider writes. Which an API key kind
// writes is declared in its catalogue entry (config); a Project writes
// projectID, slug and apiURL, none of them secret.
const (
	// ConnectionKeyValue holds the key's secret value (ory_pat_..., ory_wak_...).
	// Ory returns it only when the key is created.
	ConnectionKeyValue = "value"
	// ConnectionKeyID holds the key's ID in Ory.
	ConnectionKeyID = "keyID"
	// ConnectionKeyProjectID holds the UUID of a project key's project.
	ConnectionKeyProjectID = "projectID"
	// ConnectionKeyWorkspaceID holds the UUID of a workspace key's workspace.
	ConnectionKeyWorkspaceID = "workspaceID"
	// ConnectionKeyAPIURL holds the URL of the project's own API, where a
	// project key is used: https://<slug>.projects.oryapis.com, or the
	// ProviderConfig's override for a custom domain.
	ConnectionKeyAPIURL = "apiURL"
	// ConnectionKeySlug holds a Project's slug.
	ConnectionKeySlug = "slug"
)
