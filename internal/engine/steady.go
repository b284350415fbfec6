package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/fnv"
	"reflect"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// What a poll of an unchanged key costs the API server. crossplane-runtime's
// managed reconciler publishes the connection details Observe returns (a
// read of the Secret and a patch) and writes the resource's status at the
// end of every reconcile, changed or not; the engine reads the credentials
// Secret and the connection Secret's record. With 10,000 keys polled every
// minute that was 5 requests per poll, 50,000 a minute. The steady state
// now costs none: the credentials and the record are read again only when
// the Secret's resourceVersion changed (providerconfig.Resolver,
// records.metadata), and the runtime writes through quietClient, which
// leaves out the two writes that would change nothing.

// quietManager is the manager as the runtime's managed reconciler sees it:
// the same, except that its client is quiet.
type quietManager struct {
	ctrl.Manager
	client client.Client
}

func (m quietManager) GetClient() client.Client { return m.client }

// quietClient is the client the runtime's managed reconciler reads and writes
// through (the managed resource, the connection Secret it publishes to). It
// is the manager's client, except that:
//
//   - a status update that would write the status the manager's cache holds,
//     at the same resourceVersion, is not sent: the API server would store
//     nothing new. A status that differs in anything (a condition, its
//     transition time, an observed field) is written as before.
//   - the read of a connection Secret that the runtime's publisher makes
//     before it patches is answered with the Secret it means to write when
//     the current record of that Secret (records.holdsData) shows it holds
//     that data already for that resource: the publisher then finds nothing
//     to change and sends no patch. Any change to the Secret, by anyone,
//     gives it a new resourceVersion and so a new read.
//   - likewise the read before a publish of no details at all, which the
//     runtime makes after every Observe that found no key (before each
//     create, and while a resource is deleted): publishing nothing would
//     create an empty Secret, or patch an existing one with no data, and
//     cost the API server a read and a write per new key, then a create
//     that fails (the engine writes the Secret, with the value, after the
//     create) and a read and a patch. The engine checks the Secret can be
//     written before it asks Ory for a key (records.dryRun), creates it
//     with the value, and refuses a Secret that is not the resource's in
//     Observe, so the empty Secret served nothing.
//
// The runtime reads no other Secret through this client; the engine's own
// reads and writes use the manager's client.
type quietClient struct {
	client.Client
	records *records
}

// Get reads obj, except a connection Secret whose data the runtime's
// publisher would not change, or that it would publish with no data (see
// quietClient): obj, the Secret the publisher means to write, is then
// answered as is, so the publisher finds nothing to change.
func (c quietClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if s, ok := obj.(*corev1.Secret); ok && len(opts) == 0 && s.GetName() == key.Name && s.GetNamespace() == key.Namespace && (len(s.Data) == 0 || c.records.holdsData(ctx, s)) {
		return nil
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// Status returns the status writer that leaves out unchanged statuses.
func (c quietClient) Status() client.SubResourceWriter {
	return quietStatus{SubResourceWriter: c.Client.Status(), cache: c.Client}
}

// quietStatus writes a status unless it is the one already stored.
type quietStatus struct {
	client.SubResourceWriter
	cache client.Reader // the manager's cache
}

// Update writes obj's status unless the cache holds obj at the same
// resourceVersion with the same status, as JSON (what the API server
// stores: times to the second).
func (w quietStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if len(opts) == 0 && w.unchanged(ctx, obj) {
		return nil
	}
	return w.SubResourceWriter.Update(ctx, obj, opts...)
}

func (w quietStatus) unchanged(ctx context.Context, obj client.Object) bool {
	cached, ok := obj.DeepCopyObject().(client.Object)
	if !ok || obj.GetResourceVersion() == "" {
		return false
	}
	if err := w.cache.Get(ctx, client.ObjectKeyFromObject(obj), cached); err != nil || cached.GetResourceVersion() != obj.GetResourceVersion() {
		return false
	}
	a, errA := statusJSON(obj)
	b, errB := statusJSON(cached)
	return errA == nil && errB == nil && a != nil && bytes.Equal(a, b)
}

// statusJSON is the JSON of o's Status field, or nil when o has none.
func statusJSON(o client.Object) ([]byte, error) {
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, nil
	}
	f := v.Elem().FieldByName("Status")
	if !f.IsValid() {
		return nil, nil
	}
	return json.Marshal(f.Interface())
}

// alignedPolls returns the poll interval hook that polls every key of one
// parent (project or workspace) at the same moment of each poll interval:
// its parent's phase, a fixed offset into the interval derived from the
// parent's ID. The keys of a parent then come to the shared view
// (internal/keyview) together and cost one list per poll interval, whatever
// moments they were created, changed or last failed at; different parents'
// phases spread over the interval. Without it each key is polled one
// interval after its last reconcile ended, and a parent's keys drift apart.
//
// The wait returned is the time until the parent's next phase, at least
// interval/30 (2 s for a 1 minute poll, so that a reconcile that ends just
// before its phase, say after a change to the resource, is not followed by
// another at once) and so at most interval + interval/30. A key whose
// parent is not known yet polls after the interval, as without the hook.
// now is the clock (time.Now outside tests).
func alignedPolls(now func() time.Time) managed.PollIntervalHook {
	return func(mg resource.Managed, interval time.Duration) time.Duration {
		r, ok := mg.(Resource)
		if !ok || interval <= 0 {
			return interval
		}
		parent := *r.ObservedParentID()
		if parent == "" {
			parent = *r.ParentID()
		}
		if parent == "" {
			return interval
		}
		return untilPhase(now(), interval, phaseOf(parent, interval))
	}
}

// phaseOf is parent's offset into every poll interval: in [0, interval).
func phaseOf(parent string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(parent))
	return time.Duration(h.Sum64() % uint64(interval))
}

// untilPhase is the wait from now until the next moment whose offset into
// the poll interval (counted from the Unix epoch) is phase, at least
// interval/30.
func untilPhase(now time.Time, interval, phase time.Duration) time.Duration {
	at := time.Duration(now.UnixNano() % int64(interval))
	wait := (phase - at + interval) % interval
	if wait < interval/30 {
		wait += interval
	}
	return wait
}
