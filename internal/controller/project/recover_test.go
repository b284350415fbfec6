package project

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestLostCreateAdopted loses the answer to the create at every point it
// can be cut, after Ory made the project: the next reconcile finds the
// project and adopts it, and Ory never holds a second one.
func TestLostCreateAdopted(t *testing.T) {
	for _, at := range []orysim.AnswerCut{orysim.CutBeforeHeaders, orysim.CutAfterHeaders, orysim.CutMidBody} {
		t.Run(string(at), func(t *testing.T) {
			forEachScope(t, payments, func(t *testing.T, f *fixture) {
				e := f.external()
				f.sim.CutAnswers(orysim.OpCreateProject, "", 1, at)
				if _, err := f.reconcile(e); err == nil || !strings.Contains(err.Error(), "looks for the project") {
					t.Fatalf("the create whose answer was cut: %v, want an error saying the provider looks for the project", err)
				}
				if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; !marked {
					t.Fatal("the creation mark is gone after a lost answer: nothing would look for the project")
				}
				made := f.projectsNamed("payments")
				if len(made) != 1 {
					t.Fatalf("Ory holds %d projects named payments after the cut create, want the 1 it made", len(made))
				}
				f.mustConverge(e)
				if got := meta.GetExternalName(f.cr); got != made[0].ID {
					t.Errorf("external name %q, want the project Ory made, %s", got, made[0].ID)
				}
				if n := len(f.projectsNamed("payments")); n != 1 {
					t.Errorf("Ory holds %d projects named payments, want 1: a lost create was made again", n)
				}
				if ev, ok := f.events.find("RecoveredCreate"); !ok || !strings.Contains(ev.Message, made[0].ID) {
					t.Errorf("event %+v, want RecoveredCreate naming the adopted project", ev)
				}
				if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; marked {
					t.Error("the creation mark stays after the adoption")
				}
			})
		})
	}
}

// TestInterruptedCreate settles the marks and annotations a crash can leave
// on a resource without an external name. The creates began before the
// settle window (TestLostCreateFinishedLate is about the window).
func TestInterruptedCreate(t *testing.T) {
	settled := settleWindow + time.Minute
	type arrange struct {
		// mark is the creation mark left, if any (Since relative to now).
		mark *time.Duration
		// pending leaves the runtime's create-pending annotation without a
		// result.
		pending bool
		// made are the projects Ory holds of the mark's name, made at these
		// offsets from now; known are the ones another resource names.
		made  []time.Duration
		known int
		// elsewhere makes the projects Ory holds dev ones in eu-central,
		// where the spec asks for prod in us-east.
		elsewhere bool
	}
	ago := func(d time.Duration) *time.Duration { return &d }
	cases := map[string]struct {
		reason string
		arrange
		wantAdopted bool
		wantErr     string
		wantMade    int
	}{
		"MarkOneProject": {
			reason:      "A crash after Ory made the project and before its ID was saved: adopted.",
			arrange:     arrange{mark: ago(settled), made: []time.Duration{-30 * time.Second}},
			wantAdopted: true, wantMade: 1,
		},
		"MarkNoProject": {
			reason:   "A crash before Ory acted: the mark is cleared and the project created, once.",
			arrange:  arrange{mark: ago(settled)},
			wantMade: 1,
		},
		"PendingOnly": {
			reason:   "A crash between the runtime's create-pending write and the mark: the runtime's guard is settled, not left for a person, and the project created.",
			arrange:  arrange{pending: true},
			wantMade: 1,
		},
		"PendingOneProject": {
			reason:      "The runtime's annotation alone, and a project of the spec's name made since: adopted, since nothing else can have made it.",
			arrange:     arrange{pending: true, made: []time.Duration{0}},
			wantAdopted: true, wantMade: 1,
		},
		"OlderProjectNotAdopted": {
			reason:   "A project of the same name made an hour before the mark is someone's: left alone, and the resource makes its own.",
			arrange:  arrange{mark: ago(settled), made: []time.Duration{-time.Hour}},
			wantMade: 2,
		},
		"KnownProjectNotAdopted": {
			reason:   "A project another Project resource names is that one's, however recent.",
			arrange:  arrange{mark: ago(settled), made: []time.Duration{0}, known: 1},
			wantMade: 2,
		},
		"OtherEnvironmentNotAdopted": {
			reason:   "A project of the name made since the mark, but in another environment and home region, is not what the create asked for: left alone, and the resource makes its own.",
			arrange:  arrange{mark: ago(settled), made: []time.Duration{0}, elsewhere: true},
			wantMade: 2,
		},
		"SeveralRefused": {
			reason:  "Two projects fit: no guess and no third project; an error (and condition, and event) names both and asks for an import.",
			arrange: arrange{mark: ago(settled), made: []time.Duration{-10 * time.Second, 0}},
			wantErr: "crossplane.io/external-name", wantMade: 2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachScope(t, payments, func(t *testing.T, f *fixture) {
				now := time.Now()
				var made []string
				for i, d := range tc.made {
					f.simSkew = d
					spec := orysim.ProjectSpec{WorkspaceKey: workspaceKey, Name: "payments", Environment: "prod", HomeRegion: "us-east"}
					if tc.elsewhere {
						spec.Environment, spec.HomeRegion = "dev", "eu-central"
					}
					p, err := f.sim.CreateProject(spec)
					if err != nil {
						t.Fatal(err)
					}
					made = append(made, p.ID)
					if i < tc.known {
						other := scopes["Cluster"](payments)
						other.SetName("other-" + p.ID[:8])
						meta.SetExternalName(other, p.ID)
						if err := f.kube.Create(context.Background(), other); err != nil {
							t.Fatal(err)
						}
					}
				}
				f.simSkew = 0
				f.update(func() {
					if tc.mark != nil {
						m := common.CreationMark{Since: now.Add(-*tc.mark).UTC().Truncate(time.Second), Name: "payments"}
						meta.AddAnnotations(f.cr, map[string]string{common.AnnotationCreating: m.String()})
					}
					if tc.pending {
						meta.SetExternalCreatePending(f.cr, now.Add(-settled))
					}
				})
				e := f.external()
				_, err := f.reconcile(e)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), made[0]) || !strings.Contains(err.Error(), made[1]) {
						t.Fatalf("%s\nreconcile: %v, want an error naming both projects and %q", tc.reason, err, tc.wantErr)
					}
					if c := f.cr.GetCondition(xpv2.TypeReady); c.Reason != common.ReasonCreateAmbiguous || !strings.Contains(c.Message, made[1]) {
						t.Errorf("%s\nReady = %s/%s %q, want CreateAmbiguous naming the projects", tc.reason, c.Status, c.Reason, c.Message)
					}
					if ev, ok := f.events.find(string(common.ReasonCreateAmbiguous)); !ok || ev.Type != "Warning" {
						t.Errorf("%s\nno Warning CreateAmbiguous event", tc.reason)
					}
					if _, err := f.reconcile(e); err == nil {
						t.Errorf("%s\nthe next reconcile went on without a person", tc.reason)
					}
					// A person imports one: the resource goes on with it.
					f.update(func() { meta.SetExternalName(f.cr, made[1]) })
				}
				f.mustConverge(e)
				if got := len(f.projectsNamed("payments")); got != tc.wantMade {
					t.Errorf("%s\nOry holds %d projects named payments, want %d", tc.reason, got, tc.wantMade)
				}
				adopted := len(made) > 0 && meta.GetExternalName(f.cr) == made[len(made)-1]
				if tc.wantErr == "" && adopted != tc.wantAdopted {
					t.Errorf("%s\nexternal name %s (Ory's: %v): adopted %t, want %t", tc.reason, meta.GetExternalName(f.cr), made, adopted, tc.wantAdopted)
				}
				if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; marked || meta.ExternalCreateIncomplete(f.cr) {
					t.Errorf("%s\nannotations %v left once settled", tc.reason, f.cr.GetAnnotations())
				}
				if c := f.cr.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
					t.Errorf("%s\nReady = %s", tc.reason, c.Status)
				}
			})
		})
	}
}

// TestAmbiguousCreateDeleted: a resource deleted while several projects
// fit its lost create leaves them all in Ory and goes.
func TestAmbiguousCreateDeleted(t *testing.T) {
	forEachScope(t, common.ProjectParameters{Name: "payments", Environment: "prod", DeletionProtection: ptr(false)}, func(t *testing.T, f *fixture) {
		for range 2 {
			if _, err := f.sim.CreateProject(orysim.ProjectSpec{WorkspaceKey: workspaceKey, Name: "payments", Environment: "prod"}); err != nil {
				t.Fatal(err)
			}
		}
		m := common.CreationMark{Since: time.Now().Add(-time.Minute).UTC().Truncate(time.Second), Name: "payments"}
		f.update(func() {
			meta.AddAnnotations(f.cr, map[string]string{common.AnnotationCreating: m.String()})
			f.cr.SetFinalizers([]string{"finalizer.managedresource.crossplane.io"})
		})
		f.delete()
		e := f.external()
		for range 2 {
			if _, err := f.reconcile(e); err != nil {
				t.Fatal(err)
			}
		}
		if !f.gone() {
			t.Error("the deleted resource stays")
		}
		if n := len(f.projectsNamed("payments")); n != 2 {
			t.Errorf("Ory holds %d projects named payments, want both left", n)
		}
		if ev, ok := f.events.find(string(common.ReasonCreateAmbiguous)); !ok || ev.Type != "Warning" {
			t.Error("no Warning naming the projects left in Ory")
		}
	})
}

// TestLostCreateUnderAllowedProjectIDs: a create that lost its answer, then
// a ProviderConfig that gained allowedProjectIDs. The provider may neither
// look for the project nor make another: the mark stays and Ready says
// why, and once the ProviderConfig allows it again the project Ory made is
// adopted, not made twice.
func TestLostCreateUnderAllowedProjectIDs(t *testing.T) {
	forEachScope(t, payments, func(t *testing.T, f *fixture) {
		made, err := f.sim.CreateProject(orysim.ProjectSpec{WorkspaceKey: workspaceKey, Name: "payments", Environment: "prod", HomeRegion: "us-east"})
		if err != nil {
			t.Fatal(err)
		}
		m := common.CreationMark{Since: time.Now().Add(-time.Minute).UTC().Truncate(time.Second), Name: "payments"}
		f.update(func() { meta.AddAnnotations(f.cr, map[string]string{common.AnnotationCreating: m.String()}) })
		f.cfg.AllowedProjectIDs = []string{otherID}
		f.sim.ResetRequests()
		for range 2 {
			_, err := f.reconcile(f.external())
			if err == nil || !strings.Contains(err.Error(), "allowedProjectIDs") || !strings.Contains(err.Error(), "external-name") {
				t.Fatalf("reconcile: %v, want a refusal naming allowedProjectIDs and how to go on", err)
			}
		}
		if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; !marked {
			t.Error("the creation mark is gone: the project Ory may have made would never be looked for")
		}
		if c := f.cr.GetCondition(xpv2.TypeReady); c.Reason != common.ReasonCreateRefused || !strings.Contains(c.Message, "allowedProjectIDs") {
			t.Errorf("Ready = %s/%s %q, want CreateRefused saying why", c.Status, c.Reason, c.Message)
		}
		if _, ok := f.events.find("RecoveredCreate"); ok {
			t.Error("a RecoveredCreate event says the create made nothing, which the provider did not look into")
		}
		if n := len(f.sim.RequestLog()); n != 0 {
			t.Errorf("%d requests to Ory under allowedProjectIDs, want none", n)
		}
		f.cfg.AllowedProjectIDs = nil
		f.mustConverge(f.external())
		if got := meta.GetExternalName(f.cr); got != made.ID {
			t.Errorf("external name %q, want the project Ory made, %s", got, made.ID)
		}
		if n := len(f.projectsNamed("payments")); n != 1 {
			t.Errorf("Ory holds %d projects named payments, want 1", n)
		}
	})
}

// TestLostCreateFinishedLate: Ory answers the create 504 (a gateway's
// timeout) and makes the project only later, as it may when the gateway
// gives up first. While the create may still be under way, a look that
// finds nothing keeps the mark and creates nothing; the project made late
// is adopted, and one never made is created once the window is over.
func TestLostCreateFinishedLate(t *testing.T) {
	cases := map[string]struct {
		reason string
		// lateAfterLook makes the project in Ory after the first look,
		// as Ory finishing the create late.
		lateAfterLook bool
		wantAdopted   bool
	}{
		"MadeLate": {
			reason:        "Ory lists the project only after the provider first looked: adopted, never made twice.",
			lateAfterLook: true, wantAdopted: true,
		},
		"NeverMade": {
			reason: "Ory made nothing: once the settle window is over, the provider creates the project, once.",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachScope(t, payments, func(t *testing.T, f *fixture) {
				e := f.external()
				f.sim.FailNext(orysim.OpCreateProject, 1, http.StatusGatewayTimeout)
				if _, err := f.reconcile(e); err == nil || !strings.Contains(err.Error(), "504") {
					t.Fatalf("%s\nthe create: %v, want the 504", tc.reason, err)
				}
				for range 2 {
					_, err := f.reconcile(e)
					if err == nil || !strings.Contains(err.Error(), "may still be making it") {
						t.Fatalf("%s\nthe look inside the settle window: %v, want an error saying Ory may still be making the project", tc.reason, err)
					}
				}
				if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; !marked {
					t.Fatalf("%s\nthe creation mark is gone while the create may still be under way", tc.reason)
				}
				if c := f.cr.GetCondition(xpv2.TypeReady); c.Reason != xpv2.ReasonCreating || !strings.Contains(c.Message, "looks again") {
					t.Errorf("%s\nReady = %s/%s %q, want Creating saying the provider is still looking", tc.reason, c.Status, c.Reason, c.Message)
				}
				if at, ok := e.requeue.take(client.ObjectKeyFromObject(f.cr)); !ok || time.Until(at) > settleLook || time.Until(at) <= 0 {
					t.Errorf("%s\nnext look at %v (asked: %t), want within %s", tc.reason, at, ok, settleLook)
				}
				if n := len(f.projectsNamed("payments")); n != 0 {
					t.Fatalf("%s\nOry holds %d projects named payments during the window, want none made", tc.reason, n)
				}
				var late orysim.Project
				if tc.lateAfterLook {
					var err error
					if late, err = f.sim.CreateProject(orysim.ProjectSpec{WorkspaceKey: workspaceKey, Name: "payments", Environment: "prod", HomeRegion: "us-east"}); err != nil {
						t.Fatal(err)
					}
				} else {
					e.now = func() time.Time { return time.Now().Add(settleWindow) }
				}
				f.mustConverge(e)
				if n := len(f.projectsNamed("payments")); n != 1 {
					t.Errorf("%s\nOry holds %d projects named payments, want 1", tc.reason, n)
				}
				if adopted := late.ID != "" && meta.GetExternalName(f.cr) == late.ID; adopted != tc.wantAdopted {
					t.Errorf("%s\nexternal name %s, project made late %q: adopted %t, want %t", tc.reason, meta.GetExternalName(f.cr), late.ID, adopted, tc.wantAdopted)
				}
			})
		})
	}
}
