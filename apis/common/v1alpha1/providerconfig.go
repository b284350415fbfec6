package v1alpha1

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// DefaultConsoleURL is the Ory Network console API.
const DefaultConsoleURL = "https://api.console.ory.sh"

// ConsoleSettings say where the Ory console API is and which projects a
// ProviderConfig may manage keys in. Every kind of ProviderConfig has them.
type ConsoleSettings struct {
	// ProjectID is the UUID of the project that a ProjectAPIKey without a
	// spec.forProvider.projectID is created in.
	// +optional
	// +kubebuilder:validation:Format=uuid
	ProjectID string `json:"projectID,omitempty"`

	// WorkspaceID is the UUID of the workspace that a WorkspaceAPIKey
	// without a spec.forProvider.workspaceID is created in.
	// +optional
	// +kubebuilder:validation:Format=uuid
	WorkspaceID string `json:"workspaceID,omitempty"`

	// ConsoleURL is the base URL of the Ory console API. Every console
	// operation is sent there.
	// +optional
	// +kubebuilder:default="https://api.console.ory.sh"
	// +kubebuilder:validation:Pattern=`^https?://[^\s/]+(/.*)?$`
	ConsoleURL string `json:"consoleURL,omitempty"`

	// AllowedProjectIDs, when set, are the only projects this ProviderConfig
	// may manage keys in. A ProjectAPIKey for any other project is refused
	// before any call to Ory.
	// +optional
	// +listType=set
	// +kubebuilder:validation:items:Format=uuid
	AllowedProjectIDs []string `json:"allowedProjectIDs,omitempty"`

	// ProjectAPIURLs overrides, per project UUID, the project API URL that
	// connection Secrets publish as apiURL (by default
	// https://<project-slug>.projects.oryapis.com), for projects served on
	// a custom domain.
	// +optional
	ProjectAPIURLs map[string]string `json:"projectAPIURLs,omitempty"`

	// RateLimit is the provider's own limit on its calls to the Ory console
	// with this ProviderConfig's workspace API key, so that it stays under
	// Ory's rate limit instead of running into it. Ory's answers 429 are
	// waited out and retried besides. ProviderConfigs that use the same
	// workspace API key share one limit: give them the same rateLimit.
	// Defaults to 60 requests per minute with a burst of 5.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
}

// RateLimit is a token bucket: it holds burst requests and refills at
// requestsPerMinute. Every request to Ory, each retry included, takes one.
type RateLimit struct {
	// RequestsPerMinute is the sustained rate of requests to the Ory
	// console. Ory documents its own limits per minute ("sustained") and
	// per second ("burst") for each subscription plan.
	// +optional
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=60000
	RequestsPerMinute int32 `json:"requestsPerMinute,omitempty"`

	// Burst is how many requests may be sent at once after a quiet spell.
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	Burst int32 `json:"burst,omitempty"`
}

// Credentials locate the Ory workspace API key (ory_wak_...) that a
// cluster-wide ProviderConfig authenticates with.
// +kubebuilder:validation:XValidation:rule="self.source != 'Secret' || has(self.secretRef)",message="credentials.secretRef is required when credentials.source is Secret"
// +kubebuilder:validation:XValidation:rule="self.source != 'Environment' || has(self.env)",message="credentials.env is required when credentials.source is Environment"
// +kubebuilder:validation:XValidation:rule="self.source != 'Filesystem' || has(self.fs)",message="credentials.fs is required when credentials.source is Filesystem"
type Credentials struct {
	// Source of the workspace API key: a key of a Secret, an environment
	// variable of the provider, or a file in the provider's filesystem.
	// +kubebuilder:validation:Enum=Secret;Environment;Filesystem
	Source xpv2.CredentialsSource `json:"source"`

	xpv2.CommonCredentialSelectors `json:",inline"`
}

// LocalCredentials locate the Ory workspace API key (ory_wak_...) of a
// namespaced ProviderConfig. It can only name a Secret in the
// ProviderConfig's own namespace: a tenant's ProviderConfig must never read
// the provider's environment, its files, or another namespace's Secrets.
type LocalCredentials struct {
	// Source of the workspace API key. Only Secret is possible here.
	// +kubebuilder:validation:Enum=Secret
	// +kubebuilder:default=Secret
	Source xpv2.CredentialsSource `json:"source"`

	// SecretRef is the key of a Secret in the ProviderConfig's namespace that
	// holds the workspace API key.
	SecretRef xpv2.LocalSecretKeySelector `json:"secretRef"`
}
