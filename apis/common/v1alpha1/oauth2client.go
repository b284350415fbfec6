package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OAuth2ClientParameters are the settable fields of an OAuth 2.0 client of
// an Ory Network project (the project API's /admin/clients; Ory's
// OAuth2Client model in github.com/ory/client-go, whose JSON names are the
// snake_case of these). Every field but projectID is changed in place: a
// drift is corrected by updating the client, never by replacing it. Ory's
// defaults are those of its client model and of Ory Hydra, which serves the
// project API's OAuth2 endpoints.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.projectID) || (has(self.projectID) && self.projectID == oldSelf.projectID)",message="spec.forProvider.projectID cannot be changed once set: a client cannot move between projects; create a new OAuth2Client instead"
// +kubebuilder:validation:XValidation:rule="!has(self.rotation) || !has(self.rotation.renewBefore)",message="spec.forProvider.rotation.renewBefore does not apply to an OAuth2Client: a client secret never expires; rotation.lifetime says how long after it was issued the secret is rotated"
// +kubebuilder:validation:XValidation:rule="!has(self.importSecretFrom) || (has(self.importSecretFrom.acceptUnchecked) && self.importSecretFrom.acceptUnchecked)",message="spec.forProvider.importSecretFrom.acceptUnchecked must be true: Ory keeps only a hash of a client secret and its API offers no way to check a value against it, so the provider can only publish the imported secret unchecked"
// +kubebuilder:validation:XValidation:rule="!has(self.tokenEndpointAuthMethod) || self.tokenEndpointAuthMethod != 'none' || (!has(self.rotation) && !has(self.importSecretFrom))",message="a public client (tokenEndpointAuthMethod none) has no secret: leave spec.forProvider.rotation and spec.forProvider.importSecretFrom out"
// +kubebuilder:validation:XValidation:rule="!has(self.tokenEndpointAuthMethod) || self.tokenEndpointAuthMethod != 'private_key_jwt' || !has(self.rotation)",message="a private_key_jwt client authenticates with its keys, not a secret, and Ory rotates only client_secret_basic and client_secret_post secrets: leave spec.forProvider.rotation out"
// +kubebuilder:validation:XValidation:rule="!has(self.tokenEndpointAuthMethod) || self.tokenEndpointAuthMethod != 'private_key_jwt' || has(self.jwksURI)",message="tokenEndpointAuthMethod private_key_jwt needs spec.forProvider.jwksURI: Ory checks the client's signed assertions against the keys published there, and refuses such a client without it"
type OAuth2ClientParameters struct {
	// ProjectID is the UUID of the Ory Network project whose API holds the
	// client. Leave it out to use the project of the ProviderConfig's project
	// credentials; the provider then records that project here. It cannot
	// be changed once set.
	// +optional
	// +kubebuilder:validation:Format=uuid
	ProjectID string `json:"projectID,omitempty"`

	// ClientName is the client's human-readable name, shown to end users
	// when they authorise it (Ory's client_name). Ory allows clients
	// without a name, but the provider requires one: when the answer to a
	// create is lost, it finds the client it made by this name. Renaming
	// updates the client in place.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	ClientName string `json:"clientName"`

	// GrantTypes are the OAuth 2.0 grant types the client may use:
	// authorization_code, implicit (deprecated), client_credentials,
	// refresh_token, urn:ietf:params:oauth:grant-type:jwt-bearer (token
	// exchange) and urn:ietf:params:oauth:grant-type:device_code. Left out,
	// Ory allows authorization_code only.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=6
	// +kubebuilder:validation:items:Enum=authorization_code;implicit;client_credentials;refresh_token;"urn:ietf:params:oauth:grant-type:jwt-bearer";"urn:ietf:params:oauth:grant-type:device_code"
	GrantTypes []string `json:"grantTypes,omitempty"`

	// ResponseTypes are the response types the client may ask for at the
	// authorisation endpoint, each one of code, token and id_token or a
	// space-separated combination of them ("code id_token"; Ory does not
	// recommend the combinations, nor token or id_token alone). Left out,
	// Ory allows code only.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:Pattern=`^(code|token|id_token)( (code|token|id_token)){0,2}$`
	ResponseTypes []string `json:"responseTypes,omitempty"`

	// RedirectURIs are the URLs Ory may send the end user back to after
	// authorisation. Each must be an absolute URI without a fragment (#):
	// Ory refuses others. Custom schemes (com.example.app:/callback) are
	// allowed for native apps.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=2048
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z][A-Za-z0-9+.-]*:[^#\s]+$`
	RedirectURIs []string `json:"redirectURIs,omitempty"`

	// PostLogoutRedirectURIs are the URLs Ory may send the end user to after
	// logout (OpenID Connect RP-initiated logout). Ory requires each to have
	// the scheme, host and port of one of redirectURIs, and refuses the
	// client otherwise (the resource then reports Ory's message). That
	// check is left to Ory: as a CEL rule it costs more than the API server
	// allows a schema.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=2048
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z][A-Za-z0-9+.-]*:[^#\s]+$`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectURIs,omitempty"`

	// Scope is the space-separated list of scopes the client may request
	// (RFC 6749 section 3.3), for example "openid offline_access
	// orders.read". Left out, Ory gives the project's default client scope
	// (Ory Hydra's is "offline_access offline openid").
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:Pattern=`^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$`
	Scope string `json:"scope,omitempty"`

	// Audience lists the audiences the client may request tokens for,
	// typically the URLs of the APIs the tokens are meant for. Ory forbids
	// whitespace in them.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=2048
	// +kubebuilder:validation:items:Pattern=`^\S+$`
	Audience []string `json:"audience,omitempty"`

	// TokenEndpointAuthMethod is how the client authenticates at the token
	// endpoint: client_secret_basic (Ory's default: client ID and secret in
	// the Authorization header), client_secret_post (in the request body),
	// private_key_jwt (a JWT signed with a key published at jwksURI) or none
	// (a public client, such as a native or single-page app, which has no
	// secret).
	// +optional
	// +kubebuilder:validation:Enum=client_secret_basic;client_secret_post;private_key_jwt;none
	TokenEndpointAuthMethod string `json:"tokenEndpointAuthMethod,omitempty"`

	// AllowedCORSOrigins are origins (scheme://host[:port], http or https,
	// no path, not even a trailing slash, which Ory would strip and the
	// provider then see as drift) allowed to make CORS requests to Ory's
	// token endpoint for this client, added to the project's own CORS
	// origins.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=512
	// +kubebuilder:validation:items:Pattern=`^https?://[^/?#@\s]+$`
	AllowedCORSOrigins []string `json:"allowedCORSOrigins,omitempty"`

	// SkipConsent skips the consent screen for this client: use it for
	// first-party apps only. Ory's default is false.
	// +optional
	SkipConsent *bool `json:"skipConsent,omitempty"`

	// SkipLogoutConsent skips the logout consent screen for this client.
	// Ory's default is false.
	// +optional
	SkipLogoutConsent *bool `json:"skipLogoutConsent,omitempty"`

	// Metadata is any JSON object Ory keeps with the client for your own
	// use; Ory does not read it. It is not secret: do not put secrets here.
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Metadata *apiextensionsv1.JSON `json:"metadata,omitempty"`

	// ClientURI is the URL of a web page about the client, which Ory's
	// login and consent screens may show as a link.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://\S+$`
	ClientURI string `json:"clientURI,omitempty"`

	// LogoURI is the URL of the client's logo.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://\S+$`
	LogoURI string `json:"logoURI,omitempty"`

	// PolicyURI is the URL of the client's privacy policy.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://\S+$`
	PolicyURI string `json:"policyURI,omitempty"`

	// TosURI is the URL of the client's terms of service.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://\S+$`
	TosURI string `json:"tosURI,omitempty"`

	// Contacts are ways to reach the people responsible for the client,
	// typically email addresses.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=320
	Contacts []string `json:"contacts,omitempty"`

	// JWKSURI is the URL of the client's JSON Web Key Set: the public keys
	// Ory checks the client's signed assertions with. Required with
	// tokenEndpointAuthMethod private_key_jwt.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://\S+$`
	JWKSURI string `json:"jwksURI,omitempty"`

	// AccessTokenStrategy is the format of the access tokens Ory issues to
	// this client: opaque or jwt. Left out, the project's setting
	// (strategies.access_token; opaque unless changed) applies. Ory
	// advises against jwt.
	// +optional
	// +kubebuilder:validation:Enum=jwt;opaque
	AccessTokenStrategy string `json:"accessTokenStrategy,omitempty"`

	// Lifespans override, for this client, how long the tokens Ory issues
	// stay valid, per grant and token type. Left out, the project's
	// settings apply.
	// +optional
	Lifespans *OAuth2ClientLifespans `json:"lifespans,omitempty"`

	// Rotation rotates the client's secret with Ory's rotate endpoint: Ory
	// issues a new secret and keeps accepting the old one, the provider
	// stores the new one in the connection Secret, and after overlap it has
	// Ory drop the old one. lifetime is how long after it was issued a
	// secret is rotated (client secrets never expire by themselves, so
	// renewBefore does not apply); trigger rotates once, now. A public
	// client has no secret to rotate.
	// +optional
	Rotation *Rotation `json:"rotation,omitempty"`

	// ImportSecretFrom names a Secret key holding the secret of an imported
	// client, one made outside this resource (its client ID in the
	// crossplane.io/external-name annotation). Ory keeps only a hash of the
	// secret and cannot check a value against it, so acceptUnchecked must be
	// true: the provider publishes the value as it is. A namespaced client
	// can only name a Secret of its own namespace.
	// +optional
	ImportSecretFrom *ValueSource `json:"importSecretFrom,omitempty"`
}

// OAuth2ClientLifespans are how long the tokens Ory issues to one client
// stay valid, one per grant and token type (Ory's *_lifespan client fields
// and its setOAuth2ClientLifespans endpoint). Each is a Go duration such as
// 1h or 30m, with Ory's pattern for them (which, unlike a rotation's, admits
// µs: Ory reports durations as Go prints them, and the status holds what Ory
// reports); one left out takes the project's setting.
type OAuth2ClientLifespans struct {
	// AuthorizationCodeGrantAccessTokenLifespan is the access token's
	// lifespan in the authorization code grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	AuthorizationCodeGrantAccessTokenLifespan *Duration `json:"authorizationCodeGrantAccessTokenLifespan,omitempty"`
	// AuthorizationCodeGrantIDTokenLifespan is the ID token's lifespan in
	// the authorization code grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	AuthorizationCodeGrantIDTokenLifespan *Duration `json:"authorizationCodeGrantIDTokenLifespan,omitempty"`
	// AuthorizationCodeGrantRefreshTokenLifespan is the refresh token's
	// lifespan in the authorization code grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	AuthorizationCodeGrantRefreshTokenLifespan *Duration `json:"authorizationCodeGrantRefreshTokenLifespan,omitempty"`
	// ClientCredentialsGrantAccessTokenLifespan is the access token's
	// lifespan in the client credentials grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	ClientCredentialsGrantAccessTokenLifespan *Duration `json:"clientCredentialsGrantAccessTokenLifespan,omitempty"`
	// DeviceAuthorizationGrantAccessTokenLifespan is the access token's
	// lifespan in the device authorization grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	DeviceAuthorizationGrantAccessTokenLifespan *Duration `json:"deviceAuthorizationGrantAccessTokenLifespan,omitempty"`
	// DeviceAuthorizationGrantIDTokenLifespan is the ID token's lifespan in
	// the device authorization grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	DeviceAuthorizationGrantIDTokenLifespan *Duration `json:"deviceAuthorizationGrantIDTokenLifespan,omitempty"`
	// DeviceAuthorizationGrantRefreshTokenLifespan is the refresh token's
	// lifespan in the device authorization grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	DeviceAuthorizationGrantRefreshTokenLifespan *Duration `json:"deviceAuthorizationGrantRefreshTokenLifespan,omitempty"`
	// ImplicitGrantAccessTokenLifespan is the access token's lifespan in
	// the implicit grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	ImplicitGrantAccessTokenLifespan *Duration `json:"implicitGrantAccessTokenLifespan,omitempty"`
	// ImplicitGrantIDTokenLifespan is the ID token's lifespan in the
	// implicit grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	ImplicitGrantIDTokenLifespan *Duration `json:"implicitGrantIDTokenLifespan,omitempty"`
	// JWTBearerGrantAccessTokenLifespan is the access token's lifespan in
	// the JWT bearer grant (urn:ietf:params:oauth:grant-type:jwt-bearer).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	JWTBearerGrantAccessTokenLifespan *Duration `json:"jwtBearerGrantAccessTokenLifespan,omitempty"`
	// RefreshTokenGrantAccessTokenLifespan is the access token's lifespan
	// in the refresh token grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	RefreshTokenGrantAccessTokenLifespan *Duration `json:"refreshTokenGrantAccessTokenLifespan,omitempty"`
	// RefreshTokenGrantIDTokenLifespan is the ID token's lifespan in the
	// refresh token grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	RefreshTokenGrantIDTokenLifespan *Duration `json:"refreshTokenGrantIDTokenLifespan,omitempty"`
	// RefreshTokenGrantRefreshTokenLifespan is the refresh token's lifespan
	// in the refresh token grant.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	RefreshTokenGrantRefreshTokenLifespan *Duration `json:"refreshTokenGrantRefreshTokenLifespan,omitempty"`
}

// OAuth2ClientObservation is an OAuth 2.0 client as Ory reports it. The
// client secret is never part of it: it is only in the connection Secret.
type OAuth2ClientObservation struct {
	// KeyObservation holds the client ID (id), when Ory created the client
	// (createdAt), and when the provider will rotate its secret (renewAt).
	KeyObservation `json:",inline"`

	// ProjectID of the project whose API holds the client.
	ProjectID string `json:"projectID,omitempty"`

	// ClientName is the client's name.
	ClientName string `json:"clientName,omitempty"`

	// UpdatedAt is when Ory last changed the client.
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`

	// GrantTypes the client may use.
	GrantTypes []string `json:"grantTypes,omitempty"`

	// ResponseTypes the client may ask for.
	ResponseTypes []string `json:"responseTypes,omitempty"`

	// RedirectURIs Ory may send the end user back to.
	RedirectURIs []string `json:"redirectURIs,omitempty"`

	// PostLogoutRedirectURIs Ory may send the end user to after logout.
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectURIs,omitempty"`

	// Scope the client may request, space separated.
	Scope string `json:"scope,omitempty"`

	// Audience the client may request tokens for.
	Audience []string `json:"audience,omitempty"`

	// TokenEndpointAuthMethod is how the client authenticates; none for a
	// public client, which has no secret.
	TokenEndpointAuthMethod string `json:"tokenEndpointAuthMethod,omitempty"`

	// AllowedCORSOrigins of the client.
	AllowedCORSOrigins []string `json:"allowedCORSOrigins,omitempty"`

	// SkipConsent reports whether the consent screen is skipped.
	SkipConsent *bool `json:"skipConsent,omitempty"`

	// SkipLogoutConsent reports whether the logout consent screen is
	// skipped.
	SkipLogoutConsent *bool `json:"skipLogoutConsent,omitempty"`

	// AccessTokenStrategy of the client; empty when the project's applies.
	AccessTokenStrategy string `json:"accessTokenStrategy,omitempty"`

	// JWKSURI of the client.
	JWKSURI string `json:"jwksURI,omitempty"`

	// Lifespans Ory reports for the client's tokens.
	Lifespans *OAuth2ClientLifespans `json:"lifespans,omitempty"`
}
