package providerconfig

import (
	"context"
	"net/url"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/google/uuid"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// workspaceKeyPrefix starts every Ory workspace API key; a project API key
// starts with ory_pat_.
const workspaceKeyPrefix = "ory_wak_"

// A ProjectAccess is what a ProviderConfig's spec.projectCredentials resolve
// to: a project API key and the project's own API it is for, read from the
// Secret they name (usually a ProjectAPIKey's connection Secret).
type ProjectAccess struct {
	// Ref names the Secret in messages, e.g. "Secret team-a/shop-api-key".
	Ref string
	// Token is the project API key (ory_pat_...). It prints redacted; never
	// log it or put it in an error.
	Token console.Value
	// APIURL is the project's own API, an http(s) URL without a trailing
	// slash: https://<slug>.projects.oryapis.com, a custom domain, or a
	// simulator's.
	APIURL string
	// ProjectID is the project's UUID, "" when the Secret does not say.
	ProjectID string
}

// ProjectAPI returns the project credentials of the ProviderConfig, for the
// kinds served by a project's own API (OAuth2Client). The error says what to
// fix, and never holds the Secret's content: the config has no
// spec.projectCredentials; their Secret does not exist; its value is empty
// or a workspace API key; its apiURL is missing or not an http(s) URL; its
// projectID is not a UUID.
func (c *Config) ProjectAPI() (*ProjectAccess, error) {
	switch {
	case c.projectErr != nil:
		return nil, c.projectErr
	case c.project == nil:
		return nil, errors.Errorf("%s has no spec.projectCredentials: kinds served by a project's API, such as OAuth2Client, are managed with a project API key (ory_pat_...); point spec.projectCredentials at a ProjectAPIKey's connection Secret", c.Ref)
	}
	p := *c.project
	return &p, nil
}

// A projectSource is where a ProviderConfig's spec.projectCredentials say
// the project credentials are: a Secret and its keys.
type projectSource struct {
	secret types.NamespacedName
	keys   common.ProjectCredentialKeys
}

// projectCredentials is the projectSource of a cluster-wide config's
// spec.projectCredentials, nil when it has none.
func projectCredentials(p *common.ProjectCredentials) *projectSource {
	if p == nil {
		return nil
	}
	return &projectSource{secret: types.NamespacedName{Namespace: p.ConnectionSecretRef.Namespace, Name: p.ConnectionSecretRef.Name}, keys: p.ProjectCredentialKeys}
}

// localProjectCredentials is the projectSource of a namespaced
// ProviderConfig: a Secret of its own namespace.
func localProjectCredentials(pc *namespacedv1alpha1.ProviderConfig) *projectSource {
	p := pc.Spec.ProjectCredentials
	if p == nil {
		return nil
	}
	return &projectSource{secret: types.NamespacedName{Namespace: pc.GetNamespace(), Name: p.ConnectionSecretRef.Name}, keys: p.ProjectCredentialKeys}
}

// withDefaults fills the keys the API server would have defaulted (an
// object made in Go skips defaulting): a ProjectAPIKey's connection Secret
// keys.
func withDefaults(k common.ProjectCredentialKeys) common.ProjectCredentialKeys {
	if k.ValueKey == "" {
		k.ValueKey = common.ConnectionKeyValue
	}
	if k.APIURLKey == "" {
		k.APIURLKey = common.ConnectionKeyAPIURL
	}
	if k.ProjectIDKey == "" {
		k.ProjectIDKey = common.ConnectionKeyProjectID
	}
	return k
}

// projectAccess reads the project credentials from their Secret, through
// the same resourceVersion memo as the workspace key (secretData): a
// rotated key is read at the first resolve after its Secret changed. Its
// messages name the config, the Secret and the key, never a value read.
func (r *Secrets) projectAccess(ctx context.Context, id string, p projectSource) (*ProjectAccess, error) {
	k := withDefaults(p.keys)
	at := "project credentials Secret " + p.secret.String()
	data, err := r.secretData(ctx, p.secret)
	if kerrors.IsNotFound(err) {
		return nil, errors.Errorf("%s: %s does not exist: point spec.projectCredentials.connectionSecretRef at a ProjectAPIKey's connection Secret (written once that key is created), or create the Secret with a project API key under key %q and the project's API URL under key %q", id, at, k.ValueKey, k.APIURLKey)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "%s: cannot get %s", id, at)
	}
	value := strings.TrimSpace(string(data[k.ValueKey]))
	apiURL := strings.TrimSpace(string(data[k.APIURLKey]))
	projectID := strings.TrimSpace(string(data[k.ProjectIDKey]))
	switch {
	case value == "":
		return nil, errors.Errorf("%s: %s has no key %q (or it is empty): put a project API key (ory_pat_...) there, or name the key that holds one in spec.projectCredentials.valueKey", id, at, k.ValueKey)
	case strings.HasPrefix(value, workspaceKeyPrefix):
		return nil, errors.Errorf("%s: key %q of %s holds a workspace API key; kinds on the project API need a project API key (ory_pat_...): point spec.projectCredentials at a ProjectAPIKey's connection Secret, and a workspace key at spec.credentials", id, k.ValueKey, at)
	case apiURL == "":
		return nil, errors.Errorf("%s: %s has no key %q (or it is empty): put the project's API URL there (https://<slug>.projects.oryapis.com), or name the key that holds it in spec.projectCredentials.apiURLKey", id, at, k.APIURLKey)
	case !isHTTPURL(apiURL):
		// Not quoted: the key may be the wrong one and hold a secret.
		return nil, errors.Errorf("%s: key %q of %s is not an http(s) URL: put the project's API URL there (https://<slug>.projects.oryapis.com)", id, k.APIURLKey, at)
	case projectID != "" && !isUUID(projectID):
		return nil, errors.Errorf("%s: key %q of %s is not a project UUID: put the project's ID there, or leave the key out", id, k.ProjectIDKey, at)
	}
	return &ProjectAccess{Ref: "Secret " + p.secret.String(), Token: console.Value(value), APIURL: strings.TrimRight(apiURL, "/"), ProjectID: projectID}, nil
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\r\n")
}

// isUUID reports whether s is a UUID in its canonical 36-character form, the
// form Ory gives project IDs in.
func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// WithProject returns a copy of c whose project credentials resolve to p:
// for callers that read credentials themselves, such as tests of the kinds
// on a project's API.
func (c *Config) WithProject(p *ProjectAccess) *Config {
	out := *c
	out.project = p
	return &out
}
