package providerconfig

import (
	"context"
	"sync"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// lastConfigs remembers, per ProviderConfig, what it last resolved to, so
// that a resource being deleted can still delete its key (or project) in Ory after its
// ProviderConfig or the credentials Secret are gone.
//
// That is the order a namespace deletion brings: the namespace controller
// deletes every object of the namespace at once. The ProviderConfig's
// finalizer holds it only while ProviderConfigUsages exist, and those have
// no finalizer, so they go at once and the config follows; the credentials
// Secret has no protection at all. The keys, held by their finalizers, are
// deleted after both. Memory is the one place left: it is lost when the
// provider restarts, so a resource whose ProviderConfig went while the
// provider was down stays, with its error, until a person acts (see the
// README's Resources section).
type lastConfigs struct {
	// secrets, when set, reads the credentials Secrets (again only when
	// they changed); nil reads them with Resolve at every call.
	secrets *Secrets
	// need, when set, refuses a resolved config that lacks what the
	// resources' kind needs (a workspace or a project API key).
	need func(*Config) error
	mu   sync.Mutex
	m    map[string]*Config // by configKey
}

func newLastConfigs() *lastConfigs {
	return &lastConfigs{m: map[string]*Config{}}
}

// resolve resolves mg's ProviderConfig and remembers the result. When that
// fails for a resource being deleted, it returns what the same
// ProviderConfig last resolved to, if anything.
func (l *lastConfigs) resolve(ctx context.Context, kube client.Client, mg resource.Managed) (*Config, error) {
	k, keyed := configKey(mg)
	var (
		cfg *Config
		err error
	)
	if l.secrets != nil {
		cfg, err = l.secrets.Resolve(ctx, mg)
	} else {
		cfg, err = Resolve(ctx, kube, mg)
	}
	if err == nil && l.need != nil {
		if err = l.need(cfg); err != nil {
			cfg = nil
		}
	}
	if !keyed {
		return cfg, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.m[k] = cfg
		return cfg, nil
	}
	if last, ok := l.m[k]; ok && meta.WasDeleted(mg) {
		return last, nil
	}
	return nil, err
}

// configKey names the ProviderConfig mg uses, as Resolve finds it.
func configKey(mg resource.Managed) (string, bool) {
	switch o := mg.(type) {
	case resource.ModernManaged:
		ref := o.GetProviderConfigReference()
		if ref == nil {
			return "", false
		}
		if ref.Kind == "ProviderConfig" {
			return "ProviderConfig " + o.GetNamespace() + "/" + ref.Name, true
		}
		return ref.Kind + " " + ref.Name, true
	case resource.LegacyManaged:
		ref := o.GetProviderConfigReference()
		if ref == nil {
			return "", false
		}
		return "legacy ProviderConfig " + ref.Name, true
	}
	return "", false
}

// usageUnneeded reports whether a failure to record mg's ProviderConfig
// usage may be ignored: for a resource being deleted in a namespace that is
// terminating, where no new object (the usage) can be created. The usage
// only keeps the ProviderConfig from being deleted while it is needed; a
// resource being deleted needs it only until its key is deleted, which
// lastConfigs covers.
func usageUnneeded(mg resource.Managed, err error) bool {
	return meta.WasDeleted(mg) && kerrors.HasStatusCause(err, corev1.NamespaceTerminatingCause)
}
