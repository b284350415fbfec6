package crash

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// A stage is where, in one create of a key, the tap kills the provider.
type stage int

const (
	// beforeOry: the create request reached the tap, which kills the
	// provider before forwarding it. Ory makes no key; the resource is left
	// with crossplane-runtime's create-pending annotation (or, for a
	// replacement, ory.crossplane.io/replacing-since) and nothing to find.
	beforeOry stage = iota
	// answerLost: Ory made the key; the tap kills the provider before
	// forwarding the answer, the only place the key's value ever appears.
	// Nobody has the value: the recovery must find the key and delete it.
	answerLost
	// afterAnswer: the answer was delivered; the tap kills the provider a
	// random delay later, somewhere between storing the value in the
	// connection Secret, recording the key on the resource, and after.
	afterAnswer
	// beforeExternalName: the answer was delivered and its secret stored
	// in the connection Secret; the kill hook (hook_test.go) kills the
	// provider as it asks the API server to record the new object's ID as
	// the resource's external name, and refuses that update. Only the
	// Secret knows the object.
	beforeExternalName
	// beforeRotationRecord: a rotation's new secret is stored; the kill
	// hook kills the provider as it asks the API server to record the
	// rotation (the rotated secrets' end in ory.crossplane.io/retired-keys,
	// the mark ory.crossplane.io/rotating removed), and refuses that
	// update.
	beforeRotationRecord
)

func (s stage) String() string {
	switch s {
	case beforeOry:
		return "before-ory"
	case answerLost:
		return "answer-lost"
	case afterAnswer:
		return "after-answer"
	case beforeExternalName:
		return "before-external-name"
	case beforeRotationRecord:
		return "before-rotation-record"
	}
	return "stage(" + strconv.Itoa(int(s)) + ")"
}

// A plan is one armed kill.
type plan struct {
	stage stage
	// skip is how many creates reaching the stage go through first.
	skip int
	// skipped counts them.
	skipped int
	// delay is how long after the answer an afterAnswer kill strikes.
	delay time.Duration
	// restartAfter is how long the provider stays dead.
	restartAfter time.Duration
	// hold leaves the provider dead: the test starts it again.
	hold bool
}

func (p plan) String() string {
	s := fmt.Sprintf("%s (skip %d", p.stage, p.skip)
	if p.stage == afterAnswer {
		s += fmt.Sprintf(", %s after the answer", p.delay)
	}
	return s + ")"
}

// A kill is what the tap did when a plan struck.
type kill struct {
	plan plan
	at   time.Time
	// keyID and keyName are the key (or project) of the create that
	// triggered the kill (empty for beforeOry: Ory made none). For
	// answerLost, nobody but Ory and the tap knows that key.
	keyID, keyName string
	// state is what the kill left for the recovery to resolve, read while
	// the provider was dead.
	state crashState
	// err is set when the provider could not be started again.
	err error
}

// A createdKey is a key, a project or an OAuth2 client Ory made through the
// tap, or a client's secret it rotated.
type createdKey struct {
	id, name  string
	at        time.Time
	delivered bool // its answer reached the provider
	// secret is an OAuth2 client's secret the answer carried (its new one,
	// for a rotation), so that a test can check whether it still works at
	// Ory once the answer was lost. Never logged.
	secret string
}

// tap forwards the provider's requests to the simulator, and kills (SIGKILL)
// and restarts the provider when an armed plan strikes. Only creates of keys
// of any kind (POST /projects/{project}/tokens,
// /workspaces/{workspace}/tokens), of projects (POST /projects) and of
// OAuth2 clients, and rotations of a client's secret (see isCreate) can
// trigger a kill. Every answer to a create carries the id and name of what
// Ory made, which the tap records; the stages below speak of keys, and
// mean a project or a client the same way (a rotation's new secret as a
// key's value). The kill hook (hook_test.go) strikes the plans of the
// stages that follow the store.
type tap struct {
	next http.Handler
	p    *localenv.Provider

	mu sync.Mutex
	// plans are the armed kills, the next first.
	plans []*plan
	// lastKill is when the provider was last killed: requests that arrived
	// before it come from a dead process and never strike a plan.
	lastKill time.Time
	inspect  func() crashState // reads what a kill left; nil reads nothing
	created  []createdKey
	// kills receives one kill per plan that struck, once the provider runs
	// again.
	kills chan kill
}

func newTap(sim *orysim.Server, p *localenv.Provider) *tap {
	return &tap{next: sim, p: p, kills: make(chan kill, 16)}
}

// arm sets the next kills, each armed once the one before struck; it
// replaces the plans not yet struck.
func (t *tap) arm(plans ...plan) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.plans = nil
	for _, p := range plans {
		t.plans = append(t.plans, &p)
	}
}

// disarm removes the armed plans. It reports false when there were none:
// the last plan struck, and its kill is (or will be) on t.kills.
func (t *tap) disarm() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	armed := len(t.plans) > 0
	t.plans = nil
	return armed
}

// setInspect sets what is read after each kill, while the provider is dead.
func (t *tap) setInspect(fn func() crashState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inspect = fn
}

// inspectKills makes the tap read, with read and within 30 s, what each
// kill of test t left, and disarms the tap and stops reading when t ends.
func inspectKills(t *testing.T, read func(context.Context) crashState) {
	tp.setInspect(func() crashState {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return read(ctx)
	})
	t.Cleanup(func() {
		tp.setInspect(nil)
		tp.disarm()
	})
}

// take returns the armed plan if it strikes now, at stage s, for a request
// that arrived at arrived.
func (t *tap) take(s stage, arrived time.Time) *plan {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.plans) == 0 || t.plans[0].stage != s || arrived.Before(t.lastKill) {
		return nil
	}
	p := t.plans[0]
	if p.skipped < p.skip {
		p.skipped++
		return nil
	}
	t.plans = t.plans[1:]
	return p
}

// createdKeys returns the keys and projects Ory made through the tap.
func (t *tap) createdKeys() []createdKey {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]createdKey(nil), t.created...)
}

// isCreate reports whether r creates a key of a kind in testkit.Kinds, a
// project (POST /projects, createProject), or an OAuth2 client on a
// project's API (POST <project API>/admin/clients), or rotates a client's
// secret (POST <project API>/admin/clients/{id}/secrets/rotate): each
// answer carries a secret that appears nowhere else.
func isCreate(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, orysim.ProjectAPIPathPrefix); ok {
		// <slug>/admin/clients[/<id>/secrets/rotate]
		seg := strings.Split(strings.Trim(rest, "/"), "/")
		clients := len(seg) >= 3 && seg[1] == "admin" && seg[2] == "clients"
		return clients && (len(seg) == 3 || len(seg) == 6 && seg[4] == "secrets" && seg[5] == "rotate")
	}
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(seg) == 1 && seg[0] == "projects" {
		return true
	}
	if len(seg) != 3 || seg[2] != "tokens" {
		return false
	}
	for _, k := range testkit.Kinds {
		if seg[0] == k.Holders {
			return true
		}
	}
	return false
}

func (t *tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isCreate(r) {
		t.next.ServeHTTP(w, r)
		return
	}
	arrived := time.Now()
	if p := t.take(beforeOry, arrived); p != nil {
		t.kill(*p, "", "")
		panic(http.ErrAbortHandler) // closes the connection of a dead client
	}
	// The simulator answers into a recorder, so that the tap decides
	// whether the answer is delivered at all. The request's context ends
	// when the provider dies, which also ends the simulator's latency wait
	// (and Ory then makes no key).
	rec := httptest.NewRecorder()
	t.next.ServeHTTP(rec, r)
	key, created := madeBy(rec)
	var strike *plan
	if created {
		if strike = t.take(answerLost, arrived); strike == nil {
			strike = t.take(afterAnswer, arrived)
		}
		t.mu.Lock()
		// An answer to a process killed meanwhile goes nowhere.
		delivered := (strike == nil || strike.stage != answerLost) && !arrived.Before(t.lastKill)
		t.created = append(t.created, createdKey{id: key.ID, name: key.Name, secret: key.secret, at: time.Now(), delivered: delivered})
		t.mu.Unlock()
	}
	if strike != nil && strike.stage == answerLost {
		t.kill(*strike, key.ID, key.Name)
		panic(http.ErrAbortHandler)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(rec.Body.Len()))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	if strike != nil {
		if f, ok := w.(http.Flusher); ok {
			f.Flush() // the answer is delivered before the delay starts
		}
		go func(p plan) {
			time.Sleep(p.delay)
			t.kill(p, key.ID, key.Name)
		}(*strike)
	}
}

// made is what an answer to a create (or a rotation) names: the key's,
// project's or client's ID and name, and a client's secret.
type made struct {
	ID, Name string
	secret   string
}

// madeBy reads the answer rec to a create or a rotation: ok is false unless
// it succeeded (201, or 200 for a rotation) and names an ID. The console
// answers with id and name, a project's API with client_id, client_name and
// client_secret.
func madeBy(rec *httptest.ResponseRecorder) (made, bool) {
	var a struct {
		ID, Name     string
		ClientID     string `json:"client_id"`
		ClientName   string `json:"client_name"`
		ClientSecret string `json:"client_secret"`
	}
	if rec.Code/100 != 2 || json.Unmarshal(rec.Body.Bytes(), &a) != nil {
		return made{}, false
	}
	m := made{ID: a.ID, Name: a.Name}
	if a.ClientID != "" {
		m = made{ID: a.ClientID, Name: a.ClientName, secret: a.ClientSecret}
	}
	return m, m.ID != ""
}

// kill kills the provider at once, and in the background reads what the kill
// left, starts the provider again after the plan's pause (unless the plan
// holds it) and reports the kill on t.kills.
func (t *tap) kill(p plan, keyID, keyName string) {
	t.mu.Lock()
	t.lastKill = time.Now()
	t.mu.Unlock()
	t.p.Kill()
	k := kill{plan: p, at: time.Now(), keyID: keyID, keyName: keyName}
	go func() {
		t.mu.Lock()
		inspect := t.inspect
		t.mu.Unlock()
		if inspect != nil {
			k.state = inspect()
		}
		if !p.hold {
			time.Sleep(max(0, p.restartAfter-time.Since(k.at)))
			k.err = t.p.Start()
		}
		t.kills <- k
	}()
}
