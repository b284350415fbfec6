package orysim

import (
	ory "github.com/ory/client-go"
)

// PointClientAt makes cfg send every request to baseURL.
//
// client-go resolves each operation's base URL from
// Configuration.OperationServers first and only falls back to Servers for
// operations without an entry. Every console operation has an entry
// (https://api.console.ory.sh), so overriding Servers alone changes nothing
// for them: each entry must be replaced. Servers is replaced too, so
// project-API operations land on baseURL as well (where the simulator
// answers 404, which the contract check reports).
func PointClientAt(cfg *ory.Configuration, baseURL string) {
	server := ory.ServerConfigurations{{URL: baseURL, Description: "Ory simulator"}}
	cfg.Servers = server
	for op := range cfg.OperationServers {
		cfg.OperationServers[op] = server
	}
}

// NewClient returns a client-go API client for the simulator at baseURL
// that authenticates with workspaceKey (an empty key sends no
// Authorization header).
func NewClient(baseURL, workspaceKey string) *ory.APIClient {
	cfg := ory.NewConfiguration()
	PointClientAt(cfg, baseURL)
	if workspaceKey != "" {
		cfg.AddDefaultHeader("Authorization", "Bearer "+workspaceKey)
	}
	return ory.NewAPIClient(cfg)
}

// NewProjectAPIClient returns a client-go API client for a project's own
// API at apiURL (ProjectAPIURL in the simulator, or
// https://<slug>.projects.oryapis.com) that authenticates with projectKey
// (a project API key; empty sends no Authorization header).
//
// The project API's operations (OAuth2API and the others without a server
// of their own) take Servers, whose only entry in client-go is the
// template https://{project_slug}.projects.oryapis.com/: replacing it is
// all it takes, and the console operations stay where they were.
func NewProjectAPIClient(apiURL, projectKey string) *ory.APIClient {
	cfg := ory.NewConfiguration()
	cfg.Servers = ory.ServerConfigurations{{URL: apiURL, Description: "a project's own API"}}
	if projectKey != "" {
		cfg.AddDefaultHeader("Authorization", "Bearer "+projectKey)
	}
	return ory.NewAPIClient(cfg)
}
