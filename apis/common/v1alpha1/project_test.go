package v1alpha1_test

import (
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

func TestProjectID(t *testing.T) {
	const id = "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"
	observed := &namespacedv1alpha1.Project{}
	observed.Status.AtProvider.ID, observed.Status.AtProvider.State = id, "running"
	clusterObserved := &clusterv1alpha1.Project{}
	clusterObserved.Status.AtProvider.ID, clusterObserved.Status.AtProvider.State = id, "running"
	halted := &namespacedv1alpha1.Project{}
	halted.Status.AtProvider.ID, halted.Status.AtProvider.State = id, "halted"
	deleted := &namespacedv1alpha1.Project{}
	deleted.Status.AtProvider.ID, deleted.Status.AtProvider.State = id, "deleted"
	noState := &namespacedv1alpha1.Project{}
	noState.Status.AtProvider.ID = id
	imported := &namespacedv1alpha1.Project{}
	meta.SetExternalName(imported, id)
	key := &namespacedv1alpha1.ProjectAPIKey{}
	key.Status.AtProvider.ID = "9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"

	cases := map[string]struct {
		reason string
		mg     resource.Managed
		want   string
	}{
		"Observed": {
			reason: "A Project its controller has read from Ory resolves to the UUID Ory reported.",
			mg:     observed,
			want:   id,
		},
		"ClusterObserved": {
			reason: "The cluster-scoped Project resolves the same way.",
			mg:     clusterObserved,
			want:   id,
		},
		"Halted": {
			reason: "A project Ory reports halted serves no keys: a key waits while its Project is not Ready.",
			mg:     halted,
		},
		"Deleted": {
			reason: "A project Ory reports deleted is no key's project, whatever status still says of its ID.",
			mg:     deleted,
		},
		"NoState": {
			reason: "An ID without the state it was read with (a status written by hand, or by an older provider) is not confirmed running.",
			mg:     noState,
		},
		"ExternalNameOnly": {
			reason: "An external name not yet confirmed by Ory (a Project being created, or an import that may name no project) resolves to nothing, so the key waits instead of caching a UUID no project has.",
			mg:     imported,
		},
		"NotAProject": {
			reason: "Another kind's observation is not a project's ID, even when it has one.",
			mg:     key,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := common.ProjectID()(tc.mg); got != tc.want {
				t.Errorf("%s\nProjectID()(...): got %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
}
