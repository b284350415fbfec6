package providerconfig

import (
	"context"
	"reflect"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// A Resolver resolves the ProviderConfigs of one managed kind's resources,
// of one scope, for its controller: it records each resource's usage of its
// ProviderConfig (so the config is not deleted while in use), then resolves
// the config and remembers the result (see lastConfigs). It is safe for
// concurrent use.
type Resolver struct {
	kube  client.Client
	usage resource.Tracker
	last  *lastConfigs
}

// needWorkspaceKey refuses a config without a workspace API key to a kind
// managed through the Ory console, named kind (ProjectAPIKey, say).
func needWorkspaceKey(kind string) func(*Config) error {
	return func(c *Config) error {
		if c.Token != "" {
			return nil
		}
		return errors.Errorf("%s has no spec.credentials: %ss are managed through the Ory console with a workspace API key (ory_wak_...); set spec.credentials to where one is (spec.projectCredentials serve only the kinds of a project's API, such as OAuth2Client)", c.Ref, kind)
	}
}

// needProjectKey refuses a config whose project credentials do not resolve
// (ProjectAPI) to a kind served by a project's own API.
func needProjectKey(c *Config) error {
	_, err := c.ProjectAPI()
	return err
}

// NewResolver returns the Resolver of the resources of the kind of mg (an
// empty object of the kind is enough): namespaced kinds (ory.m.crossplane.io)
// record their usage of a ProviderConfig or ClusterProviderConfig as a
// namespaced ProviderConfigUsage, cluster-scoped kinds (ory.crossplane.io)
// of a legacy ProviderConfig as a cluster-scoped one, the usage kinds the
// ProviderConfig controllers count. kube reads and writes both.
//
// A config without a workspace API key (spec.credentials) fails to resolve
// with an error that says to set one, unless UseProjectCredentials was
// called.
func NewResolver(kube client.Client, mg runtime.Object) (*Resolver, error) {
	r := &Resolver{kube: kube, last: newLastConfigs()}
	switch mg.(type) {
	case resource.ModernManaged:
		r.usage = trackerOf[resource.ModernManaged](resource.NewProviderConfigUsageTracker(kube, &namespacedv1alpha1.ProviderConfigUsage{}))
	case resource.LegacyManaged:
		r.usage = trackerOf[resource.LegacyManaged](resource.NewLegacyProviderConfigUsageTracker(kube, &clusterv1alpha1.ProviderConfigUsage{}))
	default:
		return nil, errors.Errorf("%T is not a managed resource kind", mg)
	}
	r.last.need = needWorkspaceKey(reflect.Indirect(reflect.ValueOf(mg)).Type().Name())
	return r, nil
}

// Resolve records that mg uses its ProviderConfig, then resolves that config
// and its credentials (Resolve). A resource being deleted whose config or
// credentials are gone gets what the config last resolved to, if this
// Resolver resolved it before.
func (r *Resolver) Resolve(ctx context.Context, mg resource.Managed) (*Config, error) {
	if err := r.usage.Track(ctx, mg); err != nil && !usageUnneeded(mg, err) {
		return nil, errors.Wrap(err, "cannot track ProviderConfig usage")
	}
	return r.last.resolve(ctx, r.kube, mg)
}

// ReadSecretsWhenChanged makes the Resolver read a credentials Secret from
// the API server again only when its resourceVersion in metadata (the
// manager's cache, with its metadata-only informer on Secrets) changed; see
// Secrets. Call it before the Resolver is used.
func (r *Resolver) ReadSecretsWhenChanged(metadata client.Reader) {
	r.last.secrets = &Secrets{Kube: r.kube, Metadata: metadata}
}

// UseProjectCredentials makes the Resolver resolve for a kind served by a
// project's own API, such as OAuth2Client: a config resolves when its
// spec.projectCredentials do (Config.ProjectAPI), with or without a
// workspace API key, and fails with their error otherwise (so that a
// resource being deleted falls back to what its config last resolved to).
// Call it before the Resolver is used.
func (r *Resolver) UseProjectCredentials() {
	r.last.need = needProjectKey
}

// trackerOf adapts a usage tracker of one scope's managed resources to the
// runtime's resource.Tracker.
func trackerOf[M resource.Managed](t interface {
	Track(context.Context, M) error
}) resource.Tracker {
	return resource.TrackerFn(func(ctx context.Context, mg resource.Managed) error {
		m, ok := mg.(M)
		if !ok {
			return errors.Errorf("%T is not a managed resource of this scope", mg)
		}
		return t.Track(ctx, m)
	})
}
