package integration

import (
	"context"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// oauth2Client is an OAuth2Client of either scope.
type oauth2Client interface {
	resource.Managed
	ClientParameters() *common.OAuth2ClientParameters
	ClientObservation() *common.OAuth2ClientObservation
}

// projectCredentials writes, in ns, the Secret a ProjectAPIKey's connection
// Secret would be (value, projectID, apiURL of the simulator's project
// API) for a fresh key of the shared project, and a ProviderConfig of scope
// s whose projectCredentials name it; it returns the config's name.
func projectCredentials(t *testing.T, s testkit.Scope, ns string) string {
	t.Helper()
	key := seedKey(t, testkit.ProjectAPIKey, project.ID, uniqueName(ns, "client-manager"))
	sec := &corev1.Secret{ObjectMeta: objectMeta(ns, "project-key"), Data: map[string][]byte{
		common.ConnectionKeyValue:     []byte(key.Value),
		common.ConnectionKeyProjectID: []byte(project.ID),
		common.ConnectionKeyAPIURL:    []byte(orysim.ProjectAPIURL(simURL, project.Slug)),
	}}
	create(t, sec)
	if s == testkit.Namespaced {
		pc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: objectMeta(ns, "clients")}
		pc.Spec.ProjectCredentials = &common.LocalProjectCredentials{ConnectionSecretRef: xpv2.LocalSecretReference{Name: sec.Name}}
		create(t, pc)
		return pc.Name
	}
	pc := &clusterv1alpha1.ProviderConfig{ObjectMeta: objectMeta("", ns+"-clients")}
	pc.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: ns, Name: sec.Name}}
	create(t, pc)
	return pc.Name
}

// newOAuth2Client returns an OAuth2Client of scope s named name, on the
// ProviderConfig pc, writing its Secret <name>-client in ns.
func newOAuth2Client(s testkit.Scope, ns, name, pc string, p common.OAuth2ClientParameters) oauth2Client {
	if s == testkit.Namespaced {
		c := &namespacedv1alpha1.OAuth2Client{ObjectMeta: objectMeta(ns, name)}
		c.Spec.ForProvider = p
		c.SetProviderConfigReference(&xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: pc})
		c.SetWriteConnectionSecretToReference(&xpv2.LocalSecretReference{Name: name + "-client"})
		return c
	}
	c := &clusterv1alpha1.OAuth2Client{ObjectMeta: objectMeta("", ns+"-"+name)}
	c.Spec.ForProvider = p
	c.SetProviderConfigReference(&xpv2.Reference{Name: pc})
	c.SetWriteConnectionSecretToReference(&xpv2.SecretReference{Namespace: ns, Name: name + "-client"})
	return c
}

// TestOAuth2ClientLife takes a confidential client through its life in
// both scopes: created with its secret in the connection Secret (and
// working at Ory), a changed spec applied in place (same client), a
// rotation that keeps the old secret working through the overlap and then
// only the new one, and deletion.
func TestOAuth2ClientLife(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		pc := projectCredentials(t, s, ns)
		overlap := common.Duration("4s")
		c := newOAuth2Client(s, ns, "web", pc, common.OAuth2ClientParameters{
			ClientName: uniqueName(ns, "web"),
			GrantTypes: []string{"client_credentials"},
			Scope:      "read",
			Rotation:   &common.Rotation{Overlap: &overlap, Trigger: "1"},
		})
		create(t, c)
		h.WaitReady(t, c)

		secret := func() (id, value string) {
			sec := h.ConnectionSecret(t, c)
			return string(sec.Data[common.ConnectionKeyClientID]), string(sec.Data[common.ConnectionKeyClientSecret])
		}
		id, first := secret()
		if id == "" || first == "" {
			t.Fatalf("connection Secret has clientID %q and a secret of %d bytes, want both", id, len(first))
		}
		if !sim.SecretWorks(project.ID, id, first) {
			t.Fatalf("the stored secret does not work at Ory for client %s", id)
		}
		if got := meta.GetExternalName(c); got != id {
			t.Errorf("external name = %q, want the client ID %q", got, id)
		}
		sec := h.ConnectionSecret(t, c)
		apiURL := orysim.ProjectAPIURL(simURL, project.Slug)
		for k, want := range map[string]string{common.ConnectionKeyIssuerURL: apiURL, common.ConnectionKeyTokenURL: apiURL + "/oauth2/token", common.ConnectionKeyAuthorizationURL: apiURL + "/oauth2/auth", common.ConnectionKeyProjectID: project.ID} {
			if got := string(sec.Data[k]); got != want {
				t.Errorf("connection Secret %s = %q, want %q", k, got, want)
			}
		}

		// A changed scope is applied to the same client.
		h.Update(t, c, func() { c.ClientParameters().Scope = "read write" })
		h.Eventually(t, "the new scope applied in place", func() (bool, string) {
			cl, ok := sim.OAuth2Client(project.ID, id)
			if !ok {
				return false, "client " + id + " is gone: it must be changed in place, never replaced"
			}
			return cl.Doc["scope"] == "read write", "scope in Ory is " + toString(cl.Doc["scope"])
		})
		if n := len(clientsNamed(uniqueName(ns, "web"))); n != 1 {
			t.Errorf("Ory holds %d clients named %s, want 1", n, uniqueName(ns, "web"))
		}

		// A rotation: the new secret stored, the old one working through
		// the overlap, then only the new.
		h.Update(t, c, func() { c.ClientParameters().Rotation.Trigger = "2" })
		var second string
		h.Eventually(t, "a new secret stored", func() (bool, string) {
			_, second = secret()
			return second != "" && second != first, "the Secret still holds the first secret"
		})
		if !sim.SecretWorks(project.ID, id, second) {
			t.Errorf("the rotated-in secret does not work at Ory")
		}
		if !sim.SecretWorks(project.ID, id, first) {
			t.Errorf("the old secret stopped working before the overlap ended")
		}
		h.Within(20*time.Second).Eventually(t, "the old secret ends after the overlap", func() (bool, string) {
			return !sim.SecretWorks(project.ID, id, first), "the old secret still works"
		})
		if !sim.SecretWorks(project.ID, id, second) {
			t.Errorf("the new secret stopped working when the old one ended")
		}

		if err := kube.Delete(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		h.WaitGone(t, c)
		if _, ok := sim.OAuth2Client(project.ID, id); ok {
			t.Errorf("client %s is still in Ory after its resource was deleted", id)
		}
	})
}

// TestOAuth2ClientPublic: a public client has no secret, says so, and is
// still Ready with its ID in the connection Secret.
func TestOAuth2ClientPublic(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		pc := projectCredentials(t, s, ns)
		c := newOAuth2Client(s, ns, "spa", pc, common.OAuth2ClientParameters{
			ClientName:              uniqueName(ns, "spa"),
			GrantTypes:              []string{"authorization_code"},
			ResponseTypes:           []string{"code"},
			RedirectURIs:            []string{"https://app.example.com/callback"},
			TokenEndpointAuthMethod: "none",
		})
		create(t, c)
		h.WaitReady(t, c)
		if cond := c.GetCondition(common.TypeValue); cond.Reason != common.ReasonNoSecret {
			t.Errorf("KeyValue condition = %s/%s, want NoSecret", cond.Status, cond.Reason)
		}
		sec := h.ConnectionSecret(t, c)
		if len(sec.Data[common.ConnectionKeyClientID]) == 0 || len(sec.Data[common.ConnectionKeyClientSecret]) != 0 {
			t.Errorf("connection Secret keys %v: want a clientID and no clientSecret", keysOf(sec.Data))
		}
		// Stays settled: no rotation, no replacement of a client without a
		// secret.
		time.Sleep(3 * time.Second)
		if n := len(clientsNamed(uniqueName(ns, "spa"))); n != 1 {
			t.Errorf("Ory holds %d clients named %s, want 1", n, uniqueName(ns, "spa"))
		}
	})
}

func clientsNamed(name string) []orysim.OAuth2Client {
	var out []orysim.OAuth2Client
	for _, c := range sim.OAuth2Clients(project.ID) {
		if c.Doc["client_name"] == name {
			out = append(out, c)
		}
	}
	return out
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

func keysOf(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
