package orysim

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ory "github.com/ory/client-go"
)

// TestConcurrentClients runs many client-go clients against one simulator
// while faults and inspection calls change under them; run with -race.
func TestConcurrentClients(t *testing.T) {
	// Every list returns every key so far, and client-go decodes each key
	// three times; under -race more keys make this test slow, not better.
	const (
		workers = 12
		perW    = 6
	)
	f := newFixture(t)
	ctx := context.Background()

	stop := make(chan struct{})
	var background sync.WaitGroup
	background.Add(1)
	go func() {
		// Flip settings that do not change answers, and read state, while
		// requests are in flight.
		defer background.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f.sim.SetLatency(AllOperations, time.Duration(i%2)*time.Millisecond)
			f.sim.SetErrorRate(OpGetProject, 0.5, http.StatusServiceUnavailable)
			_ = f.sim.RequestLog()
			_ = f.sim.Keys(f.project.Slug)
			_ = f.sim.Violations()
			time.Sleep(time.Millisecond)
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, workers*perW)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := NewClient(f.url, f.ws.Key)
			for i := range perW {
				name := fmt.Sprintf("w%d-k%d", w, i)
				if _, _, err := c.ProjectAPI.CreateProjectApiKey(ctx, f.project.Slug).
					CreateProjectApiKeyBody(*ory.NewCreateProjectApiKeyBody(name)).Execute(); err != nil {
					errs <- fmt.Errorf("create %s: %w", name, err)
					continue
				}
				if _, _, err := c.ProjectAPI.ListProjectApiKeys(ctx, f.project.ID).Execute(); err != nil {
					errs <- fmt.Errorf("list: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	background.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	keys := f.sim.Keys(f.project.ID)
	ids := map[string]bool{}
	values := map[string]bool{}
	for _, k := range keys {
		ids[k.ID] = true
		values[k.Value] = true
	}
	cases := map[string]struct {
		reason string
		got    int
		want   int
	}{
		"AllCreated": {
			reason: "Every create is stored exactly once.",
			got:    len(keys),
			want:   workers * perW,
		},
		"UniqueIDs": {
			reason: "Concurrent creates never share an id.",
			got:    len(ids),
			want:   workers * perW,
		},
		"UniqueValues": {
			reason: "Concurrent creates never share a secret.",
			got:    len(values),
			want:   workers * perW,
		},
		"CreatesCounted": {
			reason: "Requests counts every create.",
			got:    f.sim.Requests(OpCreateProjectAPIKey),
			want:   workers * perW,
		},
		"ListsCounted": {
			reason: "Requests counts every list.",
			got:    f.sim.Requests(OpListProjectAPIKeys),
			want:   workers * perW,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestConcurrentProjectCreatesAtTheLimit: creates racing for a plan's last
// slots never overshoot the limit, and patches racing at one revision let
// exactly one through; run with -race.
func TestConcurrentProjectCreatesAtTheLimit(t *testing.T) {
	const (
		racers = 8
		limit  = 4 // the fixture's project holds one slot
	)
	f := newFixture(t)
	f.sim.SetProjectLimit(f.ws.ID, limit)
	ctx := context.Background()
	statuses := make(chan int, 2*racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			_, resp, _ := f.client.ProjectAPI.CreateProject(ctx).
				CreateProjectBody(*ory.NewCreateProjectBody("dev", fmt.Sprintf("p%d", i))).Execute()
			statuses <- statusOf(resp)
		})
		wg.Go(func() {
			_, resp, _ := f.client.ProjectAPI.PatchProjectWithRevision(ctx, f.project.ID, f.project.RevisionID).
				JsonPatch(renameTo(fmt.Sprintf("n%d", i))).Execute()
			statuses <- statusOf(resp)
		})
	}
	wg.Wait()
	close(statuses)
	got := map[int]int{}
	for s := range statuses {
		got[s]++
	}
	want := map[int]int{http.StatusCreated: limit - 1, http.StatusPaymentRequired: racers - (limit - 1), http.StatusOK: 1, http.StatusConflict: racers - 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers by status: -want, +got:\n%s", diff)
	}
	if n := len(f.sim.Projects(f.ws.ID)); n != limit {
		t.Errorf("%d projects stored, want the limit, %d", n, limit)
	}
}
