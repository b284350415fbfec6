package composition

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// oauth2App: the v2 OryOAuth2App. One XR makes a Project, a ProjectAPIKey in
// it (by reference), a ProviderConfig on the key's connection Secret, and an
// OAuth2Client through that ProviderConfig, whose credentials land in the
// app team's Secret and work at Ory. A new rotation.trigger on the XR
// rotates the client's secret: the new one in the Secret, the old one
// working through the overlap and then not. Deleting the XR (with
// deletionProtection false) deletes, in Ory, the client, then the key,
// then the project: nothing is left there, and nothing of the XR in the
// cluster.
func (w *world) oauth2App(t *testing.T) {
	ctx := context.Background()
	ns := "team-v2-oauth2"
	w.namespace(t, ns)

	xr := load(t, filepath.Join(examples, "v2", "oauth2client-xr.yaml"))
	xr.SetNamespace(ns)
	projectName, clientName := ns+"-billing", ns+"-billing-service"
	_ = unstructured.SetNestedField(xr.Object, projectName, "spec", "projectName")
	_ = unstructured.SetNestedField(xr.Object, clientName, "spec", "clientName")
	_ = unstructured.SetNestedField(xr.Object, false, "spec", "deletionProtection")
	// The shipped overlap keeps an old secret for a day; the test waits
	// for it to end.
	_ = unstructured.SetNestedField(xr.Object, "5s", "spec", "rotation", "overlap")
	secretName, _, _ := unstructured.NestedString(xr.Object, "spec", "secretName")
	begin := time.Now()
	if err := w.kube.Create(ctx, xr); err != nil {
		t.Fatal(err)
	}
	w.waitReady(t, xr)
	w.timing("v2 OryOAuth2App apply to XR Ready: %s", time.Since(begin).Round(time.Millisecond))

	project := w.waitProject(t, projectName)
	composed := client.MatchingLabels{labelComposite: xr.GetName()}
	keys := &namespacedv1alpha1.ProjectAPIKeyList{}
	if err := w.kube.List(ctx, keys, client.InNamespace(ns), composed); err != nil || len(keys.Items) != 1 {
		t.Fatalf("want one ProjectAPIKey composed in %s, got %d (%v)", ns, len(keys.Items), err)
	}
	key := &keys.Items[0]
	if got := key.Spec.ForProvider.ProjectID; got != project.ID {
		t.Fatalf("the composed key's projectID is %q, want the composed Project's %s (resolved by reference)", got, project.ID)
	}
	pcs := &namespacedv1alpha1.ProviderConfigList{}
	if err := w.kube.List(ctx, pcs, client.InNamespace(ns), composed); err != nil || len(pcs.Items) != 1 {
		t.Fatalf("want one ProviderConfig composed in %s, got %d (%v)", ns, len(pcs.Items), err)
	}
	pc := &pcs.Items[0]
	if p := pc.Spec.ProjectCredentials; p == nil || key.Spec.WriteConnectionSecretToReference == nil || p.ConnectionSecretRef.Name != key.Spec.WriteConnectionSecretToReference.Name {
		t.Fatalf("the composed ProviderConfig's projectCredentials %+v do not name the key's connection Secret %+v", p, key.Spec.WriteConnectionSecretToReference)
	}
	clients := &namespacedv1alpha1.OAuth2ClientList{}
	if err := w.kube.List(ctx, clients, client.InNamespace(ns), composed); err != nil || len(clients.Items) != 1 {
		t.Fatalf("want one OAuth2Client composed in %s, got %d (%v)", ns, len(clients.Items), err)
	}
	oc := &clients.Items[0]
	if r := oc.GetProviderConfigReference(); r == nil || r.Kind != "ProviderConfig" || r.Name != pc.Name {
		t.Fatalf("the composed OAuth2Client uses ProviderConfig %+v, want the composed %s", r, pc.Name)
	}

	secret := types.NamespacedName{Namespace: ns, Name: secretName}
	id, first := w.waitClientSecret(t, project, secret, "")
	if got := meta.GetExternalName(oc); got != id {
		t.Errorf("OAuth2Client external name %q, the Secret's clientID %q", got, id)
	}
	s := &corev1.Secret{}
	if err := w.kube.Get(ctx, secret, s); err != nil {
		t.Fatal(err)
	}
	issuer := orysim.ProjectAPIURL(w.simURL, project.Slug)
	for k, want := range map[string]string{
		common.ConnectionKeyIssuerURL:        issuer,
		common.ConnectionKeyTokenURL:         issuer + "/oauth2/token",
		common.ConnectionKeyAuthorizationURL: issuer + "/oauth2/auth",
		common.ConnectionKeyProjectID:        project.ID,
	} {
		if got := string(s.Data[k]); got != want {
			t.Errorf("app Secret %s = %q, want %q", k, got, want)
		}
	}

	// A new trigger on the XR rotates the client's secret.
	begin = time.Now()
	patch := fmt.Sprintf(`{"spec":{"rotation":{"trigger":%q}}}`, "leak-"+id)
	if err := w.kube.Patch(ctx, xr, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	if again, _ := w.waitClientSecret(t, project, secret, first); again != id {
		t.Fatalf("the rotation made client %s; want client %s with a new secret", again, id)
	}
	if !w.sim.SecretWorks(project.ID, id, first) {
		t.Errorf("the old secret stopped working at once; it must keep working through the overlap")
	}
	w.waitFor(t, timeout, "the old secret ends after the overlap", func() (bool, string) {
		return !w.sim.SecretWorks(project.ID, id, first), "the old secret still works"
	})
	w.timing("v2 OryOAuth2App rotation trigger to new secret in the app's Secret and old one ended: %s", time.Since(begin).Round(time.Millisecond))
	w.waitReady(t, xr)

	// Deleting the XR: garbage collection deletes the four at once; the
	// provider orders it in Ory.
	begin = time.Now()
	if err := w.kube.Delete(ctx, xr); err != nil {
		t.Fatal(err)
	}
	w.waitPurged(t, project.ID)
	w.timing("v2 OryOAuth2App delete to project purged: %s", time.Since(begin).Round(time.Millisecond))
	if _, ok := w.sim.OAuth2Client(project.ID, id); ok {
		t.Errorf("client %s is still in Ory", id)
	}
	var order []string
	for _, e := range w.deletions("") {
		if strings.Contains(e.Path, project.ID) || strings.Contains(e.Path, "/"+project.Slug+"/") {
			order = append(order, e.Operation)
		}
	}
	if want := []string{orysim.OpDeleteOAuth2Client, orysim.OpDeleteProjectAPIKey, orysim.OpPurgeProject}; strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("deletions in Ory were %v, want %v: the client while the key still works, the key while the project still answers", order, want)
	}
	for _, o := range []client.Object{oc, pc, key} {
		w.waitDeleted(t, o)
	}
	w.waitDeleted(t, &corev1.Secret{ObjectMeta: s.ObjectMeta})
}

// waitClientSecret waits until Secret secret holds a client ID of project
// and a secret other than not that works at Ory for it, and returns both.
func (w *world) waitClientSecret(t *testing.T, project orysim.Project, secret types.NamespacedName, not string) (id, value string) {
	t.Helper()
	w.waitFor(t, timeout, "a working client secret in Secret "+secret.String(), func() (bool, string) {
		s := &corev1.Secret{}
		if err := w.kube.Get(context.Background(), secret, s); err != nil {
			return false, err.Error()
		}
		id, value = string(s.Data[common.ConnectionKeyClientID]), string(s.Data[common.ConnectionKeyClientSecret])
		switch {
		case id == "" || value == "":
			return false, "no clientID or clientSecret yet"
		case value == not:
			return false, "still the old secret"
		case !w.sim.SecretWorks(project.ID, id, value):
			return false, "the stored secret does not work at Ory for client " + id
		}
		return true, ""
	})
	return id, value
}
