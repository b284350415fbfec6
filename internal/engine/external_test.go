package engine

import (
	"context"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane-contrib/provider-ory/apis"
	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

const workspaceKey = "ory_wak_unit_test_workspace_key"

// scopes runs every scenario against both kinds, to show that one external
// client serves them with the same behaviour.
// projectKey is a ProjectAPIKey of either scope: the kind these tests drive
// the engine with (config.ProjectAPIKey).
type projectKey interface {
	Resource
	Observation() *common.ProjectAPIKeyObservation
}

var scopes = map[string]func(name string) projectKey{
	"Namespaced": func(name string) projectKey {
		k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "api", UID: "uid-ns"}}
		k.SetGroupVersionKind(namespacedv1alpha1.ProjectAPIKeyGroupVersionKind)
		k.Spec.ForProvider.Name = name
		k.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "api-key"}
		// The CRD's defaults, which the fake client does not apply.
		k.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		return k
	},
	"Cluster": func(name string) projectKey {
		k := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: "api", UID: "uid-cluster"}}
		k.SetGroupVersionKind(clusterv1alpha1.ProjectAPIKeyGroupVersionKind)
		k.Spec.ForProvider.Name = name
		k.Spec.WriteConnectionSecretToReference = &xpv2.SecretReference{Namespace: "team-a", Name: "api-key"}
		// The CRD's defaults, which the fake client does not apply.
		k.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		k.Spec.DeletionPolicy = xpv2.DeletionDelete
		return k
	},
}

// failures switches failures of the Kubernetes API on and off.
type failures struct {
	secretWrites    int // this many Secret creates or patches fail
	passPatches     int // this many patches of the ProjectAPIKey pass before ...
	resourcePatches int // ... this many fail
}

type fixture struct {
	t       *testing.T
	sim     *orysim.Server
	url     string
	project orysim.Project
	other   orysim.Project
	kube    client.Client
	fail    *failures
	events  *eventLog
	cr      projectKey
	now     time.Time
}

func newFixture(t *testing.T, newResource func(string) projectKey, name string) *fixture {
	t.Helper()
	sim, url := orysim.StartTest(t)
	sim.AddWorkspace(workspaceKey)
	f := &fixture{t: t, sim: sim, url: url, fail: &failures{}, events: &eventLog{}, now: time.Now()}
	f.project = sim.AddProject(workspaceKey, "main")
	f.other = sim.AddProject(workspaceKey, "other")

	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	f.cr = newResource(name)
	f.kube = fake.NewClientBuilder().WithScheme(s).WithObjects(f.cr).WithStatusSubresource(f.cr).
		WithInterceptorFuncs(interceptor.Funcs{
			Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
				if _, ok := obj.(*corev1.Secret); ok && f.fail.secretWrites > 0 && !isDryRun(opts) {
					f.fail.secretWrites--
					return kerrors.NewForbidden(corev1.Resource("secrets"), obj.GetName(), errInjected)
				}
				return c.Create(ctx, obj, opts...)
			},
			Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
				switch obj.(type) {
				case *corev1.Secret:
					if f.fail.secretWrites > 0 && !isDryRun(opts) {
						f.fail.secretWrites--
						return kerrors.NewForbidden(corev1.Resource("secrets"), obj.GetName(), errInjected)
					}
				case Resource:
					if f.fail.passPatches > 0 {
						f.fail.passPatches--
						return c.Patch(ctx, obj, p, opts...)
					}
					if f.fail.resourcePatches > 0 {
						f.fail.resourcePatches--
						return kerrors.NewServiceUnavailable("injected")
					}
				}
				return c.Patch(ctx, obj, p, opts...)
			},
		}).Build()
	// Work on the stored object, as the reconciler does.
	f.refresh()
	return f
}

var errInjected = errString("injected failure")

// isDryRun reports whether a write only asks whether it would be accepted:
// injected write failures stand for failures a dry run cannot foresee (a
// timeout, a conflict), so dry runs pass them.
func isDryRun[T any](opts []T) bool {
	for _, o := range opts {
		if any(o) == any(client.DryRunAll) {
			return true
		}
	}
	return false
}

type errString string

func (e errString) Error() string { return string(e) }

// external returns a client as Connect would make it for a ProviderConfig
// whose default project is the fixture's main project.
func (f *fixture) external(mutate ...func(*providerconfig.Config)) *external {
	cfg := &providerconfig.Config{Ref: "ClusterProviderConfig default", ConsoleSettings: common.ConsoleSettings{ProjectID: f.project.ID}, Token: workspaceKey}
	for _, m := range mutate {
		m(cfg)
	}
	c := console.New(f.url, workspaceKey, http.DefaultClient, "provider-ory-test")
	conn := keyview.NewConnection(c, keyview.Options{})
	kind := config.ProjectAPIKey
	return &external{
		ory:     mustKeys(kind, conn),
		conn:    conn,
		kind:    kind,
		kube:    f.kube,
		records: &records{reader: f.kube, kube: f.kube, typer: f.kube.Scheme(), keys: kind.ConnectionKeys},
		cfg:     cfg,
		record:  f.events,
		now:     func() time.Time { return f.now },
	}
}

// refresh re-reads the resource from the API server, as the next reconcile
// would.
func (f *fixture) refresh() {
	f.t.Helper()
	if err := f.kube.Get(context.Background(), client.ObjectKeyFromObject(f.cr), f.cr); err != nil {
		f.t.Fatal(err)
	}
}

// update changes the resource's spec and stores it, as a person would.
func (f *fixture) update(change func(p *common.KeyParameters)) {
	f.t.Helper()
	change(f.cr.KeyParameters())
	if err := f.kube.Update(context.Background(), f.cr); err != nil {
		f.t.Fatal(err)
	}
}

// secret returns the connection Secret, or nil if there is none.
func (f *fixture) secret() *corev1.Secret {
	f.t.Helper()
	nn, _ := connectionSecret(f.cr)
	s := &corev1.Secret{}
	if err := f.kube.Get(context.Background(), nn, s); err != nil {
		if kerrors.IsNotFound(err) {
			return nil
		}
		f.t.Fatal(err)
	}
	return s
}

// keyIDs lists the IDs of the keys Ory holds in a project.
func (f *fixture) keyIDs(p orysim.Project) []string {
	var ids []string
	for _, k := range f.sim.Keys(p.ID) {
		ids = append(ids, k.ID)
	}
	return ids
}

// calls lists the key operations made since the last call, in order (the
// project look-ups for apiURL are cached and left out).
func (f *fixture) calls() []string {
	var ops []string
	for _, e := range f.sim.RequestLog() {
		if e.Operation != orysim.OpGetProject {
			ops = append(ops, e.Operation)
		}
	}
	f.sim.ResetRequests()
	return ops
}

// reconcile does what the managed reconciler does with one external client:
// Observe, then Create, Update or nothing. It returns the first error.
func (f *fixture) reconcile(e *external) (managed.ExternalObservation, error) {
	f.t.Helper()
	ctx := context.Background()
	// The runtime runs the repair stage, an initializer, before Observe.
	repair := &createRecovery{connect: func(context.Context, resource.Managed) (*external, error) { return e, nil }}
	if err := repair.Initialize(ctx, f.cr); err != nil {
		return managed.ExternalObservation{}, err
	}
	o, err := e.Observe(ctx, f.cr)
	if err != nil {
		return o, err
	}
	switch {
	case !o.ResourceExists:
		if _, err := e.Create(ctx, f.cr); err != nil {
			return o, err
		}
	case !o.ResourceUpToDate:
		if _, err := e.Update(ctx, f.cr); err != nil {
			return o, err
		}
	}
	return o, nil
}

// mustCreate creates the resource's key and re-reads the resource.
func (f *fixture) mustCreate() orysim.Key {
	f.t.Helper()
	if _, err := f.reconcile(f.external()); err != nil {
		f.t.Fatalf("create: %v", err)
	}
	f.refresh()
	keys := f.sim.Keys(f.project.ID)
	if len(keys) != 1 {
		f.t.Fatalf("after create Ory holds %d keys, want 1", len(keys))
	}
	f.calls()
	return keys[0]
}

// assertStored checks that the connection Secret holds exactly this key.
func (f *fixture) assertStored(k orysim.Key) {
	f.t.Helper()
	s := f.secret()
	if s == nil {
		f.t.Fatal("no connection Secret")
	}
	got := map[string]string{}
	for _, key := range config.ProjectAPIKey.ConnectionKeys {
		got[key] = string(s.Data[key])
	}
	p, _ := f.sim.Project(k.ProjectID)
	want := map[string]string{common.ConnectionKeyValue: k.Value, common.ConnectionKeyID: k.ID, common.ConnectionKeyProjectID: k.ProjectID,
		common.ConnectionKeyAPIURL: "https://" + p.Slug + ".projects.oryapis.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		f.t.Errorf("connection Secret: -want +got:\n%s", diff)
	}
	if got := s.GetAnnotations()[common.AnnotationValueOf]; got != k.ProjectID+"/"+k.ID {
		f.t.Errorf("Secret records the value of %q, want %q", got, k.ProjectID+"/"+k.ID)
	}
}

// eventLog records events, to assert on what a person would see.
type eventLog struct{ events []event.Event }

func (l *eventLog) Event(_ runtime.Object, e event.Event)    { l.events = append(l.events, e) }
func (l *eventLog) WithAnnotations(...string) event.Recorder { return l }

func (l *eventLog) reasons() []string {
	var r []string
	for _, e := range l.events {
		r = append(r, string(e.Reason))
	}
	return r
}

func TestCreate(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			ctx := context.Background()
			e := f.external()

			o, err := e.Observe(ctx, f.cr)
			if err != nil {
				t.Fatal(err)
			}
			if o.ResourceExists || !o.ResourceLateInitialized {
				t.Errorf("first Observe: exists=%v lateInit=%v, want a missing key and the default project recorded", o.ResourceExists, o.ResourceLateInitialized)
			}
			if got := *f.cr.ParentID(); got != f.project.ID {
				t.Errorf("spec.forProvider.projectID = %q, want the ProviderConfig's default %q", got, f.project.ID)
			}
			c, err := e.Create(ctx, f.cr)
			if err != nil {
				t.Fatal(err)
			}
			keys := f.sim.Keys(f.project.ID)
			if len(keys) != 1 {
				t.Fatalf("Ory holds %d keys, want 1", len(keys))
			}
			if string(c.ConnectionDetails[common.ConnectionKeyValue]) != keys[0].Value {
				t.Error("Create did not return the new key's value as connection details")
			}
			f.refresh()
			if got := meta.GetExternalName(f.cr); got != keys[0].ID {
				t.Errorf("stored external name = %q, want the key ID %q", got, keys[0].ID)
			}
			if _, ok := f.cr.GetAnnotations()[meta.AnnotationKeyExternalCreateSucceeded]; !ok {
				t.Error("create-succeeded annotation was not stored with the external name")
			}
			f.assertStored(keys[0])

			o, err = f.external().Observe(ctx, f.cr)
			if err != nil {
				t.Fatal(err)
			}
			if !o.ResourceExists || !o.ResourceUpToDate {
				t.Errorf("Observe after create: exists=%v upToDate=%v, want both", o.ResourceExists, o.ResourceUpToDate)
			}
			if _, ok := o.ConnectionDetails[common.ConnectionKeyValue]; ok {
				t.Error("Observe returned a value: it would overwrite the stored one")
			}
			if got := f.cr.GetCondition(xpv2.TypeReady).Reason; got != xpv2.ReasonAvailable {
				t.Errorf("Ready reason = %q, want Available", got)
			}
			if got := f.cr.GetCondition(common.TypeValue).Reason; got != common.ReasonValueStored {
				t.Errorf("KeyValue reason = %q, want Stored", got)
			}
			want := common.ProjectAPIKeyObservation{ProjectID: f.project.ID, KeyObservation: common.KeyObservation{ID: keys[0].ID, OwnerID: keys[0].OwnerID, LastCharacters: keys[0].LastCharacters}}
			got := *f.cr.Observation()
			got.CreatedAt = nil
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("status.atProvider: -want +got:\n%s", diff)
			}
		})
	}
}

func TestCreateWhoseValueCannotBeStored(t *testing.T) {
	cases := map[string]struct {
		reason       string
		deleteFails  bool
		wantKeys     int
		wantCalls    []string
		wantErrParts []string
	}{
		"KeyDeletedAgain": {
			reason:       "A key whose value cannot be stored is useless and known to nobody: it must be deleted before the error is returned, so the next attempt starts clean.",
			wantKeys:     0,
			wantCalls:    []string{orysim.OpCreateProjectAPIKey, orysim.OpDeleteProjectAPIKey},
			wantErrParts: []string{"cannot write the new key's value", "deleted the new key", "again"},
		},
		"DeleteFailsToo": {
			reason:       "If Ory refuses the compensating delete as well, the error must name the key so a person can delete it; the value itself must not appear.",
			deleteFails:  true,
			wantKeys:     1,
			wantCalls:    []string{orysim.OpCreateProjectAPIKey, orysim.OpDeleteProjectAPIKey},
			wantErrParts: []string{"deleting the new key", "delete it in the Ory console"},
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "payments")
				e := f.external()
				if _, err := e.Observe(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				f.calls()
				f.fail.secretWrites = 1
				if tc.deleteFails {
					f.sim.FailNext(orysim.OpDeleteProjectAPIKey, 1, http.StatusServiceUnavailable)
				}
				_, err := e.Create(context.Background(), f.cr)
				if err == nil {
					t.Fatalf("%s\nCreate succeeded although the value could not be stored", tc.reason)
				}
				for _, part := range tc.wantErrParts {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("%s\nerror %q does not say %q", tc.reason, err, part)
					}
				}
				for _, k := range f.sim.Keys(f.project.ID) {
					if strings.Contains(err.Error(), k.Value) {
						t.Errorf("%s\nthe error reveals the key's value", tc.reason)
					}
				}
				if diff := cmp.Diff(tc.wantCalls, f.calls()); diff != "" {
					t.Errorf("%s\nOry calls: -want +got:\n%s", tc.reason, diff)
				}
				if got := len(f.sim.Keys(f.project.ID)); got != tc.wantKeys {
					t.Errorf("%s\nOry holds %d keys, want %d", tc.reason, got, tc.wantKeys)
				}
				if meta.GetExternalName(f.cr) != "" {
					t.Errorf("%s\nthe resource records a key although none was stored", tc.reason)
				}
			})
		}
	}
}

func TestImport(t *testing.T) {
	cases := map[string]struct {
		reason       string
		externalName func(p orysim.Project, k orysim.Key) string
		specProject  bool
	}{
		"KeyID": {
			reason:       "The short form names the key alone; the project comes from the spec or the ProviderConfig.",
			externalName: func(_ orysim.Project, k orysim.Key) string { return k.ID },
		},
		"ProjectAndKeyID": {
			reason:       "The long form names the project too; it wins over the ProviderConfig's default and is recorded in the spec.",
			externalName: func(p orysim.Project, k orysim.Key) string { return p.ID + "/" + k.ID },
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "imported")
				// The long form imports from the other project, so a wrong
				// project would not find the key.
				p := f.project
				if name == "ProjectAndKeyID" {
					p = f.other
				}
				seeded := f.sim.SeedKey(p.ID, "imported", nil, true)
				meta.SetExternalName(f.cr, tc.externalName(p, seeded))

				o, err := f.external().Observe(context.Background(), f.cr)
				if err != nil {
					t.Fatalf("%s\n%v", tc.reason, err)
				}
				if !o.ResourceExists || !o.ResourceUpToDate {
					t.Errorf("%s\nexists=%v upToDate=%v, want an existing, up to date key", tc.reason, o.ResourceExists, o.ResourceUpToDate)
				}
				if got := *f.cr.ParentID(); got != p.ID {
					t.Errorf("%s\nspec project = %q, want %q", tc.reason, got, p.ID)
				}
				if got := f.cr.Observation().ID; got != seeded.ID {
					t.Errorf("%s\nstatus.atProvider.id = %q, want %q", tc.reason, got, seeded.ID)
				}
				if _, ok := o.ConnectionDetails[common.ConnectionKeyValue]; ok {
					t.Errorf("%s\nan imported key's value is unknown and must never be published", tc.reason)
				}
				c := f.cr.GetCondition(common.TypeValue)
				if c.Status != corev1.ConditionFalse || c.Reason != common.ReasonValueUnknown {
					t.Errorf("%s\nKeyValue condition = %s/%s, want False/ValueUnknown", tc.reason, c.Status, c.Reason)
				}
				if diff := cmp.Diff([]string{string(common.ReasonValueUnknown)}, f.events.reasons()); diff != "" {
					t.Errorf("%s\nevents: -want +got:\n%s", tc.reason, diff)
				}
				if got := f.sim.Requests(orysim.OpCreateProjectAPIKey); got != 0 {
					t.Errorf("%s\nan import created %d keys", tc.reason, got)
				}
				// A second Observe must not repeat the event.
				if _, err := f.external().Observe(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				if got := len(f.events.events); got != 1 {
					t.Errorf("%s\n%d events after a second Observe, want the one", tc.reason, got)
				}
			})
		}
	}
}

func TestImportWithMalformedExternalName(t *testing.T) {
	f := newFixture(t, scopes["Namespaced"], "x")
	meta.SetExternalName(f.cr, "not-a-uuid")
	_, err := f.external().Observe(context.Background(), f.cr)
	if err == nil || !strings.Contains(err.Error(), "<project-id>/<key-id>") {
		t.Errorf("Observe error = %v, want one that says which forms are valid", err)
	}
	if got := len(f.sim.RequestLog()); got != 0 {
		t.Errorf("%d Ory calls for a malformed name, want none", got)
	}
}

func TestReplace(t *testing.T) {
	cases := map[string]struct {
		reason  string
		change  func(f *fixture)
		project func(f *fixture) orysim.Project
	}{
		"Name": {
			reason:  "Ory cannot rename a key: a new name replaces it.",
			change:  func(f *fixture) { f.cr.KeyParameters().Name = "payments-v2" },
			project: func(f *fixture) orysim.Project { return f.project },
		},
		"ExpiresAt": {
			reason: "Ory cannot change a key's expiry: a new expiry replaces it.",
			change: func(f *fixture) {
				t := metav1.NewTime(f.now.Add(48 * time.Hour).Truncate(time.Second))
				f.cr.KeyParameters().ExpiresAt = &t
			},
			project: func(f *fixture) orysim.Project { return f.project },
		},
		"Project": {
			reason:  "A key cannot move between projects: the new key is made in the new project and the old one deleted from the old.",
			change:  func(f *fixture) { *f.cr.ParentID() = f.other.ID },
			project: func(f *fixture) orysim.Project { return f.other },
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "payments")
				old := f.mustCreate()
				f.update(func(*common.KeyParameters) { tc.change(f) })

				o, err := f.reconcile(f.external())
				if err != nil {
					t.Fatalf("%s\n%v", tc.reason, err)
				}
				if o.ResourceUpToDate {
					t.Fatalf("%s\nObserve called the changed key up to date", tc.reason)
				}
				want := []string{orysim.OpListProjectAPIKeys, orysim.OpCreateProjectAPIKey, orysim.OpDeleteProjectAPIKey}
				if diff := cmp.Diff(want, f.calls()); diff != "" {
					t.Errorf("%s\nOry calls: -want +got:\n%s", tc.reason, diff)
				}
				p := tc.project(f)
				keys := f.sim.Keys(p.ID)
				if len(keys) != 1 || keys[0].ID == old.ID {
					t.Fatalf("%s\nproject %s holds %v, want exactly one new key", tc.reason, p.Slug, f.keyIDs(p))
				}
				if _, ok := f.sim.Key(old.ProjectID, old.ID); ok {
					t.Errorf("%s\nthe replaced key still exists", tc.reason)
				}
				f.refresh()
				if got := meta.GetExternalName(f.cr); got != keys[0].ID {
					t.Errorf("%s\nstored external name = %q, want the new key %q", tc.reason, got, keys[0].ID)
				}
				if got := f.cr.GetAnnotations()[common.AnnotationRetiredKeys]; got != "" {
					t.Errorf("%s\nretired keys %q left after a clean replacement", tc.reason, got)
				}
				f.assertStored(keys[0])
				if o, err := f.external().Observe(context.Background(), f.cr); err != nil || !o.ResourceUpToDate {
					t.Errorf("%s\nafter the replacement: upToDate=%v err=%v", tc.reason, o.ResourceUpToDate, err)
				}
			})
		}
	}
}

// TestReplaceFailures fails each step of a replacement once and checks that
// the old key keeps working or the new one is recorded, never a key nobody
// knows, and that the next reconciles finish the job with exactly one key.
func TestReplaceFailures(t *testing.T) {
	cases := map[string]struct {
		reason string
		inject func(f *fixture)
		// After the failed attempt: which key must the Secret hold?
		secretHoldsNew bool
		// Keys in Ory after the failed attempt.
		keysAfterFailure int
	}{
		"CreateFails": {
			reason:           "Ory refuses the new key: the old key and its stored value stay as they are.",
			inject:           func(f *fixture) { f.sim.FailNext(orysim.OpCreateProjectAPIKey, 1, http.StatusInternalServerError) },
			keysAfterFailure: 1,
		},
		"SecretWriteFails": {
			reason:           "The new value cannot be stored: the new key is deleted again and workloads keep the old key.",
			inject:           func(f *fixture) { f.fail.secretWrites = 1 },
			keysAfterFailure: 1,
		},
		"MarkingTheAttemptFails": {
			reason:           "The resource cannot be marked before the new key is asked for: nothing is created.",
			inject:           func(f *fixture) { f.fail.resourcePatches = 1 },
			keysAfterFailure: 1,
		},
		"RecordingTheNewKeyFails": {
			reason:           "The new key is stored but the resource cannot record it: the Secret's record lets the next Observe adopt it rather than make a third key.",
			inject:           func(f *fixture) { f.fail.passPatches, f.fail.resourcePatches = 1, 1 },
			secretHoldsNew:   true,
			keysAfterFailure: 2,
		},
		"DeletingTheOldKeyFails": {
			reason:           "The old key cannot be deleted yet: it is kept in the retired-keys annotation and deleted by a later reconcile.",
			inject:           func(f *fixture) { f.sim.FailNext(orysim.OpDeleteProjectAPIKey, 1, http.StatusBadGateway) },
			secretHoldsNew:   true,
			keysAfterFailure: 2,
		},
	}
	// Each failure is injected into a replacement for a changed spec and into
	// a scheduled rotation: both take the same path, and both must hold.
	causes := map[string]struct {
		before   func(p *common.KeyParameters)
		start    func(f *fixture)
		wantName string
	}{
		"NameChange": {
			start:    func(f *fixture) { f.update(func(p *common.KeyParameters) { p.Name = "payments-v2" }) },
			wantName: "payments-v2",
		},
		"RotationDue": {
			before: func(p *common.KeyParameters) {
				p.Rotation = &common.Rotation{Lifetime: common.NewDuration(3 * time.Hour)}
			},
			start:    func(f *fixture) { f.now = f.now.Add(2*time.Hour + time.Second) },
			wantName: "payments",
		},
	}
	for name, tc := range cases {
		for cause, c := range causes {
			for scope, newResource := range scopes {
				t.Run(name+"/"+cause+"/"+scope, func(t *testing.T) {
					f := newFixture(t, newResource, "payments")
					if c.before != nil {
						f.update(c.before)
					}
					old := f.mustCreate()
					c.start(f)
					tc.inject(f)

					if _, err := f.reconcile(f.external()); err == nil {
						t.Fatalf("%s\nthe replacement did not report the failure", tc.reason)
					}
					if got := len(f.sim.Keys(f.project.ID)); got != tc.keysAfterFailure {
						t.Errorf("%s\nafter the failure Ory holds %d keys, want %d", tc.reason, got, tc.keysAfterFailure)
					}
					if s := f.secret(); tc.secretHoldsNew == (string(s.Data[common.ConnectionKeyValue]) == old.Value) {
						t.Errorf("%s\nafter the failure the Secret holds the old value: %v, want new: %v", tc.reason, !tc.secretHoldsNew, tc.secretHoldsNew)
					}
					if _, ok := f.sim.Key(old.ProjectID, old.ID); !ok && !tc.secretHoldsNew {
						t.Errorf("%s\nthe old key is gone although the Secret still holds its value", tc.reason)
					}

					// The next reconciles, with nothing failing, converge.
					for i := 0; i < 3; i++ {
						f.refresh()
						if _, err := f.reconcile(f.external()); err != nil {
							t.Fatalf("%s\nreconcile %d after the failure: %v", tc.reason, i+1, err)
						}
					}
					f.refresh()
					keys := f.sim.Keys(f.project.ID)
					if len(keys) != 1 || keys[0].ID == old.ID || keys[0].Name != c.wantName {
						t.Fatalf("%s\nafter converging Ory holds %v, want one new key", tc.reason, f.keyIDs(f.project))
					}
					if got := meta.GetExternalName(f.cr); got != keys[0].ID {
						t.Errorf("%s\nexternal name %q, want %q", tc.reason, got, keys[0].ID)
					}
					if got := f.cr.GetAnnotations()[common.AnnotationRetiredKeys]; got != "" {
						t.Errorf("%s\nretired keys %q left after converging", tc.reason, got)
					}
					f.assertStored(keys[0])
				})
			}
		}
	}
}

// TestCrashAfterStoringTheValue covers a provider killed after a new key's
// value reached the Secret but before the resource recorded the key: the next
// Observe finds the key through the Secret's record instead of making another.
func TestCrashAfterStoringTheValue(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			e := f.external()
			if _, err := e.Observe(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			// The first half of Create, then the "crash".
			key, _, err := e.createStored(context.Background(), f.cr, common.Ref{})
			if err != nil {
				t.Fatal(err)
			}
			f.refresh()
			f.calls()

			o, err := f.external().Observe(context.Background(), f.cr)
			if err != nil {
				t.Fatal(err)
			}
			if !o.ResourceExists || !o.ResourceUpToDate {
				t.Errorf("exists=%v upToDate=%v, want the recorded key adopted", o.ResourceExists, o.ResourceUpToDate)
			}
			f.refresh()
			if got := meta.GetExternalName(f.cr); got != key.ID {
				t.Errorf("external name = %q, want the adopted key %q", got, key.ID)
			}
			if got := f.sim.Requests(orysim.OpCreateProjectAPIKey); got != 0 {
				t.Errorf("%d keys created after the crash, want none", got)
			}
			if diff := cmp.Diff([]string{"AdoptedRecordedKey"}, f.events.reasons()); diff != "" {
				t.Errorf("events: -want +got:\n%s", diff)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	cases := map[string]struct {
		reason  string
		prepare func(f *fixture)
	}{
		"Exists": {
			reason:  "Deleting the resource deletes its key.",
			prepare: func(*fixture) {},
		},
		"AlreadyGone": {
			reason: "A key someone already deleted counts as deleted.",
			prepare: func(f *fixture) {
				f.sim.FailNext(orysim.OpDeleteProjectAPIKey, 1, http.StatusNotFound)
			},
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "payments")
				f.mustCreate()
				tc.prepare(f)
				e := f.external()
				if _, err := e.Observe(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				if _, err := e.Delete(context.Background(), f.cr); err != nil {
					t.Fatalf("%s\n%v", tc.reason, err)
				}
				if name == "Exists" && len(f.sim.Keys(f.project.ID)) != 0 {
					t.Errorf("%s\nOry still holds %v", tc.reason, f.keyIDs(f.project))
				}
			})
		}
	}
}

func TestGuards(t *testing.T) {
	past := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	cases := map[string]struct {
		reason  string
		prepare func(f *fixture) *external
		wantErr string
	}{
		"ProjectNotAllowed": {
			reason: "allowedProjectIDs refuses a key for another project before any call to Ory.",
			prepare: func(f *fixture) *external {
				return f.external(func(c *providerconfig.Config) { c.AllowedProjectIDs = []string{f.other.ID} })
			},
			wantErr: "is not in the allowedProjectIDs of ClusterProviderConfig default",
		},
		"NoProject": {
			reason: "Without a project in the spec or the ProviderConfig there is nothing to create the key in.",
			prepare: func(f *fixture) *external {
				return f.external(func(c *providerconfig.Config) { c.ProjectID = "" })
			},
			wantErr: "spec.forProvider.projectID is empty",
		},
		"ExpiresInThePast": {
			reason: "A key that would be born expired is refused before any call to Ory.",
			prepare: func(f *fixture) *external {
				f.cr.KeyParameters().ExpiresAt = &past
				return f.external()
			},
			wantErr: "is not in the future",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, scopes["Namespaced"], "payments")
			_, err := f.reconcile(tc.prepare(f))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s\nerror = %v, want one containing %q", tc.reason, err, tc.wantErr)
			}
			if got := f.sim.Requests(orysim.OpCreateProjectAPIKey); got != 0 {
				t.Errorf("%s\n%d keys created", tc.reason, got)
			}
		})
	}
}

func TestExpiredKeyIsNotReady(t *testing.T) {
	f := newFixture(t, scopes["Cluster"], "payments")
	in := metav1.NewTime(f.now.Add(time.Hour).Truncate(time.Second))
	f.update(func(p *common.KeyParameters) { p.ExpiresAt = &in })
	f.mustCreate()
	f.now = f.now.Add(2 * time.Hour)
	o, err := f.external().Observe(context.Background(), f.cr)
	if err != nil {
		t.Fatal(err)
	}
	if !o.ResourceUpToDate {
		t.Error("an expired key that matches its spec was called out of date: it would be replaced on every poll")
	}
	c := f.cr.GetCondition(xpv2.TypeReady)
	if c.Status != corev1.ConditionFalse || c.Reason != common.ReasonExpired {
		t.Errorf("Ready = %s/%s, want False/Expired", c.Status, c.Reason)
	}
}

func TestOryErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		status int
		want   console.Reason
		hint   string
	}{
		"Unauthorized": {reason: "A revoked workspace key must be named as the cause.", status: http.StatusUnauthorized, want: console.ReasonUnauthorized, hint: "invalid or revoked"},
		"Forbidden":    {reason: "A key without access (or a project key) must be told apart from a bad key.", status: http.StatusForbidden, want: console.ReasonForbidden, hint: "no access"},
		"NotFound":     {reason: "An unknown project must say so.", status: http.StatusNotFound, want: console.ReasonNotFound, hint: "404"},
		"RateLimited":  {reason: "A 429 must say that the provider waits.", status: http.StatusTooManyRequests, want: console.ReasonRateLimited, hint: "rate limiting"},
		"Unavailable":  {reason: "A 5xx is transient.", status: http.StatusServiceUnavailable, want: console.ReasonUnavailable, hint: "retries"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, scopes["Namespaced"], "payments")
			f.mustCreate()
			f.sim.FailNext(orysim.OpListProjectAPIKeys, 1, tc.status)
			_, err := f.external().Observe(context.Background(), f.cr)
			if got := console.ReasonOf(err); got != tc.want {
				t.Errorf("%s\nreason = %q, want %q (error: %v)", tc.reason, got, tc.want, err)
			}
			if err != nil && !strings.Contains(err.Error(), tc.hint) {
				t.Errorf("%s\nerror %q does not say %q", tc.reason, err, tc.hint)
			}
			if err != nil && strings.Contains(err.Error(), workspaceKey) {
				t.Errorf("%s\nthe error reveals the workspace key", tc.reason)
			}
		})
	}
}

// setSecretMetadata sets spec.connectionSecretMetadata on either scope.
func setSecretMetadata(cr Resource, m *common.SecretMetadata) {
	switch k := cr.(type) {
	case *namespacedv1alpha1.ProjectAPIKey:
		k.Spec.ConnectionSecretMetadata = m
	case *clusterv1alpha1.ProjectAPIKey:
		k.Spec.ConnectionSecretMetadata = m
	}
}

// mustKeys is kind.Keys for a key kind, which needs nothing but the
// console connection and never fails.
func mustKeys(kind config.Kind, conn *keyview.Connection) config.KeyAPI {
	k, err := kind.Keys(config.Access{Conn: conn})
	if err != nil {
		panic(err)
	}
	return k
}
