package project

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// maxNamedKeys bounds how many key resources a message names.
const maxNamedKeys = 5

// reasonWaitingForKeys is the event of a purge that waits for the key
// resources still naming the project.
const reasonWaitingForKeys event.Reason = "WaitingForKeys"

// keysInProject returns the ProjectAPIKey resources, of both scopes, whose
// spec or status names project id, as "namespace/name" (or "name" for a
// cluster-scoped one), sorted. A scope whose kind is not installed (a
// package's safe-start has not activated it) has none.
//
// The Project is purged only when there are none: Ory answers 403 for the
// keys of a purged project, which does not prove the project gone (Ory
// answers the same for a project this workspace key may not see), so a key
// resource whose project went first would wait until a person let it go.
// Deleting the keys first deletes each key in Ory while its project still
// answers; a composition that deletes both at once needs no Usage for it.
// The last of them going requeues the Project at once (keywatch.go).
func keysInProject(ctx context.Context, kube client.Reader, id string) ([]string, error) {
	var out []string
	ns := &namespacedv1alpha1.ProjectAPIKeyList{}
	if err := kube.List(ctx, ns); err != nil && !meta.IsNoMatchError(err) {
		return nil, errors.Wrap(err, "cannot list the ProjectAPIKeys that may use the project")
	}
	for i := range ns.Items {
		if k := &ns.Items[i]; slices.Contains(keyProjectIDs(k), strings.ToLower(id)) {
			out = append(out, k.Namespace+"/"+k.Name)
		}
	}
	cl := &clusterv1alpha1.ProjectAPIKeyList{}
	if err := kube.List(ctx, cl); err != nil && !meta.IsNoMatchError(err) {
		return nil, errors.Wrap(err, "cannot list the ProjectAPIKeys that may use the project")
	}
	for i := range cl.Items {
		if k := &cl.Items[i]; slices.Contains(keyProjectIDs(k), strings.ToLower(id)) {
			out = append(out, k.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// keysFirst returns why project id is not purged yet while keys (from
// keysInProject) still name it, in words that say how to go on, or "" when
// none do.
func keysFirst(id string, keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	named := keys
	if len(named) > maxNamedKeys {
		named = named[:maxNamedKeys]
	}
	more := ""
	if n := len(keys) - len(named); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return fmt.Sprintf("project %s is purged once no ProjectAPIKey resource names it; %d still do (%s%s): "+
		"delete them (or what composed them), so that each deletes its key in Ory while the project still answers", id, len(keys), strings.Join(named, ", "), more)
}
