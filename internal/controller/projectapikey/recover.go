package projectapikey

import (
	"context"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	kmeta "k8s.io/apimachinery/pkg/api/meta"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// clockSkew is how far Ory's clock (a key's created_at) and the provider's
// (the create-pending annotation) may disagree when recovering a create.
const clockSkew = 2 * time.Minute

// createRecovery resolves a create the provider cannot account for, before
// crossplane-runtime's guard would stop the resource with "cannot determine
// creation result" until a person looks. That happens when the provider stops
// (a crash, a kill, a lost API server) after asking Ory for a key and before
// saving its ID. Looking answers the question:
//
//   - The connection Secret records a key made for this resource (it is
//     written right after Ory answers): the resource adopts it, as Observe
//     would; nothing was lost.
//   - It records none: either Ory never made the key, or it made one whose
//     value never reached the Secret. Ory's list of the project's keys tells:
//     a key with the resource's name, made since the attempt began and known
//     to no ProjectAPIKey, is that key. Its value is lost, so it is deleted
//     (it would otherwise be a key no manifest knows), and the resource
//     creates a new one.
//
// Either way the outcome is recorded as the create's result and told in an
// event; the reconcile then goes on as usual.
type createRecovery struct {
	connect func(ctx context.Context, mg resource.Managed) (*external, error)
}

// Initialize recovers an incomplete create of mg, if it has one.
func (r *createRecovery) Initialize(ctx context.Context, mg resource.Managed) error {
	// A resource being deleted needs it too: the runtime's guard would stop
	// its deletion, and the key would stay in Ory.
	if !meta.ExternalCreateIncomplete(mg) {
		return nil
	}
	cr, ok := mg.(keyResource)
	if !ok {
		return errors.New(errNotProjectAPIKey)
	}
	e, err := r.connect(ctx, mg)
	if err != nil {
		return errors.Wrap(err, "cannot check the result of an interrupted create")
	}
	current, _ := config.ParseKeyRef(meta.GetExternalName(cr))
	rec, err := e.records.read(ctx, cr)
	if err != nil {
		return err
	}
	now := time.Now().Format(time.RFC3339)

	if !rec.valueOf.IsZero() && strings.EqualFold(rec.replaces.KeyID, current.KeyID) && !strings.EqualFold(rec.valueOf.KeyID, current.KeyID) {
		a := keyAnnotations(config.ProjectAPIKeyExternalName(rec.valueOf), retiredKeys(cr))
		a[meta.AnnotationKeyExternalCreateSucceeded] = &now
		if err := patchAnnotations(ctx, e.kube, cr, a); err != nil {
			return err
		}
		e.record.Event(cr, event.Normal("RecoveredCreate", "An interrupted create had stored key "+rec.valueOf.String()+" in the connection Secret; the resource adopted it"))
		return nil
	}

	project := cr.Parameters().ProjectID
	if project == "" {
		project = e.cfg.ProjectID
	}
	leaked, err := e.deleteUnrecordedKeys(ctx, project, cr.Parameters().Name, meta.GetExternalCreatePending(cr))
	if err != nil {
		return err
	}
	if err := patchAnnotations(ctx, e.kube, cr, map[string]*string{meta.AnnotationKeyExternalCreateFailed: &now}); err != nil {
		return err
	}
	msg := "An interrupted create had made no key in Ory; the provider creates one now"
	if len(leaked) > 0 {
		msg = "An interrupted create had made key(s) " + joinRefs(leaked) + " in Ory but never stored their value; the provider deleted them and creates a new key now"
	}
	e.record.Event(cr, event.Normal("RecoveredCreate", msg))
	return nil
}

// recoverCreation finishes a create or replacement interrupted between
// asking Ory for a key and recording it (the AnnotationCreating mark is still
// there, and the Secret's record did not let Observe adopt a new key): a key
// made for it whose value never reached the Secret is deleted, and the mark
// cleared, so the next attempt starts clean.
func (e *external) recoverCreation(ctx context.Context, cr keyResource) error {
	m, _ := creationMarkOf(cr)
	if m.Project == "" || m.Name == "" {
		m.Project, m.Name = cr.Parameters().ProjectID, cr.Parameters().Name
	}
	if m.Since.IsZero() {
		m.Since = e.now().Add(-time.Hour)
	}
	leaked, err := e.deleteUnrecordedKeys(ctx, m.Project, m.Name, m.Since)
	if err != nil {
		return err
	}
	if err := patchAnnotations(ctx, e.kube, cr, map[string]*string{AnnotationCreating: nil}); err != nil {
		return err
	}
	if len(leaked) > 0 {
		e.record.Event(cr, event.Normal("RecoveredCreate", "An interrupted create had made key(s) "+joinRefs(leaked)+" in Ory but their value never reached the provider; the provider deleted them"))
	}
	return nil
}

// deleteUnrecordedKeys deletes, and returns, the keys of the project that
// carry the name, were made since an interrupted create began, and that no
// ProjectAPIKey of either scope knows as its key, as a key it still has to
// delete, or as the key whose value its Secret holds: their values were
// never stored, so nothing could ever use them.
func (e *external) deleteUnrecordedKeys(ctx context.Context, project, name string, since time.Time) ([]retiredKey, error) {
	if err := e.allowed(project); err != nil {
		return nil, err
	}
	keys, err := e.ory.ListKeys(ctx, project)
	if err != nil {
		return nil, err
	}
	var candidates []console.Key
	for _, k := range keys {
		if k.Name == name && k.CreatedAt != nil && !k.CreatedAt.Before(since.Add(-clockSkew)) {
			candidates = append(candidates, k)
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	known, err := e.knownKeyIDs(ctx, name)
	if err != nil {
		return nil, err
	}
	var leaked []retiredKey
	for _, k := range candidates {
		if !known[strings.ToLower(k.ID)] {
			leaked = append(leaked, retiredKey{KeyRef: ref(k)})
		}
	}
	if _, failed := e.deleteRetired(ctx, leaked, time.Time{}); failed > 0 {
		return nil, errors.Errorf("cannot delete key(s) %s, made by an interrupted create whose value was never stored; the provider retries", joinRefs(leaked))
	}
	return leaked, nil
}

// knownKeyIDs returns the IDs of every key a ProjectAPIKey of either scope
// manages or still has to delete, and of the keys whose value the connection
// Secrets of the ProjectAPIKeys named name hold: a create or replacement of
// another resource with the same name may have stored its key without
// recording it yet, and that key is not this resource's to delete.
func (e *external) knownKeyIDs(ctx context.Context, name string) (map[string]bool, error) {
	known := map[string]bool{}
	add := func(mg keyResource) error {
		if k, err := config.ParseKeyRef(meta.GetExternalName(mg)); err == nil && !k.IsZero() {
			known[strings.ToLower(k.KeyID)] = true
		}
		for _, k := range retiredKeys(mg) {
			known[strings.ToLower(k.KeyID)] = true
		}
		if mg.Parameters().Name != name {
			return nil
		}
		rec, err := e.records.read(ctx, mg)
		if !rec.valueOf.IsZero() {
			known[strings.ToLower(rec.valueOf.KeyID)] = true
		}
		return err
	}
	// A kind whose CRD is not installed (not activated, with Crossplane's
	// safe-start) has no resources, so it knows no key.
	nl := &namespacedv1alpha1.ProjectAPIKeyList{}
	if err := e.kube.List(ctx, nl); err != nil && !kmeta.IsNoMatchError(err) {
		return nil, errors.Wrap(err, "cannot list ProjectAPIKeys")
	}
	for i := range nl.Items {
		if err := add(&nl.Items[i]); err != nil {
			return nil, err
		}
	}
	cl := &clusterv1alpha1.ProjectAPIKeyList{}
	if err := e.kube.List(ctx, cl); err != nil && !kmeta.IsNoMatchError(err) {
		return nil, errors.Wrap(err, "cannot list ProjectAPIKeys")
	}
	for i := range cl.Items {
		if err := add(&cl.Items[i]); err != nil {
			return nil, err
		}
	}
	return known, nil
}
