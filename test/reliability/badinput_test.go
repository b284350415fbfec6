package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// The hot-loop window and bounds. crossplane-runtime requeues a failed
// reconcile with per-resource exponential backoff from 1 s, doubling to at
// most 60 s: in 20 s that is reconciles at about 0, 1, 3, 7 and 15 s, five
// in all, plus one for each change of the resource's desired state (its
// creation, the provider recording a defaulted projectID). A resource that
// fails at Create sends at most two requests a reconcile (the project
// lookup for apiURL, the create itself; neither is retried for a 4xx). So
// 8 reconciles and 14 requests in 20 s leave room for scheduling noise,
// while a hot loop (a reconcile per status update, or per second) would
// show 20 and more.
const (
	hotLoopWindow        = 20 * time.Second
	hotLoopMaxReconciles = 8
	hotLoopMaxRequests   = 14
	// A resource that is retried at all reconciles at least this often in
	// the window.
	hotLoopMinReconciles = 3
)

// hotLoopFigures collects the measured numbers, for the log and
// docs/reliability.md.
var hotLoopFigures = struct {
	sync.Mutex
	lines []string
}{}

// TestBadInputAtRunTime shows that input only the provider can find wrong
// is refused: the Synced condition is False with a message saying what is
// wrong and how to fix it, a Warning event repeats it, no key is created,
// and the resource is retried with backoff, not hot-looped. Each case runs
// in both scopes, all at once, and is watched for hotLoopWindow: the
// provider's reconciles are counted in its debug log, its Ory requests in
// the simulator's request log (each case has a project of its own).
func TestBadInputAtRunTime(t *testing.T) {
	// Not parallel with the other tests: it counts reconciles against
	// exponential backoff, and while the fault soak saturates the global
	// reconcile rate, crossplane-runtime's global limiter answers with a
	// requeue-after that resets a key's backoff (seen: 9 reconciles in 20 s,
	// spaced 1.1 to 4 s, instead of 5). Go runs the tests that do not call
	// t.Parallel first, one by one; its own cases still run in parallel.
	// A workspace whose key is revoked, each scope with a project of its
	// own there so that its requests can be told apart.
	revokedKey := newWorkspaceKey("revoked (bad input)")
	sim.RevokeWorkspaceKey(revokedKey)

	type setup struct {
		creds     map[string]string // the credentials Secret's data; nil: none
		projectID string            // the ProviderConfig's default project
		allowed   []string          // the ProviderConfig's allowedProjectIDs
		params    common.KeyParameters
		// keyProjectID is the key's projectID; empty: the ProviderConfig's.
		keyProjectID string
		// secretTaken: the connection Secret exists, controlled by
		// another object.
		secretTaken bool
		// pendingProject: the key references (projectIDRef) a Project of
		// its scope that has no UUID yet.
		pendingProject bool
	}
	type badInputCase = struct {
		reason string
		// arrange returns the resource's setup and the project whose
		// requests are counted.
		arrange func(name string) (setup, string)
		// wantMsg are the parts of the Synced message: what is wrong, and
		// how to fix it.
		wantMsg []string
		// noRequests: the input is refused before any call to Ory.
		noRequests bool
	}
	cases := map[string]badInputCase{
		"UnknownProject": {
			reason: "A projectID that Ory does not know (Ory answers 403, not 404: Ory's Terraform provider, PR 325) is reported with the project and what to check, and retried with backoff.",
			arrange: func(name string) (setup, string) {
				p := uuid.NewString()
				return setup{creds: map[string]string{"token": workspaceKey}, projectID: project.ID,
					keyProjectID: p, params: common.KeyParameters{Name: name}}, p
			},
			wantMsg: []string{"403", "projectID"},
		},
		"RevokedWorkspaceKey": {
			reason: "A revoked workspace key is reported as such, with what to put in the credentials.",
			arrange: func(name string) (setup, string) {
				p := sim.AddProject(revokedKey, "")
				return setup{creds: map[string]string{"token": revokedKey}, projectID: p.ID,
					params: common.KeyParameters{Name: name}}, p.ID
			},
			wantMsg: []string{"401", "invalid or revoked", "put a valid ory_wak_ key in its credentials"},
		},
		"MissingCredentialsSecret": {
			reason: "A missing credentials Secret is named, with what to create; Ory is never called.",
			arrange: func(name string) (setup, string) {
				p := sim.AddProject(workspaceKey, "")
				return setup{projectID: p.ID, params: common.KeyParameters{Name: name}}, p.ID
			},
			wantMsg:    []string{"does not exist", "create it with the workspace API key under key \"token\""},
			noRequests: true,
		},
		"CredentialsSecretMissingKey": {
			reason: "A credentials Secret without the named key is reported, with where to put the workspace key; Ory is never called.",
			arrange: func(name string) (setup, string) {
				p := sim.AddProject(workspaceKey, "")
				return setup{creds: map[string]string{"tokn": workspaceKey}, projectID: p.ID,
					params: common.KeyParameters{Name: name}}, p.ID
			},
			wantMsg:    []string{"has no key \"token\"", "put the workspace API key there"},
			noRequests: true,
		},
		"ExpiresAtInThePast": {
			reason: "An expiry in the past at creation is refused before any call to Ory.",
			arrange: func(name string) (setup, string) {
				p := sim.AddProject(workspaceKey, "")
				past := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
				return setup{creds: map[string]string{"token": workspaceKey}, projectID: p.ID,
					params: common.KeyParameters{Name: name, ExpiresAt: &past}}, p.ID
			},
			wantMsg:    []string{"is not in the future", "set a later time, or remove it"},
			noRequests: true,
		},
		"ConnectionSecretOfAnotherObject": {
			reason: "A connection Secret that another object controls is never taken over, and no key outlives the failure to store its value.",
			arrange: func(name string) (setup, string) {
				p := sim.AddProject(workspaceKey, "")
				return setup{creds: map[string]string{"token": workspaceKey}, projectID: p.ID, secretTaken: true,
					params: common.KeyParameters{Name: name}}, p.ID
			},
			wantMsg:    []string{"bad-key", "writeConnectionSecretToRef"},
			noRequests: true,
		},
		"ProjectNotAllowed": {
			reason: "A project outside the ProviderConfig's allowedProjectIDs is refused before any call to Ory.",
			arrange: func(name string) (setup, string) {
				p := sim.AddProject(workspaceKey, "")
				return setup{creds: map[string]string{"token": workspaceKey}, projectID: project.ID, allowed: []string{project.ID},
					keyProjectID: p.ID, params: common.KeyParameters{Name: name}}, p.ID
			},
			wantMsg:    []string{"is not in the allowedProjectIDs", "use an allowed project"},
			noRequests: true,
		},
		"ReferencedProjectWithoutID": {
			reason: "A key whose Project has no UUID yet (being created, or an import Ory has not confirmed) waits with crossplane-runtime's resolver message, makes no key (not even in the ProviderConfig's default project) and calls Ory not at all: references are resolved before the provider connects.",
			arrange: func(name string) (setup, string) {
				p := sim.AddProject(workspaceKey, "")
				return setup{creds: map[string]string{"token": workspaceKey}, projectID: p.ID, pendingProject: true,
					params: common.KeyParameters{Name: name}}, p.ID
			},
			wantMsg:    []string{"referenced field was empty", "may not yet be ready"},
			noRequests: true,
		},
	}
	tally := &badInputTally{}
	t.Cleanup(func() {
		report.Add(testkit.Counters{Kind: testkit.ProjectAPIKey.Name, Rejected: tally.rejected, Total: tally.total})
		hotLoopFigures.Lock()
		defer hotLoopFigures.Unlock()
		sort.Strings(hotLoopFigures.lines)
		for _, l := range hotLoopFigures.lines {
			t.Log(l)
		}
	})
	forEachBadInput(t, cases, tally, func(t *testing.T, name string, tc badInputCase, s testkit.Scope) bool {
		ns := h.NewNamespace(t, "bad-"+strings.ToLower(name[:min(len(name), 20)]))
		keyName := ns + "-key"
		su, countProject := tc.arrange(keyName)
		k := testkit.NewProjectKey(s, ns, "bad", su.params, su.keyProjectID)
		h.ConfigFor(t, k, ns, "cfg", su.creds, su.projectID, su.allowed...)
		if su.secretTaken {
			takeSecret(t, testkit.SecretRef(k))
		}
		if su.pendingProject {
			p := testkit.NewProject(s, ns, "pending", nil)
			testkit.ObserveOnly(p)
			h.Create(t, p)
			t.Cleanup(func() { _ = kube.Delete(context.Background(), p) })
			testkit.ReferProject(k, p.GetName())
		}

		logStart := logs.Len()
		start := time.Now()
		h.Create(t, k)

		c := h.Within(hotLoopWindow).WaitSyncError(t, k)
		ev := h.WaitWarning(t, k, "")
		t.Logf("Synced=False %s: %s", c.Reason, c.Message)
		t.Logf("Warning event %s: %s", ev.Reason, ev.Message)
		for _, m := range tc.wantMsg {
			if !strings.Contains(c.Message, m) {
				t.Errorf("%s\nthe Synced message does not say %q: %s", tc.reason, m, c.Message)
			}
			if !strings.Contains(ev.Message, m) {
				t.Errorf("%s\nthe Warning event does not say %q: %s", tc.reason, m, ev.Message)
			}
		}

		time.Sleep(time.Until(start.Add(hotLoopWindow)))
		end := time.Now()
		at := reconcilesOf(logs.Since(logStart), k.GetNamespace(), k.GetName())
		var reconciles int
		for _, ts := range at {
			if ts.Before(end) {
				reconciles++
			}
		}
		requests := requestsTo(countProject, start, end)
		warnings := countWarnings(t, k)

		line := fmt.Sprintf("hot-loop %s/%s: %d reconciles (at %s s), %d Ory requests, %d warning events in %s",
			name, string(s), reconciles, offsets(at[:reconciles], start), len(requests), warnings, end.Sub(start).Round(time.Second))
		t.Log(line)
		hotLoopFigures.Lock()
		hotLoopFigures.lines = append(hotLoopFigures.lines, line)
		hotLoopFigures.Unlock()

		if reconciles < hotLoopMinReconciles {
			t.Errorf("%s\n%d reconciles in %s: want it retried (at least %d)", tc.reason, reconciles, hotLoopWindow, hotLoopMinReconciles)
		}
		if reconciles > hotLoopMaxReconciles {
			t.Errorf("%s\n%d reconciles in %s: want at most %d with exponential backoff", tc.reason, reconciles, hotLoopWindow, hotLoopMaxReconciles)
		}
		if len(requests) > hotLoopMaxRequests {
			t.Errorf("%s\n%d Ory requests in %s: want at most %d with exponential backoff", tc.reason, len(requests), hotLoopWindow, hotLoopMaxRequests)
		}
		if tc.noRequests && len(requests) > 0 {
			t.Errorf("%s\n%d Ory requests (%s): want none, the input is refused before any call", tc.reason, len(requests), describe(requests))
		}
		keys := keysNamed(countProject, keyName) + keysNamed(su.projectID, keyName)
		if keys != 0 {
			t.Errorf("%s\n%d keys created", tc.reason, keys)
		}
		return keys == 0 && c.Status == corev1.ConditionFalse && ev.Type == corev1.EventTypeWarning
	})
}

// badInputTally counts the bad inputs of a kind a test drove, and those
// refused, for the reliability line.
type badInputTally struct {
	mu              sync.Mutex
	rejected, total int
}

// forEachBadInput runs run for every case of cases in both scopes, all in
// parallel, and counts each in tally, refused when run says so.
func forEachBadInput[C any](t *testing.T, cases map[string]C, tally *badInputTally, run func(t *testing.T, name string, tc C, s testkit.Scope) (refused bool)) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, s := range testkit.Scopes {
				t.Run(string(s), func(t *testing.T) {
					t.Parallel()
					refused := run(t, name, tc, s)
					tally.mu.Lock()
					defer tally.mu.Unlock()
					tally.total++
					if refused {
						tally.rejected++
					}
				})
			}
		})
	}
}

// reconcilesOf returns when crossplane-runtime logged "Reconciling" for
// one resource in a piece of the provider's log.
func reconcilesOf(log []byte, ns, name string) []time.Time {
	var out []time.Time
	for _, line := range bytes.Split(log, []byte("\n")) {
		if !bytes.Contains(line, []byte(`"Reconciling"`)) || !bytes.Contains(line, []byte(name)) {
			continue
		}
		var e struct {
			Msg     string  `json:"msg"`
			TS      float64 `json:"ts"` // seconds since the epoch
			Request *struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"request"`
		}
		if json.Unmarshal(line, &e) != nil || e.Request == nil {
			continue
		}
		if e.Msg == "Reconciling" && e.Request.Name == name && e.Request.Namespace == ns {
			out = append(out, time.Unix(0, int64(e.TS*1e9)))
		}
	}
	return out
}

// offsets formats times as seconds after start.
func offsets(ts []time.Time, start time.Time) string {
	s := make([]string, 0, len(ts))
	for _, t := range ts {
		s = append(s, fmt.Sprintf("%.1f", t.Sub(start).Seconds()))
	}
	return strings.Join(s, " ")
}

// countWarnings sums the counts of the Warning events about k (the event
// recorder folds repeats into one Event with a count).
func countWarnings(t *testing.T, k testkit.ProjectKey) int {
	t.Helper()
	es, err := h.EventsAbout(k.GetNamespace(), k.GetName())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Type == corev1.EventTypeWarning {
			n += int(max(e.Count, 1))
		}
	}
	return n
}

// keysNamed counts a project's keys with a name.
func keysNamed(projectID, name string) int {
	n := 0
	for _, k := range sim.Keys(projectID) {
		if k.Name == name {
			n++
		}
	}
	return n
}

func describe(es []orysim.LogEntry) string {
	s := make([]string, 0, len(es))
	for _, e := range es {
		s = append(s, fmt.Sprintf("%s %s -> %d", e.Method, e.Path, e.Status))
	}
	return strings.Join(s, ", ")
}

// takeSecret creates a Secret controlled by another object (a ConfigMap).
func takeSecret(t *testing.T, nn types.NamespacedName) {
	t.Helper()
	owner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: nn.Namespace, Name: nn.Name + "-owner"}}
	h.Create(t, owner)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: nn.Namespace, Name: nn.Name}, StringData: map[string]string{"other": "data"}}
	s.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(owner, corev1.SchemeGroupVersion.WithKind("ConfigMap"))})
	h.Create(t, s)
}
