package project

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// minRequeue is the shortest requeue this controller asks for, whatever Ory
// said: never a hot loop.
const minRequeue = time.Second

// requeues carries, per resource, when its next reconcile should come, as
// the external client learns it, to the reconcile's result; without one,
// crossplane-runtime's requeue goes through the controller's backoff, which
// knows nothing of Ory:
//
//   - A 429 whose reset is past the reconcile's deadline (the console's
//     transport waits out the others) comes back as an error with
//     console.Error.RetryAt, at most console.MaxRateLimitWait away. The
//     backoff would requeue too early (another 429) or too late (a wait for
//     nothing); this requeues at the reset.
//   - After the first purge of a project, the runtime requeues to confirm
//     the project is gone, through a backoff that the refusals of a
//     protected deletion may have grown to a minute; this confirms it at
//     once. Only the first: should Ory's read still show the project, the
//     purges that follow go through the backoff (never one a second).
//
// It is safe for concurrent use.
type requeues struct {
	mu sync.Mutex
	at map[types.NamespacedName]time.Time
}

func newRequeues() *requeues {
	return &requeues{at: map[types.NamespacedName]time.Time{}}
}

// note asks for the resource's next reconcile when Ory lets its next call
// in, if err is a 429 that said when, and returns err.
func (w *requeues) note(o client.Object, err error) error {
	var e *console.Error
	if errors.As(err, &e) && e.Reason == console.ReasonRateLimited && !e.RetryAt.IsZero() {
		w.set(o, e.RetryAt)
	}
	return err
}

// soon asks for the resource's next reconcile at once (minRequeue).
func (w *requeues) soon(o client.Object) { w.set(o, time.Time{}) }

func (w *requeues) set(o client.Object, at time.Time) {
	w.mu.Lock()
	w.at[client.ObjectKeyFromObject(o)] = at
	w.mu.Unlock()
}

// take returns, and forgets, the requeue asked for a resource.
func (w *requeues) take(nn types.NamespacedName) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	at, ok := w.at[nn]
	delete(w.at, nn)
	return at, ok
}

// after wraps the managed reconciler: a reconcile during which a requeue
// was asked for is requeued then (requeueAt).
func (w *requeues) after(r reconcile.Reconciler) reconcile.Reconciler {
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		res, err := r.Reconcile(ctx, req)
		at, ok := w.take(req.NamespacedName)
		if !ok || err != nil {
			return res, err
		}
		return requeueAt(res, at, time.Now()), nil
	})
}

// requeueAt is the result of a reconcile that asked to be requeued at at:
// a requeue then (minRequeue at the earliest), or the reconciler's own
// later one.
func requeueAt(res reconcile.Result, at, now time.Time) reconcile.Result {
	d := max(at.Sub(now), minRequeue)
	if res.RequeueAfter > d {
		return res
	}
	return reconcile.Result{RequeueAfter: d}
}
