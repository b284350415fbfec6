package managedopts

import (
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// listRecorder records the options of the lists made through it.
type listRecorder struct {
	client.Client
	got []*client.ListOptions
}

func (r *listRecorder) List(_ context.Context, _ client.ObjectList, opts ...client.ListOption) error {
	o := &client.ListOptions{}
	o.ApplyOptions(opts)
	r.got = append(r.got, o)
	return nil
}

// TestStateListerSharesTheCache checks that the state metrics recorder's
// lists ask the cache not to copy every resource (and keep the caller's own
// options): at 10,000 resources, listed every 5 s per kind, the copies were
// a fifth of the provider's heap.
func TestStateListerSharesTheCache(t *testing.T) {
	r := &listRecorder{}
	if err := (stateLister{r}).List(context.Background(), &namespacedv1alpha1.ProjectAPIKeyList{}, client.InNamespace("a")); err != nil {
		t.Fatal(err)
	}
	if len(r.got) != 1 {
		t.Fatalf("%d lists, want 1", len(r.got))
	}
	o := r.got[0]
	if o.UnsafeDisableDeepCopy == nil || !*o.UnsafeDisableDeepCopy {
		t.Errorf("the list copies the cached objects: UnsafeDisableDeepCopy is %v, want true", o.UnsafeDisableDeepCopy)
	}
	if o.Namespace != "a" {
		t.Errorf("the caller's options are lost: namespace %q, want %q", o.Namespace, "a")
	}
}
