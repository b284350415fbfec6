package composition

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// projectXR: the v2 OryProject. One XR makes a Project and a key in it, the
// key finding its project by reference (no UUID written by hand); the app's
// Secret gets the key and the project's API URL; a new projectName renames
// the project in place; deleting the XR deletes the key and, with the
// default deletionProtection, keeps the project: the composed Project stays,
// saying how to go on, until deletionProtection is turned off on it.
func (w *world) projectXR(t *testing.T) {
	ctx := context.Background()
	ns := "team-v2-project"
	w.namespace(t, ns)

	xr := load(t, filepath.Join(examples, "v2", "project-xr.yaml"))
	xr.SetNamespace(ns)
	projectName, keyName := ns+"-checkout", ns+"-checkout-service"
	_ = unstructured.SetNestedField(xr.Object, projectName, "spec", "projectName")
	_ = unstructured.SetNestedField(xr.Object, keyName, "spec", "keyName")
	secretName, _, _ := unstructured.NestedString(xr.Object, "spec", "secretName")
	begin := time.Now()
	if err := w.kube.Create(ctx, xr); err != nil {
		t.Fatal(err)
	}
	w.waitReady(t, xr)
	w.timing("v2 OryProject apply to XR Ready: %s", time.Since(begin).Round(time.Millisecond))

	projects := &namespacedv1alpha1.ProjectList{}
	if err := w.kube.List(ctx, projects, client.InNamespace(ns), client.MatchingLabels{labelComposite: xr.GetName()}); err != nil || len(projects.Items) != 1 {
		t.Fatalf("want one Project composed in %s, got %d (%v)", ns, len(projects.Items), err)
	}
	mr := &projects.Items[0]
	if !mr.Spec.ForProvider.Protected() {
		t.Fatalf("the composed Project's deletionProtection is off; the XRD's default is true")
	}
	project := w.waitProject(t, projectName)
	if meta.GetExternalName(mr) != project.ID {
		t.Fatalf("Project external name %q, Ory's project %s", meta.GetExternalName(mr), project.ID)
	}
	keys := &namespacedv1alpha1.ProjectAPIKeyList{}
	if err := w.kube.List(ctx, keys, client.InNamespace(ns), client.MatchingLabels{labelComposite: xr.GetName()}); err != nil || len(keys.Items) != 1 {
		t.Fatalf("want one ProjectAPIKey composed in %s, got %d (%v)", ns, len(keys.Items), err)
	}
	if got := keys.Items[0].Spec.ForProvider.ProjectID; got != project.ID {
		t.Fatalf("the composed key's projectID is %q, want the composed Project's %s (resolved by reference)", got, project.ID)
	}
	secret := types.NamespacedName{Namespace: ns, Name: secretName}
	key := w.waitStoredIn(t, project, keyName, secret)

	// A new projectName renames the project in place: same ID, same key.
	begin = time.Now()
	w.patchSpec(t, xr, "projectName", projectName+"-renamed")
	renamed := w.waitProject(t, projectName+"-renamed")
	if renamed.ID != project.ID {
		t.Fatalf("renaming made project %s; want %s renamed in place", renamed.ID, project.ID)
	}
	if _, ok := w.sim.Key(project.ID, key.ID); !ok {
		t.Errorf("key %s is gone after the project's rename", key.ID)
	}
	w.timing("v2 projectName change to project renamed in Ory: %s", time.Since(begin).Round(time.Millisecond))
	w.waitReady(t, xr)

	// Deleting the XR deletes the key; the protected project stays.
	begin = time.Now()
	if err := w.kube.Delete(ctx, xr); err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, timeout, "key "+key.ID+" deleted in Ory", func() (bool, string) {
		_, ok := w.sim.Key(project.ID, key.ID)
		return !ok, "still there"
	})
	w.waitFor(t, timeout, "Project "+mr.Name+" deleting and saying deletion protection keeps the project", func() (bool, string) {
		if err := w.kube.Get(ctx, client.ObjectKeyFromObject(mr), mr); err != nil {
			return false, err.Error()
		}
		c := mr.GetCondition(xpv2.TypeSynced)
		return mr.GetDeletionTimestamp() != nil && c.Status == corev1.ConditionFalse && strings.Contains(c.Message, "deletionProtection"),
			fmt.Sprintf("deleting=%t Synced=%s %s", mr.GetDeletionTimestamp() != nil, c.Status, c.Message)
	})
	if p, ok := w.sim.Project(project.ID); !ok || p.State != orysim.ProjectRunning {
		t.Fatalf("the protected project is %+v (found %t) after its XR was deleted; want it kept, running", p, ok)
	}
	w.timing("v2 OryProject delete to key deleted and project kept: %s", time.Since(begin).Round(time.Millisecond))

	// The way on that the condition names: turn the protection off.
	if err := w.kube.Patch(ctx, mr, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"forProvider":{"deletionProtection":false}}}`))); err != nil {
		t.Fatal(err)
	}
	w.waitPurged(t, project.ID)
	w.waitDeleted(t, mr)
}

// projectClaim: the v1 OryProject claim, with deletionProtection false:
// cluster-scoped Project and key, the claim's Secret through the XR's
// connection details, and deleting the claim purges the project.
func (w *world) projectClaim(t *testing.T) {
	ctx := context.Background()
	ns := "team-v1-project"
	w.namespace(t, ns)

	claim := load(t, filepath.Join(examples, "v1", "project-claim.yaml"))
	claim.SetNamespace(ns)
	projectName, keyName := ns+"-checkout", ns+"-checkout-service"
	_ = unstructured.SetNestedField(claim.Object, projectName, "spec", "projectName")
	_ = unstructured.SetNestedField(claim.Object, keyName, "spec", "keyName")
	_ = unstructured.SetNestedField(claim.Object, false, "spec", "deletionProtection")
	secretName, _, _ := unstructured.NestedString(claim.Object, "spec", "writeConnectionSecretToRef", "name")
	begin := time.Now()
	if err := w.kube.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	w.waitReady(t, claim)
	w.timing("v1 OryProject claim apply to claim Ready: %s", time.Since(begin).Round(time.Millisecond))

	xrName, _, _ := unstructured.NestedString(claim.Object, "spec", "resourceRef", "name")
	projects := &clusterv1alpha1.ProjectList{}
	if err := w.kube.List(ctx, projects, client.MatchingLabels{labelComposite: xrName}); err != nil || len(projects.Items) != 1 {
		t.Fatalf("want one cluster Project composed for XR %q, got %d (%v)", xrName, len(projects.Items), err)
	}
	mr := &projects.Items[0]
	project := w.waitProject(t, projectName)
	keys := &clusterv1alpha1.ProjectAPIKeyList{}
	if err := w.kube.List(ctx, keys, client.MatchingLabels{labelComposite: xrName}); err != nil || len(keys.Items) != 1 {
		t.Fatalf("want one cluster ProjectAPIKey composed for XR %q, got %d (%v)", xrName, len(keys.Items), err)
	}
	if got := keys.Items[0].Spec.ForProvider.ProjectID; got != project.ID {
		t.Fatalf("the composed key's projectID is %q, want the composed Project's %s (resolved by reference)", got, project.ID)
	}
	secret := types.NamespacedName{Namespace: ns, Name: secretName}
	w.waitStoredIn(t, project, keyName, secret)
	s := &corev1.Secret{}
	if err := w.kube.Get(ctx, secret, s); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range s.Data {
		got = append(got, k)
	}
	slices.Sort(got)
	if want := []string{"apiURL", "keyID", "projectID", "value"}; !slices.Equal(got, want) {
		t.Errorf("claim Secret has keys %v, want %v", got, want)
	}

	begin = time.Now()
	if err := w.kube.Delete(ctx, claim); err != nil {
		t.Fatal(err)
	}
	w.waitPurged(t, project.ID)
	w.timing("v1 OryProject claim delete to project purged: %s", time.Since(begin).Round(time.Millisecond))
	w.waitDeleted(t, mr)
}

// waitProject waits until the examples' workspace holds exactly one project
// named name, and returns it.
func (w *world) waitProject(t *testing.T, name string) orysim.Project {
	t.Helper()
	var out orysim.Project
	w.waitFor(t, timeout, fmt.Sprintf("one project named %q in Ory", name), func() (bool, string) {
		var named []orysim.Project
		for _, p := range w.sim.Projects(w.project.WorkspaceID) {
			if p.Name == name && p.State != orysim.ProjectDeleted {
				named = append(named, p)
			}
		}
		if len(named) != 1 {
			return false, fmt.Sprintf("Ory holds %d projects named %q", len(named), name)
		}
		out = named[0]
		return true, ""
	})
	return out
}

// waitPurged waits until Ory no longer has project id.
func (w *world) waitPurged(t *testing.T, id string) {
	t.Helper()
	w.waitFor(t, timeout, "project "+id+" purged", func() (bool, string) {
		p, ok := w.sim.Project(id)
		return !ok, fmt.Sprintf("still there, %s", p.State)
	})
}

// waitStoredIn waits until project holds exactly one key named name and the
// Secret holds its value, ID, the project's ID and its API URL. It returns
// the key.
func (w *world) waitStoredIn(t *testing.T, project orysim.Project, name string, secret types.NamespacedName) orysim.Key {
	t.Helper()
	var key orysim.Key
	w.waitFor(t, timeout, fmt.Sprintf("key %q of project %s stored in Secret %s", name, project.ID, secret), func() (bool, string) {
		var named []orysim.Key
		for _, k := range w.sim.Keys(project.ID) {
			if k.Name == name {
				named = append(named, k)
			}
		}
		if len(named) != 1 {
			return false, fmt.Sprintf("project %s holds %d keys named %q", project.ID, len(named), name)
		}
		key = named[0]
		s := &corev1.Secret{}
		if err := w.kube.Get(context.Background(), secret, s); err != nil {
			return false, err.Error()
		}
		if string(s.Data["value"]) != key.Value || string(s.Data["keyID"]) != key.ID || string(s.Data["projectID"]) != project.ID {
			return false, fmt.Sprintf("Secret keyID=%q projectID=%q", s.Data["keyID"], s.Data["projectID"])
		}
		if u := string(s.Data["apiURL"]); !strings.Contains(u, project.Slug) {
			return false, fmt.Sprintf("Secret apiURL=%q, want the URL of project slug %s", u, project.Slug)
		}
		return true, ""
	})
	return key
}
