package keyview

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// fakeAPI is a console whose list calls take their snapshot when they begin
// and then wait for the test to release them, so that a test can order a
// list against creates, deletes and lookups exactly.
type fakeAPI struct {
	mu        sync.Mutex
	keys      []console.Key
	lists     int
	deleteErr error

	started chan struct{} // a list call took its snapshot
	release chan struct{} // lets one list call answer
}

func newFake() *fakeAPI {
	return &fakeAPI{started: make(chan struct{}, 16), release: make(chan struct{})}
}

// Holder is "project": the rules under test do not depend on it.
func (f *fakeAPI) Holder() string { return "project" }

func (f *fakeAPI) ListKeys(ctx context.Context, _ string) ([]console.Key, error) {
	f.mu.Lock()
	f.lists++
	snapshot := slices.Clone(f.keys)
	f.mu.Unlock()
	f.started <- struct{}{}
	select {
	case <-f.release:
		return snapshot, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *fakeAPI) CreateKey(_ context.Context, projectID, name string, _ *time.Time) (console.Key, error) {
	k := f.add(projectID, name)
	k.Value = console.Value("ory_pat_" + strings.Repeat("s", 32))
	return k, nil
}

func (f *fakeAPI) DeleteKey(_ context.Context, _, keyID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deleteErr != nil {
		return f.deleteErr
	}
	f.keys = slices.DeleteFunc(f.keys, func(k console.Key) bool { return k.ID == keyID })
	return nil
}

// add creates a key behind the view's back.
func (f *fakeAPI) add(projectID, name string) console.Key {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := console.Key{ID: uuid.NewString(), Parent: projectID, Name: name}
	f.keys = append(f.keys, k)
	return k
}

func (f *fakeAPI) listCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists
}

// answer lets the next list call that began answer.
func (f *fakeAPI) answer(t *testing.T) {
	t.Helper()
	select {
	case <-f.started:
	case <-time.After(5 * time.Second):
		t.Fatal("no list call began")
	}
	f.release <- struct{}{}
}

// begun waits until a list call has taken its snapshot; answer it later
// with f.release <- struct{}{}.
func (f *fakeAPI) begun(t *testing.T) {
	t.Helper()
	select {
	case <-f.started:
	case <-time.After(5 * time.Second):
		t.Fatal("no list call began")
	}
}

type result struct {
	key *console.Key
	err error
}

func findAsync(c *Client, testProject, id string) chan result {
	ch := make(chan result, 1)
	go func() {
		k, err := c.FindKey(context.Background(), testProject, id)
		ch <- result{k, err}
	}()
	return ch
}

// waitUsers waits until n calls hold the project's view, i.e. a lookup has
// joined the list in flight.
func waitUsers(t *testing.T, c *Client, project string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		p := c.views[strings.ToLower(project)]
		users := 0
		if p != nil {
			users = p.users
		}
		c.mu.Unlock()
		if users >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("fewer than %d calls on project %s", n, project)
}

func get(t *testing.T, ch chan result) *console.Key {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("FindKey: %v", r.err)
		}
		return r.key
	case <-time.After(5 * time.Second):
		t.Fatal("FindKey did not return")
	}
	return nil
}

const testProject = "9d3ad0b5-5b8e-4c4f-9f56-2a8c3e2f4b10"

// TestRaces orders lists against creates, deletes and lookups in the ways
// that could make a stale view cause a duplicate key or hide a deletion.
func TestRaces(t *testing.T) {
	cases := map[string]struct {
		reason string
		run    func(t *testing.T, f *fakeAPI, c *Client) (found bool, wantFound bool, lists, wantLists int)
	}{
		"LookupDuringAnOlderListConfirmsAbsenceWithANewerOne": {
			reason: "A lookup that joins a list which began before it may not take that list's \"absent\": the key may have been created in between (an import). It must wait for a newer list.",
			run: func(t *testing.T, f *fakeAPI, c *Client) (bool, bool, int, int) {
				first := findAsync(c, testProject, uuid.NewString()) // begins list 1
				f.begun(t)
				imported := f.add(testProject, "imported") // after list 1's snapshot
				lookup := findAsync(c, testProject, imported.ID)
				waitUsers(t, c, testProject, 2)
				f.release <- struct{}{} // list 1 answers without the key
				f.answer(t)             // list 2, begun for the lookup
				get(t, first)
				return get(t, lookup) != nil, true, f.listCalls(), 2
			},
		},
		"LookupDuringAnOlderListTakesItsPresence": {
			reason: "A key that a list in flight does contain can be reported from it: no second list.",
			run: func(t *testing.T, f *fakeAPI, c *Client) (bool, bool, int, int) {
				k := f.add(testProject, "existing")
				first := findAsync(c, testProject, uuid.NewString())
				f.begun(t)
				lookup := findAsync(c, testProject, k.ID)
				waitUsers(t, c, testProject, 2)
				f.release <- struct{}{} // the first lookup began list 1: its "absent" counts
				get(t, first)
				return get(t, lookup) != nil, true, f.listCalls(), 1
			},
		},
		"OwnCreateDuringAListIsNotForgotten": {
			reason: "A list that began before the provider created a key does not contain it; its answer must not remove the key from the view.",
			run: func(t *testing.T, f *fakeAPI, c *Client) (bool, bool, int, int) {
				first := findAsync(c, testProject, uuid.NewString())
				f.begun(t)
				k, err := c.CreateKey(context.Background(), testProject, "mine", nil)
				if err != nil {
					t.Fatal(err)
				}
				f.release <- struct{}{}
				get(t, first)
				found := get(t, findAsync(c, testProject, k.ID)) != nil
				return found, true, f.listCalls(), 1
			},
		},
		"OwnDeleteDuringAListIsNotUndone": {
			reason: "A list that began before the provider deleted a key still contains it; its answer must not bring the key back.",
			run: func(t *testing.T, f *fakeAPI, c *Client) (bool, bool, int, int) {
				k := f.add(testProject, "doomed")
				first := findAsync(c, testProject, k.ID)
				f.begun(t)
				if err := c.DeleteKey(context.Background(), testProject, k.ID); err != nil {
					t.Fatal(err)
				}
				f.release <- struct{}{}
				// The lookup that began list 1 asked before the delete and may
				// be told either; the next lookup must be told "absent".
				get(t, first)
				found := get(t, findAsync(c, testProject, k.ID)) != nil
				return found, false, f.listCalls(), 1
			},
		},
		"FailedDeleteDoesNotHideAKey": {
			reason: "A delete that failed may not have happened: the key must still be found by the next lookup (from a new list), not assumed gone.",
			run: func(t *testing.T, f *fakeAPI, c *Client) (bool, bool, int, int) {
				k := f.add(testProject, "kept")
				first := findAsync(c, testProject, k.ID)
				f.answer(t)
				get(t, first)
				f.deleteErr = errors.New("503")
				if err := c.DeleteKey(context.Background(), testProject, k.ID); err == nil {
					t.Fatal("DeleteKey succeeded, want the injected failure")
				}
				lookup := findAsync(c, testProject, k.ID)
				f.answer(t)
				return get(t, lookup) != nil, true, f.listCalls(), 2
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake()
			c := New(f, Options{})
			found, wantFound, lists, wantLists := tc.run(t, f, c)
			if found != wantFound {
				t.Errorf("%s\nfound = %v, want %v", tc.reason, found, wantFound)
			}
			if lists != wantLists {
				t.Errorf("%s\n%d list calls, want %d", tc.reason, lists, wantLists)
			}
		})
	}
}

func TestAWaiterThatGivesUpDoesNotFailOthers(t *testing.T) {
	f := newFake()
	c := New(f, Options{})
	k := f.add(testProject, "k")
	ctx, cancel := context.WithCancel(context.Background())
	starter := make(chan error, 1)
	go func() {
		_, err := c.FindKey(ctx, testProject, k.ID)
		starter <- err
	}()
	f.begun(t)
	other := findAsync(c, testProject, k.ID)
	waitUsers(t, c, testProject, 2)
	cancel() // the lookup that began the list leaves
	if err := <-starter; err == nil {
		t.Error("a lookup whose context ended returned no error")
	}
	f.release <- struct{}{}
	if get(t, other) == nil {
		t.Error("the lookup that waited for another's list did not get its answer")
	}
}

// TestConsistencyUnderConcurrency runs lookups, creates and deletes of many
// keys at once against the simulator (run with -race), while keys are also
// created and deleted behind the view's back, and then checks every answer
// the rules allow.
func TestConsistencyUnderConcurrency(t *testing.T) {
	forHolders(t, "", testConsistencyUnderConcurrency)
}

func testConsistencyUnderConcurrency(t *testing.T, h holder) {
	sim, url := orysim.StartTest(t, orysim.WithoutContractCheck())
	sim.AddWorkspace(workspaceKey)
	parent := h.setup(sim)
	sim.SetLatency(h.list, 5*time.Millisecond)
	view := New(h.api(console.New(url, workspaceKey, http.DefaultClient, "provider-ory-test")), Options{Staleness: time.Hour})
	other := h.api(console.New(url, workspaceKey, http.DefaultClient, "someone-else"))
	ctx := context.Background()

	const workers, rounds = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for r := range rounds {
				// A key this worker creates must be found at once and
				// until this worker deletes it; then never again.
				k, err := view.CreateKey(ctx, parent, fmt.Sprint("w", w, "r", r), nil)
				if err != nil {
					errs <- err
					return
				}
				if got, err := view.FindKey(ctx, parent, k.ID); err != nil || got == nil {
					errs <- fmt.Errorf("own key %s not found after create (%v)", k.ID, err)
				}
				// A key created behind the view's back must be found, not
				// reported missing, however stale the view: a missing key
				// means a duplicate.
				imported, err := other.CreateKey(ctx, parent, "imported", nil)
				if err != nil {
					errs <- err
					return
				}
				if got, err := view.FindKey(ctx, parent, imported.ID); err != nil || got == nil {
					errs <- fmt.Errorf("imported key %s reported missing (%v)", imported.ID, err)
				}
				if rng.IntN(2) == 0 {
					if err := view.DeleteKey(ctx, parent, k.ID); err != nil {
						errs <- err
						return
					}
					if got, err := view.FindKey(ctx, parent, k.ID); err != nil || got != nil {
						errs <- fmt.Errorf("own key %s still found after delete (%v)", k.ID, err)
					}
				}
				if _, err := view.ListKeys(ctx, parent); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every key in Ory is found; nothing else is.
	for _, k := range h.stored(sim, parent) {
		if got, err := view.FindKey(ctx, parent, k.ID); err != nil || got == nil {
			t.Errorf("key %s exists but FindKey = %v, %v", k.ID, got, err)
		}
	}
	// A key that never existed is reported absent.
	if got, err := view.FindKey(ctx, parent, uuid.NewString()); err != nil || got != nil {
		t.Errorf("FindKey of an unknown key = %v, %v; want nil, nil", got, err)
	}
}
