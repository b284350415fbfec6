package keyview

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

const workspaceKey = "ory_wak_keyview_test_key"

// clock is a settable clock for staleness tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A holder is a kind of parent of keys as the tests drive it: the tests
// where the parent matters run for projects and for workspaces.
type holder struct {
	// setup makes the parent in sim, reached with workspaceKey, and
	// returns its ID.
	setup func(sim *orysim.Server) string
	api   func(c *console.Client) API
	seed  func(sim *orysim.Server, parent, name string) orysim.Key
	// stored returns the parent's keys in the simulator, except the
	// workspace key a workspace was set up with.
	stored func(sim *orysim.Server, parent string) []orysim.Key
	list   string // the list operation, as the simulator names it
	// atStart is how many keys the parent has when set up: a workspace
	// has the key it was set up with.
	atStart int
}

var holders = map[string]holder{
	"Project": {
		setup: func(sim *orysim.Server) string { return sim.AddProject(workspaceKey, "main").ID },
		api:   func(c *console.Client) API { return c.ProjectKeys() },
		seed: func(sim *orysim.Server, parent, name string) orysim.Key {
			return sim.SeedKey(parent, name, nil, true)
		},
		stored: func(sim *orysim.Server, parent string) []orysim.Key { return sim.Keys(parent) },
		list:   orysim.OpListProjectAPIKeys,
	},
	"Workspace": {
		setup: func(sim *orysim.Server) string { return sim.AddWorkspace(workspaceKey).ID },
		api:   func(c *console.Client) API { return c.WorkspaceKeys() },
		seed: func(sim *orysim.Server, parent, name string) orysim.Key {
			k, _ := sim.CreateKey(orysim.KeySpec{Workspace: parent, Name: name})
			return k
		},
		stored: func(sim *orysim.Server, parent string) []orysim.Key {
			return slices.DeleteFunc(sim.WorkspaceKeys(parent), func(k orysim.Key) bool { return k.Value == workspaceKey })
		},
		list:    orysim.OpListWorkspaceAPIKeys,
		atStart: 1,
	},
}

// world is a simulator with one parent of keys, a view of its keys over
// the real client-go console client, and a second client-go client that
// acts behind the view's back (the Ory console, Terraform, another
// provider).
type world struct {
	holder
	sim    *orysim.Server
	parent string
	clock  *clock
	view   *Client
	other  API
}

func newWorld(t *testing.T, h holder, o Options) *world {
	t.Helper()
	sim, url := orysim.StartTest(t)
	sim.AddWorkspace(workspaceKey)
	w := &world{holder: h, sim: sim, parent: h.setup(sim), clock: newClock()}
	o.now = w.clock.Now
	w.view = New(h.api(console.New(url, workspaceKey, http.DefaultClient, "provider-ory-test")), o)
	w.other = h.api(console.New(url, workspaceKey, http.DefaultClient, "someone-else"))
	return w
}

func (w *world) lists() int { return w.sim.Requests(w.list) }

// seedKey stores a key in the parent behind the view's back.
func (w *world) seedKey(name string) string { return w.seed(w.sim, w.parent, name).ID }

// find looks a key up and returns its ID, "" when reported absent.
func (w *world) find(t *testing.T, id string) string {
	t.Helper()
	k, err := w.view.FindKey(context.Background(), w.parent, id)
	if err != nil {
		t.Fatalf("FindKey: %v", err)
	}
	if k == nil {
		return ""
	}
	if k.Value != "" {
		t.Errorf("FindKey returned a key with its value")
	}
	return k.ID
}

func TestFindKey(t *testing.T) {
	type step struct {
		// do runs before the lookup; it returns the ID to look up.
		do   func(t *testing.T, w *world, seeded string) string
		want string // "seeded", "looked-up" (the ID do returned), or "" for absent
		// lists is how many list calls the simulator has seen after the lookup.
		lists int
	}
	cases := map[string]struct {
		reason string
		steps  []step
	}{
		"RepeatedLookupsWithinTheWindowShareOneList": {
			reason: "Within the staleness window a key that was listed is answered from the view.",
			steps: []step{
				{do: seeded, want: "seeded", lists: 1},
				{do: after(5*time.Second, seeded), want: "seeded", lists: 1},
				{do: after(4*time.Second, seeded), want: "seeded", lists: 1},
			},
		},
		"TheWindowExpires": {
			reason: "Past the staleness window the view lists again.",
			steps: []step{
				{do: seeded, want: "seeded", lists: 1},
				{do: after(DefaultStaleness+time.Second, seeded), want: "seeded", lists: 2},
			},
		},
		"AbsenceIsConfirmedByAFreshList": {
			reason: "A key created behind the view's back right after a list must be found, not reported missing: a missing key makes the runtime create a duplicate.",
			steps: []step{
				{do: seeded, want: "seeded", lists: 1},
				{do: func(t *testing.T, w *world, _ string) string {
					return w.seedKey("imported")
				}, want: "looked-up", lists: 2},
			},
		},
		"AMissingKeyIsReportedAfterAFreshList": {
			reason: "A key that does not exist is reported absent, from a list made for this lookup.",
			steps: []step{
				{do: seeded, want: "seeded", lists: 1},
				{do: constant("00000000-0000-4000-8000-000000000000"), want: "", lists: 2},
			},
		},
		"OwnCreateIsVisibleAtOnce": {
			reason: "The provider's own create puts the key in the view: the Observe after Create needs no list.",
			steps: []step{
				{do: seeded, want: "seeded", lists: 1},
				{do: func(t *testing.T, w *world, _ string) string {
					k, err := w.view.CreateKey(context.Background(), w.parent, "mine", nil)
					if err != nil || k.Value == "" {
						t.Fatalf("CreateKey = %v, value returned: %v", err, k.Value != "")
					}
					return k.ID
				}, want: "looked-up", lists: 1},
			},
		},
		"OwnDeleteIsVisibleAtOnce": {
			reason: "The provider's own delete removes the key from the view: the Observe after Delete must not see it.",
			steps: []step{
				{do: seeded, want: "seeded", lists: 1},
				{do: func(t *testing.T, w *world, id string) string {
					if err := w.view.DeleteKey(context.Background(), w.parent, id); err != nil {
						t.Fatal(err)
					}
					return id
				}, want: "", lists: 1},
			},
		},
		"OutOfBandDeletionIsNotHiddenPastTheWindow": {
			reason: "A key deleted behind the view's back may be reported for the rest of the window, never longer.",
			steps: []step{
				{do: seeded, want: "seeded", lists: 1},
				{do: func(t *testing.T, w *world, id string) string {
					if err := w.other.DeleteKey(context.Background(), w.parent, id); err != nil {
						t.Fatal(err)
					}
					w.clock.Advance(DefaultStaleness - time.Second)
					return id
				}, want: "looked-up", lists: 1},
				{do: after(2*time.Second, seeded), want: "", lists: 2},
			},
		},
		"IDsMatchWhateverTheirCase": {
			reason: "Key IDs are UUIDs: an upper case external name names the same key.",
			steps: []step{
				{do: seeded, want: "seeded", lists: 1},
				{do: func(_ *testing.T, _ *world, id string) string { return strings.ToUpper(id) }, want: "seeded", lists: 1},
			},
		},
	}
	for name, tc := range cases {
		forHolders(t, name, func(t *testing.T, h holder) {
			w := newWorld(t, h, Options{})
			id := w.seedKey("seeded")
			for i, s := range tc.steps {
				lookedUp := s.do(t, w, id)
				got := w.find(t, lookedUp)
				want := ""
				switch s.want {
				case "seeded":
					want = id
				case "looked-up":
					want = lookedUp
				}
				if !strings.EqualFold(got, want) {
					t.Errorf("%s\nstep %d: FindKey = %q, want %q", tc.reason, i, got, want)
				}
				if got := w.lists(); got != s.lists {
					t.Errorf("%s\nstep %d: %d list calls so far, want %d", tc.reason, i, got, s.lists)
				}
			}
		})
	}
}

func seeded(_ *testing.T, _ *world, id string) string { return id }

func constant(id string) func(*testing.T, *world, string) string {
	return func(*testing.T, *world, string) string { return id }
}

func after(d time.Duration, then func(*testing.T, *world, string) string) func(*testing.T, *world, string) string {
	return func(t *testing.T, w *world, id string) string {
		w.clock.Advance(d)
		return then(t, w, id)
	}
}

func TestCoalescing(t *testing.T) {
	const n = 20
	cases := map[string]struct {
		reason string
		naive  bool
		call   func(w *world, id string) error
		// want bounds the list calls for n concurrent calls.
		wantMin, wantMax int
	}{
		"ConcurrentLookupsShareOneList": {
			reason: "N lookups of one project at once cost one list call, not N.",
			call: func(w *world, id string) error {
				k, err := w.view.FindKey(context.Background(), w.parent, id)
				if err == nil && k == nil {
					err = errors.New("key reported absent")
				}
				return err
			},
			wantMin: 1, wantMax: 1,
		},
		"ConcurrentListsShareAtMostTwo": {
			reason: "Full lists must begin after they are asked for, so callers that arrive during a list wait for the next one, which they all share.",
			call: func(w *world, _ string) error {
				keys, err := w.view.ListKeys(context.Background(), w.parent)
				if err == nil && len(keys) != n+w.atStart {
					err = fmt.Errorf("%d keys listed, want %d", len(keys), n+w.atStart)
				}
				return err
			},
			wantMin: 1, wantMax: 2,
		},
		"NaiveModeListsForEveryLookup": {
			reason: "Naive mode, the benchmark's baseline, lists for every lookup.",
			naive:  true,
			call: func(w *world, id string) error {
				_, err := w.view.FindKey(context.Background(), w.parent, id)
				return err
			},
			wantMin: n, wantMax: n,
		},
	}
	for name, tc := range cases {
		forHolders(t, name, func(t *testing.T, h holder) {
			w := newWorld(t, h, Options{Naive: tc.naive})
			var ids []string
			for i := range n {
				ids = append(ids, w.seedKey(fmt.Sprint("k", i)))
			}
			// Slow lists, so that every call arrives while the first is in
			// flight.
			w.sim.SetLatency(w.list, 200*time.Millisecond)
			start := make(chan struct{})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for _, id := range ids {
				wg.Go(func() {
					<-start
					errs <- tc.call(w, id)
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("%s\n%v", tc.reason, err)
				}
			}
			if got := w.lists(); got < tc.wantMin || got > tc.wantMax {
				t.Errorf("%s\n%d list calls for %d concurrent calls, want %d to %d", tc.reason, got, n, tc.wantMin, tc.wantMax)
			}
		})
	}
}

func TestNoValueIsCached(t *testing.T) {
	const secret = "ory_pat_listed_value_that_must_not_stay"
	cases := map[string]struct {
		reason string
		// fill makes the view see keys, returning one that carried a value.
		fill func(t *testing.T) (*Client, string)
	}{
		"CreatedProjectKey": {
			reason: "Create returns the value to its caller; the view keeps the key without it.",
			fill:   func(t *testing.T) (*Client, string) { return createdKey(t, holders["Project"]) },
		},
		"CreatedWorkspaceKey": {
			reason: "The same holds for a workspace key.",
			fill:   func(t *testing.T) (*Client, string) { return createdKey(t, holders["Workspace"]) },
		},
		"ListThatCarriesValues": {
			reason: "Lists carry no values today; should one ever do, the view must still not keep them.",
			fill: func(t *testing.T) (*Client, string) {
				f := newFake()
				f.keys = []console.Key{{ID: uuid.NewString(), Name: "leaky", Value: secret}}
				c := New(f, Options{})
				go func() { <-f.started; f.release <- struct{}{} }()
				keys, err := c.ListKeys(context.Background(), testProject)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					if k.Value != "" {
						t.Error("ListKeys passed a value on")
					}
				}
				return c, secret
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, value := tc.fill(t)
			c.mu.Lock()
			defer c.mu.Unlock()
			held := 0
			for _, p := range c.views {
				for _, e := range p.keys {
					held++
					if dump := fmt.Sprintf("%#v", e.key) + string(e.key.Value); strings.Contains(dump, value) {
						t.Errorf("%s\nthe view holds the value of key %s", tc.reason, e.key.ID)
					}
				}
			}
			if held == 0 {
				t.Errorf("%s\nthe view holds no key: the test proves nothing", tc.reason)
			}
		})
	}
}

func TestMemoryIsBounded(t *testing.T) {
	// Projects: a workspace key reaches one workspace, but many projects.
	w := newWorld(t, holders["Project"], Options{})
	ctx := context.Background()
	other := w.sim.AddProject(workspaceKey, "other")
	for _, p := range []string{w.parent, other.ID} {
		if _, err := w.view.FindKey(ctx, p, "00000000-0000-4000-8000-000000000000"); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.view.viewsHeld(); got != 2 {
		t.Fatalf("%d parent views held, want 2", got)
	}
	w.clock.Advance(2 * DefaultStaleness)
	if _, err := w.view.FindKey(ctx, w.parent, "00000000-0000-4000-8000-000000000000"); err != nil {
		t.Fatal(err)
	}
	if got := w.view.viewsHeld(); got != 1 {
		t.Errorf("%d parent views held, want 1: a parent untouched for a staleness window must be dropped", got)
	}
}

func TestListErrorsAreNotCached(t *testing.T) {
	forHolders(t, "", func(t *testing.T, h holder) {
		w := newWorld(t, h, Options{})
		id := w.seedKey("k")
		w.sim.FailNext(w.list, 1, http.StatusServiceUnavailable)
		if _, err := w.view.FindKey(context.Background(), w.parent, id); console.ReasonOf(err) != console.ReasonUnavailable {
			t.Fatalf("FindKey during an outage: %v, want the list's error", err)
		}
		if got := w.find(t, id); got != id {
			t.Errorf("FindKey after the outage = %q, want %q: a failed list must not be remembered", got, id)
		}
	})
}

// forHolders runs test once per holder, as name/holder.
func forHolders(t *testing.T, name string, test func(t *testing.T, h holder)) {
	t.Helper()
	for hn, h := range holders {
		t.Run(strings.TrimPrefix(name+"/"+hn, "/"), func(t *testing.T) { test(t, h) })
	}
}

// value reads a counter.
func value(c prometheus.Counter) float64 {
	m := &dto.Metric{}
	if err := c.Write(m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

func TestLookupMetrics(t *testing.T) {
	w := newWorld(t, holders["Workspace"], Options{})
	id := w.seedKey("k")
	hits, misses := value(lookups.WithLabelValues(resultHit)), value(lookups.WithLabelValues(resultMiss))
	w.find(t, id) // miss: lists
	w.find(t, id) // hit
	w.find(t, id) // hit
	got := []float64{value(lookups.WithLabelValues(resultHit)) - hits, value(lookups.WithLabelValues(resultMiss)) - misses}
	if diff := cmp.Diff([]float64{2, 1}, got); diff != "" {
		t.Errorf("{hits, misses} -want +got:\n%s", diff)
	}
}

// createdKey makes a view see a key it created, and returns it with the
// value the create returned.
func createdKey(t *testing.T, h holder) (*Client, string) {
	t.Helper()
	w := newWorld(t, h, Options{})
	k, err := w.view.CreateKey(context.Background(), w.parent, "mine", nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.Value == "" {
		t.Fatal("CreateKey must still return the value to its caller")
	}
	if _, err := w.view.ListKeys(context.Background(), w.parent); err != nil {
		t.Fatal(err)
	}
	return w.view, string(k.Value)
}
