// Package providerconfig finds the ProviderConfig a managed resource names and
// reads what it says: the console settings, the workspace API key
// (spec.credentials) and the project credentials (spec.projectCredentials:
// a project API key and its project's API URL, see ProjectAPI). Every
// managed kind's controller uses it the same way: a Resolver records each
// resource's usage of its ProviderConfig before resolving it, and Watch
// requeues the resources whose ProviderConfig, or a Secret its credentials
// name, changes.
package providerconfig

import (
	"context"
	"strings"
	"sync"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// A Config is a resolved ProviderConfig.
type Config struct {
	// Ref names the ProviderConfig in messages, e.g. "ClusterProviderConfig default".
	Ref string
	common.ConsoleSettings
	// Token is the workspace API key, "" when the ProviderConfig has no
	// spec.credentials (a Resolver refuses such a config to the kinds that
	// need one). Never log it or put it in an error.
	Token string

	// project is what spec.projectCredentials resolved to, or projectErr
	// why they did not; both nil: the ProviderConfig has none.
	project    *ProjectAccess
	projectErr error
}

// Allows reports whether the config lets keys be managed in a project.
func (c *Config) Allows(projectID string) bool {
	if len(c.AllowedProjectIDs) == 0 {
		return true
	}
	for _, id := range c.AllowedProjectIDs {
		if strings.EqualFold(id, projectID) {
			return true
		}
	}
	return false
}

// CheckProject refuses a project that is not in the allowedProjectIDs of a
// config that lists them: an error that names the project and the config
// and says what to do, nil when the config allows the project.
func (c *Config) CheckProject(projectID string) error {
	if c.Allows(projectID) {
		return nil
	}
	return errors.Errorf("project %s is not in the allowedProjectIDs of %s: use an allowed project, or ask whoever manages that ProviderConfig to allow it", projectID, c.Ref)
}

// Resolve reads the ProviderConfig that mg references and its credentials. A
// namespaced resource's ProviderConfig is looked up in the resource's own
// namespace, and so is its credentials Secret, read from the API server at
// every call; a Resolver reads it only when it changed.
func Resolve(ctx context.Context, kube client.Client, mg resource.Managed) (*Config, error) {
	return (&Secrets{Kube: kube}).Resolve(ctx, mg)
}

// Secrets resolves ProviderConfigs like Resolve, and reads a credentials
// Secret from the API server again only when it changed: a poll of N
// resources then costs no Secret read instead of N. It is safe for
// concurrent use.
type Secrets struct {
	// Kube reads the ProviderConfigs (from the manager's cache) and the
	// credentials Secrets (from the API server: the manager does not cache
	// Secrets).
	Kube client.Client
	// Metadata, when set, holds the metadata of Secrets (the manager's cache,
	// which has a metadata-only informer on Secrets: see the engine's
	// watches). A credentials Secret whose resourceVersion there is the one
	// last read is not read again; any change to the Secret, its data too,
	// gives it a new resourceVersion, so a rotated key is used from the
	// first reconcile after the informer saw the change (milliseconds, and
	// that change also requeues the keys that use it). Nil: read every time.
	Metadata client.Reader

	mu   sync.Mutex
	read map[types.NamespacedName]readSecret
}

// readSecret is a credentials Secret as last read: its resourceVersion and
// its data. The data holds the workspace API key, as every Config does.
type readSecret struct {
	version string
	data    map[string][]byte
}

// Resolve reads the ProviderConfig that mg references and its credentials;
// see the package function Resolve.
func (r *Secrets) Resolve(ctx context.Context, mg resource.Managed) (*Config, error) {
	kube := r.Kube
	switch o := mg.(type) {
	case resource.ModernManaged:
		ref := o.GetProviderConfigReference()
		if ref == nil {
			return nil, errors.New("spec.providerConfigRef is not set: name a ProviderConfig or ClusterProviderConfig")
		}
		switch ref.Kind {
		case "ProviderConfig":
			pc := &namespacedv1alpha1.ProviderConfig{}
			id := "ProviderConfig " + o.GetNamespace() + "/" + ref.Name
			if err := get(ctx, kube, types.NamespacedName{Namespace: o.GetNamespace(), Name: ref.Name}, pc, id); err != nil {
				return nil, err
			}
			return r.config(ctx, id, pc.Spec.ConsoleSettings, localCredentials(pc), localProjectCredentials(pc))
		case "ClusterProviderConfig":
			pc := &namespacedv1alpha1.ClusterProviderConfig{}
			id := "ClusterProviderConfig " + ref.Name
			if err := get(ctx, kube, types.NamespacedName{Name: ref.Name}, pc, id); err != nil {
				return nil, err
			}
			return r.config(ctx, id, pc.Spec.ConsoleSettings, pc.Spec.Credentials, projectCredentials(pc.Spec.ProjectCredentials))
		default:
			return nil, errors.Errorf("spec.providerConfigRef.kind %q is not ProviderConfig or ClusterProviderConfig", ref.Kind)
		}
	case resource.LegacyManaged:
		ref := o.GetProviderConfigReference()
		if ref == nil {
			return nil, errors.New("spec.providerConfigRef is not set: name a ProviderConfig")
		}
		pc := &clusterv1alpha1.ProviderConfig{}
		id := "ProviderConfig " + ref.Name
		if err := get(ctx, kube, types.NamespacedName{Name: ref.Name}, pc, id); err != nil {
			return nil, err
		}
		return r.config(ctx, id, pc.Spec.ConsoleSettings, pc.Spec.Credentials, projectCredentials(pc.Spec.ProjectCredentials))
	}
	return nil, errors.Errorf("%T is neither a namespaced nor a cluster-scoped managed resource", mg)
}

// config resolves a ProviderConfig's credentials: the workspace API key c
// names (none when c is nil; an error when it cannot be read) and the
// project credentials p names (none when p is nil; their error, if any, is
// kept for ProjectAPI, so that a config's console kinds work while its
// project credentials do not, and the other way round).
func (r *Secrets) config(ctx context.Context, id string, s common.ConsoleSettings, c *common.Credentials, p *projectSource) (*Config, error) {
	cfg := &Config{Ref: id, ConsoleSettings: s}
	if c != nil {
		token, err := r.workspaceKey(ctx, id, *c)
		if err != nil {
			return nil, err
		}
		cfg.Token = token
	}
	if p != nil {
		cfg.project, cfg.projectErr = r.projectAccess(ctx, id, *p)
	}
	return cfg, nil
}

// localCredentials are a namespaced ProviderConfig's workspace credentials
// as a cluster-wide config's: a Secret of its own namespace, whatever its
// source says (the CRD allows only Secret).
func localCredentials(pc *namespacedv1alpha1.ProviderConfig) *common.Credentials {
	if pc.Spec.Credentials == nil {
		return nil
	}
	return &common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
		SecretRef: pc.Spec.Credentials.SecretRef.ToSecretKeySelector(pc.GetNamespace())}}
}

func get(ctx context.Context, kube client.Client, key types.NamespacedName, obj client.Object, id string) error {
	err := kube.Get(ctx, key, obj)
	if kerrors.IsNotFound(err) {
		return errors.Errorf("%s does not exist: create it, or point spec.providerConfigRef at one that does", id)
	}
	return errors.Wrapf(err, "cannot get %s", id)
}

// workspaceKey reads the workspace API key that c locates. Its messages
// name where, never the key.
func (r *Secrets) workspaceKey(ctx context.Context, id string, c common.Credentials) (string, error) {
	if c.Source == xpv2.CredentialsSourceSecret {
		if c.SecretRef == nil {
			return "", errors.Errorf("%s: credentials.secretRef is required when credentials.source is Secret", id)
		}
		return r.secretKey(ctx, c.SecretRef, id)
	}
	b, err := resource.CommonCredentialExtractor(ctx, c.Source, r.Kube, c.CommonCredentialSelectors)
	token := strings.TrimSpace(string(b))
	if err == nil && token == "" {
		err = errors.Errorf("%s: the workspace API key from credentials.source %s is empty", id, c.Source)
	}
	if err != nil {
		return "", errors.Wrapf(err, "%s: cannot read the workspace API key", id)
	}
	return token, nil
}

// secretKey reads the workspace API key from a Secret. Its messages name the
// Secret and the key, never the content.
func (r *Secrets) secretKey(ctx context.Context, sel *xpv2.SecretKeySelector, id string) (string, error) {
	data, err := r.secretData(ctx, types.NamespacedName{Namespace: sel.Namespace, Name: sel.Name})
	if kerrors.IsNotFound(err) {
		return "", errors.Errorf("%s: credentials Secret %s/%s does not exist: create it with the workspace API key under key %q", id, sel.Namespace, sel.Name, sel.Key)
	}
	if err != nil {
		return "", errors.Wrapf(err, "%s: cannot get credentials Secret %s/%s", id, sel.Namespace, sel.Name)
	}
	token := strings.TrimSpace(string(data[sel.Key]))
	if token == "" {
		return "", errors.Errorf("%s: credentials Secret %s/%s has no key %q (or it is empty): put the workspace API key there", id, sel.Namespace, sel.Name, sel.Key)
	}
	return token, nil
}

// secretData returns the data of Secret nn: as last read when Metadata shows
// the same resourceVersion, else read from the API server (and remembered).
// A Secret that Metadata does not hold is read too: it may be newer than the
// informer, and a missing one is reported by the API server.
func (r *Secrets) secretData(ctx context.Context, nn types.NamespacedName) (map[string][]byte, error) {
	if r.Metadata != nil {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		if err := r.Metadata.Get(ctx, nn, m); err == nil {
			r.mu.Lock()
			last, ok := r.read[nn]
			r.mu.Unlock()
			if ok && last.version == m.GetResourceVersion() {
				return last.data, nil
			}
		}
	}
	s := &corev1.Secret{}
	if err := r.Kube.Get(ctx, nn, s); err != nil {
		r.mu.Lock()
		delete(r.read, nn)
		r.mu.Unlock()
		return nil, err
	}
	if r.Metadata != nil {
		r.mu.Lock()
		if r.read == nil {
			r.read = map[types.NamespacedName]readSecret{}
		}
		r.read[nn] = readSecret{version: s.GetResourceVersion(), data: s.Data}
		r.mu.Unlock()
	}
	return s.Data, nil
}
