// Package keyview gives the external clients of API keys a shared,
// short-lived view of the keys of each of their parents (the projects
// holding project API keys, the workspaces holding workspace API keys), so
// that reading N keys of a parent does not cost N list calls per poll, each
// returning N keys.
//
// Ory has no get-by-id for a project or workspace API key: reading one
// means listing its parent's keys. A Client keeps, per parent, the keys its
// recent list calls returned and the keys it created itself, and answers
// FindKey from them for a bounded staleness window. Concurrent lookups of
// one parent that the view cannot answer wait for one list call instead of
// sending one each. One Client serves one kind of parent through one
// console URL and workspace API key; Views hands them out, one per kind of
// parent on each Connection.
//
// # Why a stale view is safe
//
// A view can be wrong in two ways: it may list a key that is gone, or lack a
// key that exists. Only the second is dangerous. If Observe were told that a
// key is absent while it exists (a key just created, or an imported key
// created in the Ory console a moment ago), the runtime would create another
// key: a duplicate, and for an import the user's key would be replaced. So
// the view answers only "this key exists" from what it remembers, and "this
// key is absent" only from a list made for the question or from the
// provider's own successful delete:
//
//  1. Presence may be stale by at most the staleness window. A key listed
//     (or created by this client) less than Staleness ago is reported to
//     exist without a list call. A key deleted out of band is therefore
//     reported for at most Staleness after the list that last saw it began;
//     as that is shorter than the poll interval, the deletion is noticed at
//     most one poll later than without the view. Reporting a gone key as
//     existing
//     cannot make the provider create a key, and it cannot make it delete
//     the wrong one: Delete and Update act on the key named by the
//     resource's external name, never on what the view returned; and a
//     key's fields never change in Ory, so a stale entry carries the right
//     ones. Whoever must know every key of a parent (to find keys an
//     interrupted create left behind) calls ListKeys, which is never
//     answered from the view.
//
//  2. Absence is never taken from what the view remembers. FindKey reports
//     a key missing only when a list call that began after FindKey was
//     called does not contain it (or see 3). A list that began earlier may have missed a key created in
//     the meantime, so its answer counts only for presence; a lookup that
//     joined it without finding the key waits for (or starts) a newer list.
//     Any key that existed when FindKey was called is in every later list
//     (assuming, as the provider does everywhere, that Ory's list reads its
//     own writes; naive mode assumes it too).
//
//  3. This client's own writes are folded in by order, not by time. Every
//     list call, create and delete takes a number from one counter when it
//     starts (lists) or succeeds (creates, deletes). A list result never
//     removes a key that this client created after the list began, and never
//     brings back a key that this client deleted after the list began (a
//     "tombstone"). A successful delete is definite (Ory answered, or said
//     404), and key IDs are UUIDs that are never reused, so a tombstone can
//     also answer "absent" on its own. A delete that failed may or may not
//     have happened: it only drops the key from the view, so that the next
//     lookup lists again.
//
//  4. Key values are never held. List answers have none; the value of a
//     created key is returned to the caller and stripped from the copy the
//     view keeps.
//
// Naive mode (Options.Naive) turns all of this off: every FindKey lists its
// parent, as the benchmark's baseline.
package keyview

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// DefaultStaleness is how long a listed key answers "exists" without a new
// list call unless Options say otherwise. It must stay below the poll
// interval (by default one minute) so that a key deleted out of band is
// noticed at most one poll later than without the view. With a one minute
// poll, the polls of a parent's N keys then cost at most about six lists a
// minute however large N is (instead of N lists of N keys each), and every
// resource of a parent that reconciles in one burst (a start, a resync, a
// change to many resources at once) shares one list call.
const DefaultStaleness = 10 * time.Second

// flightTimeout bounds one shared list call, retries and rate limit waits
// included. It does not depend on the context of whoever started it, since
// others wait for it too.
const flightTimeout = 30 * time.Second

// Options configure the shared view.
type Options struct {
	// Naive turns the shared view off: every FindKey lists the parent's
	// keys, and nothing is cached or coalesced.
	Naive bool
	// Staleness is how long a key seen in a list (or created by the
	// provider) answers "exists" without a new list call. Zero means
	// DefaultStaleness. Keep it below the poll interval.
	Staleness time.Duration
	// RateLimit is the limit of the workspace keys whose ProviderConfig
	// sets no spec.rateLimit (or leaves a field of it zero). Zero fields
	// mean console.DefaultRequestsPerMinute and console.DefaultBurst.
	RateLimit console.RateLimit

	now func() time.Time // for tests
}

// API is what a Client needs of the console: the key operations of one
// kind of parent (console.Keys, from console.Client.ProjectKeys or
// WorkspaceKeys). parent is a project's ID or slug, or a workspace's ID.
type API interface {
	// Holder names the kind of parent in messages: "project", "workspace".
	Holder() string
	ListKeys(ctx context.Context, parent string) ([]console.Key, error)
	CreateKey(ctx context.Context, parent, name string, expiresAt *time.Time) (console.Key, error)
	DeleteKey(ctx context.Context, parent, keyID string) error
}

// A Client reads, creates and deletes the API keys of one kind of parent
// through a shared view of each parent's keys. It is safe for concurrent
// use.
type Client struct {
	api       API
	holder    string // api.Holder()
	naive     bool
	staleness time.Duration
	now       func() time.Time

	mu    sync.Mutex
	tick  uint64 // orders list starts, creates and deletes
	views map[string]*parentView
	swept time.Time
}

// parentView is the view of one parent's keys.
type parentView struct {
	keys  map[string]entry // by lower case key ID
	tombs map[string]tomb  // keys this client deleted, by lower case key ID
	// flight is the list call in flight, nil when none. There is at most
	// one per parent at a time.
	flight *flight
	// users counts the calls that hold this parent's view; a view in use
	// or with a list in flight is never dropped.
	users   int
	touched time.Time
}

type entry struct {
	key  console.Key // never with a value
	seen time.Time   // when the list that saw it began, or it was created
	tick uint64
}

type tomb struct {
	tick uint64
	at   time.Time
}

// flight is one list call that any number of lookups wait for.
type flight struct {
	start uint64
	done  chan struct{}
	// Set before done is closed: the keys listed (minus the keys this
	// client deleted meanwhile), in Ory's order and by lower case ID.
	list []console.Key
	byID map[string]console.Key
	err  error
}

// New returns a Client that calls api.
func New(api API, o Options) *Client {
	if o.Staleness <= 0 {
		o.Staleness = DefaultStaleness
	}
	if o.now == nil {
		o.now = time.Now
	}
	return &Client{api: api, holder: api.Holder(), naive: o.Naive, staleness: o.Staleness, now: o.now, views: map[string]*parentView{}}
}

// FindKey returns the key keyID of a parent, or nil when the parent has no
// such key. A key that exists may be answered from the view; "no such key"
// always comes from a list call that began after FindKey was called.
func (c *Client) FindKey(ctx context.Context, parent, keyID string) (*console.Key, error) {
	if c.naive {
		keys, err := c.api.ListKeys(ctx, parent)
		if err != nil {
			return nil, err
		}
		for i := range keys {
			if strings.EqualFold(keys[i].ID, keyID) {
				return &keys[i], nil
			}
		}
		return nil, nil
	}

	id := strings.ToLower(keyID)
	c.mu.Lock()
	p := c.acquireLocked(parent)
	defer c.release(p)
	arrival := c.tick
	if e, ok := p.keys[id]; ok && c.now().Sub(e.seen) <= c.staleness {
		c.mu.Unlock()
		lookups.WithLabelValues(resultHit).Inc()
		k := e.key
		return &k, nil
	}
	if _, deleted := p.tombs[id]; deleted {
		// Deleted by this client: gone for good (see 3 above).
		c.mu.Unlock()
		lookups.WithLabelValues(resultHit).Inc()
		return nil, nil
	}
	lookups.WithLabelValues(resultMiss).Inc()
	for {
		f := c.flightLocked(ctx, parent, p)
		c.mu.Unlock()
		if err := c.wait(ctx, f, parent); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if _, deleted := p.tombs[id]; deleted {
			c.mu.Unlock()
			return nil, nil
		}
		if k, ok := f.byID[id]; ok {
			c.mu.Unlock()
			return &k, nil
		}
		if e, ok := p.keys[id]; ok && e.tick > f.start {
			// Created by this client after the list began.
			c.mu.Unlock()
			k := e.key
			return &k, nil
		}
		if f.start > arrival {
			c.mu.Unlock()
			return nil, nil
		}
		// The list began before this lookup: its "absent" does not count.
		// Wait for a newer one, with the lock held.
	}
}

// ListKeys returns every key of a parent, from a list call that began after
// ListKeys was called (so, like FindKey's absence, never from the view).
// Concurrent calls share list calls.
func (c *Client) ListKeys(ctx context.Context, parent string) ([]console.Key, error) {
	if c.naive {
		return c.api.ListKeys(ctx, parent)
	}
	c.mu.Lock()
	p := c.acquireLocked(parent)
	defer c.release(p)
	arrival := c.tick
	for {
		f := c.flightLocked(ctx, parent, p)
		c.mu.Unlock()
		if err := c.wait(ctx, f, parent); err != nil {
			return nil, err
		}
		if f.start > arrival {
			return append([]console.Key(nil), f.list...), nil
		}
		c.mu.Lock()
	}
}

// CreateKey creates a key and returns it with its value; the view learns of
// the key, without its value, so that the next FindKey finds it at once.
func (c *Client) CreateKey(ctx context.Context, parent, name string, expiresAt *time.Time) (console.Key, error) {
	k, err := c.api.CreateKey(ctx, parent, name, expiresAt)
	if c.naive || k.ID == "" {
		return k, err
	}
	// A key with an ID exists in Ory, even when the call failed for want
	// of its value.
	stored := k
	stored.Value = ""
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	now := c.now()
	for _, ref := range aliases(parent, k.Parent) {
		p := c.viewLocked(ref)
		p.keys[strings.ToLower(k.ID)] = entry{key: stored, seen: now, tick: c.tick}
		p.touched = now
	}
	return k, err
}

// DeleteKey deletes a key (a key already gone counts as deleted). A deleted
// key is absent from the view from then on, whatever a list in flight says;
// after a failed delete the key is dropped from the view, so that the next
// lookup asks Ory.
func (c *Client) DeleteKey(ctx context.Context, parent, keyID string) error {
	err := c.api.DeleteKey(ctx, parent, keyID)
	if c.naive {
		return err
	}
	id := strings.ToLower(keyID)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	now := c.now()
	if err == nil {
		p := c.viewLocked(parent)
		p.tombs[id] = tomb{tick: c.tick, at: now}
		p.touched = now
	}
	// The key may be in the view under another reference to its parent (a
	// project's slug and its UUID): forget it everywhere.
	for _, p := range c.views {
		if _, ok := p.keys[id]; ok {
			delete(p.keys, id)
			if err == nil {
				p.tombs[id] = tomb{tick: c.tick, at: now}
			}
		}
	}
	return err
}

// flightLocked returns the list call in flight for the parent, or starts
// one. The call runs on its own context (with the caller's values), so that
// a caller that gives up does not fail the others waiting for it.
//
// golang.org/x/sync/singleflight is not used: it hands every caller the call
// in flight whenever that call began, and the callers must know when it
// began, since a list that began before a lookup cannot tell it "absent"
// (see the package comment, 2).
func (c *Client) flightLocked(ctx context.Context, parent string, p *parentView) *flight {
	if p.flight != nil {
		coalesced.Inc()
		return p.flight
	}
	c.tick++
	f := &flight{start: c.tick, done: make(chan struct{})}
	p.flight = f
	started := c.now()
	go c.fly(context.WithoutCancel(ctx), parent, p, f, started)
	return f
}

func (c *Client) fly(ctx context.Context, parent string, p *parentView, f *flight, started time.Time) {
	ctx, cancel := context.WithTimeout(ctx, flightTimeout)
	defer cancel()
	keys, err := c.api.ListKeys(ctx, parent)

	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(f.done)
	p.flight = nil
	p.touched = c.now()
	if err != nil {
		f.err = err
		return
	}
	f.list = make([]console.Key, 0, len(keys))
	f.byID = make(map[string]console.Key, len(keys))
	for _, k := range keys {
		k.Value = "" // lists carry none; make sure the view never does
		id := strings.ToLower(k.ID)
		if t, ok := p.tombs[id]; ok && t.tick > f.start {
			continue // deleted by this client after the list began
		}
		f.list = append(f.list, k)
		f.byID[id] = k
		if e, ok := p.keys[id]; ok && e.tick > f.start {
			continue // newer: created by this client after the list began
		}
		p.keys[id] = entry{key: k, seen: started, tick: f.start}
	}
	for id, e := range p.keys {
		if _, listed := f.byID[id]; !listed && e.tick < f.start {
			delete(p.keys, id) // gone since it was last seen
		}
	}
	// A tombstone matters to lists that began before it; none is in flight
	// now. Keep it for a staleness window, to answer "absent" at once.
	for id, t := range p.tombs {
		if p.touched.Sub(t.at) > c.staleness {
			delete(p.tombs, id)
		}
	}
}

// wait waits for a list call, or for ctx.
func (c *Client) wait(ctx context.Context, f *flight, parent string) error {
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return &console.Error{Op: "list the API keys of " + c.holder + " " + parent, Reason: console.ReasonUnavailable,
			Message: "gave up waiting for the list call: " + ctx.Err().Error()}
	}
}

// acquireLocked returns the view of a parent, marked in use, and now and
// then drops the views nobody used for a staleness window: their entries
// could no longer answer anything.
func (c *Client) acquireLocked(parent string) *parentView {
	now := c.now()
	if now.Sub(c.swept) > c.staleness {
		c.swept = now
		for ref, p := range c.views {
			if p.users == 0 && p.flight == nil && now.Sub(p.touched) > c.staleness {
				delete(c.views, ref)
			}
		}
	}
	p := c.viewLocked(parent)
	p.users++
	p.touched = now
	return p
}

func (c *Client) release(p *parentView) {
	c.mu.Lock()
	p.users--
	c.mu.Unlock()
}

func (c *Client) viewLocked(parent string) *parentView {
	ref := strings.ToLower(parent)
	p, ok := c.views[ref]
	if !ok {
		p = &parentView{keys: map[string]entry{}, tombs: map[string]tomb{}}
		c.views[ref] = p
	}
	return p
}

// aliases are the references under which a key of a parent is recorded:
// the one the caller used and, when it differs (a project's slug), the
// UUID.
func aliases(ref, id string) []string {
	if id == "" || strings.EqualFold(ref, id) {
		return []string{ref}
	}
	return []string{ref, id}
}

// viewsHeld returns how many parents' views are held, for tests.
func (c *Client) viewsHeld() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.views)
}
