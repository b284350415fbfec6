package config

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/controller/oauth2client"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// OAuth2Client is an OAuth 2.0 client of an Ory Network project, on the
// project's own API (/admin/clients), managed with the project API key of
// the ProviderConfig's spec.projectCredentials. Its secret, like a key's
// value, is returned once; unlike a key, Ory changes a client in place and
// rotates its secret natively (config.InPlaceAPI), keeping the old secret
// valid until the overlap ends.
var OAuth2Client = Kind{
	Name:   "OAuth2Client",
	Scopes: []schema.GroupVersionKind{namespacedv1alpha1.OAuth2ClientGroupVersionKind, clusterv1alpha1.OAuth2ClientGroupVersionKind},
	Parent: Parent{
		Noun:  "project",
		Field: "projectID",
		Default: func(c *providerconfig.Config) string {
			if p, err := c.ProjectAPI(); err == nil {
				return p.ProjectID
			}
			return ""
		},
		Allowed: func(c *providerconfig.Config, project string) error {
			p, err := c.ProjectAPI()
			if err != nil {
				return err
			}
			if p.ProjectID != "" && !strings.EqualFold(p.ProjectID, project) {
				return errors.Errorf("spec.forProvider.projectID is %s, but the project API key of %s (%s) belongs to project %s: use a ProviderConfig whose projectCredentials are a key of project %s", project, c.Ref, p.Ref, p.ProjectID, project)
			}
			return c.CheckProject(project)
		},
	},
	ConnectionKeys:     []string{common.ConnectionKeyClientSecret, common.ConnectionKeyClientID, common.ConnectionKeyProjectID, common.ConnectionKeyIssuerURL, common.ConnectionKeyTokenURL, common.ConnectionKeyAuthorizationURL},
	Secret:             "OAuth2 client's secret",
	ProjectCredentials: true,
	InPlace:            true,
	ValueKey:           common.ConnectionKeyClientSecret,
	IDKey:              common.ConnectionKeyClientID,
	Keys: func(a Access) (KeyAPI, error) {
		p, err := a.Config.ProjectAPI()
		if err != nil {
			return nil, err
		}
		cr, ok := a.Resource.(oauth2client.Resource)
		if !ok {
			return nil, errors.Errorf("%T is not an OAuth2Client", a.Resource)
		}
		return oauth2client.New(a.Views.ProjectAPI(p.APIURL, string(p.Token), a.Config.RateLimit), p.ProjectID, cr), nil
	},
	Details: func(_ context.Context, _ *keyview.Connection, cfg *providerconfig.Config, _ string) map[string][]byte {
		p, err := cfg.ProjectAPI()
		if err != nil {
			return nil
		}
		return oauth2client.Details(p.APIURL)
	},
}
