package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	ory "github.com/ory/client-go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

func TestRender(t *testing.T) {
	const (
		projectValue   = "ory_pat_0123456789abcdefghijklmnopqrWXYZ"
		workspaceValue = "ory_wak_0123456789abcdefghijklmnopqrQRST"
		// An OAuth2 client's secret has no ory_ prefix to tell it by.
		clientSecret = "0123456789abcdefghijklmnopqrCDEF"
	)
	ready := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue}
	synced := xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionTrue}
	statuses := []localenv.KeyStatus{
		{
			Kind: "ProjectAPIKey", Namespace: "team-a", Name: "payments", Ready: ready, Synced: synced,
			ExternalName: "k1", Parent: "project", KeyID: "k1", ParentID: "p1",
			Secret: &localenv.SecretStatus{Namespace: "team-a", Name: "payments-ory-api-key", Found: true, Data: map[string][]byte{
				"value": []byte(projectValue), "keyID": []byte("k1"), "projectID": []byte("p1"),
			}},
		},
		{Kind: "ProjectAPIKey", Cluster: true, Name: "imported", Ready: ready, Synced: synced, ExternalName: "k2", Parent: "project", KeyID: "k2", Import: true, ValueUnknown: true},
		{
			Kind: "WorkspaceAPIKey", Namespace: "team-a", Name: "ci", Ready: ready, Synced: synced,
			ExternalName: "w1", Parent: "workspace", KeyID: "w1", ParentID: "ws1",
			Secret: &localenv.SecretStatus{Namespace: "team-a", Name: "ci-ory-workspace-key", Found: true, Data: map[string][]byte{
				"value": []byte(workspaceValue), "keyID": []byte("w1"), "workspaceID": []byte("ws1"),
			}},
		},
		{
			// Not observed yet: GetCondition answers Unknown.
			Kind: "WorkspaceAPIKey", Cluster: true, Name: "platform-legacy", Parent: "workspace",
			Ready:  xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionUnknown},
			Synced: xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionUnknown},
			Secret: &localenv.SecretStatus{Namespace: "crossplane-system", Name: "platform-legacy-ory-workspace-key"},
		},
		{
			// Waits for its Project: Ready not yet reported, Synced says why.
			Kind: "ProjectAPIKey", Namespace: "team-a", Name: "payments-app", Parent: "project",
			Ready:  xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionUnknown},
			Synced: xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionFalse, Reason: "ReconcileError", Message: "cannot resolve references: referenced field was empty"},
		},
		// Not an example, and named like one of another kind.
		{Kind: "ProjectAPIKey", Namespace: "team-a", Name: "ci", Ready: ready, Synced: synced, Parent: "project", KeyID: "k3"},
		{
			Kind: "OAuth2Client", Namespace: "team-a", Name: "web", Ready: ready, Synced: synced,
			ExternalName: "c1", Parent: "project", KeyID: "c1", ParentID: "p1",
			Secret: &localenv.SecretStatus{Namespace: "team-a", Name: "web-oauth2-client", Found: true, Data: map[string][]byte{
				"clientSecret": []byte(clientSecret), "clientID": []byte("c1"), "tokenURL": []byte("https://payments-slug.projects.oryapis.com/oauth2/token"),
			}},
		},
		{
			// A public client: no secret, by design.
			Kind: "OAuth2Client", Cluster: true, Name: "spa", Ready: ready, Synced: synced,
			ExternalName: "c2", Parent: "project", KeyID: "c2", ParentID: "p1", NoSecret: true,
			Secret: &localenv.SecretStatus{Namespace: "crossplane-system", Name: "spa-oauth2-client", Found: true, Data: map[string][]byte{"clientID": []byte("c2")}},
		},
	}
	projects := []localenv.ProjectStatus{
		{
			Namespace: "team-a", Name: "payments", Ready: ready, Synced: synced, ExternalName: "p1", SpecName: "payments",
			AtProvider: common.ProjectObservation{ID: "p1", Slug: "payments-slug", Name: "payments", State: "running", APIURL: "https://payments-slug.projects.oryapis.com"},
		},
		{
			// Being created: no ID yet.
			Cluster: true, Name: "payments-legacy", SpecName: "payments-legacy",
			Ready:  xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: "Creating"},
			Synced: synced,
		},
	}
	want := []resourceRef{
		{kind: "Project", id: "team-a/payments"},
		{kind: "Project", cluster: true, id: "payments-legacy"},
		{kind: "ProjectAPIKey", id: "team-a/payments"},
		{kind: "ProjectAPIKey", cluster: true, id: "imported"},
		{kind: "WorkspaceAPIKey", id: "team-a/ci"},
		{kind: "WorkspaceAPIKey", cluster: true, id: "platform-legacy"},
		{kind: "ProjectAPIKey", id: "team-a/payments-app"},
		{kind: "ProjectAPIKey", id: "team-a/payments-old"}, // deleted by the user
		{kind: "OAuth2Client", id: "team-a/web"},
		{kind: "OAuth2Client", cluster: true, id: "spa"},
	}
	got := render(show(rows(projects, statuses, nil, lacking(nil, nil)), statuses, want))
	for _, v := range []string{projectValue[8:], workspaceValue[8:], clientSecret} {
		if strings.Contains(got, v[:len(v)-4]) {
			t.Fatalf("render shows a key's value:\n%s", got)
		}
	}
	lines := strings.Split(got, "\n")
	cases := map[string]struct {
		reason string
		line   []string // the words of one line, in order
	}{
		"Header": {
			reason: "The table says which kind each row is.",
			line:   []string{"KIND", "NAME", "API", "READY", "SYNCED", "EXTERNAL-NAME", "NOTE"},
		},
		"Project": {
			reason: "A Project is a row with its kind, and shows its project's slug, state and API URL.",
			line:   []string{"Project", "team-a/payments", "ory.m", "True", "True", "p1", "project payments-slug, running, API https://payments-slug.projects.oryapis.com"},
		},
		"ProjectWaiting": {
			reason: "A Project not yet converged says what it waits for.",
			line:   []string{"Project", "payments-legacy", "ory (cluster)", "False", "True", "-", "Ready=False (Creating)"},
		},
		"ProjectAPIKey": {
			reason: "A made ProjectAPIKey shows where its value is.",
			line:   []string{"ProjectAPIKey", "team-a/payments", "ory.m", "True", "True", "k1", "value in Secret team-a/payments-ory-api-key"},
		},
		"Import": {
			reason: "An import has no value, by design.",
			line:   []string{"ProjectAPIKey", "imported", "ory (cluster)", "True", "True", "k2", "import (Observe): no value, by design"},
		},
		"WorkspaceAPIKey": {
			reason: "A WorkspaceAPIKey is a row like any key, with its kind.",
			line:   []string{"WorkspaceAPIKey", "team-a/ci", "ory.m", "True", "True", "w1", "value in Secret team-a/ci-ory-workspace-key"},
		},
		"WorkspaceAPIKeyWaiting": {
			reason: "A WorkspaceAPIKey not yet converged says what it waits for.",
			line:   []string{"WorkspaceAPIKey", "platform-legacy", "ory (cluster)", "Unknown", "Unknown", "-", "Ready=Unknown"},
		},
		"NotAnExample": {
			reason: "A ProjectAPIKey named like the example WorkspaceAPIKey is not that example.",
			line:   []string{"ProjectAPIKey", "team-a/ci", "(not an example)"},
		},
		"Deleted": {
			reason: "An example the user deleted says so, rather than vanishing or looking pending.",
			line:   []string{"ProjectAPIKey", "team-a/payments-old", "ory.m", "-", "-", "-", "deleted"},
		},
		"WaitingSaysWhy": {
			reason: "A key whose Ready is not reported yet shows why it is not Synced, not \"Ready=Unknown\".",
			line:   []string{"ProjectAPIKey", "team-a/payments-app", "Unknown", "False", "-", "Synced=False (ReconcileError): cannot resolve references"},
		},
		"WorkspaceSecret": {
			reason: "A WorkspaceAPIKey's Secret is named with its kind, its value masked, its workspace shown.",
			line:   []string{"team-a/ci-ory-workspace-key (of WorkspaceAPIKey team-a/ci)"},
		},
		"WorkspaceValueMasked": {
			reason: "Values are masked, workspace keys' as project keys'.",
			line:   []string{"value:", "ory_wak_****QRST (40 bytes)"},
		},
		"WorkspaceID": {
			reason: "The workspace ID is not secret and is shown whole.",
			line:   []string{"workspaceID:", "ws1"},
		},
		"OAuth2Client": {
			reason: "An OAuth2Client is a row with its kind, and says which key of its Secret holds its secret.",
			line:   []string{"OAuth2Client", "team-a/web", "ory.m", "True", "True", "c1", "clientSecret in Secret team-a/web-oauth2-client"},
		},
		"PublicClient": {
			reason: "A public client is converged without a secret, and says so.",
			line:   []string{"OAuth2Client", "spa", "ory (cluster)", "True", "True", "c2", "public client: no secret, by design; clientID in Secret crossplane-system/spa-oauth2-client"},
		},
		"ClientSecretMasked": {
			reason: "A client's secret is masked, though nothing in it looks like an Ory key.",
			line:   []string{"clientSecret:", "****CDEF (32 bytes)"},
		},
		"ClientURLs": {
			reason: "A client's ID and URLs are not secret and are shown whole.",
			line:   []string{"tokenURL:", "https://payments-slug.projects.oryapis.com/oauth2/token"},
		},
		"ProjectValueMasked": {
			reason: "A project key's value is masked as before.",
			line:   []string{"value:", "ory_pat_****WXYZ (40 bytes)"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !slices.ContainsFunc(lines, func(l string) bool { return inOrder(l, tc.line) }) {
				t.Errorf("%s\nrender: want a line with %q in order, got:\n%s", tc.reason, tc.line, got)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	ready := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue}
	synced := xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionTrue}
	creating := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: "Creating"}
	secret := func(data map[string][]byte) *localenv.SecretStatus {
		return &localenv.SecretStatus{Namespace: "team-a", Name: "payments-ory-api-key", Found: data != nil, Data: data}
	}
	key := func(ready xpv2.Condition, id string, s *localenv.SecretStatus) localenv.KeyStatus {
		return localenv.KeyStatus{Kind: "ProjectAPIKey", Namespace: "team-a", Name: "payments", Ready: ready, Synced: synced, ExternalName: id, KeyID: id, Secret: s}
	}
	made := key(ready, "k1", secret(map[string][]byte{"keyID": []byte("k1"), "value": []byte("ory_pat_0123456789abcdefghijklmnopqrAAAA")}))
	want := []resourceRef{{kind: "ProjectAPIKey", id: "team-a/payments"}}
	cases := map[string]struct {
		reason   string
		old, new []localenv.KeyStatus
		want     []string
	}{
		"Unchanged": {
			reason: "Reading the same resources again (a resourceVersion bump, a new transition time) shows nothing.",
			old:    []localenv.KeyStatus{made}, new: []localenv.KeyStatus{made},
		},
		"Created": {
			reason: "A key that became Ready shows its new fields and the keys its Secret gained, not the whole table.",
			old:    []localenv.KeyStatus{key(creating, "", secret(nil))},
			new:    []localenv.KeyStatus{made},
			want: []string{
				"  ~ ProjectAPIKey team-a/payments: READY True, EXTERNAL-NAME k1, NOTE value in Secret team-a/payments-ory-api-key",
				"  ~ Secret team-a/payments-ory-api-key (of ProjectAPIKey team-a/payments): keyID k1, value ory_pat_****AAAA (40 bytes)",
			},
		},
		"Replaced": {
			reason: "A replacement shows the new ID and the new masked value; unchanged Secret keys are not repeated.",
			old:    []localenv.KeyStatus{made},
			new:    []localenv.KeyStatus{key(ready, "k2", secret(map[string][]byte{"keyID": []byte("k2"), "value": []byte("ory_pat_0123456789abcdefghijklmnopqrBBBB")}))},
			want: []string{
				"  ~ ProjectAPIKey team-a/payments: EXTERNAL-NAME k2",
				"  ~ Secret team-a/payments-ory-api-key (of ProjectAPIKey team-a/payments): keyID k2, value ory_pat_****BBBB (40 bytes)",
			},
		},
		"SecretDeleted": {
			reason: "A Secret deleted out of band says it no longer exists, and which keys it lost.",
			old:    []localenv.KeyStatus{made},
			new:    []localenv.KeyStatus{key(ready, "k1", secret(nil))},
			want: []string{
				"  ~ ProjectAPIKey team-a/payments: NOTE connection Secret team-a/payments-ory-api-key does not exist yet",
				"  ~ Secret team-a/payments-ory-api-key (of ProjectAPIKey team-a/payments): (does not exist yet), keyID removed, value removed",
			},
		},
		"ExampleDeleted": {
			reason: "An example the user deleted is a row that says so; its Secret is no longer shown.",
			old:    []localenv.KeyStatus{made},
			want: []string{
				"  ~ ProjectAPIKey team-a/payments: READY -, SYNCED -, EXTERNAL-NAME -, NOTE deleted",
				"  - Secret team-a/payments-ory-api-key (of ProjectAPIKey team-a/payments): no longer shown",
			},
		},
		"NewResource": {
			reason: "A resource the user added shows all its fields.",
			new:    []localenv.KeyStatus{made, {Kind: "ProjectAPIKey", Namespace: "team-a", Name: "extra", Ready: ready, Synced: synced, ExternalName: "k9", KeyID: "k9"}},
			old:    []localenv.KeyStatus{made},
			want:   []string{"  + ProjectAPIKey team-a/extra: API ory.m, READY True, SYNCED True, EXTERNAL-NAME k9, NOTE (not an example)"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := func(s []localenv.KeyStatus) view { return show(rows(nil, s, nil, lacking(nil, nil)), s, want) }
			if diff := cmp.Diff(tc.want, changes(v(tc.old), v(tc.new))); diff != "" {
				t.Errorf("%s\nchanges: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCount(t *testing.T) {
	ready := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue}
	synced := xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionTrue}
	key := func(name string, converged, deleting bool) localenv.KeyStatus {
		k := localenv.KeyStatus{Kind: "ProjectAPIKey", Namespace: "team-a", Name: name, Synced: synced, KeyID: "k", Deleting: deleting}
		if converged {
			k.Ready = ready
		}
		return k
	}
	want := []resourceRef{{kind: "ProjectAPIKey", id: "team-a/a"}, {kind: "ProjectAPIKey", id: "team-a/b"}, {kind: "ProjectAPIKey", id: "team-a/c"}}
	cases := map[string]struct {
		reason   string
		statuses []localenv.KeyStatus
		want     string
		all      bool
	}{
		"AllConverged": {
			reason:   "Every example converged.",
			statuses: []localenv.KeyStatus{key("a", true, false), key("b", true, false), key("c", true, false)},
			want:     "3/3 examples converged", all: true,
		},
		"OnePending": {
			reason:   "An example that exists and lacks something is pending.",
			statuses: []localenv.KeyStatus{key("a", true, false), key("b", false, false), key("c", true, false)},
			want:     "2/3 examples converged",
		},
		"DeletedAreNotPending": {
			reason:   "Examples the user deleted (gone, or still being deleted) count neither as converged nor as pending: the rest all converged.",
			statuses: []localenv.KeyStatus{key("a", true, false), key("b", false, true)},
			want:     "1/1 examples converged (2 deleted)", all: true,
		},
		"DeletedAndPending": {
			reason:   "A deletion does not hide an example that is still pending.",
			statuses: []localenv.KeyStatus{key("a", false, false)},
			want:     "0/1 examples converged (2 deleted)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := count(want, rows(nil, tc.statuses, nil, lacking(nil, nil)))
			if got.String() != tc.want || got.all() != tc.all {
				t.Errorf("%s\ncount: want %q (all %v), got %q (all %v)", tc.reason, tc.want, tc.all, got, got.all())
			}
		})
	}
}

// inOrder reports whether line holds words in that order.
func inOrder(line string, words []string) bool {
	for _, w := range words {
		i := strings.Index(line, w)
		if i < 0 {
			return false
		}
		line = line[i+len(w):]
	}
	return true
}

func TestMissing(t *testing.T) {
	ready := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue}
	synced := xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionTrue}
	converged := func(kind, ns, name string) localenv.KeyStatus {
		return localenv.KeyStatus{Kind: kind, Cluster: ns == "", Namespace: ns, Name: name, Ready: ready, Synced: synced, KeyID: "k"}
	}
	cases := map[string]struct {
		reason   string
		want     []resourceRef
		projects []localenv.ProjectStatus
		statuses []localenv.KeyStatus
		missing  []string
	}{
		"ProjectAndKeyConverged": {
			reason:   "A converged Project and its converged key leave nothing missing.",
			want:     []resourceRef{{kind: "Project", id: "team-a/payments"}, {kind: "ProjectAPIKey", id: "team-a/payments-app"}},
			projects: []localenv.ProjectStatus{{Namespace: "team-a", Name: "payments", Ready: ready, Synced: synced, ExternalName: "p1", SpecName: "payments", AtProvider: common.ProjectObservation{ID: "p1", Name: "payments"}}},
			statuses: []localenv.KeyStatus{converged("ProjectAPIKey", "team-a", "payments-app")},
		},
		"ProjectNotObserved": {
			reason:   "--check waits for a Project until the provider read its project from Ory.",
			want:     []resourceRef{{kind: "Project", cluster: true, id: "payments-legacy"}},
			projects: []localenv.ProjectStatus{{Cluster: true, Name: "payments-legacy", Ready: ready, Synced: synced, SpecName: "payments-legacy"}},
			missing:  []string{"Project payments-legacy (cluster-scoped): no status.atProvider.id yet"},
		},
		"ProjectMissing": {
			reason:   "A key named like the example Project does not stand in for it.",
			want:     []resourceRef{{kind: "Project", id: "team-a/payments"}},
			statuses: []localenv.KeyStatus{converged("ProjectAPIKey", "team-a", "payments")},
			missing:  []string{"Project team-a/payments: does not exist"},
		},
		"EveryKindConverged": {
			reason:   "Converged keys of both kinds leave nothing missing.",
			want:     []resourceRef{{kind: "ProjectAPIKey", id: "team-a/payments"}, {kind: "WorkspaceAPIKey", cluster: true, id: "platform-legacy"}},
			statuses: []localenv.KeyStatus{converged("ProjectAPIKey", "team-a", "payments"), converged("WorkspaceAPIKey", "", "platform-legacy")},
		},
		"WorkspaceAPIKeyMissing": {
			reason:   "--check waits for the example WorkspaceAPIKeys too.",
			want:     []resourceRef{{kind: "ProjectAPIKey", id: "team-a/payments"}, {kind: "WorkspaceAPIKey", id: "team-a/ci"}},
			statuses: []localenv.KeyStatus{converged("ProjectAPIKey", "team-a", "payments")},
			missing:  []string{"WorkspaceAPIKey team-a/ci: does not exist"},
		},
		"OtherKindSameName": {
			reason:   "A converged ProjectAPIKey does not stand in for the WorkspaceAPIKey of the same name.",
			want:     []resourceRef{{kind: "WorkspaceAPIKey", id: "team-a/ci"}},
			statuses: []localenv.KeyStatus{converged("ProjectAPIKey", "team-a", "ci")},
			missing:  []string{"WorkspaceAPIKey team-a/ci: does not exist"},
		},
		"WorkspaceAPIKeyNotConverged": {
			reason: "A WorkspaceAPIKey that exists but is not Ready says why.",
			want:   []resourceRef{{kind: "WorkspaceAPIKey", cluster: true, id: "platform-legacy"}},
			statuses: []localenv.KeyStatus{{
				Kind: "WorkspaceAPIKey", Cluster: true, Name: "platform-legacy", Synced: synced, KeyID: "k",
				Ready: xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: "Creating"},
			}},
			missing: []string{"WorkspaceAPIKey platform-legacy (cluster-scoped): Ready=False (Creating)"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.missing, missing(tc.want, rows(tc.projects, tc.statuses, nil, lacking(nil, nil)))); diff != "" {
				t.Errorf("%s\nmissing: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestExampleKeys reads the shipped examples: --check must wait for the keys
// of every catalogue kind, the self-rotating WorkspaceAPIKey among them.
func TestExampleKeys(t *testing.T) {
	keys := exampleResources(exampleObjects(t))
	for _, want := range []resourceRef{
		{kind: "Project", id: "team-a/payments"},
		{kind: "Project", cluster: true, id: "payments-legacy"},
		{kind: "ProjectAPIKey", id: "team-a/payments-app"},
		{kind: "ProjectAPIKey", cluster: true, id: "payments-legacy-app"},
		{kind: "ProjectAPIKey", id: "team-a/payments"},
		{kind: "ProjectAPIKey", cluster: true, id: "imported-ci-legacy"},
		{kind: "WorkspaceAPIKey", id: "team-a/ci"},
		{kind: "WorkspaceAPIKey", id: "team-a/provider-credentials"},
		{kind: "WorkspaceAPIKey", cluster: true, id: "platform-legacy"},
		{kind: "ProjectAPIKey", id: "team-a/oauth-admin"},
		{kind: "ProjectAPIKey", cluster: true, id: "oauth-admin-legacy"},
		{kind: "OAuth2Client", id: "team-a/web"},
		{kind: "OAuth2Client", id: "team-a/spa"}, // a public client, converged without a secret
		{kind: "OAuth2Client", cluster: true, id: "web-legacy"},
	} {
		if !slices.Contains(keys, want) {
			t.Errorf("exampleKeys: want %v among %v", want, keys)
		}
	}
	for _, k := range config.Kinds() {
		if !slices.ContainsFunc(keys, func(r resourceRef) bool { return r.kind == k.Name }) {
			t.Errorf("exampleKeys: no %s in %v", k.Name, keys)
		}
	}
}

// TestExampleCredentials reads the shipped examples: the self-rotating
// ProviderConfig reads the key "value" of the Secret its WorkspaceAPIKey
// writes, so --check waits until the provider used the key it wrote.
func TestExampleCredentials(t *testing.T) {
	got := exampleCredentials(exampleObjects(t))
	for _, want := range []credentialsRef{
		{config: "ProviderConfig.ory.m.crossplane.io team-a/self-rotating", secret: types.NamespacedName{Namespace: "team-a", Name: "ory-rotated-workspace-key"}, key: "value"},
		{config: "ProviderConfig.ory.m.crossplane.io team-a/default", secret: types.NamespacedName{Namespace: "team-a", Name: "ory-workspace-key"}, key: "credentials"},
		{config: "ClusterProviderConfig.ory.m.crossplane.io default", secret: types.NamespacedName{Namespace: "crossplane-system", Name: "ory-workspace-key"}, key: "credentials"},
		{config: "ProviderConfig.ory.crossplane.io default", secret: types.NamespacedName{Namespace: "crossplane-system", Name: "ory-legacy-workspace-key"}, key: "credentials"},
		// The OAuth2Clients' ProviderConfigs read a ProjectAPIKey's
		// connection Secret, so --check waits until a client call presented
		// that key on the project's API.
		{config: "ProviderConfig.ory.m.crossplane.io team-a/oauth", secret: types.NamespacedName{Namespace: "team-a", Name: "oauth-admin-ory-api-key"}, key: "value", project: true},
		{config: "ProviderConfig.ory.crossplane.io oauth-legacy", secret: types.NamespacedName{Namespace: "crossplane-system", Name: "oauth-admin-legacy-ory-api-key"}, key: "value", project: true},
	} {
		if !slices.Contains(got, want) {
			t.Errorf("exampleCredentials: want %+v among %+v", want, got)
		}
	}
}

func TestLacking(t *testing.T) {
	sim, err := orysim.New(orysim.WithoutContractCheck())
	if err != nil {
		t.Fatal(err)
	}
	if err := localenv.SeedExamples(sim); err != nil {
		t.Fatal(err)
	}
	inst, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	made, _, err := orysim.NewClient(inst.URL, localenv.ExampleWorkspaceKey).WorkspaceAPI.
		CreateWorkspaceApiKey(t.Context(), localenv.ExampleWorkspaceID).CreateWorkspaceApiKeyBody(*ory.NewCreateWorkspaceApiKeyBody("provider-ory-team-a")).Execute()
	if err != nil {
		t.Fatal(err)
	}
	rotated := types.NamespacedName{Namespace: "team-a", Name: "ory-rotated-workspace-key"}
	status := localenv.KeyStatus{
		Kind: "WorkspaceAPIKey", Namespace: "team-a", Name: "provider-credentials", Parent: "workspace",
		Ready:  xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue},
		Synced: xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionTrue},
		KeyID:  made.Id, ParentID: localenv.ExampleWorkspaceID,
		Secret: &localenv.SecretStatus{Namespace: rotated.Namespace, Name: rotated.Name, Found: true, Data: map[string][]byte{
			"value": []byte(made.GetValue()), "keyID": []byte(made.Id),
		}},
	}
	selfRotating := credentialsRef{config: "ProviderConfig team-a/self-rotating", secret: rotated, key: "value"}
	notUsed := "ProviderConfig team-a/self-rotating has not yet called Ory successfully with key " + made.Id

	// A ProjectAPIKey whose Secret is the projectCredentials of the
	// ProviderConfig of OAuth2Clients.
	projectKey, err := sim.CreateKey(orysim.KeySpec{Project: localenv.ExampleProjectID, Name: "oauth-admin"})
	if err != nil {
		t.Fatal(err)
	}
	adminSecret := types.NamespacedName{Namespace: "team-a", Name: "oauth-admin-ory-api-key"}
	admin := localenv.KeyStatus{
		Kind: "ProjectAPIKey", Namespace: "team-a", Name: "oauth-admin", Parent: "project",
		Ready:  xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue},
		Synced: xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionTrue},
		KeyID:  projectKey.ID, ParentID: localenv.ExampleProjectID,
		Secret: &localenv.SecretStatus{Namespace: adminSecret.Namespace, Name: adminSecret.Name, Found: true, Data: map[string][]byte{
			"value": []byte(projectKey.Value), "keyID": []byte(projectKey.ID),
		}},
	}
	clients := credentialsRef{config: "ProviderConfig team-a/oauth", secret: adminSecret, key: "value", project: true}

	cases := map[string]struct {
		reason string
		status localenv.KeyStatus
		creds  []credentialsRef
		// use presents this token to the simulator's console API before the
		// check, useProject to the examples' project API; "" none.
		use, useProject string
		want            string // a part of the answer; "" for nothing lacking
	}{
		"NotCredentials": {
			reason: "A key whose Secret no ProviderConfig reads needs only to converge.",
			status: status,
			creds:  []credentialsRef{{config: "ProviderConfig team-a/default", secret: types.NamespacedName{Namespace: "team-a", Name: "ory-workspace-key"}, key: "credentials"}},
		},
		"OtherKeyOfTheSecret": {
			reason: "A ProviderConfig that reads another key of the Secret does not use the written value.",
			status: status,
			creds:  []credentialsRef{{config: "ProviderConfig team-a/odd", secret: rotated, key: "credentials"}},
		},
		"RotatedNotUsedYet": {
			reason: "A self-rotating key converged in Kubernetes, but the provider has not shown that the key it wrote works.",
			status: status, creds: []credentialsRef{selfRotating},
			want: notUsed,
		},
		"RefusedRequest": {
			reason: "A request that presented another key does not count.",
			status: status, creds: []credentialsRef{selfRotating}, use: "ory_wak_unknown",
			want: notUsed,
		},
		"RotatedUsed": {
			reason: "Once the simulator answered a request that presented the written key, the ProviderConfig works with it.",
			status: status, creds: []credentialsRef{selfRotating}, use: made.GetValue(),
		},
		"ProjectCredentialsNotUsedYet": {
			reason: "A ProjectAPIKey that is a ProviderConfig's projectCredentials has not shown that the provider reaches the project's API with it.",
			status: admin, creds: []credentialsRef{clients},
			want: "ProviderConfig team-a/oauth has not yet called Ory successfully with key " + projectKey.ID,
		},
		"ProjectCredentialsUsed": {
			reason: "A request to the project's API that presented the key shows the ProviderConfig works with it, at the URL the simulator serves.",
			status: admin, creds: []credentialsRef{clients}, useProject: projectKey.Value,
		},
		"ProjectCredentialsOtherKey": {
			reason: "A request to the project's API with another key does not count.",
			status: admin, creds: []credentialsRef{clients}, useProject: "ory_pat_unknown",
			want: "ProviderConfig team-a/oauth has not yet called Ory successfully",
		},
		"NotConvergedFirst": {
			reason: "What Converged says comes first.",
			status: func() localenv.KeyStatus {
				s := status
				s.Ready = xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: "Creating"}
				return s
			}(),
			creds: []credentialsRef{selfRotating},
			want:  "Ready=False (Creating)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim.ResetRequests()
			if tc.use != "" {
				_, _, _ = orysim.NewClient(inst.URL, tc.use).WorkspaceAPI.ListWorkspaceApiKeys(t.Context(), localenv.ExampleWorkspaceID).Execute()
			}
			if tc.useProject != "" {
				_, _, _ = orysim.NewProjectAPIClient(orysim.ProjectAPIURL(inst.URL, "examples"), tc.useProject).OAuth2API.ListOAuth2Clients(t.Context()).Execute()
			}
			got := lacking(sim, tc.creds)(tc.status)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("%s\nlacking: want %q, got %q", tc.reason, tc.want, got)
			}
			if strings.Contains(got, made.GetValue()) || strings.Contains(got, projectKey.Value) {
				t.Errorf("lacking reveals a key's value: %q", got)
			}
		})
	}
}

// exampleObjects reads the examples make run applies.
func exampleObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	root, err := localenv.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := localenv.ExampleFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := localenv.ReadObjects(files...)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestCountKinds(t *testing.T) {
	cases := map[string]struct {
		reason string
		keys   []resourceRef
		want   string
	}{
		"Both": {
			reason: "Kinds in the order they first appear, plural when more than one.",
			keys:   []resourceRef{{kind: "ProjectAPIKey"}, {kind: "WorkspaceAPIKey"}, {kind: "ProjectAPIKey"}},
			want:   "2 ProjectAPIKeys, 1 WorkspaceAPIKey",
		},
		"None": {reason: "No keys, no words.", want: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := countKinds(tc.keys); got != tc.want {
				t.Errorf("%s\ncountKinds: want %q, got %q", tc.reason, tc.want, got)
			}
		})
	}
}

func TestParse(t *testing.T) {
	cases := map[string]struct {
		args []string
		want []string
	}{
		"DefaultPoll":  {args: nil, want: []string{"--poll=" + defaultPoll}},
		"OwnPoll":      {args: []string{"--", "--poll=1m"}, want: []string{"--poll=1m"}},
		"DebugAndMore": {args: []string{"--debug", "--", "--max-reconcile-rate=2"}, want: []string{"--debug", "--poll=" + defaultPoll, "--max-reconcile-rate=2"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := parse(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.args, tc.want) {
				t.Errorf("provider flags: want %v, got %v", tc.want, o.args)
			}
		})
	}
}

// TestRunPrintsWorkingAddresses runs what `make run` runs and follows what it
// prints, as a person would: the metrics address must serve the provider's
// own metrics, the command line must be the one the provider runs with, and
// the command that shows Ory's side must name the simulator it started.
func TestRunPrintsWorkingAddresses(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		msg := "KUBEBUILDER_ASSETS must be set: KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) go test ./cmd/localrun"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, nil, w)
		_ = w.Close()
	}()
	t.Cleanup(func() {
		cancel()
		go func() { _, _ = io.Copy(io.Discard, r) }()
		if code := <-done; code != 0 {
			t.Errorf("localrun exited %d after Ctrl-C, want 0", code)
		}
	})

	var output strings.Builder
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	var metrics, commandLine, keysLine, projectsLine string
	deadline := time.After(8 * time.Minute)
	for converged := false; !converged; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("localrun stopped before the examples converged:\n%s", output.String())
			}
			output.WriteString(l + "\n")
			switch f := strings.Fields(l); {
			case strings.HasPrefix(l, "  provider metrics: "):
				metrics = f[2]
			case strings.HasPrefix(l, "    KUBECONFIG="):
				commandLine = l
			case strings.Contains(l, "./cmd/orysim keys ") && strings.Contains(l, "--project "):
				keysLine = l
			case strings.Contains(l, "./cmd/orysim keys "):
				projectsLine = l
			case strings.HasPrefix(l, "Every example converged"):
				converged = true
			}
		case <-deadline:
			t.Fatalf("the examples did not converge in time:\n%s", output.String())
		}
	}
	go func() {
		for range lines { // keep localrun from blocking on its output
		}
	}()

	if !strings.HasPrefix(metrics, "http://127.0.0.1:") {
		t.Fatalf("metrics address: want a loopback URL, got %q in:\n%s", metrics, output.String())
	}
	for _, want := range []string{"--poll=" + defaultPoll, "--metrics-bind-address=" + strings.TrimSuffix(strings.TrimPrefix(metrics, "http://"), "/metrics"), "--health-probe-bind-address=127.0.0.1:"} {
		if !strings.Contains(commandLine, want) {
			t.Errorf("printed provider command line %q lacks %q", commandLine, want)
		}
	}
	resp, err := http.Get(metrics)
	if err != nil {
		t.Fatalf("scraping the printed metrics address: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(body), "provider_ory_requests_total{") {
		t.Errorf("%s: want provider_ory_requests_total (the examples made console calls), got %d bytes without it", metrics, len(body))
	}
	for _, want := range []string{"--url http://127.0.0.1:", "--workspace-key " + localenv.ExampleWorkspaceKey, "--project " + localenv.ExampleProjectID, "--workspace " + localenv.ExampleWorkspaceID} {
		if !strings.Contains(keysLine, want) {
			t.Errorf("printed keys command %q lacks %q", keysLine, want)
		}
	}
	// The printed projects command, run as printed from the repository
	// root, lists the example project and the two the example Projects
	// made, running.
	root, err := localenv.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", strings.TrimSpace(projectsLine))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("printed projects command %q: %v\n%s", projectsLine, err, out)
	}
	if got := strings.Count(string(out), " running "); !strings.Contains(string(out), localenv.ExampleProjectID) || got < 3 {
		t.Errorf("printed projects command %q: want the example project and the 2 the example Projects made, running (%d running), got:\n%s", projectsLine, got, out)
	}
}

func TestWithLoopbackPorts(t *testing.T) {
	cases := map[string]struct {
		reason      string
		args        []string
		wantMetrics string // "loopback" for a chosen free port
		wantArgs    int
	}{
		"Defaults": {
			reason:      "make run serves metrics and health on free loopback ports, never the provider's :8080/:8081 on every interface.",
			args:        []string{"--poll=10s"},
			wantMetrics: "loopback",
			wantArgs:    3,
		},
		"OwnMetrics": {
			reason:      "Flags after -- win.",
			args:        []string{"--metrics-bind-address=127.0.0.1:9999"},
			wantMetrics: "127.0.0.1:9999",
			wantArgs:    2,
		},
		"MetricsOff": {
			reason:      "--metrics-bind-address=0 turns metrics off; nothing is printed for them.",
			args:        []string{"--metrics-bind-address=0", "--health-probe-bind-address=0"},
			wantMetrics: "",
			wantArgs:    2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args, metrics, err := withLoopbackPorts(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if len(args) != tc.wantArgs {
				t.Errorf("%s\nargs: want %d, got %v", tc.reason, tc.wantArgs, args)
			}
			if tc.wantMetrics == "loopback" {
				if !strings.HasPrefix(metrics, "127.0.0.1:") || metrics == "127.0.0.1:0" {
					t.Errorf("%s\nmetrics address: want 127.0.0.1:<port>, got %q", tc.reason, metrics)
				}
				return
			}
			if metrics != tc.wantMetrics {
				t.Errorf("%s\nmetrics address: want %q, got %q", tc.reason, tc.wantMetrics, metrics)
			}
		})
	}
}
