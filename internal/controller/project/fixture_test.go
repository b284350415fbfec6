package project

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane-contrib/provider-ory/apis"
	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/metapatch"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// The tests of the external client drive it as crossplane-runtime's managed
// reconciler does, against the Ory console simulator over HTTP (the real
// client-go, under the simulator's OpenAPI contract check) and a fake
// Kubernetes API holding the resource.

const workspaceKey = "ory_wak_unit_test_workspace_key"

// scopes make a Project of each scope, as the API server stores it with
// the CRD's defaults (which the fake client does not apply).
var scopes = map[string]func(spec common.ProjectParameters) Resource{
	"Namespaced": func(spec common.ProjectParameters) Resource {
		p := &namespacedv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "payments"}}
		p.SetGroupVersionKind(namespacedv1alpha1.ProjectGroupVersionKind)
		p.Spec.ForProvider = spec
		p.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		return p
	},
	"Cluster": func(spec common.ProjectParameters) Resource {
		p := &clusterv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "payments"}}
		p.SetGroupVersionKind(clusterv1alpha1.ProjectGroupVersionKind)
		p.Spec.ForProvider = spec
		p.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		p.Spec.DeletionPolicy = xpv2.DeletionDelete
		return p
	},
}

// forEachScope runs a scenario for a Project of each scope, declared by
// spec (deletion protection on, the default, unless spec says otherwise).
func forEachScope(t *testing.T, spec common.ProjectParameters, scenario func(t *testing.T, f *fixture)) {
	for name, newResource := range scopes {
		t.Run(name, func(t *testing.T) {
			scenario(t, newFixture(t, newResource(spec)))
		})
	}
}

// fixture is one Project, the simulator with the workspace of the
// ProviderConfig's key, and what the reconciler would hold.
type fixture struct {
	t      *testing.T
	sim    *orysim.Server
	url    string
	ws     orysim.Workspace
	kube   client.Client
	events *eventLog
	cr     Resource
	// cfg is the resolved ProviderConfig every external client gets.
	cfg providerconfig.Config
	// simSkew is how far the simulator's clock is ahead of the provider's
	// (behind, when negative); set it only while the simulator is idle.
	simSkew time.Duration
}

func newFixture(t *testing.T, cr Resource) *fixture {
	t.Helper()
	f := &fixture{t: t, events: &eventLog{}, cr: cr}
	f.sim, f.url = orysim.StartTest(t, orysim.WithClock(func() time.Time { return time.Now().Add(f.simSkew) }))
	f.ws = f.sim.AddWorkspace(workspaceKey)
	f.cfg = providerconfig.Config{Ref: "ClusterProviderConfig default", Token: workspaceKey}
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	f.kube = fake.NewClientBuilder().WithScheme(s).WithObjects(cr).WithStatusSubresource(cr).Build()
	f.refresh()
	return f
}

// external returns a client as Connect makes it, with management policies
// honoured.
func (f *fixture) external() *external {
	cfg := f.cfg
	return &external{
		ory:      console.New(f.url, workspaceKey, http.DefaultClient, "provider-ory-test"),
		kube:     f.kube,
		cfg:      &cfg,
		record:   f.events,
		now:      time.Now,
		policies: true,
		requeue:  newRequeues(),
	}
}

// refresh re-reads the resource, as the next reconcile would.
func (f *fixture) refresh() {
	f.t.Helper()
	if err := f.kube.Get(context.Background(), client.ObjectKeyFromObject(f.cr), f.cr); err != nil {
		f.t.Fatal(err)
	}
}

// update changes the resource and stores it, as a person would.
func (f *fixture) update(change func()) {
	f.t.Helper()
	f.refresh()
	change()
	if err := f.kube.Update(context.Background(), f.cr); err != nil {
		f.t.Fatal(err)
	}
}

// creationGracePeriod is crossplane-runtime's default (v2.4.0,
// defaultGracePeriod), which Setup does not change.
const creationGracePeriod = 30 * time.Second

// reconcile does what crossplane-runtime's managed reconciler (v2.4.0)
// does with one external client, in its order: the initializer (the
// recovery), the guard against a create of unknown outcome, Observe, the
// wait of the creation grace period for a project not found, then
// Delete for a deleted resource (its error in the Synced condition, as
// the runtime writes it; or removing the finalizer once the project is
// gone), else the create-pending annotation and Create (with its result
// annotation, then the status write with Ready Creating), or Update, and
// the status write. It returns
// Observe's answer and the first error, and leaves f.cr as the API server
// has it.
func (f *fixture) reconcile(e *external) (managed.ExternalObservation, error) {
	f.t.Helper()
	ctx := context.Background()
	defer f.refreshUnlessGone()
	rec := &recovery{kube: f.kube, connect: func(context.Context, resource.Managed) (*external, error) { return e, nil }}
	if err := rec.Initialize(ctx, f.cr); err != nil {
		f.writeStatus()
		return managed.ExternalObservation{}, err
	}
	if meta.ExternalCreateIncomplete(f.cr) {
		return managed.ExternalObservation{}, errString("cannot determine creation result")
	}
	policy := managed.NewManagementPoliciesResolver(e.policies, f.cr.GetManagementPolicies())
	fin := metapatch.Finalizer{Kube: f.kube}
	o, err := e.Observe(ctx, f.cr)
	if err != nil {
		f.writeStatus()
		return o, err
	}
	if !o.ResourceExists && meta.ExternalCreateSucceededDuring(f.cr, creationGracePeriod) {
		return o, errString("waiting for external resource existence to be confirmed")
	}
	if meta.WasDeleted(f.cr) {
		if o.ResourceExists && policy.ShouldDelete() {
			_, err := e.Delete(ctx, f.cr)
			if err != nil {
				f.cr.SetConditions(xpv2.Deleting(), xpv2.ReconcileError(errors.Wrap(err, "delete failed")))
			}
			f.writeStatus()
			return o, err
		}
		return o, fin.RemoveFinalizer(ctx, f.cr)
	}
	if err := fin.AddFinalizer(ctx, f.cr); err != nil {
		return o, err
	}
	status := f.statusOf()
	switch {
	case !o.ResourceExists && policy.ShouldCreate():
		meta.SetExternalCreatePending(f.cr, time.Now())
		f.mustUpdate()
		_, err := e.Create(ctx, f.cr)
		if err != nil {
			meta.SetExternalCreateFailed(f.cr, time.Now())
		} else {
			meta.SetExternalCreateSucceeded(f.cr, time.Now())
		}
		f.mustUpdate()
		f.cr.SetConditions(xpv2.Creating())
		f.writeStatus()
		return o, err
	case o.ResourceLateInitialized && policy.ShouldLateInitialize():
		f.mustUpdate()
		f.restoreStatus(status)
	}
	if o.ResourceExists && !o.ResourceUpToDate && policy.ShouldUpdate() {
		_, err = e.Update(ctx, f.cr)
	}
	f.writeStatus()
	return o, err
}

func (f *fixture) mustUpdate() {
	f.t.Helper()
	if err := f.kube.Update(context.Background(), f.cr); err != nil {
		f.t.Fatal(err)
	}
}

// statusOf and restoreStatus keep the status Observe set across a full
// Update, whose answer replaces it with the stored one.
func (f *fixture) statusOf() runtime.Object { return f.cr.DeepCopyObject() }

func (f *fixture) restoreStatus(o runtime.Object) {
	saved, _ := o.(Resource)
	*f.cr.Observation() = *saved.Observation()
	f.cr.SetConditions(saved.GetCondition(xpv2.TypeReady), saved.GetCondition(common.TypeUpToDate))
}

func (f *fixture) writeStatus() {
	f.t.Helper()
	if err := f.kube.Status().Update(context.Background(), f.cr); err != nil && !kerrors.IsNotFound(err) {
		f.t.Fatal(err)
	}
}

func (f *fixture) refreshUnlessGone() {
	if err := f.kube.Get(context.Background(), client.ObjectKeyFromObject(f.cr), f.cr); err != nil && !kerrors.IsNotFound(err) {
		f.t.Fatal(err)
	}
}

// gone reports whether the resource is gone from the API server.
func (f *fixture) gone() bool {
	err := f.kube.Get(context.Background(), client.ObjectKeyFromObject(f.cr), f.cr.DeepCopyObject().(client.Object))
	return kerrors.IsNotFound(err)
}

// pastGracePeriod moves the resource's create out of crossplane-runtime's
// creation grace period, as a minute's wait would.
func (f *fixture) pastGracePeriod() {
	f.t.Helper()
	f.update(func() {
		meta.SetExternalCreatePending(f.cr, time.Now().Add(-61*time.Second))
		meta.SetExternalCreateSucceeded(f.cr, time.Now().Add(-time.Minute))
	})
}

// delete deletes the resource, as a person would: it stays, with a
// deletion timestamp, while the finalizer holds it.
func (f *fixture) delete() {
	f.t.Helper()
	if err := f.kube.Delete(context.Background(), f.cr); err != nil {
		f.t.Fatal(err)
	}
	f.refresh()
}

// projectsNamed returns the projects of the fixture's workspace with a
// name, soft-deleted ones included.
func (f *fixture) projectsNamed(name string) []orysim.Project {
	var out []orysim.Project
	for _, p := range f.sim.Projects(f.ws.ID) {
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// requests counts the requests made to op since the last reset.
func (f *fixture) requests(op string) int { return f.sim.Requests(op) }

type eventLog struct{ events []event.Event }

func (l *eventLog) Event(_ runtime.Object, e event.Event)    { l.events = append(l.events, e) }
func (l *eventLog) WithAnnotations(...string) event.Recorder { return l }

// find returns the last event of a reason.
func (l *eventLog) find(reason string) (event.Event, bool) {
	for i := len(l.events) - 1; i >= 0; i-- {
		if string(l.events[i].Reason) == reason {
			return l.events[i], true
		}
	}
	return event.Event{}, false
}

// count returns how many events of a reason were recorded.
func (l *eventLog) count(reason string) int {
	n := 0
	for _, e := range l.events {
		if string(e.Reason) == reason {
			n++
		}
	}
	return n
}

type errString string

func (e errString) Error() string { return string(e) }
