package v1alpha1

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// DefaultConsoleURL is the Ory Network console API.
const DefaultConsoleURL = "https://api.console.ory.sh"

// DefaultProjectAPIURLTemplate is where Ory Network serves each project's own
// API: {slug} stands for the project's slug.
const DefaultProjectAPIURLTemplate = "https://{slug}.projects.oryapis.com"

// SlugPlaceholder is what a projectAPIURLTemplate says where the project's
// slug goes.
const SlugPlaceholder = "{slug}"

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

	// ProjectAPIURLTemplate is the URL of a project's own API, {slug}
	// standing for the project's slug, that connection Secrets publish as
	// apiURL for every project without a projectAPIURLs entry. Ory Network
	// serves each project at https://{slug}.projects.oryapis.com, the
	// default; set another for a deployment that serves projects elsewhere,
	// such as a local Ory simulator (<simulator>/projects-api/{slug}).
	// +optional
	// +kubebuilder:default="https://{slug}.projects.oryapis.com"
	// +kubebuilder:validation:Pattern=`^https?://[^\s/]+(/\S*)?$`
	// +kubebuilder:validation:XValidation:rule="self.contains('{slug}')",message="projectAPIURLTemplate must contain {slug}, where the project's slug goes"
	ProjectAPIURLTemplate string `json:"projectAPIURLTemplate,omitempty"`

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
// cluster-wide ProviderConfig authenticates with to the Ory console.
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

// ProjectCredentialKeys name the keys of a project credentials Secret. The
// defaults are the keys of the connection Secret a ProjectAPIKey writes
// (value, apiURL, projectID), so that a ProviderConfig can name that Secret
// as it is.
type ProjectCredentialKeys struct {
	// ValueKey is the key that holds the project API key (ory_pat_...).
	// +optional
	// +kubebuilder:default=value
	// +kubebuilder:validation:MinLength=1
	ValueKey string `json:"valueKey,omitempty"`

	// APIURLKey is the key that holds the URL of the project's own API
	// (https://<slug>.projects.oryapis.com, or a custom domain), where the
	// key is used.
	// +optional
	// +kubebuilder:default=apiURL
	// +kubebuilder:validation:MinLength=1
	APIURLKey string `json:"apiURLKey,omitempty"`

	// ProjectIDKey is the key that holds the project's UUID. The Secret
	// may leave it out; a value there must be a UUID.
	// +optional
	// +kubebuilder:default=projectID
	// +kubebuilder:validation:MinLength=1
	ProjectIDKey string `json:"projectIDKey,omitempty"`
}

// ProjectCredentials locate a project API key (ory_pat_...) and the URL of
// that project's own API, with which a cluster-wide ProviderConfig manages
// the kinds served by the project's API, such as OAuth2Client. Point them at
// the connection Secret of a ProjectAPIKey: the chain ProjectAPIKey -> its
// connection Secret -> this ProviderConfig -> the project's resources then
// needs no copy of the key, and the provider reads the Secret again when it
// changes, so a rotated key is used from the next reconcile on.
type ProjectCredentials struct {
	// ConnectionSecretRef names the Secret that holds the project API key
	// and the project API's URL, such as a ProjectAPIKey's connection
	// Secret.
	ConnectionSecretRef xpv2.SecretReference `json:"connectionSecretRef"`

	ProjectCredentialKeys `json:",inline"`
}

// LocalProjectCredentials are the ProjectCredentials of a namespaced
// ProviderConfig: like its workspace credentials, they can only name a
// Secret in the ProviderConfig's own namespace, such as the connection
// Secret of a ProjectAPIKey of that namespace.
type LocalProjectCredentials struct {
	// ConnectionSecretRef names the Secret, in this ProviderConfig's
	// namespace, that holds the project API key and the project API's URL,
	// such as a ProjectAPIKey's connection Secret.
	ConnectionSecretRef xpv2.LocalSecretReference `json:"connectionSecretRef"`

	ProjectCredentialKeys `json:",inline"`
}
