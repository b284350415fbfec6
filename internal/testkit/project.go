package testkit

import (
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
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
