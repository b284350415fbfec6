package testkit

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// A Project is a Project resource of either scope.
type Project interface {
	resource.Managed
	Parameters() *common.ProjectParameters
	Observation() *common.ProjectObservation
}

// NewProject returns a Project of scope s for the test namespace ns, named
// as keys are (Scope.ObjectName), labelled labels, whose project is named
// <ns>-<name> in Ory, in the dev environment.
func NewProject(s Scope, ns, name string, labels map[string]string) Project {
	var p Project = &namespacedv1alpha1.Project{}
	if s == Cluster {
		p = &clusterv1alpha1.Project{}
	} else {
		p.SetNamespace(ns)
	}
	p.SetName(s.ObjectName(ns, name))
	p.SetLabels(labels)
	p.Parameters().Name = ns + "-" + name
	p.Parameters().Environment = "dev"
	return p
}

// ObserveProject imports project id into p, as a person does: it sets p's
// external name to the project's UUID, and waits until the Project
// controller reports the project in status.atProvider.id. Give it an
// Observe-only p (ObserveOnly) to leave the project as it is.
func (h Harness) ObserveProject(t testing.TB, p Project, id string) {
	t.Helper()
	h.Update(t, p, func() { meta.SetExternalName(p, id) })
	h.Eventually(t, p.GetName()+" to observe project "+id, func() (bool, string) {
		if err := h.Refresh(p); err != nil {
			return false, err.Error()
		}
		return p.Observation().ID == id, "status.atProvider.id " + p.Observation().ID
	})
}

// ReferProject points k at the Project named name (of k's namespace, for
// the namespaced scope) through spec.forProvider.projectIDRef.
func ReferProject(k ProjectKey, name string) {
	switch k := k.(type) {
	case *namespacedv1alpha1.ProjectAPIKey:
		k.Spec.ForProvider.ProjectIDRef = &xpv2.NamespacedReference{Name: name}
	case *clusterv1alpha1.ProjectAPIKey:
		k.Spec.ForProvider.ProjectIDRef = &xpv2.Reference{Name: name}
	}
}

// SelectProject points k at the Project labelled labels through
// spec.forProvider.projectIDSelector.
func SelectProject(k ProjectKey, labels map[string]string) {
	switch k := k.(type) {
	case *namespacedv1alpha1.ProjectAPIKey:
		k.Spec.ForProvider.ProjectIDSelector = &xpv2.NamespacedSelector{MatchLabels: labels}
	case *clusterv1alpha1.ProjectAPIKey:
		k.Spec.ForProvider.ProjectIDSelector = &xpv2.Selector{MatchLabels: labels}
	}
}

// ReferencedProject is the name of the Project k's projectIDRef names, ""
// for none.
func ReferencedProject(k ProjectKey) string {
	switch k := k.(type) {
	case *namespacedv1alpha1.ProjectAPIKey:
		if r := k.Spec.ForProvider.ProjectIDRef; r != nil {
			return r.Name
		}
	case *clusterv1alpha1.ProjectAPIKey:
		if r := k.Spec.ForProvider.ProjectIDRef; r != nil {
			return r.Name
		}
	}
	return ""
}

// A ProjectSnapshot is a test's Projects and the projects in Ory at one
// moment: the Project resources of both scopes that belong to the test
// namespace (see InNamespace) by ID, and the projects of the test's
// workspaces that Ory does not show deleted, by lower case ID.
type ProjectSnapshot struct {
	Projects map[string]Project
	Ory      map[string]orysim.Project
}

// TakeProjects reads the ProjectSnapshot of the test namespace ns and the
// workspaces (IDs) in sim.
func TakeProjects(ctx context.Context, c client.Client, sim *orysim.Server, ns string, workspaces ...string) (ProjectSnapshot, error) {
	s := ProjectSnapshot{Projects: map[string]Project{}, Ory: map[string]orysim.Project{}}
	nl := &namespacedv1alpha1.ProjectList{}
	if err := c.List(ctx, nl, client.InNamespace(ns)); err != nil {
		return s, err
	}
	for i := range nl.Items {
		s.Projects[ID(&nl.Items[i])] = &nl.Items[i]
	}
	cl := &clusterv1alpha1.ProjectList{}
	if err := c.List(ctx, cl); err != nil {
		return s, err
	}
	for i := range cl.Items {
		if InNamespace(&cl.Items[i], ns) {
			s.Projects[ID(&cl.Items[i])] = &cl.Items[i]
		}
	}
	for _, ws := range workspaces {
		for _, p := range sim.Projects(ws) {
			if p.State != orysim.ProjectDeleted {
				s.Ory[strings.ToLower(p.ID)] = p
			}
		}
	}
	return s, nil
}

// ProjectRules adapt the project invariants to a test.
type ProjectRules struct {
	// Ours reports whether a project in Ory is the test's to account for
	// (its name carries the test's prefix). Nil: every project of the
	// snapshot is.
	Ours func(orysim.Project) bool
	// Mine reports whether project o carries a name Project p gave it. Nil:
	// o carries the name p's spec says.
	Mine func(p Project, o orysim.Project) bool
}

// Invariants counts, over the snapshot's live Projects and the projects in
// Ory that are the test's (r.Ours):
//   - leaked: projects that no live Project names as its external name;
//   - duplicates: Projects with more than one project of their names (a
//     lost create adopted twice, or made again);
//   - incomplete: Projects in crossplane-runtime's create-pending state.
//
// A Project has no value to lose: Lost stays 0.
func (s ProjectSnapshot) Invariants(r ProjectRules) Invariants {
	ours, mine := r.Ours, r.Mine
	if ours == nil {
		ours = func(orysim.Project) bool { return true }
	}
	if mine == nil {
		mine = func(p Project, o orysim.Project) bool { return o.Name == p.Parameters().Name }
	}
	var inv Invariants
	referenced := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(s.Projects)) {
		p := s.Projects[id]
		if ext := strings.ToLower(meta.GetExternalName(p)); ext != "" {
			referenced[ext] = true
		}
		if meta.ExternalCreateIncomplete(p) {
			inv.Incomplete++
			inv.Problems = append(inv.Problems, id+" is stuck: create pending since "+p.GetAnnotations()[meta.AnnotationKeyExternalCreatePending]+": "+p.GetCondition(xpv2.TypeSynced).Message)
		}
		n := 0
		for _, o := range s.Ory {
			if ours(o) && mine(p, o) {
				n++
			}
		}
		if n > 1 {
			inv.Duplicates++
			inv.Problems = append(inv.Problems, fmt.Sprintf("%s: %d projects of its names", id, n))
		}
	}
	for _, pid := range slices.Sorted(maps.Keys(s.Ory)) {
		if o := s.Ory[pid]; ours(o) && !referenced[pid] {
			inv.Leaked++
			inv.Problems = append(inv.Problems, fmt.Sprintf("project %s (%q, created %s) is named by no live Project", pid, o.Name, o.CreatedAt.Format(time.RFC3339)))
		}
	}
	return inv
}
