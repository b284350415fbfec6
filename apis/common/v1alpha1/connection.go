package v1alpha1

// Keys of the connection Secrets the provider writes. Which an API key kind
// writes is declared in its catalogue entry (config); a Project writes
// projectID, slug and apiURL, none of them secret; an OAuth2Client writes
// clientID, clientSecret (not for a public client), issuerURL, tokenURL and
// authorizationURL.
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
	// ConnectionKeyClientID holds an OAuth2 client's ID (client_id).
	ConnectionKeyClientID = "clientID"
	// ConnectionKeyClientSecret holds an OAuth2 client's secret
	// (client_secret). Ory returns it only when the client is created or its
	// secret rotated; a public client (token_endpoint_auth_method none) has
	// none.
	ConnectionKeyClientSecret = "clientSecret"
	// ConnectionKeyIssuerURL holds the OAuth2 issuer URL of the client's
	// project: its API URL (https://<slug>.projects.oryapis.com, or the
	// custom domain).
	ConnectionKeyIssuerURL = "issuerURL"
	// ConnectionKeyTokenURL holds the project's OAuth2 token endpoint,
	// <issuerURL>/oauth2/token.
	ConnectionKeyTokenURL = "tokenURL"
	// ConnectionKeyAuthorizationURL holds the project's OAuth2
	// authorisation endpoint, <issuerURL>/oauth2/auth.
	ConnectionKeyAuthorizationURL = "authorizationURL"
)
