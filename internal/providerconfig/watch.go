package providerconfig

import (
	"context"
	"reflect"
	"slices"
	"sync"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kmeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// Why these watches: a key resource whose ProviderConfig or credentials
// Secret is wrong fails in Connect and is retried with crossplane-runtime's
// backoff (up to 60 s). A person who repairs the config should not wait that
// out, so a change of a ProviderConfig, or of the Secret its credentials
// name, requeues the keys that use it at once.
//
// Secrets are watched for their metadata only: the manager does not cache
// Secrets (their data would hold every Secret of the cluster in memory), and
// a metadata-only informer costs an ObjectMeta per Secret. Its events still
// carry every change, the data's too, as a new resourceVersion. Watching
// only the ProviderConfigs would not do: nothing changes on a
// ProviderConfig when its Secret is repaired.

// Field indexes, in the manager's cache.
const (
	// indexCredentialsSecret indexes the ProviderConfig kinds by the
	// Secrets their credentials name, as "namespace/name": the workspace
	// key's (when credentials.source is Secret) and the project
	// credentials'.
	indexCredentialsSecret = "ory.crossplane.io/credentials-secret"
	// indexProviderConfig indexes key resources by the ProviderConfig they
	// use, as "Kind/name": for a namespaced key, a ProviderConfig of its own
	// namespace or a ClusterProviderConfig; for a cluster-scoped key, a
	// cluster-scoped ProviderConfig.
	indexProviderConfig = "ory.crossplane.io/provider-config"
)

// A configKind is a ProviderConfig kind that a scope's key resources can use.
type configKind struct {
	// kind is the name a providerConfigRef gives it.
	kind   string
	object client.Object
	list   func() client.ObjectList
	// items returns the configs in a list made by list.
	items func(client.ObjectList) []client.Object
	// secrets returns the Secrets the config's credentials name: its
	// workspace key's and its project credentials'.
	secrets func(client.Object) []types.NamespacedName
	// namespaced: the config serves only keys of its own namespace.
	namespaced bool
}

// The ProviderConfig kinds a key resource of each scope can use, and how to
// list the keys of that scope.
var (
	namespacedConfigs = []configKind{
		{
			kind:   "ProviderConfig",
			object: &namespacedv1alpha1.ProviderConfig{},
			list:   func() client.ObjectList { return &namespacedv1alpha1.ProviderConfigList{} },
			items: func(l client.ObjectList) []client.Object {
				return itemsOf(l.(*namespacedv1alpha1.ProviderConfigList).Items)
			},
			secrets: func(o client.Object) []types.NamespacedName {
				pc, ok := o.(*namespacedv1alpha1.ProviderConfig)
				if !ok {
					return nil
				}
				return secretsOf(localCredentials(pc), localProjectCredentials(pc))
			},
			namespaced: true,
		},
		{
			kind:   "ClusterProviderConfig",
			object: &namespacedv1alpha1.ClusterProviderConfig{},
			list:   func() client.ObjectList { return &namespacedv1alpha1.ClusterProviderConfigList{} },
			items: func(l client.ObjectList) []client.Object {
				return itemsOf(l.(*namespacedv1alpha1.ClusterProviderConfigList).Items)
			},
			secrets: func(o client.Object) []types.NamespacedName {
				pc, ok := o.(*namespacedv1alpha1.ClusterProviderConfig)
				if !ok {
					return nil
				}
				return secretsOf(pc.Spec.Credentials, projectCredentials(pc.Spec.ProjectCredentials))
			},
		},
	}
	clusterConfigs = []configKind{
		{
			kind:   "ProviderConfig",
			object: &clusterv1alpha1.ProviderConfig{},
			list:   func() client.ObjectList { return &clusterv1alpha1.ProviderConfigList{} },
			items: func(l client.ObjectList) []client.Object {
				return itemsOf(l.(*clusterv1alpha1.ProviderConfigList).Items)
			},
			secrets: func(o client.Object) []types.NamespacedName {
				pc, ok := o.(*clusterv1alpha1.ProviderConfig)
				if !ok {
					return nil
				}
				return secretsOf(pc.Spec.Credentials, projectCredentials(pc.Spec.ProjectCredentials))
			},
		},
	}
)

// A configWatch maps changed ProviderConfigs and credentials Secrets to the
// key resources of one scope that use them.
type configWatch struct {
	kube    client.Reader // the manager's cache, with the indexes below
	configs []configKind
	keys    func() client.ObjectList
	// keyItems returns the keys in a list made by keys.
	keyItems func(client.ObjectList) []client.Object
}

// Watch indexes the ProviderConfig kinds and the managed resources of kind
// gvk (a key kind, a Project; "keys" below), and adds to b, the builder of
// that kind's controller, a watch of those configs and of the Secrets their
// credentials name that requeues the resources that use them. An index can
// be added to a kind only once per manager, and every managed kind of a
// scope shares its ProviderConfig kinds: indexOnce adds each once.
func Watch(mgr ctrl.Manager, b *builder.Builder, gvk schema.GroupVersionKind) error {
	w, key, err := newConfigWatch(mgr.GetCache(), mgr.GetScheme(), gvk)
	if err != nil {
		return err
	}
	ctx := context.Background()
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, key, indexProviderConfig, configOfKey); err != nil {
		return errors.Wrapf(err, "cannot index %s by ProviderConfig", gvk.Kind)
	}
	for _, c := range w.configs {
		if err := indexOnce(ctx, idx, c.object, indexCredentialsSecret, c.secretIndex); err != nil {
			return errors.Wrapf(err, "cannot index %s by credentials Secret", c.kind)
		}
		b.Watches(c.object, RequeueAtOnce(func(ctx context.Context, o client.Object) []reconcile.Request {
			return w.keysUsing(ctx, c, o)
		}), builder.WithPredicates(configChanged()))
	}
	secret := &metav1.PartialObjectMetadata{}
	secret.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	b.WatchesMetadata(secret, RequeueAtOnce(w.keysOfSecret), builder.WithPredicates(secretChanged()))
	return nil
}

// indexed remembers the indexes added, per field indexer (one per manager;
// held, so that a later manager's indexer cannot reuse its address), kind and
// field. Gated setups may run at the same time.
var indexed = struct {
	sync.Mutex
	done map[client.FieldIndexer]map[string]bool
}{done: map[client.FieldIndexer]map[string]bool{}}

// indexOnce adds an index to the field indexer unless one of that kind and
// field was added before.
func indexOnce(ctx context.Context, idx client.FieldIndexer, obj client.Object, field string, fn client.IndexerFunc) error {
	t := reflect.TypeOf(obj).Elem() // %T would name both scopes' ProviderConfig *v1alpha1.ProviderConfig
	k := t.PkgPath() + "." + t.Name() + " " + field
	indexed.Lock()
	defer indexed.Unlock()
	if indexed.done[idx][k] {
		return nil
	}
	if err := idx.IndexField(ctx, obj, field, fn); err != nil {
		return err
	}
	if indexed.done[idx] == nil {
		indexed.done[idx] = map[string]bool{}
	}
	indexed.done[idx][k] = true
	return nil
}

// newConfigWatch returns the watch of the scope whose keys are of kind gvk,
// reading from kube, which must hold the indexes, and an empty key of that
// kind. scheme must know gvk and its list.
func newConfigWatch(kube client.Reader, scheme *runtime.Scheme, gvk schema.GroupVersionKind) (*configWatch, client.Object, error) {
	w := &configWatch{kube: kube}
	o, err := scheme.New(gvk)
	if err != nil {
		return nil, nil, err
	}
	switch o.(type) {
	case resource.ModernManaged:
		w.configs = namespacedConfigs
	case resource.LegacyManaged:
		w.configs = clusterConfigs
	default:
		return nil, nil, errors.Errorf("no ProviderConfig watch for %s", gvk)
	}
	w.keys = func() client.ObjectList {
		l, _ := scheme.New(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		ol, _ := l.(client.ObjectList)
		return ol
	}
	w.keyItems = func(l client.ObjectList) []client.Object {
		items, _ := kmeta.ExtractList(l)
		out := make([]client.Object, 0, len(items))
		for _, it := range items {
			if co, ok := it.(client.Object); ok {
				out = append(out, co)
			}
		}
		return out
	}
	key, _ := o.(client.Object)
	return w, key, nil
}

// RequeueAtOnce enqueues the resources (keys, Projects) fn maps an event's
// object to, and forgets their backoff: the failures it counted may be the
// ones just repaired. Without that, the reconcile that follows a create (the runtime
// requeues at once after one, through the backoff) would wait for the
// backoff those failures built, up to a minute, before it finds the key
// Ready.
func RequeueAtOnce(fn func(context.Context, client.Object) []reconcile.Request) handler.EventHandler {
	enqueue := func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request], objs ...client.Object) {
		for _, o := range objs {
			for _, r := range fn(ctx, o) {
				q.Forget(r)
				q.Add(r)
			}
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e ctrlevent.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, e.Object)
		},
		UpdateFunc: func(ctx context.Context, e ctrlevent.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, e.ObjectOld, e.ObjectNew)
		},
		DeleteFunc: func(ctx context.Context, e ctrlevent.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, e.Object)
		},
	}
}

// keysOfSecret returns the keys whose ProviderConfig's credentials name the
// Secret s.
func (w *configWatch) keysOfSecret(ctx context.Context, s client.Object) []reconcile.Request {
	var out []reconcile.Request
	nn := types.NamespacedName{Namespace: s.GetNamespace(), Name: s.GetName()}.String()
	for _, c := range w.configs {
		l := c.list()
		if err := w.kube.List(ctx, l, client.MatchingFields{indexCredentialsSecret: nn}); err != nil {
			// Only a cache that is not synced yet fails here; the keys are
			// then retried with backoff as before.
			ctrl.LoggerFrom(ctx).Error(err, "cannot list ProviderConfigs by credentials Secret", "kind", c.kind, "secret", nn)
			continue
		}
		for _, pc := range c.items(l) {
			out = append(out, w.keysUsing(ctx, c, pc)...)
		}
	}
	return out
}

// keysUsing returns the keys that use the config pc of kind c.
func (w *configWatch) keysUsing(ctx context.Context, c configKind, pc client.Object) []reconcile.Request {
	opts := []client.ListOption{client.MatchingFields{indexProviderConfig: c.kind + "/" + pc.GetName()}}
	if c.namespaced {
		opts = append(opts, client.InNamespace(pc.GetNamespace()))
	}
	l := w.keys()
	if err := w.kube.List(ctx, l, opts...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "cannot list key resources by ProviderConfig", "kind", c.kind, "name", pc.GetName())
		return nil
	}
	keys := w.keyItems(l)
	out := make([]reconcile.Request, 0, len(keys))
	for _, k := range keys {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(k)})
	}
	return out
}

// configOfKey is the indexProviderConfig value of a key resource: the
// config its providerConfigRef names, or the default the CRD gives an empty
// one (ClusterProviderConfig default for a namespaced key, ProviderConfig
// default for a cluster-scoped one).
func configOfKey(o client.Object) []string {
	switch k := o.(type) {
	case resource.ModernManaged:
		ref := k.GetProviderConfigReference()
		if ref == nil || ref.Name == "" {
			return []string{"ClusterProviderConfig/default"}
		}
		return []string{ref.Kind + "/" + ref.Name}
	case resource.LegacyManaged:
		ref := k.GetProviderConfigReference()
		if ref == nil || ref.Name == "" {
			return []string{"ProviderConfig/default"}
		}
		return []string{"ProviderConfig/" + ref.Name}
	}
	return nil
}

// secretIndex is the indexCredentialsSecret value of a config of kind c.
func (c configKind) secretIndex(o client.Object) []string {
	var out []string
	for _, nn := range c.secrets(o) {
		out = append(out, nn.String())
	}
	return out
}

// secretsOf are the Secrets a config's credentials name: the workspace
// key's when its source is Secret, and the project credentials'. A config
// naming one Secret for both lists it once.
func secretsOf(c *common.Credentials, p *projectSource) []types.NamespacedName {
	var out []types.NamespacedName
	if c != nil && c.Source == xpv2.CredentialsSourceSecret && c.SecretRef != nil && c.SecretRef.Name != "" {
		out = append(out, types.NamespacedName{Namespace: c.SecretRef.Namespace, Name: c.SecretRef.Name})
	}
	if p != nil && p.secret.Name != "" && !slices.Contains(out, p.secret) {
		out = append(out, p.secret)
	}
	return out
}

// configChanged passes a ProviderConfig's creation, deletion and spec
// changes. Its status (the count of its users) and metadata change whenever
// a key starts or stops using it: requeueing the keys on those would loop.
func configChanged() predicate.Predicate {
	return predicate.GenerationChangedPredicate{}
}

// secretChanged passes a Secret's creation, deletion and any change (a new
// resourceVersion; the data is not in the metadata the watch holds), but
// not the informer's periodic resync, which repeats an unchanged Secret.
func secretChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e ctrlevent.UpdateEvent) bool {
			return e.ObjectOld != nil && e.ObjectNew != nil && e.ObjectOld.GetResourceVersion() != e.ObjectNew.GetResourceVersion()
		},
		GenericFunc: func(ctrlevent.GenericEvent) bool { return false },
	}
}

// itemsOf returns pointers to the items of a typed list.
func itemsOf[T any, PT interface {
	*T
	client.Object
}](items []T) []client.Object {
	out := make([]client.Object, 0, len(items))
	for i := range items {
		out = append(out, PT(&items[i]))
	}
	return out
}
