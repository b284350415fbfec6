package integration

import (
	"context"
	"net/http"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/projectapi"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestProjectCredentials follows the chain the README documents, on the real
// API server, in both scopes: a ProjectAPIKey whose ProviderConfig points
// projectAPIURLTemplate at the simulator writes a connection Secret; a
// second ProviderConfig with only spec.projectCredentials (admitted without
// spec.credentials, its keys defaulted to the Secret's) names that Secret;
// the resolver gives a project key and API URL that the simulator's project
// API accepts; and after the ProjectAPIKey is rotated, the next resolve gives
// the new key, which the project API accepts too. The kinds that use these
// credentials (OAuth2Client) are wired later; this drives the resolver
// directly, with the API server as its metadata source (stricter than the
// manager's cache: every change is seen at once).
func TestProjectCredentials(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		ctx := context.Background()
		wsCreds := testkit.Creds{Namespace: ns, Name: "workspace-creds", Key: "token"}
		create(t, wsCreds.Secret(workspaceKey))
		c := h.Config("console", wsCreds, project.ID)
		c.ProjectAPIURLTemplate = localenv.SimProjectAPIURLTemplate(simURL)
		pc, ref := c.For(s, ns)
		create(t, pc)

		k := testkit.ProjectAPIKey.New(s, ns, "app", common.KeyParameters{Name: uniqueName(ns, "app"), Rotation: &common.Rotation{Trigger: "a"}}, "")
		testkit.UseConfig(k, ref)
		create(t, k)
		h.WaitReady(t, k)
		wantURL := orysim.ProjectAPIURL(simURL, project.Slug)
		first := waitConnection(t, k, wantURL, "")

		secret := testkit.SecretRef(k)
		consumer, mg := projectOnlyConfig(s, ns, secret.Namespace, secret.Name)
		create(t, consumer)

		r := &providerconfig.Secrets{Kube: kube, Metadata: kube}
		resolve := func() *providerconfig.ProjectAccess {
			t.Helper()
			cfg, err := r.Resolve(ctx, mg)
			if err != nil {
				t.Fatalf("resolving a ProviderConfig with only projectCredentials: %v", err)
			}
			if cfg.Token != "" {
				t.Error("a ProviderConfig without spec.credentials resolved to a workspace key")
			}
			p, err := cfg.ProjectAPI()
			if err != nil {
				t.Fatalf("the project credentials of a ProjectAPIKey's connection Secret: %v", err)
			}
			if p.APIURL != wantURL || p.ProjectID != project.ID || p.Ref != "Secret "+secret.String() {
				t.Errorf("project credentials: API %s, project %s, from %s; want API %s, project %s, from Secret %s", p.APIURL, p.ProjectID, p.Ref, wantURL, project.ID, secret)
			}
			return p
		}
		calls := func(p *providerconfig.ProjectAccess, what string) {
			t.Helper()
			api := projectapi.New(p.APIURL, string(p.Token), http.DefaultClient, "provider-ory-integration")
			if _, err := api.ListClients(ctx, projectapi.ListFilter{}); err != nil {
				t.Errorf("the project API refuses %s: %v", what, err)
			}
		}

		p := resolve()
		if string(p.Token) != first {
			t.Error("the resolved project key is not the one in the ProjectAPIKey's connection Secret")
		}
		calls(p, "the ProjectAPIKey's key")

		h.Update(t, k, func() { k.KeyParameters().Rotation.Trigger = "b" })
		second := waitConnection(t, k, wantURL, first)
		p = resolve()
		if string(p.Token) != second {
			t.Error("after the ProjectAPIKey's rotation the next resolve did not give its new key")
		}
		calls(p, "the rotated key")
	})
}

// waitConnection waits until k's connection Secret holds a value other than
// not, the project's ID and the API URL want, and returns the value.
func waitConnection(t *testing.T, k testkit.Key, want, not string) string {
	t.Helper()
	var value string
	h.Eventually(t, "the connection Secret of "+k.GetName(), func() (bool, string) {
		s := h.ConnectionSecret(t, k)
		if s == nil {
			return false, "no connection Secret"
		}
		value = string(s.Data[common.ConnectionKeyValue])
		switch {
		case value == "" || value == not:
			return false, "no new value yet"
		case string(s.Data[common.ConnectionKeyAPIURL]) != want:
			return false, "apiURL " + string(s.Data[common.ConnectionKeyAPIURL]) + ", want " + want
		case string(s.Data[common.ConnectionKeyProjectID]) != project.ID:
			return false, "projectID " + string(s.Data[common.ConnectionKeyProjectID])
		}
		return true, ""
	})
	return value
}

// projectOnlyConfig returns a ProviderConfig of scope s with only
// spec.projectCredentials, naming Secret name in secretNS (for a namespaced
// config, its own namespace ns), and a resource of that scope that uses it.
func projectOnlyConfig(s testkit.Scope, ns, secretNS, name string) (client.Object, resource.Managed) {
	if s == testkit.Namespaced {
		pc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: objectMeta(ns, "project-only")}
		pc.Spec.ProjectCredentials = &common.LocalProjectCredentials{ConnectionSecretRef: xpv2.LocalSecretReference{Name: name}}
		mg := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: objectMeta(ns, "consumer")}
		mg.SetProviderConfigReference(&xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: pc.Name})
		return pc, mg
	}
	pc := &clusterv1alpha1.ProviderConfig{ObjectMeta: objectMeta("", s.ObjectName(ns, "project-only"))}
	pc.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: secretNS, Name: name}}
	mg := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: objectMeta("", s.ObjectName(ns, "consumer"))}
	mg.SetProviderConfigReference(&xpv2.Reference{Name: pc.Name})
	return pc, mg
}
