package project

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

var payments = common.ProjectParameters{Name: "payments", Environment: "prod", HomeRegion: "us-east"}

// mustConverge reconciles until the resource is Ready and up to date, and
// fails the test on an error or after a few rounds.
func (f *fixture) mustConverge(e *external) {
	f.t.Helper()
	for range 4 {
		o, err := f.reconcile(e)
		if err != nil {
			f.t.Fatalf("reconcile: %v", err)
		}
		if o.ResourceExists && o.ResourceUpToDate && f.cr.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue {
			return
		}
	}
	f.t.Fatalf("not Ready and up to date after 4 reconciles: %+v", f.cr.GetCondition(xpv2.TypeReady))
}

// TestCreate makes a project: Ory holds one project as the spec declares
// it, the resource names it and reports it, and the connection details say
// where its API is.
func TestCreate(t *testing.T) {
	forEachScope(t, payments, func(t *testing.T, f *fixture) {
		e := f.external()
		if _, err := f.reconcile(e); err != nil {
			t.Fatal(err)
		}
		made := f.projectsNamed("payments")
		if len(made) != 1 {
			t.Fatalf("Ory holds %d projects named payments, want 1", len(made))
		}
		p := made[0]
		if p.Environment != "prod" || p.HomeRegion != "us-east" || p.WorkspaceID != f.ws.ID {
			t.Errorf("Ory made %+v, want environment prod, home region us-east, in the key's workspace", p)
		}
		if got := meta.GetExternalName(f.cr); got != p.ID {
			t.Errorf("external name = %q, want the project's ID %s", got, p.ID)
		}
		if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; marked || meta.ExternalCreateIncomplete(f.cr) {
			t.Errorf("annotations %v: the creation mark stays or the create is left incomplete", f.cr.GetAnnotations())
		}

		o, err := f.reconcile(e)
		if err != nil {
			t.Fatal(err)
		}
		if !o.ResourceExists || !o.ResourceUpToDate || !o.ResourceLateInitialized {
			t.Errorf("second Observe: exists=%t upToDate=%t lateInit=%t, want the project, in sync, its workspace written into the spec", o.ResourceExists, o.ResourceUpToDate, o.ResourceLateInitialized)
		}
		want := common.ProjectObservation{ID: p.ID, Slug: p.Slug, Name: "payments", State: console.ProjectRunning, Environment: "prod",
			HomeRegion: "us-east", WorkspaceID: f.ws.ID, RevisionID: p.RevisionID, APIURL: "https://" + p.Slug + ".projects.oryapis.com"}
		if got := *f.cr.Observation(); got != want {
			t.Errorf("status.atProvider = %+v, want %+v", got, want)
		}
		if got := f.cr.Parameters().WorkspaceID; got != f.ws.ID {
			t.Errorf("spec.forProvider.workspaceID = %q, want the workspace Ory chose, %s", got, f.ws.ID)
		}
		if c := f.cr.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
			t.Errorf("Ready = %s (%s), want True", c.Status, c.Message)
		}
		if c := f.cr.GetCondition(common.TypeUpToDate); c.Reason != common.ReasonInSync {
			t.Errorf("UpToDate = %s/%s, want InSync", c.Status, c.Reason)
		}
		d := o.ConnectionDetails
		if string(d[common.ConnectionKeyProjectID]) != p.ID || string(d[common.ConnectionKeySlug]) != p.Slug || string(d[common.ConnectionKeyAPIURL]) != want.APIURL {
			t.Errorf("connection details %q, want the project's ID, slug and API URL", d)
		}
	})
}

// TestCreateWorkspace shows where the workspace of a create comes from and
// what a workspace the key cannot reach answers.
func TestCreateWorkspace(t *testing.T) {
	other := "6b6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
	cases := map[string]struct {
		reason    string
		spec      string
		config    string
		apiURL    string
		wantErr   string
		wantMade  int
		wantInURL bool
	}{
		"FromProviderConfig": {
			reason: "A spec without a workspace takes the ProviderConfig's, as a WorkspaceAPIKey does.",
			config: "self", wantMade: 1,
		},
		"FromSpec": {
			reason: "The spec's workspace wins over the ProviderConfig's.",
			spec:   "self", config: other, wantMade: 1,
		},
		"Unreachable": {
			reason: "A workspace the key does not belong to is refused by Ory (403) before it acts: an error that says to check the workspace, no project, and no mark left.",
			spec:   other, wantErr: "403", wantMade: 0,
		},
		"APIURLOverride": {
			reason: "A ProviderConfig's projectAPIURLs entry names the project's API on a custom domain.",
			apiURL: "https://auth.example.com", wantMade: 1, wantInURL: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, scopes["Namespaced"](payments))
			ws := func(v string) string {
				if v == "self" {
					return f.ws.ID
				}
				return v
			}
			f.cfg.WorkspaceID = ws(tc.config)
			f.update(func() { f.cr.Parameters().WorkspaceID = ws(tc.spec) })
			e := f.external()
			_, err := f.reconcile(e)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "workspace") {
					t.Errorf("%s\nreconcile error = %v, want one with %q that names the workspace", tc.reason, err, tc.wantErr)
				}
				if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; marked {
					t.Errorf("%s\nthe creation mark stays after Ory refused", tc.reason)
				}
			} else if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if got := len(f.projectsNamed("payments")); got != tc.wantMade {
				t.Errorf("%s\nOry holds %d projects named payments, want %d", tc.reason, got, tc.wantMade)
			}
			if tc.apiURL != "" {
				id := meta.GetExternalName(f.cr)
				f.cfg.ProjectAPIURLs = map[string]string{id: tc.apiURL}
				o, err := f.reconcile(f.external())
				if err != nil {
					t.Fatal(err)
				}
				if got := string(o.ConnectionDetails[common.ConnectionKeyAPIURL]); got != tc.apiURL || f.cr.Observation().APIURL != tc.apiURL {
					t.Errorf("%s\napiURL = %q (status %q), want %q", tc.reason, got, f.cr.Observation().APIURL, tc.apiURL)
				}
			}
		})
	}
}

// TestRename renames the project in place: the same ID, a new revision, the
// new name in Ory.
func TestRename(t *testing.T) {
	forEachScope(t, payments, func(t *testing.T, f *fixture) {
		e := f.external()
		f.mustConverge(e)
		id, rev := f.cr.Observation().ID, f.cr.Observation().RevisionID
		f.update(func() { f.cr.Parameters().Name = "payments-v2" })
		f.sim.ResetRequests()
		o, err := f.reconcile(e)
		if err != nil {
			t.Fatal(err)
		}
		if o.ResourceUpToDate {
			t.Error("Observe found a renamed spec up to date")
		}
		p, ok := f.sim.Project(id)
		if !ok || p.Name != "payments-v2" {
			t.Fatalf("Ory holds %+v, want project %s renamed payments-v2", p, id)
		}
		if got := f.requests(orysim.OpPatchProjectWithRevision); got != 1 {
			t.Errorf("%d patches, want one", got)
		}
		if obs := f.cr.Observation(); obs.ID != id || obs.Name != "payments-v2" || obs.RevisionID == rev || obs.RevisionID != p.RevisionID {
			t.Errorf("status.atProvider = %+v after the rename, want the same ID, the new name and the new revision %s", obs, p.RevisionID)
		}
		if _, ok := f.events.find("RenamedProject"); !ok {
			t.Error("no RenamedProject event")
		}
		if len(f.projectsNamed("payments-v2")) != 1 || len(f.projectsNamed("payments")) != 0 {
			t.Error("the rename made or left another project")
		}
	})
}

// renamedBySomeone renames the project behind the provider's back, through
// the console API, making a new revision.
func renamedBySomeone(name string) func(f *fixture, id string) {
	return func(f *fixture, id string) {
		p, _ := f.sim.Project(id)
		c := console.New(f.url, workspaceKey, http.DefaultClient, "someone")
		if _, err := c.RenameProject(context.Background(), id, p.RevisionID, name); err != nil {
			f.t.Fatal(err)
		}
	}
}

// TestRenameConflict: a rename at a stale revision (409) reads the project
// again and renames once more; two 409s in a row are the reconcile's error,
// for the runtime's backoff.
func TestRenameConflict(t *testing.T) {
	cases := map[string]struct {
		reason string
		// interfere acts between Observe and Update.
		interfere   func(f *fixture, id string)
		wantErr     bool
		wantName    string
		wantPatches int
	}{
		"ChangedInBetween": {
			reason:    "Someone changed the project after Observe read it: one 409, a new read, a rename at the new revision.",
			interfere: renamedBySomeone("someone-else"),
			wantName:  "payments-v2", wantPatches: 2,
		},
		"AlreadyRenamed": {
			reason:    "Someone gave it the spec's name in between: the new read shows it, and no second patch is sent.",
			interfere: renamedBySomeone("payments-v2"),
			wantName:  "payments-v2", wantPatches: 1,
		},
		"ConflictTwice": {
			reason:      "A second 409 is not chased: the reconcile fails, and the runtime backs off.",
			interfere:   func(f *fixture, _ string) { f.sim.FailNext(orysim.OpPatchProjectWithRevision, 2, http.StatusConflict) },
			wantErr:     true,
			wantName:    "payments",
			wantPatches: 2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, scopes["Namespaced"](payments))
			e := f.external()
			f.mustConverge(e)
			id := f.cr.Observation().ID
			f.update(func() { f.cr.Parameters().Name = "payments-v2" })
			ctx := context.Background()
			o, err := e.Observe(ctx, f.cr)
			if err != nil || o.ResourceUpToDate {
				t.Fatalf("Observe: %v, up to date %t", err, o.ResourceUpToDate)
			}
			tc.interfere(f, id)
			f.sim.ResetRequests()
			_, err = e.Update(ctx, f.cr)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nUpdate error = %v, want error %t", tc.reason, err, tc.wantErr)
			}
			if tc.wantErr && console.ReasonOf(err) != console.ReasonConflict {
				t.Errorf("%s\nerror %v is not the 409", tc.reason, err)
			}
			if p, _ := f.sim.Project(id); p.Name != tc.wantName {
				t.Errorf("%s\nOry names the project %q, want %q", tc.reason, p.Name, tc.wantName)
			}
			if got := f.requests(orysim.OpPatchProjectWithRevision); got != tc.wantPatches {
				t.Errorf("%s\n%d patches, want %d", tc.reason, got, tc.wantPatches)
			}
		})
	}
}

// TestDelete: with deletion protection (the default) nothing reaches Ory
// and the resource waits with what to do; without it the project is purged
// and the resource goes, although Ory then answers 403 for the project.
func TestDelete(t *testing.T) {
	t.Run("Protected", func(t *testing.T) {
		forEachScope(t, payments, func(t *testing.T, f *fixture) {
			e := f.external()
			f.mustConverge(e)
			id := f.cr.Observation().ID
			f.delete()
			f.sim.ResetRequests()
			for range 3 {
				_, err := f.reconcile(e)
				if err == nil || !strings.Contains(err.Error(), "deletionProtection to false") || !strings.Contains(err.Error(), "managementPolicies without Delete") {
					t.Fatalf("reconcile of a protected deletion: %v, want the way to purge and to keep", err)
				}
			}
			if n := f.requests(orysim.OpPurgeProject); n != 0 {
				t.Errorf("%d purges of a protected project", n)
			}
			if p, ok := f.sim.Project(id); !ok || p.State != console.ProjectRunning {
				t.Errorf("the protected project is %+v in Ory, want it running", p)
			}
			ev, ok := f.events.find(string(common.ReasonDeletionProtected))
			if !ok || ev.Type != "Warning" || !strings.Contains(ev.Message, id) {
				t.Errorf("event %+v, want a Warning DeletionProtected naming the project", ev)
			}
			if n := f.events.count(string(common.ReasonDeletionProtected)); n != 1 {
				t.Errorf("%d DeletionProtected events in three refusals, want one: the runtime's CannotDeleteExternalResource repeats it on each retry", n)
			}
			if f.gone() {
				t.Fatal("the resource went while its project is protected")
			}

			f.update(func() { f.cr.Parameters().DeletionProtection = ptr(false) })
			if _, err := f.reconcile(e); err != nil {
				t.Fatal(err)
			}
			if _, ok := f.sim.Project(id); ok {
				t.Error("the project is still in Ory after deletionProtection false")
			}
			if _, err := f.reconcile(e); err != nil {
				t.Fatalf("the reconcile after the purge, which Ory answers 403 for: %v", err)
			}
			if !f.gone() {
				t.Error("the resource stays after its project was purged")
			}
		})
	})
	t.Run("GoneAlready", func(t *testing.T) {
		forEachScope(t, payments, func(t *testing.T, f *fixture) {
			e := f.external()
			f.mustConverge(e)
			f.pastGracePeriod()
			f.sim.DeleteProject(f.cr.Observation().ID)
			f.delete()
			f.sim.ResetRequests()
			if _, err := f.reconcile(e); err != nil {
				t.Fatal(err)
			}
			if !f.gone() || f.requests(orysim.OpPurgeProject) != 0 {
				t.Errorf("gone %t, %d purges: a project Ory shows deleted counts as gone, protected or not", f.gone(), f.requests(orysim.OpPurgeProject))
			}
		})
	})
}

// TestOryRefuses shows the answers of Ory a user meets, each an error that
// says what to do, none a create over a project that may exist.
func TestOryRefuses(t *testing.T) {
	cases := map[string]struct {
		reason  string
		arrange func(f *fixture)
		mention []string
		// wantMade is how many projects named payments Ory then holds.
		wantMade int
		// noRequests: refused before any call to Ory.
		noRequests bool
	}{
		"PlanLimit": {
			reason:  "No free project slot (402): the plan's words and what to do, no project, no mark left.",
			arrange: func(f *fixture) { f.sim.SetProjectLimit(f.ws.ID, 1); f.sim.AddProject(workspaceKey, "taken") },
			mention: []string{"402", "project slot"},
		},
		"Forbidden": {
			reason: "An external name of a project the key cannot see (403): no create, and what to check.",
			arrange: func(f *fixture) {
				p := f.sim.AddProject("ory_wak_someone_elses_workspace", "theirs")
				f.update(func() { meta.SetExternalName(f.cr, p.ID) })
			},
			mention: []string{"403", "neither creates another project"},
		},
		"NotAProjectID": {
			reason:     "A slug is no project ID: refused before any call, with what to set.",
			arrange:    func(f *fixture) { f.update(func() { meta.SetExternalName(f.cr, "affectionate-hopper") }) },
			mention:    []string{"not a project ID"},
			noRequests: true,
		},
		"Unavailable": {
			reason:  "5xx on the create: Ory may have acted, so the provider looks before it creates again.",
			arrange: func(f *fixture) { f.sim.FailNext(orysim.OpCreateProject, 1, http.StatusBadGateway) },
			mention: []string{"502", "looks for the project"},
		},
		"RateLimited": {
			reason:  "429 on the create: Ory's refusal before acting, in the rate limit's words; the requeue follows Ory's reset (see TestRateLimitRequeue).",
			arrange: func(f *fixture) { f.sim.FailNext(orysim.OpCreateProject, 1, http.StatusTooManyRequests) },
			mention: []string{"429", "rate limiting"},
		},
		"ImportNotAllowed": {
			reason: "A ProviderConfig limited to some projects reads no other: refused before any call to Ory.",
			arrange: func(f *fixture) {
				p := f.sim.AddProject(workspaceKey, "elsewhere")
				f.cfg.AllowedProjectIDs = []string{"3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"}
				f.update(func() { meta.SetExternalName(f.cr, p.ID) })
				f.sim.ResetRequests()
			},
			mention:    []string{"is not in the allowedProjectIDs"},
			noRequests: true,
		},
		"AllowedProjectIDs": {
			reason:     "A ProviderConfig limited to some projects makes none.",
			arrange:    func(f *fixture) { f.cfg.AllowedProjectIDs = []string{"3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"} },
			mention:    []string{"allowedProjectIDs", "without allowedProjectIDs"},
			noRequests: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, scopes["Namespaced"](payments))
			tc.arrange(f)
			_, err := f.reconcile(f.external())
			if err == nil {
				t.Fatalf("%s\nno error", tc.reason)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%s\nerror %q does not mention %q", tc.reason, err, m)
				}
			}
			if strings.Contains(err.Error(), workspaceKey) {
				t.Errorf("%s\nthe error carries the workspace key", tc.reason)
			}
			if got := len(f.projectsNamed("payments")); got != tc.wantMade {
				t.Errorf("%s\nOry holds %d projects named payments, want %d", tc.reason, got, tc.wantMade)
			}
			if tc.noRequests && len(f.sim.RequestLog()) != 0 {
				t.Errorf("%s\n%d requests to Ory, want none", tc.reason, len(f.sim.RequestLog()))
			}
		})
	}
}

// TestImport observes an existing project by its ID without creating,
// changing or deleting anything.
func TestImport(t *testing.T) {
	forEachScope(t, common.ProjectParameters{Name: "legacy-name", Environment: "dev"}, func(t *testing.T, f *fixture) {
		p := f.sim.AddProject(workspaceKey, "existing")
		f.update(func() {
			meta.SetExternalName(f.cr, p.ID)
			f.cr.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve})
		})
		f.sim.ResetRequests()
		o, err := f.reconcile(f.external())
		if err != nil {
			t.Fatal(err)
		}
		if !o.ResourceExists || o.ResourceUpToDate {
			t.Errorf("exists=%t upToDate=%t, want the project found and its other name seen", o.ResourceExists, o.ResourceUpToDate)
		}
		c := f.cr.GetCondition(common.TypeUpToDate)
		for _, m := range []string{"do not allow Update", "environment", `"dev"`, `"prod"`} {
			if c.Reason != common.ReasonDrifted || !strings.Contains(c.Message, m) {
				t.Errorf("UpToDate %s: %q, want Drifted mentioning %q", c.Reason, c.Message, m)
			}
		}
		for _, op := range []string{orysim.OpCreateProject, orysim.OpPatchProjectWithRevision, orysim.OpPurgeProject} {
			if n := f.requests(op); n != 0 {
				t.Errorf("%d %s requests from an Observe-only import", n, op)
			}
		}
		if got := f.cr.Observation().ID; got != p.ID {
			t.Errorf("status.atProvider.id = %q, want %s", got, p.ID)
		}
	})
}

// TestProjectGone: a project deleted in the console is gone, and the
// resource makes a new one (its ID the new external name); never two.
func TestProjectGone(t *testing.T) {
	forEachScope(t, payments, func(t *testing.T, f *fixture) {
		e := f.external()
		f.mustConverge(e)
		f.pastGracePeriod()
		old := f.cr.Observation().ID
		f.sim.DeleteProject(old)
		if _, err := f.reconcile(e); err != nil {
			t.Fatal(err)
		}
		f.mustConverge(e)
		if id := meta.GetExternalName(f.cr); id == old || f.cr.Observation().ID != id {
			t.Errorf("external name %s (status %s), want a new project instead of the deleted %s", id, f.cr.Observation().ID, old)
		}
		var running int
		for _, p := range f.projectsNamed("payments") {
			if p.State == console.ProjectRunning {
				running++
			}
		}
		if running != 1 {
			t.Errorf("%d running projects named payments, want 1", running)
		}
	})
}

// TestProjectGoneForgotten: once Ory shows the project gone, the resource
// no longer reports it, even while no new project can be made, so that a
// key referencing the Project waits rather than resolving to the deleted
// project's ID.
func TestProjectGoneForgotten(t *testing.T) {
	cases := map[string]struct {
		reason string
		// arrange keeps a new project from being made.
		arrange func(f *fixture)
	}{
		"NoProjectSlot": {
			reason: "The plan has no free slot (402): the create fails, and the status written with its error must not bring the old project back.",
			arrange: func(f *fixture) {
				f.sim.SetProjectLimit(f.ws.ID, 1)
				f.sim.AddProject(workspaceKey, "taken")
			},
		},
		"NoCreatePolicy": {
			reason: "Management policies without Create: the resource only reports the project gone.",
			arrange: func(f *fixture) {
				f.update(func() { f.cr.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve}) })
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachScope(t, payments, func(t *testing.T, f *fixture) {
				e := f.external()
				f.mustConverge(e)
				f.pastGracePeriod()
				old := f.cr.Observation().ID
				f.sim.DeleteProject(old)
				tc.arrange(f)
				_, _ = f.reconcile(e)
				if got := *f.cr.Observation(); got != (common.ProjectObservation{}) {
					t.Errorf("%s\nstatus.atProvider = %+v after Ory showed project %s deleted, want it cleared", tc.reason, got, old)
				}
				if got := common.ProjectID()(f.cr); got != "" {
					t.Errorf("%s\na reference to the Project resolves to %q, want nothing (the key waits)", tc.reason, got)
				}
				if c := f.cr.GetCondition(xpv2.TypeReady); c.Status == corev1.ConditionTrue {
					t.Errorf("%s\nReady = True for a project Ory shows gone", tc.reason)
				}
			})
		})
	}
}

// TestRateLimitRequeue: a 429 whose reset is past the reconcile is noted
// for the resource, and the reconcile is requeued at the reset rather
// than at the runtime's backoff.
func TestRateLimitRequeue(t *testing.T) {
	f := newFixture(t, scopes["Namespaced"](payments))
	e := f.external()
	f.mustConverge(e)
	f.sim.SetRateLimit(orysim.RateLimit{Rate: 0.01, Burst: 1})
	if _, err := f.reconcile(e); err != nil {
		t.Fatalf("the first read takes the bucket's one token: %v", err)
	}
	_, err := f.reconcile(e)
	if console.ReasonOf(err) != console.ReasonRateLimited {
		t.Fatalf("reconcile with an empty bucket: %v, want Ory's 429", err)
	}
	waits := e.requeue
	r := waits.after(reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) {
		return reconcile.Result{Requeue: true}, nil
	}))
	res, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: client.ObjectKeyFromObject(f.cr)})
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter < 30*time.Second || res.RequeueAfter > console.MaxRateLimitWait {
		t.Errorf("requeue after %s, want Ory's reset (about 100s at 0.01 requests per second)", res.RequeueAfter)
	}
	if _, ok := waits.take(client.ObjectKeyFromObject(f.cr)); ok {
		t.Error("the wait is still noted after the reconcile that used it")
	}
}

// staleReads is Ory's console as an eventually consistent read shows it:
// for reads more GetProject calls after a purge, the project as it was
// before (the simulator itself answers every read at once).
type staleReads struct {
	API
	before map[string]console.Project
	reads  int
}

func (s *staleReads) PurgeProject(ctx context.Context, id string) error {
	if p, err := s.API.GetProject(ctx, id); err == nil {
		s.before[id] = p
	}
	return s.API.PurgeProject(ctx, id)
}

func (s *staleReads) GetProject(ctx context.Context, id string) (console.Project, error) {
	if p, ok := s.before[id]; ok && s.reads > 0 {
		s.reads--
		return p, nil
	}
	return s.API.GetProject(ctx, id)
}

// TestPurgeRepeated: Ory's read may show a project running for a while
// after its purge answered 204. The first purge is confirmed at once, with
// its event; the purges sent while the read still shows the project go
// through the runtime's backoff, with no event, never one a second.
func TestPurgeRepeated(t *testing.T) {
	forEachScope(t, common.ProjectParameters{Name: "payments", Environment: "prod", DeletionProtection: ptr(false)}, func(t *testing.T, f *fixture) {
		e := f.external()
		f.mustConverge(e)
		f.pastGracePeriod()
		stale := &staleReads{API: e.ory, before: map[string]console.Project{}, reads: 2}
		e.ory = stale
		f.delete()
		f.sim.ResetRequests()
		key := client.ObjectKeyFromObject(f.cr)
		purged := func() int { return f.events.count("PurgedProject") }

		if _, err := f.reconcile(e); err != nil {
			t.Fatal(err)
		}
		if _, soon := e.requeue.take(key); !soon || purged() != 1 {
			t.Errorf("first purge: requeue at once %t, %d PurgedProject events; want at once, and one event", soon, purged())
		}
		for i := range 2 {
			if _, err := f.reconcile(e); err != nil {
				t.Fatalf("reconcile %d after the purge, Ory's read still showing the project: %v", i+2, err)
			}
			if _, soon := e.requeue.take(key); soon {
				t.Errorf("reconcile %d: a purge Ory was already sent asks to be requeued at once (a purge a second)", i+2)
			}
		}
		if n := purged(); n != 1 {
			t.Errorf("%d PurgedProject events, want the first purge's only", n)
		}
		if n := f.requests(orysim.OpPurgeProject); n != 3 {
			t.Errorf("%d purges sent, want 3: each reconcile that still reads the project sends one", n)
		}
		if _, err := f.reconcile(e); err != nil {
			t.Fatal(err)
		}
		if !f.gone() {
			t.Error("the resource stays once Ory's read shows the project purged")
		}
	})
}

// TestForbiddenWhileDeleting: Ory answers 403 for the project of a deleted
// resource (its credentials moved to another workspace, say). The provider
// neither purges nor takes the project for gone, and the error says how to
// let the resource go, with the ways its scope offers; a 403 outside a
// deletion offers none.
func TestForbiddenWhileDeleting(t *testing.T) {
	forEachScope(t, payments, func(t *testing.T, f *fixture) {
		e := f.external()
		f.mustConverge(e)
		f.sim.FailNext(orysim.OpGetProject, 1, http.StatusForbidden)
		_, err := f.reconcile(e)
		if err == nil || strings.Contains(err.Error(), "let this resource go") {
			t.Errorf("a 403 while the resource is not deleted: %v, want the 403 without a way to let go", err)
		}

		f.delete()
		f.sim.FailNext(orysim.OpGetProject, 1, http.StatusForbidden)
		_, err = f.reconcile(e)
		want := []string{"403", "let this resource go", "managementPolicies without Delete"}
		if _, cluster := f.cr.(resource.LegacyManaged); cluster {
			want = append(want, "deletionPolicy to Orphan")
		}
		for _, m := range want {
			if err == nil || !strings.Contains(err.Error(), m) {
				t.Errorf("a 403 while deleting: %v, want it to mention %q", err, m)
			}
		}
		if f.gone() || f.requests(orysim.OpPurgeProject) != 0 {
			t.Errorf("gone %t, %d purges: a 403 proves nothing, so nothing is purged and the resource stays", f.gone(), f.requests(orysim.OpPurgeProject))
		}
	})
}
