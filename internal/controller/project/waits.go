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

// minRateLimitWait is the shortest requeue after a 429, whatever Ory said.
const minRateLimitWait = time.Second

// rateLimitWaits carries the wait a 429 asks for from the external client
// to the reconcile's result. The console's transport already waits out a
// 429 that resets before the reconcile's deadline; one that does not comes
// back as an error with console.Error.RetryAt (at most
// console.MaxRateLimitWait away). crossplane-runtime then requeues with its
// own backoff, which knows nothing of Ory's window: too early, and the next
// call meets another 429; too late, and the resource waits for nothing.
// This requeues it when Ory's window resets instead. It is safe for
// concurrent use.
type rateLimitWaits struct {
	mu sync.Mutex
	at map[types.NamespacedName]time.Time
}

func newRateLimitWaits() *rateLimitWaits {
	return &rateLimitWaits{at: map[types.NamespacedName]time.Time{}}
}

// note remembers when Ory lets the resource's next call in, if err is a 429
// that said so, and returns err.
func (w *rateLimitWaits) note(o client.Object, err error) error {
	var e *console.Error
	if errors.As(err, &e) && e.Reason == console.ReasonRateLimited && !e.RetryAt.IsZero() {
		w.mu.Lock()
		w.at[client.ObjectKeyFromObject(o)] = e.RetryAt
		w.mu.Unlock()
	}
	return err
}

// take returns, and forgets, the wait noted for a resource.
func (w *rateLimitWaits) take(nn types.NamespacedName) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	at, ok := w.at[nn]
	delete(w.at, nn)
	return at, ok
}

// after wraps the managed reconciler: a reconcile during which a 429 was
// noted is requeued when Ory's window resets (requeueAt).
func (w *rateLimitWaits) after(r reconcile.Reconciler) reconcile.Reconciler {
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		res, err := r.Reconcile(ctx, req)
		at, ok := w.take(req.NamespacedName)
		if !ok || err != nil {
			return res, err
		}
		return requeueAt(res, at, time.Now()), nil
	})
}

// requeueAt is the result of a reconcile that met a 429 whose window
// resets at at: a requeue then (minRateLimitWait at least), or the
// reconciler's own later one.
func requeueAt(res reconcile.Result, at, now time.Time) reconcile.Result {
	d := max(at.Sub(now), minRateLimitWait)
	if res.RequeueAfter > d {
		return res
	}
	return reconcile.Result{RequeueAfter: d}
}
