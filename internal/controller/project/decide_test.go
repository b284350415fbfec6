package project

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

const (
	projectID   = "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"
	otherID     = "9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
	thirdID     = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
	workspaceID = "11111111-2222-4333-8444-555555555555"
	otherWS     = "66666666-7777-4888-9999-000000000000"
)

// answer is a console error as the console client returns it.
func answer(status int, reason console.Reason) error {
	return &console.Error{Op: "get project " + projectID, StatusCode: status, Reason: reason, Message: "Ory's own words"}
}

func TestPresence(t *testing.T) {
	cases := map[string]struct {
		reason     string
		p          console.Project
		err        error
		purged     bool
		want       bool
		wantErr    bool
		errMention []string
	}{
		"Running": {
			reason: "A project Ory reads is there.",
			p:      console.Project{ID: projectID, State: console.ProjectRunning},
			want:   true,
		},
		"Halted": {
			reason: "A halted project still exists; it is reported unavailable, never created again.",
			p:      console.Project{ID: projectID, State: console.ProjectHalted},
			want:   true,
		},
		"SoftDeleted": {
			reason: "The console deletes softly: a read saying deleted proves the project gone.",
			p:      console.Project{ID: projectID, State: console.ProjectDeleted},
		},
		"NotFound": {
			reason: "A 404 proves the project gone.",
			err:    answer(http.StatusNotFound, console.ReasonNotFound),
		},
		"Forbidden": {
			reason:     "Ory answers 403 for unknown projects and for projects the key may not see: no proof either way, so an error that says what to check, never a create.",
			err:        answer(http.StatusForbidden, console.ReasonForbidden),
			wantErr:    true,
			errMention: []string{projectID, "403", "Ory's own words", "neither creates another project nor takes this one for gone", "external name"},
		},
		"ForbiddenAfterPurge": {
			reason: "After the provider's own purge, Ory's 403 is the purged project's answer: gone, so the deletion ends.",
			err:    answer(http.StatusForbidden, console.ReasonForbidden),
			purged: true,
		},
		"Unauthorized": {
			reason:     "A revoked workspace key says nothing about the project: the console's error, with its hint, stands.",
			err:        answer(http.StatusUnauthorized, console.ReasonUnauthorized),
			wantErr:    true,
			errMention: []string{"401"},
		},
		"Unavailable": {
			reason:  "A 5xx says nothing: retried with backoff.",
			err:     answer(http.StatusBadGateway, console.ReasonUnavailable),
			wantErr: true,
		},
		"OtherError": {
			reason:  "An error that is no console answer says nothing either.",
			err:     errors.New("context deadline exceeded"),
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := presence(projectID, tc.p, tc.err, tc.purged)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\npresence(...) error = %v, want error %t", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\npresence(...) exists: -want, +got:\n%s", tc.reason, diff)
			}
			for _, m := range tc.errMention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%s\nerror %q does not mention %q", tc.reason, err, m)
				}
			}
		})
	}
}

func TestReadiness(t *testing.T) {
	cases := map[string]struct {
		reason     string
		state      string
		wantStatus corev1.ConditionStatus
		wantReason xpv2.ConditionReason
	}{
		"Running": {
			reason: "Ready when Ory runs the project.", state: console.ProjectRunning,
			wantStatus: corev1.ConditionTrue, wantReason: xpv2.ReasonAvailable,
		},
		"Halted": {
			reason: "A halted project is not usable: Unavailable, with a reason of its own.", state: console.ProjectHalted,
			wantStatus: corev1.ConditionFalse, wantReason: common.ReasonProjectHalted,
		},
		"Unknown": {
			reason: "A state this provider does not know is not Ready.", state: "migrating",
			wantStatus: corev1.ConditionFalse, wantReason: xpv2.ReasonUnavailable,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := readiness(console.Project{ID: projectID, State: tc.state})
			if c.Type != xpv2.TypeReady || c.Status != tc.wantStatus || c.Reason != tc.wantReason {
				t.Errorf("%s\nreadiness(%q) = %s %s/%s, want Ready %s/%s", tc.reason, tc.state, c.Type, c.Status, c.Reason, tc.wantStatus, tc.wantReason)
			}
			if tc.wantStatus == corev1.ConditionFalse && !strings.Contains(c.Message, tc.state) {
				t.Errorf("%s\nmessage %q does not say the state", tc.reason, c.Message)
			}
		})
	}
}

func TestDrift(t *testing.T) {
	inOry := console.Project{ID: projectID, Name: "payments", Environment: "prod", HomeRegion: "eu-central", WorkspaceID: workspaceID}
	spec := func(change func(*common.ProjectParameters)) *common.ProjectParameters {
		p := &common.ProjectParameters{Name: "payments", Environment: "prod", HomeRegion: "eu-central", WorkspaceID: workspaceID}
		if change != nil {
			change(p)
		}
		return p
	}
	cases := map[string]struct {
		reason      string
		spec        *common.ProjectParameters
		mayUpdate   bool
		nameMatches bool
		status      corev1.ConditionStatus
		mention     []string
	}{
		"InSync": {
			reason: "Everything matches.",
			spec:   spec(nil), mayUpdate: true,
			nameMatches: true, status: corev1.ConditionTrue,
		},
		"OptionalFieldsLeftToOry": {
			reason: "A spec without homeRegion or workspaceID leaves them to Ory (and the ProviderConfig): no drift.",
			spec:   spec(func(p *common.ProjectParameters) { p.HomeRegion, p.WorkspaceID = "", "" }), mayUpdate: true,
			nameMatches: true, status: corev1.ConditionTrue,
		},
		"WorkspaceCase": {
			reason: "UUIDs compare without case.",
			spec:   spec(func(p *common.ProjectParameters) { p.WorkspaceID = strings.ToUpper(workspaceID) }), mayUpdate: true,
			nameMatches: true, status: corev1.ConditionTrue,
		},
		"Renamed": {
			reason: "A new name is the one change Ory makes in place: not up to date, so the runtime calls Update.",
			spec:   spec(func(p *common.ProjectParameters) { p.Name = "payments-v2" }), mayUpdate: true,
			status: corev1.ConditionFalse, mention: []string{`"payments-v2"`, "renames"},
		},
		"RenamedWithoutUpdate": {
			reason: "Policies without Update keep the old name: the condition says so and how to allow it.",
			spec:   spec(func(p *common.ProjectParameters) { p.Name = "payments-v2" }),
			status: corev1.ConditionFalse, mention: []string{"do not allow Update"},
		},
		"EnvironmentDiffers": {
			reason: "An import whose spec names another environment: never replaced, reported, and up to date as far as the runtime goes.",
			spec:   spec(func(p *common.ProjectParameters) { p.Environment = "dev" }), mayUpdate: true,
			nameMatches: true, status: corev1.ConditionFalse, mention: []string{"environment", `"dev"`, `"prod"`, "never replaces"},
		},
		"HomeRegionAndWorkspaceDiffer": {
			reason: "Each fixed setting that differs is named.",
			spec:   spec(func(p *common.ProjectParameters) { p.HomeRegion, p.WorkspaceID = "us-east", otherWS }), mayUpdate: true,
			nameMatches: true, status: corev1.ConditionFalse, mention: []string{"homeRegion", "workspaceID", otherWS},
		},
		"FixedAndName": {
			reason: "A rename goes on while a fixed difference is reported.",
			spec:   spec(func(p *common.ProjectParameters) { p.Environment, p.Name = "stage", "other" }), mayUpdate: true,
			status: corev1.ConditionFalse, mention: []string{"environment", "renames"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			nameMatches, c := drift(tc.spec, inOry, tc.mayUpdate)
			if nameMatches != tc.nameMatches {
				t.Errorf("%s\nnameMatches = %t, want %t", tc.reason, nameMatches, tc.nameMatches)
			}
			if c.Type != common.TypeUpToDate || c.Status != tc.status {
				t.Errorf("%s\ncondition %s = %s (%s), want %s", tc.reason, c.Type, c.Status, c.Message, tc.status)
			}
			for _, m := range tc.mention {
				if !strings.Contains(c.Message, m) {
					t.Errorf("%s\nmessage %q does not mention %q", tc.reason, c.Message, m)
				}
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	since := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	made := func(id, name, ws, state string, at time.Time) console.Project {
		return console.Project{ID: id, Name: name, WorkspaceID: ws, State: state, Environment: "prod", HomeRegion: "us-east", CreatedAt: at}
	}
	in := func(p console.Project, env, region string) console.Project {
		p.Environment, p.HomeRegion = env, region
		return p
	}
	mark := common.CreationMark{Since: since, Parent: workspaceID, Name: "payments"}
	prodUSEast := &common.ProjectParameters{Name: "payments", Environment: "prod", HomeRegion: "us-east"}
	cases := map[string]struct {
		reason   string
		projects []console.Project
		mark     common.CreationMark
		// spec is the resource's (prod, us-east when nil).
		spec  *common.ProjectParameters
		known map[string]bool
		want  []string
	}{
		"OtherEnvironment": {
			reason:   "A create for prod makes a prod project: a dev project of the name, made since, is someone else's.",
			projects: []console.Project{in(made(projectID, "payments", workspaceID, console.ProjectRunning, since), "dev", "us-east")},
			mark:     mark,
		},
		"OtherHomeRegion": {
			reason:   "A create that named a home region makes its project there: one in another region is someone else's.",
			projects: []console.Project{in(made(projectID, "payments", workspaceID, console.ProjectRunning, since), "prod", "eu-central")},
			mark:     mark,
		},
		"AnyHomeRegion": {
			reason:   "A create that named no home region let Ory choose: any region counts.",
			projects: []console.Project{in(made(projectID, "payments", workspaceID, console.ProjectRunning, since), "prod", "eu-central")},
			mark:     mark,
			spec:     &common.ProjectParameters{Name: "payments", Environment: "prod"},
			want:     []string{projectID},
		},
		"TheLostOne": {
			reason:   "A project of the name, in the workspace, made since the mark, named by no resource: the create's.",
			projects: []console.Project{made(projectID, "payments", workspaceID, console.ProjectRunning, since.Add(time.Second))},
			mark:     mark,
			want:     []string{projectID},
		},
		"ClockSkew": {
			reason:   "Ory's clock may run behind the provider's: a project stamped a minute before the mark still counts.",
			projects: []console.Project{made(projectID, "payments", workspaceID, console.ProjectRunning, since.Add(-time.Minute))},
			mark:     mark,
			want:     []string{projectID},
		},
		"Older": {
			reason:   "A project of the same name made well before the mark is someone's earlier project: never adopted.",
			projects: []console.Project{made(projectID, "payments", workspaceID, console.ProjectRunning, since.Add(-time.Hour))},
			mark:     mark,
		},
		"OtherName": {
			reason:   "Another name is another project.",
			projects: []console.Project{made(projectID, "billing", workspaceID, console.ProjectRunning, since)},
			mark:     mark,
		},
		"OtherWorkspace": {
			reason:   "A create that named a workspace made its project there.",
			projects: []console.Project{made(projectID, "payments", otherWS, console.ProjectRunning, since)},
			mark:     mark,
		},
		"AnyWorkspace": {
			reason:   "A create that named no workspace let Ory choose: any workspace the key sees counts.",
			projects: []console.Project{made(projectID, "payments", otherWS, console.ProjectRunning, since)},
			mark:     common.CreationMark{Since: since, Name: "payments"},
			want:     []string{projectID},
		},
		"Known": {
			reason:   "A project another Project resource names is that resource's, whatever its name and time.",
			projects: []console.Project{made(projectID, "payments", workspaceID, console.ProjectRunning, since)},
			mark:     mark,
			known:    map[string]bool{projectID: true},
		},
		"Deleted": {
			reason:   "A project deleted in the console is gone: nothing to adopt.",
			projects: []console.Project{made(projectID, "payments", workspaceID, console.ProjectDeleted, since)},
			mark:     mark,
		},
		"NoCreationTime": {
			reason:   "A project whose creation time Ory did not report cannot be ruled out.",
			projects: []console.Project{made(projectID, "payments", workspaceID, console.ProjectRunning, time.Time{})},
			mark:     mark,
			want:     []string{projectID},
		},
		"Several": {
			reason: "Two fit: both are returned, for a person to choose from.",
			projects: []console.Project{
				made(projectID, "payments", workspaceID, console.ProjectRunning, since),
				made(otherID, "payments", workspaceID, console.ProjectRunning, since.Add(time.Second)),
				made(thirdID, "payments", workspaceID, console.ProjectRunning, since.Add(-time.Hour)),
			},
			mark: mark,
			want: []string{projectID, otherID},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			spec := tc.spec
			if spec == nil {
				spec = prodUSEast
			}
			for _, p := range candidates(tc.projects, tc.mark, spec, tc.known) {
				got = append(got, p.ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncandidates: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDeletionRefusal(t *testing.T) {
	cases := map[string]struct {
		reason     string
		protection *bool
		ways       keepWays
		refused    bool
		mention    []string
		notMention []string
	}{
		"DefaultProtected": {
			reason:     "Unset is true: the default keeps the project.",
			ways:       keepWays{policies: true},
			refused:    true,
			mention:    []string{projectID, "deletionProtection to false", "managementPolicies without Delete"},
			notMention: []string{"deletionPolicy"},
		},
		"Protected": {
			reason:     "True keeps the project.",
			protection: ptr(true),
			ways:       keepWays{policies: true},
			refused:    true,
		},
		"Unprotected": {
			reason:     "False purges.",
			protection: ptr(false),
			ways:       keepWays{policies: true},
		},
		"ClusterScope": {
			reason:  "The cluster-scoped kind can also be orphaned by its deletion policy.",
			ways:    keepWays{legacy: true, policies: true},
			refused: true,
			mention: []string{"managementPolicies without Delete", "deletionPolicy to Orphan"},
		},
		"NoPoliciesNamespaced": {
			reason:     "Without management policies the namespaced kind cannot orphan: only removing the finalizer keeps the project.",
			ways:       keepWays{},
			refused:    true,
			mention:    []string{"finalizer.managedresource.crossplane.io"},
			notMention: []string{"managementPolicies without Delete"},
		},
		"NoPoliciesCluster": {
			reason:     "Without management policies the cluster-scoped kind still has its deletion policy.",
			ways:       keepWays{legacy: true},
			refused:    true,
			mention:    []string{"deletionPolicy to Orphan"},
			notMention: []string{"managementPolicies", "finalizer"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			why := deletionRefusal(&common.ProjectParameters{DeletionProtection: tc.protection}, projectID, tc.ways)
			if (why != "") != tc.refused {
				t.Fatalf("%s\ndeletionRefusal = %q, want refused %t", tc.reason, why, tc.refused)
			}
			for _, m := range tc.mention {
				if !strings.Contains(why, m) {
					t.Errorf("%s\n%q does not mention %q", tc.reason, why, m)
				}
			}
			for _, m := range tc.notMention {
				if strings.Contains(why, m) {
					t.Errorf("%s\n%q mentions %q, which this scope cannot use", tc.reason, why, m)
				}
			}
		})
	}
}

func TestRequeueAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		res    reconcile.Result
		at     time.Time
		want   reconcile.Result
	}{
		"WindowResets": {
			reason: "Requeue when Ory's window resets, not at the runtime's backoff.",
			res:    reconcile.Result{Requeue: true}, at: now.Add(40 * time.Second),
			want: reconcile.Result{RequeueAfter: 40 * time.Second},
		},
		"AlreadyPast": {
			reason: "A reset already past still waits a moment: never a hot loop.",
			res:    reconcile.Result{Requeue: true}, at: now.Add(-time.Second),
			want: reconcile.Result{RequeueAfter: minRequeue},
		},
		"LaterRequeueKept": {
			reason: "A requeue the reconciler planned later than the reset stands.",
			res:    reconcile.Result{RequeueAfter: time.Minute}, at: now.Add(10 * time.Second),
			want: reconcile.Result{RequeueAfter: time.Minute},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, requeueAt(tc.res, tc.at, now)); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestKeysFirst(t *testing.T) {
	const id = "6c3a4b1e-8f2d-4c55-9d7e-0a1b2c3d4e5f"
	cases := map[string]struct {
		reason string
		keys   []string
		want   []string // substrings of the refusal; nil: no refusal
	}{
		"NoKeys": {
			reason: "No key resource names the project: it may be purged.",
		},
		"OneKey": {
			reason: "A key resource still names the project: the message names it and says what to do.",
			keys:   []string{"team/app-key"},
			want:   []string{id, "1 still do", "team/app-key", "delete them"},
		},
		"ManyKeys": {
			reason: "Many keys: the message names a few and counts the rest, rather than growing without bound.",
			keys:   []string{"a", "b", "c", "d", "e", "f", "g"},
			want:   []string{"7 still do", "a, b, c, d, e and 2 more"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := keysFirst(id, tc.keys)
			if tc.want == nil && got != "" {
				t.Fatalf("%s\nkeysFirst(...) = %q, want no refusal", tc.reason, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s\nkeysFirst(...) = %q, want it to contain %q", tc.reason, got, w)
				}
			}
		})
	}
}

func TestNextLook(t *testing.T) {
	since := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		now    time.Time
		want   time.Time
	}{
		"JustLost": {
			reason: "A create that just lost its answer may still be under way in Ory: look again soon, not create.",
			now:    since.Add(5 * time.Second), want: since.Add(5*time.Second + settleLook),
		},
		"WindowEndsFirst": {
			reason: "The last look comes when the window ends, not after it.",
			now:    since.Add(settleWindow - time.Second), want: since.Add(settleWindow),
		},
		"WindowOver": {
			reason: "Past the client's timeout and the clock skew, a look that finds nothing means the create made nothing.",
			now:    since.Add(settleWindow),
		},
		"LongAgo": {
			reason: "A mark an hour old (or the fallback for a create without one) waits for nothing.",
			now:    since.Add(time.Hour),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := nextLook(since, tc.now); !got.Equal(tc.want) {
				t.Errorf("%s\nnextLook(since, since+%s) = %v, want %v", tc.reason, tc.now.Sub(since), got, tc.want)
			}
		})
	}
}
