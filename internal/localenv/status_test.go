package localenv

import (
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	ory "github.com/ory/client-go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestKeyStatuses lists one resource of each catalogue kind and scope, and
// checks that each is read through its kind's own fields: the key's parent
// is a project for a ProjectAPIKey and a workspace for a WorkspaceAPIKey.
func TestKeyStatuses(t *testing.T) {
	// Second precision, as the API server keeps condition times.
	at := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	ready := xpv2.Available()
	ready.LastTransitionTime = at
	synced := xpv2.ReconcileSuccess()
	synced.LastTransitionTime = at
	unknown := xpv2.Condition{Type: common.TypeValue, Status: corev1.ConditionFalse, Reason: common.ReasonValueUnknown, LastTransitionTime: at}
	noSecret := xpv2.Condition{Type: common.TypeValue, Status: corev1.ConditionTrue, Reason: common.ReasonNoSecret, LastTransitionTime: at}

	payments := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "payments", Annotations: map[string]string{"crossplane.io/external-name": "pk1"}}}
	payments.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "payments-key"}
	payments.Status.AtProvider.ID, payments.Status.AtProvider.ProjectID = "pk1", "p1"
	payments.SetConditions(ready, synced)

	imported := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: "imported", Annotations: map[string]string{"crossplane.io/external-name": "pk2"}}}
	imported.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve})
	imported.Status.AtProvider.ID, imported.Status.AtProvider.ProjectID = "pk2", "p1"
	imported.SetConditions(ready, synced, unknown)

	ci := &namespacedv1alpha1.WorkspaceAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "ci"}}
	ci.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "ci-key"}
	ci.Status.AtProvider.ID, ci.Status.AtProvider.WorkspaceID = "wk1", "w1"
	ci.SetConditions(ready, synced)

	// Being deleted, never observed, its Secret not made yet.
	platform := &clusterv1alpha1.WorkspaceAPIKey{ObjectMeta: metav1.ObjectMeta{Name: "platform", DeletionTimestamp: &at, Finalizers: []string{"finalizer.managedresource.crossplane.io"}}}
	platform.Spec.WriteConnectionSecretToReference = &xpv2.SecretReference{Namespace: "crossplane-system", Name: "platform-key"}

	// An OAuth2Client's connection Secret keys its ID as clientID; a public
	// client reports that it has no secret.
	web := &namespacedv1alpha1.OAuth2Client{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "web", Annotations: map[string]string{"crossplane.io/external-name": "c1"}}}
	web.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "web-client"}
	web.Status.AtProvider.ID, web.Status.AtProvider.ProjectID = "c1", "p1"
	web.SetConditions(ready, synced)
	spa := &clusterv1alpha1.OAuth2Client{ObjectMeta: metav1.ObjectMeta{Name: "spa", Annotations: map[string]string{"crossplane.io/external-name": "c2"}}}
	spa.Spec.WriteConnectionSecretToReference = &xpv2.SecretReference{Namespace: "crossplane-system", Name: "spa-client"}
	spa.Status.AtProvider.ID, spa.Status.AtProvider.ProjectID = "c2", "p1"
	spa.SetConditions(ready, synced, noSecret)

	paymentsKey := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "payments-key"}, Data: map[string][]byte{"keyID": []byte("pk1")}}
	ciKey := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "ci-key"}, Data: map[string][]byte{"keyID": []byte("wk1")}}
	webClient := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "web-client"}, Data: map[string][]byte{"clientID": []byte("c1")}}

	s, err := newScheme()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(platform, ci, imported, payments, paymentsKey, ciKey, web, spa, webClient).Build()
	got, err := KeyStatuses(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := []KeyStatus{
		{
			Kind: "ProjectAPIKey", Namespace: "team-a", Name: "payments", Ready: ready, Synced: synced, ExternalName: "pk1",
			Parent: "project", KeyID: "pk1", ParentID: "p1",
			Secret: &SecretStatus{Namespace: "team-a", Name: "payments-key", Found: true, Data: paymentsKey.Data},
		},
		{
			Kind: "ProjectAPIKey", Cluster: true, Name: "imported", Ready: ready, Synced: synced, ExternalName: "pk2",
			Parent: "project", KeyID: "pk2", ParentID: "p1", Import: true, ValueUnknown: true,
		},
		{
			Kind: "WorkspaceAPIKey", Namespace: "team-a", Name: "ci", Ready: ready, Synced: synced,
			Parent: "workspace", KeyID: "wk1", ParentID: "w1",
			Secret: &SecretStatus{Namespace: "team-a", Name: "ci-key", Found: true, Data: ciKey.Data},
		},
		{
			Kind: "WorkspaceAPIKey", Cluster: true, Name: "platform",
			Ready: xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionUnknown}, Synced: xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionUnknown},
			Parent: "workspace", Deleting: true,
			Secret: &SecretStatus{Namespace: "crossplane-system", Name: "platform-key"},
		},
		{
			Kind: "OAuth2Client", Namespace: "team-a", Name: "web", Ready: ready, Synced: synced, ExternalName: "c1",
			Parent: "project", KeyID: "c1", ParentID: "p1",
			Secret: &SecretStatus{Namespace: "team-a", Name: "web-client", Found: true, Data: webClient.Data},
		},
		{
			Kind: "OAuth2Client", Cluster: true, Name: "spa", Ready: ready, Synced: synced, ExternalName: "c2",
			Parent: "project", KeyID: "c2", ParentID: "p1", NoSecret: true,
			Secret: &SecretStatus{Namespace: "crossplane-system", Name: "spa-client"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("KeyStatuses: -want +got:\n%s", diff)
	}
}

func TestConverged(t *testing.T) {
	sim, err := orysim.New(orysim.WithoutContractCheck())
	if err != nil {
		t.Fatal(err)
	}
	if err := SeedExamples(sim); err != nil {
		t.Fatal(err)
	}
	pk, err := sim.CreateKey(orysim.KeySpec{Project: ExampleProjectID, Name: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	wk, err := sim.CreateKey(orysim.KeySpec{Workspace: ExampleWorkspaceID, Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	// Two clients of the examples' project, made through its API with a
	// project key, as the provider makes them: a confidential one and a
	// public one.
	inst, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	api := orysim.NewProjectAPIClient(orysim.ProjectAPIURL(inst.URL, "examples"), pk.Value).OAuth2API
	newClient := func(method string) *ory.OAuth2Client {
		t.Helper()
		body := ory.NewOAuth2Client()
		body.SetTokenEndpointAuthMethod(method)
		c, _, err := api.CreateOAuth2Client(t.Context()).OAuth2Client(*body).Execute()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	confidential, public := newClient(orysim.AuthClientSecretBasic), newClient(orysim.AuthNone)

	ready := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue}
	synced := xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionTrue}
	secret := func(k orysim.Key) *SecretStatus {
		return &SecretStatus{Namespace: "team-a", Name: k.Name + "-key", Found: true, Data: map[string][]byte{"value": []byte(k.Value), "keyID": []byte(k.ID)}}
	}
	project := KeyStatus{Kind: "ProjectAPIKey", Namespace: "team-a", Name: "payments", Ready: ready, Synced: synced, Parent: "project", KeyID: pk.ID, ParentID: ExampleProjectID, Secret: secret(pk)}
	workspace := KeyStatus{Kind: "WorkspaceAPIKey", Namespace: "team-a", Name: "ci", Ready: ready, Synced: synced, Parent: "workspace", KeyID: wk.ID, ParentID: ExampleWorkspaceID, Secret: secret(wk)}
	client := KeyStatus{
		Kind: "OAuth2Client", Namespace: "team-a", Name: "web", Ready: ready, Synced: synced, Parent: "project", KeyID: confidential.GetClientId(), ParentID: ExampleProjectID,
		Secret: &SecretStatus{Namespace: "team-a", Name: "web-client", Found: true, Data: map[string][]byte{"clientSecret": []byte(confidential.GetClientSecret()), "clientID": []byte(confidential.GetClientId())}},
	}
	publicClient := KeyStatus{
		Kind: "OAuth2Client", Namespace: "team-a", Name: "spa", Ready: ready, Synced: synced, Parent: "project", KeyID: public.GetClientId(), ParentID: ExampleProjectID, NoSecret: true,
		Secret: &SecretStatus{Namespace: "team-a", Name: "spa-client", Found: true, Data: map[string][]byte{"clientID": []byte(public.GetClientId())}},
	}

	cases := map[string]struct {
		reason string
		status KeyStatus
		sim    *orysim.Server
		want   string // a part of the answer; "" for converged
	}{
		"ProjectAPIKey": {
			reason: "A made project key whose Secret holds the simulator's value of it is converged.",
			status: project, sim: sim,
		},
		"WorkspaceAPIKey": {
			reason: "A made workspace key is looked up among the workspace's keys, not a project's.",
			status: workspace, sim: sim,
		},
		"WorkspaceAPIKeyNotInWorkspace": {
			reason: "A workspace key is not looked for in a project: an ID the workspace lacks is missing there.",
			status: with(workspace, func(s *KeyStatus) { s.KeyID, s.Secret.Data["keyID"] = pk.ID, []byte(pk.ID) }), sim: sim,
			want: "key " + pk.ID + " is not in the simulator's workspace " + ExampleWorkspaceID,
		},
		"ProjectAPIKeyNotInProject": {
			reason: "And a project key is not looked for in the workspace.",
			status: with(project, func(s *KeyStatus) { s.KeyID, s.Secret.Data["keyID"] = wk.ID, []byte(wk.ID) }), sim: sim,
			want: "key " + wk.ID + " is not in the simulator's project " + ExampleProjectID,
		},
		"WorkspaceAPIKeyOtherValue": {
			reason: "A Secret whose value is not the workspace key's (the provider's own credentials before it wrote the new key) is not converged.",
			status: with(workspace, func(s *KeyStatus) { s.Secret.Data["value"] = []byte(ExampleWorkspaceKey) }), sim: sim,
			want: "the connection Secret's value is not the simulator's current secret of " + wk.ID,
		},
		"WithoutSimulator": {
			reason: "Without a simulator the value is not compared.",
			status: with(workspace, func(s *KeyStatus) { s.Secret.Data["value"] = []byte(ExampleWorkspaceKey) }),
		},
		"OAuth2Client": {
			reason: "A client's Secret keys its ID as clientID and its secret as clientSecret; the secret is the client's current one in the simulator.",
			status: client, sim: sim,
		},
		"OAuth2ClientAsAKey": {
			reason: "A client is looked up among the project's clients, not its API keys: the keys' value and keyID say nothing about it.",
			status: with(client, func(s *KeyStatus) {
				s.Secret.Data = map[string][]byte{"value": []byte(confidential.GetClientSecret()), "keyID": []byte(confidential.GetClientId())}
			}), sim: sim,
			want: "connection Secret holds clientID",
		},
		"OAuth2ClientOtherSecret": {
			reason: "A Secret whose clientSecret is not the client's current secret (an old one, before a rotation was stored) is not converged.",
			status: with(client, func(s *KeyStatus) { s.Secret.Data["clientSecret"] = []byte("an-old-secret-of-the-client") }), sim: sim,
			want: "the connection Secret's clientSecret is not the simulator's current secret of " + confidential.GetClientId(),
		},
		"OAuth2ClientNotInProject": {
			reason: "A client ID the project's clients lack (a key's ID) is missing, whatever the Secret says.",
			status: with(client, func(s *KeyStatus) { s.KeyID, s.Secret.Data["clientID"] = pk.ID, []byte(pk.ID) }), sim: sim,
			want: "client " + pk.ID + " is not in the simulator's project " + ExampleProjectID,
		},
		"PublicClient": {
			reason: "A public client has no secret: it is converged with its ID alone, no clientSecret.",
			status: publicClient, sim: sim,
		},
		"PublicClientWithoutNoSecret": {
			reason: "A client whose Secret lacks a secret is not converged unless the provider says it has none.",
			status: with(publicClient, func(s *KeyStatus) { s.NoSecret = false }), sim: sim,
			want: "has no clientSecret yet",
		},
		"NoSecretButOneInOry": {
			reason: "The provider reporting no secret for a client that has one in Ory is wrong, not converged.",
			status: with(client, func(s *KeyStatus) { s.NoSecret = true; delete(s.Secret.Data, "clientSecret") }), sim: sim,
			want: "has one in the simulator",
		},
		"NotReady": {
			reason: "Ready and Synced come first.",
			status: with(workspace, func(s *KeyStatus) {
				s.Ready = xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: "Creating"}
			}), sim: sim,
			want: "Ready=False (Creating)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.status.Converged(tc.sim)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("%s\nConverged: want %q, got %q", tc.reason, tc.want, got)
			}
			if strings.Contains(got, wk.Value) || strings.Contains(got, pk.Value) || strings.Contains(got, confidential.GetClientSecret()) {
				t.Errorf("Converged reveals a key's value: %q", got)
			}
		})
	}
}

// with returns a copy of s, its Secret's data copied too, changed by f.
func with(s KeyStatus, f func(*KeyStatus)) KeyStatus {
	if s.Secret != nil {
		sec := *s.Secret
		sec.Data = map[string][]byte{}
		for k, v := range s.Secret.Data {
			sec.Data[k] = v
		}
		s.Secret = &sec
	}
	f(&s)
	return s
}

// TestProjectConverged checks what makes an example Project converged.
func TestProjectConverged(t *testing.T) {
	sim, err := orysim.New(orysim.WithoutContractCheck())
	if err != nil {
		t.Fatal(err)
	}
	if err := SeedExamples(sim); err != nil {
		t.Fatal(err)
	}
	p, err := sim.CreateProject(orysim.ProjectSpec{WorkspaceKey: ExampleWorkspaceKey, Name: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	gone := sim.AddProject(ExampleWorkspaceKey, "")
	sim.DeleteProject(gone.ID)
	ready, synced := xpv2.Available(), xpv2.ReconcileSuccess()
	converged := func(id, name string) ProjectStatus {
		return ProjectStatus{Namespace: "team-a", Name: "payments", Ready: ready, Synced: synced, ExternalName: id, SpecName: name, AtProvider: common.ProjectObservation{ID: id, Name: name}}
	}
	cases := map[string]struct {
		reason string
		status ProjectStatus
		want   string // "" or a part of the answer
	}{
		"Converged": {
			reason: "Ready and Synced, the project running in Ory under its external name with the spec's name.",
			status: converged(p.ID, "payments"),
		},
		"NotObservedYet": {
			reason: "A Project without status.atProvider.id has no project a key could reference yet.",
			status: ProjectStatus{Namespace: "team-a", Name: "payments", SpecName: "payments"},
			want:   "no status.atProvider.id yet",
		},
		"RenameNotDoneInOry": {
			reason: "A rename is done once Ory has the new name, not once the spec says it.",
			status: converged(p.ID, "payments-renamed"),
			want:   `named "payments" in the simulator`,
		},
		"Purged": {
			reason: "A project that is not in Ory is not converged, whatever the status says.",
			status: converged("00000000-0000-4000-8000-0000000000ff", "payments"),
			want:   "is not in the simulator",
		},
		"SoftDeleted": {
			reason: "A project Ory shows deleted is gone.",
			status: converged(gone.ID, gone.Name),
			want:   "is deleted in the simulator",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.status.Converged(sim)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("%s\nConverged: want %q, got %q", tc.reason, tc.want, got)
			}
		})
	}
}
