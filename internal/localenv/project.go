package localenv

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// ProjectKind is the kind of the Project resources, in both scopes.
const ProjectKind = "Project"

// IsProject reports whether u is a Project of provider-ory (either scope).
func IsProject(u *unstructured.Unstructured) bool {
	switch u.GroupVersionKind().GroupKind() {
	case namespacedv1alpha1.ProjectGroupVersionKind.GroupKind(), clusterv1alpha1.ProjectGroupVersionKind.GroupKind():
		return true
	}
	return false
}

// ProjectStatus is a Project resource of either scope as the API server has
// it. A Project's connection Secret holds nothing secret, so none is read.
type ProjectStatus struct {
	// Cluster is true for the cluster-scoped Project (ory.crossplane.io).
	Cluster bool
	// Namespace is empty for the cluster-scoped Project.
	Namespace, Name string
	Ready, Synced   xpv2.Condition
	// ExternalName is the crossplane.io/external-name annotation: the
	// project's UUID once the provider made or imported it.
	ExternalName string
	// SpecName is spec.forProvider.name, the name the project must have in
	// Ory.
	SpecName string
	// Import is true when managementPolicies are exactly [Observe].
	Import bool
	// AtProvider is status.atProvider: the project as the provider last
	// read it from Ory.
	AtProvider common.ProjectObservation
	// Deleting is true once the resource has a deletion timestamp.
	Deleting bool
}

// ID names the resource like kubectl does: namespace/name, or the name alone
// for the cluster-scoped Project.
func (p ProjectStatus) ID() string {
	if p.Cluster {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// project is a Project resource of either scope.
type project interface {
	resource.Managed
	Parameters() *common.ProjectParameters
	Observation() *common.ProjectObservation
}

// ProjectStatuses returns every Project, the namespaced scope first, each
// scope sorted by namespace and name.
func ProjectStatuses(ctx context.Context, c client.Reader) ([]ProjectStatus, error) {
	var all []project
	ns := &namespacedv1alpha1.ProjectList{}
	if err := c.List(ctx, ns); err != nil {
		return nil, err
	}
	for i := range ns.Items {
		all = append(all, &ns.Items[i])
	}
	cl := &clusterv1alpha1.ProjectList{}
	if err := c.List(ctx, cl); err != nil {
		return nil, err
	}
	for i := range cl.Items {
		all = append(all, &cl.Items[i])
	}
	out := make([]ProjectStatus, 0, len(all))
	for _, p := range all {
		out = append(out, ProjectStatus{
			Cluster:      p.GetNamespace() == "",
			Namespace:    p.GetNamespace(),
			Name:         p.GetName(),
			Ready:        p.GetCondition(xpv2.TypeReady),
			Synced:       p.GetCondition(xpv2.TypeSynced),
			ExternalName: p.GetAnnotations()["crossplane.io/external-name"],
			SpecName:     p.Parameters().Name,
			Import:       slices.Equal(p.GetManagementPolicies(), xpv2.ManagementPolicies{xpv2.ManagementActionObserve}),
			AtProvider:   *p.Observation(),
			Deleting:     p.GetDeletionTimestamp() != nil,
		})
	}
	// Namespaced first (stable), then by namespace and name.
	slices.SortStableFunc(out, func(a, b ProjectStatus) int {
		return cmp.Or(cmp.Compare(b2i(a.Cluster), b2i(b.Cluster)), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

// Converged returns "" when the Project is where the examples want it,
// otherwise what is missing: Ready and Synced, status.atProvider.id set and
// equal to the external name, and (with a non-nil sim) the project running
// in sim under that ID with the spec's name, which status.atProvider.name
// reports too. An import's name is Ory's, not the spec's, so it is not
// compared.
func (p ProjectStatus) Converged(sim *orysim.Server) string {
	missing := notSettled(p.Deleting, p.Ready, p.Synced)
	id := p.AtProvider.ID
	switch {
	case id == "":
		missing = append(missing, "no status.atProvider.id yet")
	case p.ExternalName != id:
		missing = append(missing, fmt.Sprintf("external name %q, status.atProvider.id %q", p.ExternalName, id))
	case !p.Import && p.AtProvider.Name != p.SpecName:
		missing = append(missing, fmt.Sprintf("status.atProvider.name %q, spec.forProvider.name %q", p.AtProvider.Name, p.SpecName))
	}
	if sim != nil && id != "" {
		switch o, ok := sim.Project(id); {
		case !ok:
			missing = append(missing, "project "+id+" is not in the simulator")
		case o.State != orysim.ProjectRunning:
			missing = append(missing, fmt.Sprintf("project %s is %s in the simulator", id, o.State))
		case !p.Import && o.Name != p.SpecName:
			missing = append(missing, fmt.Sprintf("project %s is named %q in the simulator, spec.forProvider.name %q", id, o.Name, p.SpecName))
		}
	}
	return strings.Join(missing, "; ")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
