package engine

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	ory "github.com/ory/client-go"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane-contrib/provider-ory/apis"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

type oaFixture struct {
	t          *testing.T
	sim        *orysim.Server
	url        string
	project    orysim.Project
	projectKey string
	apiURL     string
	views      *keyview.Views
	kube       client.Client
	secretFail *int
	events     *eventLog
	cr         *namespacedv1alpha1.OAuth2Client
	now        time.Time
}

func newOAFixture(t *testing.T, p common.OAuth2ClientParameters) *oaFixture {
	sim, url := orysim.StartTest(t)
	sim.AddWorkspace(workspaceKey)
	f := &oaFixture{t: t, sim: sim, url: url, events: &eventLog{}, now: time.Now(), secretFail: new(int)}
	f.project = sim.AddProject(workspaceKey, "main")
	f.projectKey = sim.SeedKey(f.project.ID, "mgr", nil, true).Value
	f.apiURL = orysim.ProjectAPIURL(url, f.project.Slug)
	f.views = keyview.NewViews(keyview.Options{})
	s := runtime.NewScheme()
	_ = apis.AddToScheme(s)
	_ = corev1.AddToScheme(s)
	c := &namespacedv1alpha1.OAuth2Client{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "web", UID: "uid-oa"}}
	c.SetGroupVersionKind(namespacedv1alpha1.OAuth2ClientGroupVersionKind)
	c.Spec.ForProvider = p
	c.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "web-client"}
	c.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
	f.cr = c
	f.kube = fake.NewClientBuilder().WithScheme(s).WithObjects(c).WithStatusSubresource(c).
		WithInterceptorFuncs(interceptor.Funcs{
			Patch: func(ctx context.Context, cl client.WithWatch, obj client.Object, pt client.Patch, opts ...client.PatchOption) error {
				if _, ok := obj.(*corev1.Secret); ok && *f.secretFail > 0 && !isDryRun(opts) {
					*f.secretFail--
					return kerrors.NewForbidden(corev1.Resource("secrets"), obj.GetName(), errInjected)
				}
				return cl.Patch(ctx, obj, pt, opts...)
			},
		}).Build()
	f.refresh()
	return f
}

func (f *oaFixture) refresh() {
	if err := f.kube.Get(context.Background(), client.ObjectKeyFromObject(f.cr), f.cr); err != nil {
		f.t.Fatal(err)
	}
}

// external is what connector.connect builds for the resource as it is now.
func (f *oaFixture) external() *external {
	cfg := &providerconfig.Config{Ref: "ProviderConfig team-a/clients", Token: workspaceKey}
	cfg = cfg.WithProject(&providerconfig.ProjectAccess{Ref: "Secret team-a/project-key", Token: console.Value(f.projectKey), APIURL: f.apiURL, ProjectID: f.project.ID})
	kind := config.OAuth2Client
	c := console.New(f.url, workspaceKey, http.DefaultClient, "review")
	conn := keyview.NewConnection(c, keyview.Options{})
	keys, err := kind.Keys(config.Access{Conn: conn, Views: f.views, Config: cfg, Resource: f.cr})
	if err != nil {
		f.t.Fatal(err)
	}
	inPlace, _ := keys.(config.InPlaceAPI)
	self, _ := common.ParseRef(meta.GetExternalName(f.cr))
	return &external{ory: keys, inPlace: inPlace, self: self.ID, rotating: hasAnnotation(f.cr, common.AnnotationRotating),
		conn: conn, kind: kind, kube: f.kube,
		records: &records{reader: f.kube, kube: f.kube, typer: f.kube.Scheme(), keys: kind.ConnectionKeys, valueKey: kind.ConnectionValueKey()},
		cfg:     cfg, record: f.events, now: func() time.Time { return f.now }, policies: true,
		leaving: !deletesKey(f.cr, true), mg: f.cr}
}

func (f *oaFixture) reconcile() (managed.ExternalObservation, error) {
	f.refresh()
	e := f.external()
	ctx := context.Background()
	repair := &createRecovery{connect: func(context.Context, resource.Managed) (*external, error) { return e, nil }}
	if err := repair.Initialize(ctx, f.cr); err != nil {
		return managed.ExternalObservation{}, err
	}
	f.refresh()
	e = f.external()
	o, err := e.Observe(ctx, f.cr)
	if err != nil {
		return o, err
	}
	switch {
	case !o.ResourceExists:
		_, err = e.Create(ctx, f.cr)
	case !o.ResourceUpToDate && e.may(f.cr).update:
		_, err = e.Update(ctx, f.cr)
	}
	f.refresh()
	return o, err
}

func (f *oaFixture) stored() (id, secret string) {
	s := &corev1.Secret{}
	if err := f.kube.Get(context.Background(), client.ObjectKey{Namespace: "team-a", Name: "web-client"}, s); err != nil {
		f.t.Fatal(err)
	}
	return string(s.Data[common.ConnectionKeyClientID]), string(s.Data[common.ConnectionKeyClientSecret])
}

func (f *oaFixture) setSpec(change func(p *common.OAuth2ClientParameters)) {
	f.refresh()
	change(&f.cr.Spec.ForProvider)
	if err := f.kube.Update(context.Background(), f.cr); err != nil {
		f.t.Fatal(err)
	}
}

// Finding: every failed attempt to store a rotated secret rotates again;
// Ory keeps only five rotated secrets, so the secret the connection Secret
// still holds stops working after the sixth attempt.
func TestInPlaceRotationRetriesEvictStoredSecret(t *testing.T) {
	f := newOAFixture(t, common.OAuth2ClientParameters{ClientName: "web", Rotation: &common.Rotation{Trigger: "1", Overlap: common.NewDuration(time.Hour)}})
	if _, err := f.reconcile(); err != nil {
		t.Fatal(err)
	}
	id, s0 := f.stored()
	if !f.sim.SecretWorks(f.project.ID, id, s0) {
		t.Fatal("stored secret does not work after create")
	}
	f.now = f.now.Add(time.Minute)
	f.setSpec(func(p *common.OAuth2ClientParameters) { p.Rotation.Trigger = "2" })
	*f.secretFail = 1000 // the Secret cannot be written (a policy, RBAC, webhook)
	for i := 1; i <= 7; i++ {
		f.now = f.now.Add(10 * time.Second)
		_, err := f.reconcile()
		_, held := f.stored()
		t.Logf("attempt %d: err=%v; Secret still holds s0=%v; s0 works at Ory=%v", i, err != nil, held == s0, f.sim.SecretWorks(f.project.ID, id, s0))
	}
	if _, held := f.stored(); held == s0 && !f.sim.SecretWorks(f.project.ID, id, held) {
		t.Errorf("the connection Secret holds a secret Ory no longer accepts (rotated away by %d retried rotations)", f.sim.Requests(orysim.OpRotateOAuth2ClientSecret))
	}
}

// Finding: importing a client with importSecretFrom and a rotation block
// (trigger set, no overlap) rotates at once and ends the imported secret.
func TestInPlaceImportRotatesAtOnce(t *testing.T) {
	f := newOAFixture(t, common.OAuth2ClientParameters{ClientName: "imported"})
	api := f.views.ProjectAPI(f.apiURL, f.projectKey, nil)
	cl, err := api.CreateClient(context.Background(), ory.OAuth2Client{ClientName: ory.PtrString("imported")}, "")
	if err != nil {
		t.Fatal(err)
	}
	src := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "legacy"}, Data: map[string][]byte{"secret": []byte(cl.Secret)}}
	if err := f.kube.Create(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	meta.SetExternalName(f.cr, cl.ID())
	f.cr.Spec.ForProvider.ImportSecretFrom = &common.ValueSource{Name: "legacy", Key: "secret", AcceptUnchecked: true}
	f.cr.Spec.ForProvider.Rotation = &common.Rotation{Trigger: "initial"}
	if err := f.kube.Update(context.Background(), f.cr); err != nil {
		t.Fatal(err)
	}
	o, err := f.reconcile()
	t.Logf("observe upToDate=%v err=%v rotations=%d", o.ResourceUpToDate, err, f.sim.Requests(orysim.OpRotateOAuth2ClientSecret))
	_, held := f.stored()
	if held != string(cl.Secret) || !f.sim.SecretWorks(f.project.ID, cl.ID(), string(cl.Secret)) {
		t.Errorf("the import rotated the client at once (Secret holds the imported secret: %v; imported secret works at Ory: %v; events %v)",
			held == string(cl.Secret), f.sim.SecretWorks(f.project.ID, cl.ID(), string(cl.Secret)), f.events.reasons())
	}
}

// Finding: a resource deleted with a policy that leaves the client (no
// Delete) while a rotation is marked and a retired entry is listed never
// loses its finalizer: the runtime skips the initializer on that path.
func TestInPlaceOrphanDuringInterruptedRotationStuck(t *testing.T) {
	f := newOAFixture(t, common.OAuth2ClientParameters{ClientName: "web", Rotation: &common.Rotation{Trigger: "1", Overlap: common.NewDuration(time.Hour)}})
	if _, err := f.reconcile(); err != nil {
		t.Fatal(err)
	}
	f.setSpec(func(p *common.OAuth2ClientParameters) { p.Rotation.Trigger = "2" })
	if _, err := f.reconcile(); err != nil {
		t.Fatal(err)
	}
	t.Logf("after rotation 1: retired=%q", f.cr.GetAnnotations()[common.AnnotationRetiredKeys])
	f.now = f.now.Add(2 * time.Hour)
	f.setSpec(func(p *common.OAuth2ClientParameters) { p.Rotation.Trigger = "3" })
	f.sim.FailNext(orysim.OpRotateOAuth2ClientSecret, 1, http.StatusServiceUnavailable)
	_, err := f.reconcile()
	t.Logf("rotation 2 with a 503: err=%v; rotating=%q retired=%q", err, f.cr.GetAnnotations()[common.AnnotationRotating], f.cr.GetAnnotations()[common.AnnotationRetiredKeys])
	// The user deletes the resource, leaving the client (no Delete policy).
	f.setSpec(func(*common.OAuth2ClientParameters) {})
	f.cr.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize}
	_ = f.kube.Update(context.Background(), f.cr)
	fin := finalizer{kube: f.kube, records: f.external().records, record: f.events, policies: true, inPlace: true,
		connect: func(context.Context, resource.Managed) (*external, error) { return f.external(), nil }}
	f.refresh()
	_ = fin.AddFinalizer(context.Background(), f.cr)
	for i := 0; i < 3; i++ {
		f.refresh()
		err := fin.RemoveFinalizer(context.Background(), f.cr)
		t.Logf("RemoveFinalizer %d: %v", i, err)
		if i == 2 && err != nil {
			t.Errorf("finalizer never removed: %v", err)
		}
	}
	// And with policies allowing neither Update nor Delete: the warning names the live client.
	f.refresh()
	f.cr.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
	_ = f.kube.Update(context.Background(), f.cr)
	f.refresh()
	_ = fin.RemoveFinalizer(context.Background(), f.cr)
	left := false
	for _, e := range f.events.events {
		if strings.Contains(e.Message, "delete them in the Ory console") {
			t.Errorf("an event tells the user to delete the live client %s in the Ory console: %s", meta.GetExternalName(f.cr), e.Message)
		}
		left = left || e.Reason == "LeftRotatedSecrets"
	}
	if !left {
		t.Errorf("no LeftRotatedSecrets event says the rotated secrets stay valid")
	}
}

// Finding (key kinds too): a Create after the current key vanished drops
// the retired-keys annotation, so a key still in its overlap is never deleted.
func TestInPlaceCreateForgetsRetiredKeys(t *testing.T) {
	f := newFixture(t, scopes["Namespaced"], "rot")
	f.update(func(p *common.KeyParameters) {
		p.Rotation = &common.Rotation{Trigger: "a", Overlap: common.NewDuration(time.Hour)}
	})
	k1 := f.mustCreate()
	f.update(func(p *common.KeyParameters) { p.Rotation.Trigger = "b" })
	if _, err := f.reconcile(f.external()); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	t.Logf("retired after rotation: %q", f.cr.GetAnnotations()[common.AnnotationRetiredKeys])
	k2, _ := common.ParseRef(meta.GetExternalName(f.cr))
	// Someone deletes the current key in the Ory console.
	if err := f.external().ory.DeleteKey(context.Background(), f.project.ID, k2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reconcile(f.external()); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	t.Logf("retired after the re-create: %q", f.cr.GetAnnotations()[common.AnnotationRetiredKeys])
	f.now = f.now.Add(3 * time.Hour)
	for i := 0; i < 2; i++ {
		if _, err := f.reconcile(f.external()); err != nil {
			t.Fatal(err)
		}
		f.refresh()
	}
	if _, ok := f.sim.Key(f.project.ID, k1.ID); ok {
		t.Errorf("replaced key %s outlived its overlap by 2h and is known to no resource (retired-keys now %q)", k1.ID, f.cr.GetAnnotations()[common.AnnotationRetiredKeys])
	}
}

// Same stale-record import defect for key kinds.
func TestInPlaceKeyImportWithTriggerReplacesAtOnce(t *testing.T) {
	f := newFixture(t, scopes["Namespaced"], "imported")
	seeded := f.sim.SeedKey(f.project.ID, "imported", nil, true)
	src := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "old-key"}, Data: map[string][]byte{"token": []byte(seeded.Value)}}
	if err := f.kube.Create(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	meta.SetExternalName(f.cr, seeded.ID)
	f.update(func(p *common.KeyParameters) {
		p.ImportValueFrom = &common.ValueSource{Name: "old-key", Namespace: "team-a", Key: "token"}
		p.Rotation = &common.Rotation{Trigger: "initial"}
	})
	if _, err := f.reconcile(f.external()); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.sim.Key(f.project.ID, seeded.ID); !ok {
		t.Errorf("importing the key with a rotation trigger replaced and deleted it at once (events %v)", f.events.reasons())
	}
}

// Finding: a lost secret is not restored while a previous rotation's
// overlap runs: the connection Secret has no clientSecret for up to overlap.
func TestInPlaceLostSecretWaitsForOverlap(t *testing.T) {
	f := newOAFixture(t, common.OAuth2ClientParameters{ClientName: "web", Rotation: &common.Rotation{Trigger: "1", Overlap: common.NewDuration(24 * time.Hour)}})
	if _, err := f.reconcile(); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute)
	f.setSpec(func(p *common.OAuth2ClientParameters) { p.Rotation.Trigger = "2" })
	if _, err := f.reconcile(); err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{}
	_ = f.kube.Get(context.Background(), client.ObjectKey{Namespace: "team-a", Name: "web-client"}, s)
	_ = f.kube.Delete(context.Background(), s)
	f.now = f.now.Add(time.Minute)
	_, err := f.reconcile()
	s = &corev1.Secret{}
	gerr := f.kube.Get(context.Background(), client.ObjectKey{Namespace: "team-a", Name: "web-client"}, s)
	t.Logf("err=%v; Secret get err=%v; has clientSecret=%v; UpToDate=%q", err, gerr, len(s.Data[common.ConnectionKeyClientSecret]) > 0, f.cr.GetCondition(common.TypeUpToDate).Message)
	if len(s.Data[common.ConnectionKeyClientSecret]) == 0 {
		t.Errorf("the lost secret is not restored; events: %v; last: %s", f.events.reasons(), f.events.events[len(f.events.events)-1].Message)
	}
}
