package reliability

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestSecretScanCatchesLeaks shows that the scan behind TestSecretHygiene
// (and the final scan of TestMain) would find a secret in the forms a leak
// takes, and does not flag what may be shown.
func TestSecretScanCatchesLeaks(t *testing.T) {
	value := "ory_pat_" + randomAlphanumeric(32)
	set := newSecretSet()
	set.Add(value, "the value of key p/k")
	core := strings.TrimPrefix(value, "ory_pat_")

	// The same leaks through the encoders this package captures: a zap JSON
	// log line with the value as a field, and a Secret holding it as JSON.
	var zapLine syncBuffer
	zap.New(zap.WriteTo(&zapLine), zap.JSONEncoder(), zap.Level(zapcore.DebugLevel)).V(1).Info("published", "details", map[string][]byte{"value": []byte(value)}, "raw", value)
	secretJSON, err := json.Marshal(&corev1.Secret{Data: map[string][]byte{"value": []byte(value)}})
	if err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		reason string
		text   string
		want   bool
	}{
		"Value": {
			reason: "The value itself, as a careless error message would print it.",
			text:   `{"level":"debug","msg":"Cannot publish connection details","error":"cannot store ` + value + `"}`,
			want:   true,
		},
		"Base64": {
			reason: "A Secret's data printed as JSON (an object dumped into a log line) is base64.",
			text:   `{"data":{"value":"` + base64.StdEncoding.EncodeToString([]byte(value)) + `"}}`,
			want:   true,
		},
		"Truncated": {
			reason: "A message cut after 300 characters may keep only the start of a value.",
			text:   "Ory answered 500: ... " + value[:8+window] + "...",
			want:   true,
		},
		"WithoutPrefix": {
			reason: "Only the random part, as a parser that strips ory_pat_ would print it.",
			text:   "token=" + core[10:],
			want:   true,
		},
		"HexDump": {
			reason: "client-go's body dump at high verbosity shows the bytes beside a hex dump.",
			text:   "00000100  38 59 77 6a 6f 63 39 45  4f 39 57 48 6a 4d 63 6c  |" + core[3:19] + "|",
			want:   true,
		},
		"ZapJSONLine": {
			reason: "A value logged through the provider's logger, as a string and as bytes.",
			text:   string(zapLine.Bytes()),
			want:   true,
		},
		"SecretObjectJSON": {
			reason: "A Secret object printed as JSON, as in an event or a dumped object.",
			text:   string(secretJSON),
			want:   true,
		},
		"LastCharacters": {
			reason: "status.atProvider.lastCharacters (4 characters) tells keys apart and may be shown.",
			text:   `{"lastCharacters":"` + value[len(value)-4:] + `"}`,
		},
		"Unrelated": {
			reason: "A line without the value is clean.",
			text:   `{"level":"debug","msg":"Reconciling","request":{"name":"payments","namespace":"team-a"}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := set.Scan("test line", []byte(tc.text))
			if (len(got) > 0) != tc.want {
				t.Errorf("%s\nfound %v, want found=%v", tc.reason, got, tc.want)
			}
			for _, f := range got {
				for i := 0; i+6 <= len(core); i++ {
					if strings.Contains(f.String(), core[i:i+6]) {
						t.Errorf("a finding prints part of the secret it found: %s", f)
						break
					}
				}
			}
		})
	}
}

// TestSecretHygiene runs a workload through every path that handles a key's
// value or the workspace key (create, a create answered 429 then retried, a
// create answered 500, a dropped create, an import with its value, an
// import with a wrong value, a replacement, a rotation, a deletion, a
// revoked workspace key; for WorkspaceAPIKeys, whose ory_wak_ values
// look like the credentials, a create, a replacement and an import with its
// value; and a Project's life, with a key in it by reference: created,
// the key rotated, the Project renamed, the key deleted, the project
// purged; and an OAuth2Client's life on a ProviderConfig's
// projectCredentials: created, its secret rotated, changed in place), in
// both scopes, and then searches the provider's whole debug log, every
// Event, and every resource of the provider's kinds (conditions and status
// included, OAuth2Clients too) for every value the simulator issued, every
// client secret (current and rotated), the project key of the
// projectCredentials and every workspace key. None may appear.
func TestSecretHygiene(t *testing.T) {
	ctx := context.Background()
	ns := h.NewNamespace(t, "hygiene")
	hp := sim.AddProject(workspaceKey, "")
	revoked := newWorkspaceKey("hygiene (revoked later)")
	rp := sim.AddProject(revoked, "")
	start := time.Now()

	// One config of each scope per workspace key.
	keys := map[string]map[string]testkit.ProjectKey{} // scope -> step -> key
	mk := func(s testkit.Scope, step string, p common.KeyParameters, cfg string) testkit.ProjectKey {
		if p.Name == "" {
			p.Name = ns + "-" + strings.ToLower(string(s)) + "-" + step
		}
		k := testkit.NewProjectKey(s, ns, strings.ToLower(string(s))+"-"+step, p, "")
		testkit.UseConfig(k, cfg)
		if keys[string(s)] == nil {
			keys[string(s)] = map[string]testkit.ProjectKey{}
		}
		keys[string(s)][step] = k
		return k
	}
	cfgs := map[string]map[string]string{} // scope -> workspace key -> config name
	for _, s := range testkit.Scopes {
		cfgs[string(s)] = map[string]string{}
		for _, c := range []struct{ name, key, project string }{{"ok", workspaceKey, hp.ID}, {"revoked", revoked, rp.ID}} {
			probe := testkit.NewProjectKey(s, ns, "probe", common.KeyParameters{}, "")
			h.ConfigFor(t, probe, ns, strings.ToLower(string(s))+"-"+c.name, map[string]string{"token": c.key}, c.project)
			cfgs[string(s)][c.name] = providerConfigName(probe)
		}
	}
	each := func(step string, p func(s testkit.Scope) common.KeyParameters, cfg string) {
		t.Helper()
		for _, s := range testkit.Scopes {
			h.Create(t, mk(s, step, p(s), cfgs[string(s)][cfg]))
		}
	}
	plain := func(testkit.Scope) common.KeyParameters { return common.KeyParameters{} }
	waitAll := func(step string, p orysim.Project) {
		t.Helper()
		for _, s := range testkit.Scopes {
			h.WaitStored(t, keys[string(s)][step], p.ID)
		}
	}

	// Create, and creates that meet a 429, a 500 and a dropped connection.
	each("created", plain, "ok")
	waitAll("created", hp)

	sim.FailNext(orysim.OpCreateProjectAPIKey, 2, 429)
	each("throttled", plain, "ok")
	waitAll("throttled", hp)

	sim.FailNext(orysim.OpCreateProjectAPIKey, 1, 500)
	sim.FailNext(orysim.OpListProjectAPIKeys, 3, 503)
	each("failed", plain, "ok")
	waitAll("failed", hp)

	sim.SetDropRate(orysim.OpCreateProjectAPIKey, 1)
	each("dropped", plain, "ok")
	for _, s := range testkit.Scopes {
		h.Within(waitTimeout).WaitSyncError(t, keys[string(s)]["dropped"], "cannot create an API key")
	}
	sim.SetDropRate(orysim.OpCreateProjectAPIKey, 0)
	waitAll("dropped", hp)

	// Imports: one with its value, one pointed at another key's value.
	for _, s := range testkit.Scopes {
		name := ns + "-" + strings.ToLower(string(s))
		good := sim.SeedKey(hp.ID, name+"-imported", nil, true)
		other := sim.SeedKey(hp.ID, name+"-mismatch", nil, true)
		secrets.Add(good.Value, "the value of seeded key "+good.ID)
		secrets.Add(other.Value, "the value of seeded key "+other.ID)
		for src, v := range map[string]string{"imported": good.Value, "mismatch": good.Value} {
			h.Create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: strings.ToLower(string(s)) + "-" + src + "-src"}, StringData: map[string]string{"value": v}})
		}
		for step, key := range map[string]orysim.Key{"imported": good, "mismatch": other} {
			src := &common.ValueSource{Name: strings.ToLower(string(s)) + "-" + step + "-src", Key: "value"}
			if s == testkit.Cluster {
				src.Namespace = ns
			}
			k := mk(s, step, common.KeyParameters{Name: key.Name, ImportValueFrom: src}, cfgs[string(s)]["ok"])
			meta.SetExternalName(k, key.ID)
			if step == "mismatch" {
				k.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve})
			}
			h.Create(t, k)
		}
	}
	for _, s := range testkit.Scopes {
		waitValueCondition(t, keys[string(s)]["imported"], common.ReasonValueStored)
		waitValueCondition(t, keys[string(s)]["mismatch"], common.ReasonImportedValueMismatch)
	}

	// WorkspaceAPIKeys, whose values are ory_wak_ keys like the
	// credentials: one created (and later replaced), one imported with its
	// value, in the shared workspace.
	ws := sim.AddWorkspace(workspaceKey)
	wsKeys := map[string]map[string]testkit.Key{} // scope -> step -> key
	for _, s := range testkit.Scopes {
		name := ns + "-" + strings.ToLower(string(s))
		seeded, err := sim.CreateKey(orysim.KeySpec{Workspace: ws.ID, Name: name + "-ws-imported"})
		if err != nil {
			t.Fatal(err)
		}
		secrets.Add(seeded.Value, "the value of seeded workspace key "+seeded.ID)
		srcName := strings.ToLower(string(s)) + "-ws-imported-src"
		h.Create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: srcName}, StringData: map[string]string{"value": seeded.Value}})
		src := &common.ValueSource{Name: srcName, Key: "value"}
		if s == testkit.Cluster {
			src.Namespace = ns
		}
		created := testkit.WorkspaceAPIKey.New(s, ns, strings.ToLower(string(s))+"-ws-created", common.KeyParameters{Name: name + "-ws-created"}, ws.ID)
		imported := testkit.WorkspaceAPIKey.New(s, ns, strings.ToLower(string(s))+"-ws-imported", common.KeyParameters{Name: seeded.Name, ImportValueFrom: src}, ws.ID)
		meta.SetExternalName(imported, seeded.ID)
		wsKeys[string(s)] = map[string]testkit.Key{"created": created, "imported": imported}
		for _, k := range wsKeys[string(s)] {
			testkit.UseConfig(k, cfgs[string(s)]["ok"])
			h.Create(t, k)
		}
	}
	for _, s := range testkit.Scopes {
		for _, k := range wsKeys[string(s)] {
			if key := h.WaitStored(t, k, ws.ID); !strings.HasPrefix(key.Value, testkit.WorkspaceAPIKey.ValuePrefix) {
				t.Errorf("%s stores a value without the prefix %s", k.GetName(), testkit.WorkspaceAPIKey.ValuePrefix)
			}
		}
		waitValueCondition(t, wsKeys[string(s)]["imported"], common.ReasonValueStored)
		k := wsKeys[string(s)]["created"]
		h.Update(t, k, func() { k.KeyParameters().Name += "-renamed" })
	}

	// A replacement, a rotation, a deletion.
	for _, s := range testkit.Scopes {
		h.Update(t, keys[string(s)]["created"], func() { p := keys[string(s)]["created"].KeyParameters(); p.Name += "-renamed" })
		h.Update(t, keys[string(s)]["throttled"], func() {
			p := keys[string(s)]["throttled"].KeyParameters()
			p.Rotation = &common.Rotation{Trigger: "leaked-" + string(s)}
		})
		if err := kube.Delete(ctx, keys[string(s)]["failed"]); err != nil {
			t.Fatal(err)
		}
	}
	waitAll("created", hp)
	waitAll("throttled", hp)
	for _, s := range testkit.Scopes {
		h.WaitStored(t, wsKeys[string(s)]["created"], ws.ID)
	}
	for _, s := range testkit.Scopes {
		// The runtime trusts a key's absence only 30 s after its creation.
		h.Within(30*time.Second+waitTimeout).WaitGone(t, keys[string(s)]["failed"])
	}

	// A workspace key revoked under a running key, which then must be
	// replaced.
	each("revoked", plain, "revoked")
	waitAll("revoked", rp)
	sim.RevokeWorkspaceKey(revoked)
	for _, s := range testkit.Scopes {
		h.Update(t, keys[string(s)]["revoked"], func() { p := keys[string(s)]["revoked"].KeyParameters(); p.Name += "-renamed" })
	}
	for _, s := range testkit.Scopes {
		h.Within(waitTimeout).WaitSyncError(t, keys[string(s)]["revoked"], "invalid or revoked")
	}

	// A Project's life: created, a key in it by reference, the key rotated
	// and the Project renamed, then the key deleted and the project purged
	// (deletion protection off). The key's value goes through the same
	// scan as every other.
	projects := map[testkit.Scope]testkit.Project{}
	projectKeys := map[testkit.Scope]testkit.ProjectKey{}
	for _, s := range testkit.Scopes {
		scope := strings.ToLower(string(s))
		p := testkit.NewProject(s, ns, scope+"-project", nil)
		off := false
		p.Parameters().DeletionProtection = &off
		testkit.UseConfig(p, cfgs[string(s)]["ok"])
		k := testkit.NewProjectKey(s, ns, scope+"-in-project", common.KeyParameters{Name: ns + "-" + scope + "-in-project"}, "")
		testkit.ReferProject(k, p.GetName())
		testkit.UseConfig(k, cfgs[string(s)]["ok"])
		h.Create(t, p)
		h.Create(t, k)
		projects[s], projectKeys[s] = p, k
	}
	projectIDs, firstKeys := map[testkit.Scope]string{}, map[testkit.Scope]string{}
	for _, s := range testkit.Scopes {
		p, k := projects[s], projectKeys[s]
		h.WaitReady(t, p)
		projectIDs[s] = p.Observation().ID
		firstKeys[s] = h.WaitStored(t, k, projectIDs[s]).ID
		h.Update(t, k, func() { k.KeyParameters().Rotation = &common.Rotation{Trigger: "project-" + string(s)} })
		h.Update(t, p, func() { p.Parameters().Name += "-renamed" })
	}
	for _, s := range testkit.Scopes {
		p, k := projects[s], projectKeys[s]
		h.Within(waitTimeout).Eventually(t, k.GetName()+" rotated", func() (bool, string) {
			if err := h.Refresh(k); err != nil {
				return false, err.Error()
			}
			id := testkit.KeyIDOf(meta.GetExternalName(k))
			return id != "" && id != firstKeys[s], "external name " + meta.GetExternalName(k)
		})
		h.WaitStored(t, k, projectIDs[s])
		h.Within(waitTimeout).Eventually(t, p.GetName()+" renamed in Ory", func() (bool, string) {
			o, ok := sim.Project(projectIDs[s])
			return ok && o.Name == p.Parameters().Name, fmt.Sprintf("project %s named %q (found: %v)", projectIDs[s], o.Name, ok)
		})
		if err := kube.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range testkit.Scopes {
		h.Within(30*time.Second+waitTimeout).WaitGone(t, projectKeys[s])
		if err := kube.Delete(ctx, projects[s]); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range testkit.Scopes {
		h.Within(waitTimeout).WaitGone(t, projects[s])
		if _, ok := sim.Project(projectIDs[s]); ok {
			t.Errorf("%s: project %s is still in Ory after the Project, its deletion protection off, was deleted", string(s), projectIDs[s])
		}
		if !hasEvent(t, projectKeys[s], "RotatedKey") {
			t.Errorf("%s: no RotatedKey event about %s", string(s), projectKeys[s].GetName())
		}
	}

	// OAuth2Clients, whose secrets Ory returns once like a key's value: in
	// each scope a confidential client created through a ProviderConfig's
	// projectCredentials, its secret rotated (the old one kept through an
	// hour's overlap, so both are live while the scan runs), and its
	// scope changed in place.
	oauthClients := hygieneOAuth2Clients(t, ns, hp)

	// The workload went through the paths it claims to.
	faults := map[string]int{}
	for _, e := range requestsTo(hp.ID, start, time.Now().Add(time.Second)) {
		if e.Fault != "" {
			faults[fmt.Sprintf("%s %s %d", e.Fault, e.Operation, e.Status)]++
		}
	}
	for _, want := range []string{
		orysim.FaultFailNext + " " + orysim.OpCreateProjectAPIKey + " 429",
		orysim.FaultFailNext + " " + orysim.OpCreateProjectAPIKey + " 500",
		orysim.FaultDrop + " " + orysim.OpCreateProjectAPIKey + " 0",
	} {
		if faults[want] == 0 {
			t.Errorf("the workload met no %q; it met %v", want, faults)
		}
	}
	for _, s := range testkit.Scopes {
		for step, reason := range map[string]string{"created": "ReplacedKey", "throttled": "RotatedKey", "imported": "ImportedValue"} {
			k := keys[string(s)][step]
			if !hasEvent(t, k, reason) {
				t.Errorf("%s: no %s event about %s", string(s), reason, k.GetName())
			}
		}
		for step, reason := range map[string]string{"created": "ReplacedKey", "imported": "ImportedValue"} {
			k := wsKeys[string(s)][step]
			if !hasEvent(t, k, reason) {
				t.Errorf("%s: no %s event about %s", string(s), reason, k.GetName())
			}
		}
	}

	findings, stats, err := scanWorld(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clientFindings, scanned, err := scanOAuth2Clients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if scanned < len(oauthClients) {
		t.Errorf("the scan read %d OAuth2Clients, want at least the %d of this run", scanned, len(oauthClients))
	}
	t.Logf("scanned %s, and %d OAuth2Clients; faults met: %v", stats, scanned, faults)
	for _, f := range append(findings, clientFindings...) {
		t.Errorf("secret leaked: %s", f)
	}
}

// hygieneOAuth2Client is an OAuth2Client of either scope.
type hygieneOAuth2Client interface {
	resource.Managed
	ClientParameters() *common.OAuth2ClientParameters
}

// hygieneOAuth2Clients makes, in each scope, a project API key of project
// p (as a ProjectAPIKey's connection Secret in ns: value, projectID and the
// simulator's apiURL), a ProviderConfig whose projectCredentials name it,
// and a confidential OAuth2Client on it; it waits until each client's secret
// is stored, rotates it, waits until the new one is stored, and changes the
// client's scope in place. Every secret the simulator issued for the clients
// (current and rotated) and the project key join the secret set. It returns
// the clients.
func hygieneOAuth2Clients(t *testing.T, ns string, p orysim.Project) []hygieneOAuth2Client {
	t.Helper()
	admin, err := sim.CreateKey(orysim.KeySpec{Project: p.ID, Name: ns + "-oauth-admin"})
	if err != nil {
		t.Fatal(err)
	}
	secrets.Add(admin.Value, "the project key "+admin.ID+" of the OAuth2Clients' projectCredentials")
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "oauth-admin-key"}, Data: map[string][]byte{
		common.ConnectionKeyValue:     []byte(admin.Value),
		common.ConnectionKeyProjectID: []byte(p.ID),
		common.ConnectionKeyAPIURL:    []byte(orysim.ProjectAPIURL(simURL, p.Slug)),
	}}
	h.Create(t, creds)
	overlap := common.Duration("1h")
	params := func(s testkit.Scope) common.OAuth2ClientParameters {
		return common.OAuth2ClientParameters{
			ClientName: ns + "-" + strings.ToLower(string(s)) + "-web",
			GrantTypes: []string{"client_credentials"},
			Scope:      "read",
			Rotation:   &common.Rotation{Overlap: &overlap, Trigger: "1"},
		}
	}
	var clients []hygieneOAuth2Client
	for _, s := range testkit.Scopes {
		var c hygieneOAuth2Client
		if s == testkit.Namespaced {
			pc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "clients"}}
			pc.Spec.ProjectCredentials = &common.LocalProjectCredentials{ConnectionSecretRef: xpv2.LocalSecretReference{Name: creds.Name}}
			h.Create(t, pc)
			nc := &namespacedv1alpha1.OAuth2Client{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
			nc.Spec.ForProvider = params(s)
			nc.SetProviderConfigReference(&xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: pc.Name})
			nc.SetWriteConnectionSecretToReference(&xpv2.LocalSecretReference{Name: "web-client"})
			c = nc
		} else {
			pc := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: ns + "-clients"}}
			pc.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: ns, Name: creds.Name}}
			h.Create(t, pc)
			cc := &clusterv1alpha1.OAuth2Client{ObjectMeta: metav1.ObjectMeta{Name: ns + "-web"}}
			cc.Spec.ForProvider = params(s)
			cc.SetProviderConfigReference(&xpv2.Reference{Name: pc.Name})
			cc.SetWriteConnectionSecretToReference(&xpv2.SecretReference{Namespace: ns, Name: "web-legacy-client"})
			c = cc
		}
		h.Create(t, c)
		clients = append(clients, c)
	}
	// record adds every secret Ory holds for the client c stores.
	record := func(c hygieneOAuth2Client) (id, stored string) {
		t.Helper()
		sec := h.ConnectionSecret(t, c)
		id, stored = string(sec.Data[common.ConnectionKeyClientID]), string(sec.Data[common.ConnectionKeyClientSecret])
		oc, ok := sim.OAuth2Client(p.ID, id)
		if !ok {
			t.Fatalf("%s: client %q is not in the simulator", c.GetName(), id)
		}
		for _, v := range append([]string{oc.Secret}, oc.RotatedSecrets...) {
			secrets.Add(v, "a secret of OAuth2 client "+id)
			// The scan must know it: a client secret has no ory_ prefix.
			if len(secrets.Scan("self-check", []byte("secret="+v))) == 0 {
				t.Errorf("%s: the scan would not find a secret of client %s", c.GetName(), id)
			}
		}
		return id, stored
	}
	firsts := make([]string, len(clients))
	for i, c := range clients {
		h.WaitReady(t, c)
		id, first := record(c)
		if first == "" || !sim.SecretWorks(p.ID, id, first) {
			t.Fatalf("%s: the connection Secret holds no secret that works at Ory for client %s", c.GetName(), id)
		}
		firsts[i] = first
		h.Update(t, c, func() { c.ClientParameters().Rotation.Trigger = "2" })
	}
	for i, c := range clients {
		h.Within(waitTimeout).Eventually(t, c.GetName()+": the rotated secret stored", func() (bool, string) {
			sec := h.ConnectionSecret(t, c)
			v := string(sec.Data[common.ConnectionKeyClientSecret])
			return v != "" && v != firsts[i], "the Secret still holds the first secret"
		})
		id, _ := record(c)
		if oc, _ := sim.OAuth2Client(p.ID, id); !slices.Contains(oc.RotatedSecrets, firsts[i]) {
			t.Errorf("%s: the first secret is not among the client's rotated secrets: the rotation was not Ory's", c.GetName())
		}
		h.Update(t, c, func() { c.ClientParameters().Scope = "read write" })
	}
	for _, c := range clients {
		h.Within(waitTimeout).Eventually(t, c.GetName()+": the new scope applied in place", func() (bool, string) {
			if err := h.Refresh(c); err != nil {
				return false, err.Error()
			}
			oc, ok := sim.OAuth2Client(p.ID, meta.GetExternalName(c))
			return ok && oc.Doc["scope"] == "read write", fmt.Sprintf("client %s in Ory (found: %v) has scope %v", meta.GetExternalName(c), ok, oc.Doc["scope"])
		})
		record(c)
		es, err := h.EventsAbout(c.GetNamespace(), c.GetName())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(es, func(e corev1.Event) bool { return e.Reason == "RotatedSecret" }) {
			t.Errorf("%s: no RotatedSecret event: the hygiene run did not go through a client's rotation", c.GetName())
		}
	}
	return clients
}

// scanOAuth2Clients scans every OAuth2Client of both scopes (metadata, spec
// and status with every condition) for every secret of the set, as
// scanWorld does for the kinds of testkit.Kinds, and says how many it read.
func scanOAuth2Clients(ctx context.Context) ([]finding, int, error) {
	var out []finding
	n := 0
	for _, l := range []client.ObjectList{&namespacedv1alpha1.OAuth2ClientList{}, &clusterv1alpha1.OAuth2ClientList{}} {
		if err := kube.List(ctx, l); err != nil {
			return nil, 0, fmt.Errorf("cannot list %T: %w", l, err)
		}
		items, err := metaItems(l)
		if err != nil {
			return nil, 0, err
		}
		for _, o := range items {
			b, err := json.Marshal(o)
			if err != nil {
				return nil, 0, err
			}
			n++
			out = append(out, secrets.Scan(fmt.Sprintf("%T %s", o, client.ObjectKeyFromObject(o)), b)...)
		}
	}
	return out, n, nil
}

// providerConfigName is the name of the ProviderConfig k points at.
func providerConfigName(k testkit.ProjectKey) string {
	switch o := k.(type) {
	case interface {
		GetProviderConfigReference() *xpv2.ProviderConfigReference
	}:
		return o.GetProviderConfigReference().Name
	case interface{ GetProviderConfigReference() *xpv2.Reference }:
		return o.GetProviderConfigReference().Name
	}
	return ""
}

// waitValueCondition waits for k's KeyValue condition to have reason.
func waitValueCondition(t *testing.T, k testkit.Key, reason xpv2.ConditionReason) {
	t.Helper()
	h.Within(waitTimeout).Eventually(t, k.GetName()+" KeyValue "+string(reason), func() (bool, string) {
		if err := h.Refresh(k); err != nil {
			return false, err.Error()
		}
		c := k.GetCondition(common.TypeValue)
		return c.Reason == reason, fmt.Sprintf("KeyValue=%s(%s: %s)", c.Status, c.Reason, c.Message)
	})
}

func hasEvent(t *testing.T, k testkit.Key, reason string) bool {
	t.Helper()
	es, err := h.EventsAbout(k.GetNamespace(), k.GetName())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Reason == reason {
			return true
		}
	}
	return false
}
