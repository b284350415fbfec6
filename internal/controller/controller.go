// Package controller registers all of provider-ory's controllers.
package controller

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"

	catalogue "github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/controller/config"
	"github.com/crossplane-contrib/provider-ory/internal/controller/project"
	"github.com/crossplane-contrib/provider-ory/internal/engine"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
)

// A managedKind is one scope of a managed kind and the setup of its
// controller.
type managedKind struct {
	gvk   schema.GroupVersionKind
	setup func(ctrl.Manager, controller.Options, *keyview.Views) error
}

// managedKinds are every scope of every kind in the catalogue (config.Kinds)
// and of the Project kind, whose CRDs Crossplane installs only once a
// ManagedResourceActivationPolicy activates them (the package's safe-start
// capability).
func managedKinds() []managedKind {
	var out []managedKind
	for _, k := range catalogue.Kinds() {
		for _, gvk := range k.Scopes {
			out = append(out, managedKind{gvk: gvk, setup: func(mgr ctrl.Manager, o controller.Options, c *keyview.Views) error {
				return engine.Setup(mgr, o, k, gvk, c)
			}})
		}
	}
	for _, gvk := range project.Scopes {
		out = append(out, managedKind{gvk: gvk, setup: func(mgr ctrl.Manager, o controller.Options, c *keyview.Views) error {
			return project.Setup(mgr, o, gvk, c)
		}})
	}
	return out
}

// Setup adds every controller of the provider to the manager: the
// ProviderConfig kinds, and every kind of the catalogue and the Project in
// both scopes. The kinds' controllers share one pool of Ory clients,
// configured by ory: one view of each project's keys and one rate limiter
// per workspace API key. Every CRD must be installed: a controller whose kind is missing
// never syncs its cache, and the manager then stops. See SetupGated.
func Setup(mgr ctrl.Manager, o controller.Options, ory keyview.Options) error {
	if err := config.Setup(mgr, o); err != nil {
		return err
	}
	clients := keyview.NewViews(ory)
	for _, k := range managedKinds() {
		if err := k.setup(mgr, o, clients); err != nil {
			return err
		}
	}
	return nil
}

// SetupGated is Setup for a cluster where a managed kind's CRD may be
// missing, as with Crossplane's safe-start: the ProviderConfig controllers
// start at once, and each managed kind's controller once o.Gate reports its
// kind's CRD established and served, which may be long after the manager
// started (crossplane-runtime's customresourcesgate feeds o.Gate). A
// controller that cannot be set up then stops the manager with that error,
// as Setup's caller would have.
func SetupGated(mgr ctrl.Manager, o controller.Options, ory keyview.Options) error {
	if o.Gate == nil {
		return errors.New("SetupGated needs controller.Options.Gate")
	}
	if err := config.Setup(mgr, o); err != nil {
		return err
	}
	kinds := managedKinds()
	failed := make(chan error, len(kinds))
	if err := mgr.Add(setupFailures(failed)); err != nil {
		return err
	}
	clients := keyview.NewViews(ory)
	for _, k := range kinds {
		o.Gate.Register(func() {
			o.Logger.Info("Starting the controller: its CRD is established", "kind", k.gvk.String())
			if err := waitServed(mgr, k.gvk); err != nil {
				failed <- err
				return
			}
			if err := k.setup(mgr, o, clients); err != nil {
				failed <- errors.Wrapf(err, "cannot set up the controller of %s", k.gvk)
			}
		}, k.gvk)
	}
	return nil
}

// servedTimeout bounds how long a kind whose CRD is established may stay
// unknown to API discovery.
const servedTimeout = 2 * time.Minute

// waitServed waits until the manager's REST mapper knows gvk. A CRD is
// reported established a moment before API discovery serves its kind, and
// setting up a controller in that moment fails on the unknown kind (seen
// when Crossplane activates a kind while the provider runs): the whole
// manager would then stop.
func waitServed(mgr ctrl.Manager, gvk schema.GroupVersionKind) error {
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, servedTimeout, true, func(context.Context) (bool, error) {
		_, last = mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		return last == nil, nil
	})
	if err != nil {
		return errors.Wrapf(last, "the CRD of %s is established, but API discovery has not served the kind for %s", gvk, servedTimeout)
	}
	return nil
}

// setupFailures stops the manager with the first error of a gated setup.
type setupFailures chan error

func (f setupFailures) Start(ctx context.Context) error {
	select {
	case err := <-f:
		return err
	case <-ctx.Done():
		return nil
	}
}

// NeedLeaderElection is false: gated setups run on every replica.
func (f setupFailures) NeedLeaderElection() bool { return false }
