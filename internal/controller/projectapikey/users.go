package projectapikey

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// maxNamedUsers bounds how many users a message names.
const maxNamedUsers = 5

// Users names the OAuth2Client resources, of both scopes, that reach their
// project's API with the key a ProjectAPIKey keeps in its connection Secret
// secret: those managed through a ProviderConfig (of any kind) whose
// spec.projectCredentials name that Secret. It returns "" when there are none, else words for a
// condition: "OAuth2Client team-a/web, OAuth2Client team-a/api".
//
// The engine deletes a deleted ProjectAPIKey's key in Ory only once there
// are none. Deleted first, the key would leave those clients unable to
// reach Ory: a client being deleted could not delete its object there and
// would wait for ever, and a composition that deletes a key and the clients
// made with it at once (as garbage collection does) would leave clients in
// Ory. A client being deleted still counts: it needs the key until it is
// gone. A kind not installed (a package's safe-start has not activated it)
// has none.
func Users(ctx context.Context, kube client.Reader, secret types.NamespacedName) (string, error) {
	configs, err := configsNaming(ctx, kube, secret)
	if err != nil || configs.empty() {
		return "", err
	}
	var users []string
	ns := &namespacedv1alpha1.OAuth2ClientList{}
	if err := kube.List(ctx, ns); err != nil && !meta.IsNoMatchError(err) {
		return "", errors.Wrap(err, "cannot list the OAuth2Clients that may use the key")
	}
	for i := range ns.Items {
		c := &ns.Items[i]
		kind, name := "ClusterProviderConfig", "default"
		if r := c.GetProviderConfigReference(); r != nil {
			kind, name = r.Kind, r.Name
		}
		if (kind == "ProviderConfig" && c.Namespace == secret.Namespace && configs.local[name]) || (kind == "ClusterProviderConfig" && configs.cluster[name]) {
			users = append(users, "OAuth2Client "+c.Namespace+"/"+c.Name)
		}
	}
	cl := &clusterv1alpha1.OAuth2ClientList{}
	if err := kube.List(ctx, cl); err != nil && !meta.IsNoMatchError(err) {
		return "", errors.Wrap(err, "cannot list the OAuth2Clients that may use the key")
	}
	for i := range cl.Items {
		c := &cl.Items[i]
		name := "default"
		if r := c.GetProviderConfigReference(); r != nil {
			name = r.Name
		}
		if configs.legacy[name] {
			users = append(users, "OAuth2Client "+c.Name)
		}
	}
	return named(users), nil
}

// configNames are the ProviderConfigs whose projectCredentials name one
// Secret, by kind: namespaced ProviderConfigs of the Secret's namespace,
// ClusterProviderConfigs, and cluster-scoped ProviderConfigs.
type configNames struct {
	local, cluster, legacy map[string]bool
}

func (c configNames) empty() bool { return len(c.local)+len(c.cluster)+len(c.legacy) == 0 }

// configsNaming returns the ProviderConfigs whose projectCredentials name
// Secret s.
func configsNaming(ctx context.Context, kube client.Reader, s types.NamespacedName) (configNames, error) {
	out := configNames{local: map[string]bool{}, cluster: map[string]bool{}, legacy: map[string]bool{}}
	const msg = "cannot list the ProviderConfigs that may use the key"
	local := &namespacedv1alpha1.ProviderConfigList{}
	if err := kube.List(ctx, local, client.InNamespace(s.Namespace)); err != nil && !meta.IsNoMatchError(err) {
		return out, errors.Wrap(err, msg)
	}
	for _, pc := range local.Items {
		if p := pc.Spec.ProjectCredentials; p != nil && p.ConnectionSecretRef.Name == s.Name {
			out.local[pc.Name] = true
		}
	}
	cluster := &namespacedv1alpha1.ClusterProviderConfigList{}
	if err := kube.List(ctx, cluster); err != nil && !meta.IsNoMatchError(err) {
		return out, errors.Wrap(err, msg)
	}
	for _, pc := range cluster.Items {
		if p := pc.Spec.ProjectCredentials; p != nil && p.ConnectionSecretRef.Namespace == s.Namespace && p.ConnectionSecretRef.Name == s.Name {
			out.cluster[pc.Name] = true
		}
	}
	legacy := &clusterv1alpha1.ProviderConfigList{}
	if err := kube.List(ctx, legacy); err != nil && !meta.IsNoMatchError(err) {
		return out, errors.Wrap(err, msg)
	}
	for _, pc := range legacy.Items {
		if p := pc.Spec.ProjectCredentials; p != nil && p.ConnectionSecretRef.Namespace == s.Namespace && p.ConnectionSecretRef.Name == s.Name {
			out.legacy[pc.Name] = true
		}
	}
	return out, nil
}

// named joins users, sorted, naming at most maxNamedUsers.
func named(users []string) string {
	if len(users) == 0 {
		return ""
	}
	slices.Sort(users)
	more := ""
	if n := len(users) - maxNamedUsers; n > 0 {
		users, more = users[:maxNamedUsers], fmt.Sprintf(" and %d more", n)
	}
	return strings.Join(users, ", ") + more
}
