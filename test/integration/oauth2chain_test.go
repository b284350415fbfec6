package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// consoleConfig creates, in ns, a workspace credentials Secret and a
// ProviderConfig of scope s on it whose ProjectAPIKeys publish the
// simulator's project API URL (projectAPIURLTemplate), and returns the name
// a resource of that scope refers to it by.
func consoleConfig(t *testing.T, s testkit.Scope, ns string) string {
	t.Helper()
	creds := testkit.Creds{Namespace: ns, Name: "workspace-creds", Key: "token"}
	create(t, creds.Secret(workspaceKey))
	c := h.Config("console", creds, project.ID)
	c.WorkspaceID = workspace.ID
	c.ProjectAPIURLTemplate = localenv.SimProjectAPIURLTemplate(simURL)
	pc, ref := c.For(s, ns)
	create(t, pc)
	return ref
}

// TestOAuth2ClientOnProjectAPIKey follows the chain the README documents,
// with the provider's controllers, in both scopes: a ProjectAPIKey writes
// its connection Secret; a ProviderConfig's projectCredentials name that
// Secret; OAuth2Clients on that ProviderConfig become Ready with secrets
// that work at Ory. Then the ProjectAPIKey is rotated (trigger, with an
// overlap) while the clients reconcile: the provider picks the new key up
// without a restart (the Secret's change requeues the clients), the old key
// is deleted after the overlap, the clients stay Ready, and a change to a
// client made after the old key is gone still reaches Ory (which answers
// 401 to a deleted key: only the new key can have made it). Deleted before
// the clients, the key waits for them (a condition names them), and goes
// once they have deleted their objects in Ory.
func TestOAuth2ClientOnProjectAPIKey(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		console := consoleConfig(t, s, ns)
		overlap := common.Duration("3s")
		k := testkit.ProjectAPIKey.New(s, ns, "client-manager", common.KeyParameters{
			Name:     uniqueName(ns, "client-manager"),
			Rotation: &common.Rotation{Overlap: &overlap, Trigger: "1"},
		}, "")
		testkit.UseConfig(k, console)
		create(t, k)
		h.WaitReady(t, k)
		apiURL := orysim.ProjectAPIURL(simURL, project.Slug)
		first := waitConnection(t, k, apiURL, "")
		firstKey := keysNamed(project.ID, uniqueName(ns, "client-manager"))
		if len(firstKey) != 1 {
			t.Fatalf("project holds %d keys named %s, want 1", len(firstKey), uniqueName(ns, "client-manager"))
		}

		secret := testkit.SecretRef(k)
		pc, _ := projectOnlyConfig(s, ns, secret.Namespace, secret.Name)
		create(t, pc)

		clients := make([]oauth2Client, 0, 2)
		for _, name := range []string{"web", "worker"} {
			c := newOAuth2Client(s, ns, name, pc.GetName(), common.OAuth2ClientParameters{
				ClientName: uniqueName(ns, name),
				GrantTypes: []string{"client_credentials"},
				Scope:      "read",
			})
			create(t, c)
			clients = append(clients, c)
		}
		ids := make([]string, len(clients))
		for i, c := range clients {
			h.WaitReady(t, c)
			sec := h.ConnectionSecret(t, c)
			ids[i] = string(sec.Data[common.ConnectionKeyClientID])
			if !sim.SecretWorks(project.ID, ids[i], string(sec.Data[common.ConnectionKeyClientSecret])) {
				t.Fatalf("the secret stored for %s does not work at Ory", c.GetName())
			}
			if got := string(sec.Data[common.ConnectionKeyIssuerURL]); got != apiURL {
				t.Errorf("%s's issuerURL = %q, want the project API of the ProjectAPIKey's Secret %q", c.GetName(), got, apiURL)
			}
		}

		// Rotate the key the clients are managed with. The clients poll
		// every 2 s through all of it.
		h.Update(t, k, func() { k.KeyParameters().Rotation.Trigger = "2" })
		second := waitConnection(t, k, apiURL, first)
		if second == first {
			t.Fatal("the ProjectAPIKey's Secret still holds the first key")
		}
		h.Within(20*time.Second).Eventually(t, "the replaced key deleted after the overlap", func() (bool, string) {
			_, ok := keyIn(testkit.ProjectAPIKey, project.ID, firstKey[0].ID)
			return !ok, "key " + firstKey[0].ID + " is still in Ory"
		})
		// A poll or two with only the new key: the clients stay Ready.
		time.Sleep(5 * time.Second)
		for _, c := range clients {
			if err := h.Refresh(c); err != nil {
				t.Fatal(err)
			}
			if ok, why := testkit.Ready(c); !ok {
				t.Errorf("%s after the key it is managed with was rotated: %s", c.GetName(), why)
			}
		}

		// A change made now can only reach Ory with the new key.
		for i, c := range clients {
			h.Update(t, c, func() { c.ClientParameters().Scope = "read write" })
			h.Eventually(t, "the new scope of "+c.GetName()+" applied with the rotated key", func() (bool, string) {
				cl, ok := sim.OAuth2Client(project.ID, ids[i])
				if !ok {
					return false, "client " + ids[i] + " is gone"
				}
				return cl.Doc["scope"] == "read write", fmt.Sprintf("scope in Ory is %q; %s", toString(cl.Doc["scope"]), syncedOf(c))
			})
			h.WaitReady(t, c)
		}

		// Deleting the key first: it waits for the clients managed with
		// it, so that each can still delete its object in Ory.
		if err := kube.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		h.WaitSyncError(t, k, "deleted once nothing manages Ory with it", clients[0].GetName(), clients[1].GetName())
		keys := keysNamed(project.ID, uniqueName(ns, "client-manager"))
		if len(keys) != 1 {
			t.Fatalf("project holds %d keys named %s while clients use it, want 1", len(keys), uniqueName(ns, "client-manager"))
		}
		for i, c := range clients {
			if err := kube.Delete(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			h.WaitGone(t, c)
			if _, ok := sim.OAuth2Client(project.ID, ids[i]); ok {
				t.Errorf("client %s is still in Ory after %s was deleted", ids[i], c.GetName())
			}
		}
		h.WaitGone(t, k)
		if _, ok := keyIn(testkit.ProjectAPIKey, project.ID, keys[0].ID); ok {
			t.Errorf("key %s is still in Ory after its resource was deleted", keys[0].ID)
		}
	})
}

// TestOAuth2ClientWrongProjectCredentials: a ProviderConfig whose
// projectCredentials name a WorkspaceAPIKey's connection Secret (a workspace
// key, ory_wak_, where a project key belongs), or a Secret that does not
// exist, gives the OAuth2Client a Synced condition that says what to fix,
// without the key in it, and creates nothing in Ory. Once the missing
// Secret is there, the client becomes Ready without waiting out a backoff
// (the Secret's creation requeues it).
func TestOAuth2ClientWrongProjectCredentials(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		console := consoleConfig(t, s, ns)
		wak := testkit.WorkspaceAPIKey.New(s, ns, "workspace", common.KeyParameters{Name: uniqueName(ns, "workspace")}, workspace.ID)
		testkit.UseConfig(wak, console)
		create(t, wak)
		h.WaitReady(t, wak)
		wakSecret := h.ConnectionSecret(t, wak)
		wakValue := string(wakSecret.Data[common.ConnectionKeyValue])
		if !strings.HasPrefix(wakValue, "ory_wak_") {
			t.Fatalf("the WorkspaceAPIKey's Secret does not hold a workspace key")
		}

		cases := map[string]struct {
			reason string
			short  string // the ProviderConfig's and client's name: a ProviderConfig's name must fit a label (63 bytes)
			secret string // the Secret the ProviderConfig names, in ns
			want   []string
		}{
			"WorkspaceAPIKeySecret": {
				short:  "wak",
				reason: "A workspace key cannot call a project's API; the condition says which Secret holds it and where a workspace key belongs.",
				secret: wakSecret.Name,
				want:   []string{"holds a workspace API key", "project API key (ory_pat_...)", "Secret " + ns + "/" + wakSecret.Name},
			},
			"MissingSecret": {
				short:  "missing",
				reason: "A ProjectAPIKey not yet created (or a typo) leaves the Secret missing; the condition names it and the keys it needs.",
				secret: "not-yet-written",
				want:   []string{"Secret " + ns + "/not-yet-written does not exist", "ProjectAPIKey's connection Secret"},
			},
		}
		for name, tc := range cases {
			pc, _ := projectOnlyConfig(s, ns, ns, tc.secret)
			pc.SetName(s.ObjectName(ns, tc.short))
			create(t, pc)
			c := newOAuth2Client(s, ns, tc.short, pc.GetName(), common.OAuth2ClientParameters{
				ClientName: uniqueName(ns, tc.short),
				GrantTypes: []string{"client_credentials"},
			})
			create(t, c)
			cond := h.WaitSyncError(t, c, tc.want...)
			if strings.Contains(cond.Message, wakValue) {
				t.Errorf("%s (%s): the condition holds the workspace key", name, tc.reason)
			}
			if n := len(clientsNamed(uniqueName(ns, tc.short))); n != 0 {
				t.Errorf("%s (%s): Ory holds %d clients named %s, want none", name, tc.reason, n, uniqueName(ns, tc.short))
			}
			if name != "MissingSecret" {
				continue
			}
			// The repair: the Secret appears (as a ProjectAPIKey would
			// write it) and the client goes Ready at once.
			key := seedKey(t, testkit.ProjectAPIKey, project.ID, uniqueName(ns, "late-key"))
			create(t, &corev1.Secret{ObjectMeta: objectMeta(ns, tc.secret), Data: map[string][]byte{
				common.ConnectionKeyValue:     []byte(key.Value),
				common.ConnectionKeyProjectID: []byte(project.ID),
				common.ConnectionKeyAPIURL:    []byte(orysim.ProjectAPIURL(simURL, project.Slug)),
			}})
			begin := time.Now()
			h.WaitReady(t, c)
			if d := time.Since(begin); d > 15*time.Second {
				t.Errorf("the client took %s to become Ready after its Secret appeared; the Secret's creation should requeue it", d)
			}
		}
	})
}

func syncedOf(c oauth2Client) string {
	if err := h.Refresh(c); err != nil {
		return err.Error()
	}
	s := c.GetCondition(xpv2.TypeSynced)
	return fmt.Sprintf("Synced=%s %s", s.Status, s.Message)
}
