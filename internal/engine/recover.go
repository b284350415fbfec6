package engine

import (
	"context"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	kmeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// clockSkew is how far Ory's clock (a key's created_at) and the provider's
// (the create-pending annotation) may disagree when recovering a create.
const clockSkew = 2 * time.Minute

// createRecovery is the engine's one repair stage, a crossplane-runtime
// initializer: it runs before Observe in every reconcile, and is the only
// place (with Create's own look after a failed create, which calls the same
// code) that deletes a key Ory made for a create the provider cannot account
// for. Observe only reports: it never changes anything in Ory.
//
// It resolves a create the provider cannot account for, before
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
//     to no resource, is that key. Its value is lost, so it is deleted
//     (it would otherwise be a key no manifest knows), and the resource
//     creates a new one.
//
// Either way the outcome is recorded as the create's result and told in an
// event; the reconcile then goes on as usual.
type createRecovery struct {
	connect func(ctx context.Context, mg resource.Managed) (*external, error)
}

// Initialize recovers an incomplete create of mg, if it has one: one the
// runtime's annotations show (create-pending without a result), or one the
// provider's own creation mark shows (common.AnnotationCreating). Without
// either it reads nothing.
func (r *createRecovery) Initialize(ctx context.Context, mg resource.Managed) error {
	cr, ok := mg.(Resource)
	if !ok {
		return errors.New(errNotKeyResource)
	}
	// A resource being deleted needs it too: the runtime's guard would stop
	// its deletion, and the key would stay in Ory.
	_, marked := creationMarkOf(cr)
	rotating := hasAnnotation(cr, common.AnnotationRotating)
	if !meta.ExternalCreateIncomplete(mg) && !marked && !rotating {
		return nil
	}
	e, err := r.connect(ctx, mg)
	if err != nil {
		return errors.Wrap(err, "cannot check the result of an interrupted create")
	}
	if rotating && e.inPlace != nil {
		if err := e.recoverRotation(ctx, cr); err != nil {
			return errors.Wrap(err, "cannot check the result of an interrupted rotation")
		}
	}
	if meta.ExternalCreateIncomplete(mg) {
		if err := e.recoverIncomplete(ctx, cr); err != nil {
			return err
		}
	}
	if _, marked := creationMarkOf(cr); marked {
		return e.recoverMarked(ctx, cr)
	}
	return nil
}

// recoverIncomplete resolves a create the runtime's annotations show
// incomplete: it records the outcome as the create's result.
func (e *external) recoverIncomplete(ctx context.Context, cr Resource) error {
	current, _ := common.ParseRef(meta.GetExternalName(cr))
	rec, err := e.records.read(ctx, cr)
	if err != nil {
		return err
	}
	now := e.now().Format(time.RFC3339)

	if !rec.valueOf.IsZero() && strings.EqualFold(rec.replaces.ID, current.ID) && !strings.EqualFold(rec.valueOf.ID, current.ID) {
		a := storedKeyAnnotations(cr, common.ExternalName(rec.valueOf), retiredKeys(cr))
		a[meta.AnnotationKeyExternalCreateSucceeded] = &now
		if err := patchAnnotations(ctx, e.kube, cr, a); err != nil {
			return err
		}
		e.record.Event(cr, event.Normal("RecoveredCreate", "An interrupted create had stored key "+rec.valueOf.String()+" in the connection Secret; the resource adopted it"))
		return nil
	}

	parent, err := e.parentOfCreate(cr)
	if err != nil {
		return err
	}
	mayDelete := e.may(cr).create
	leaked, err := e.deleteUnrecordedKeys(ctx, parent, cr.KeyParameters().Name, meta.GetExternalCreatePending(cr), mayDelete)
	if err != nil {
		return err
	}
	if err := patchAnnotations(ctx, e.kube, cr, map[string]*string{meta.AnnotationKeyExternalCreateFailed: &now}); err != nil {
		return err
	}
	e.reportRecovery(cr, leaked, mayDelete)
	return nil
}

// reportRecovery tells, in one event wording for every path, what became of
// the keys an interrupted create left in Ory.
func (e *external) reportRecovery(cr Resource, leaked []common.RetiredKey, deleted bool) {
	switch {
	case len(leaked) == 0:
		e.record.Event(cr, event.Normal("RecoveredCreate", "An interrupted create had made no key in Ory"))
	case deleted:
		e.record.Event(cr, event.Normal("RecoveredCreate", "An interrupted create had made key(s) "+joinRefs(leaked)+" in Ory but their value never reached the provider; the provider deleted them"))
	default:
		e.record.Event(cr, event.Warning("RecoveredCreate", errors.New("An interrupted create had made key(s) "+joinRefs(leaked)+" in Ory but their value never reached the provider; the management policies no longer allow Create, so the provider leaves them: delete them in the Ory console")))
	}
}

// recoverMarked resolves the provider's own creation mark: the connection
// Secret may record the key that create made (the resource adopts it, and
// the mark goes in the same patch); otherwise the key is looked for.
func (e *external) recoverMarked(ctx context.Context, cr Resource) error {
	rec, err := e.records.read(ctx, cr)
	switch kept := (*keptSecretError)(nil); {
	case errors.As(err, &kept):
		// A Secret kept from another resource (Observe takes it over)
		// records nothing this create made.
	case err != nil:
		return err
	default:
		current, _ := common.ParseRef(meta.GetExternalName(cr))
		if _, err := e.adoptRecordedKey(ctx, cr, current, rec); err != nil {
			return err
		}
	}
	if _, marked := creationMarkOf(cr); !marked {
		return nil
	}
	return e.recoverCreation(ctx, cr)
}

// recoverCreation finishes a create or replacement interrupted between
// asking Ory for a key and recording it (the common.AnnotationCreating mark is still
// there, and the Secret's record did not let Observe adopt a new key): a key
// made for it whose value never reached the Secret is deleted, and the mark
// cleared, so the next attempt starts clean.
func (e *external) recoverCreation(ctx context.Context, cr Resource) error {
	m, _ := creationMarkOf(cr)
	if m.Parent == "" || m.Name == "" {
		parent, err := e.parentOfCreate(cr)
		if err != nil {
			return err
		}
		m.Parent, m.Name = parent, cr.KeyParameters().Name
	}
	if m.Since.IsZero() {
		m.Since = e.now().Add(-time.Hour)
	}
	mayDelete := e.may(cr).create
	leaked, err := e.deleteUnrecordedKeys(ctx, m.Parent, m.Name, m.Since, mayDelete)
	if err != nil {
		return err
	}
	if err := patchAnnotations(ctx, e.kube, cr, map[string]*string{common.AnnotationCreating: nil}); err != nil {
		return err
	}
	if len(leaked) > 0 {
		e.reportRecovery(cr, leaked, mayDelete)
	}
	return nil
}

// deleteUnrecordedKeys deletes, and returns, the keys of the project that
// carry the name, were made since an interrupted create began, and that no
// resource of the kind, of either scope, knows as its key, as a key it still has to
// delete, or as the key whose value its Secret holds: their values were
// never stored, so nothing could ever use them.
//
// A key of an interrupted create is the residue of the resource's own
// Create: it is deleted only while the management policies allow Create
// (del); otherwise it is only returned, since a resource that may not
// create keys does not touch Ory.
func (e *external) deleteUnrecordedKeys(ctx context.Context, project, name string, since time.Time, del bool) ([]common.RetiredKey, error) {
	if err := e.allowed(project); err != nil {
		return nil, err
	}
	keys, err := e.ory.ListKeys(ctx, project)
	if err != nil {
		return nil, err
	}
	var candidates []console.Key
	for _, k := range keys {
		if k.Name == name && k.CreatedAt != nil && !k.CreatedAt.Before(since.Add(-clockSkew)) && !e.isCredential(k) {
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
	var leaked []common.RetiredKey
	for _, k := range candidates {
		if !known[strings.ToLower(k.ID)] {
			leaked = append(leaked, common.RetiredKey{Ref: ref(k)})
		}
	}
	if !del {
		return leaked, nil
	}
	if _, failed := e.deleteRetired(ctx, leaked, time.Time{}); failed > 0 {
		return nil, errors.Errorf("cannot delete key(s) %s, made by an interrupted create whose value was never stored; the provider retries", joinRefs(leaked))
	}
	return leaked, nil
}

// knownKeyIDs returns the IDs of every key a resource of the kind, of either scope
// manages or still has to delete, and of the keys whose value the connection
// Secrets of the resources named name hold: a create or replacement of
// another resource with the same name may have stored its key without
// recording it yet, and that key is not this resource's to delete.
func (e *external) knownKeyIDs(ctx context.Context, name string) (map[string]bool, error) {
	known := map[string]bool{}
	add := func(mg Resource) error {
		if k, err := common.ParseRef(meta.GetExternalName(mg)); err == nil && !k.IsZero() {
			known[strings.ToLower(k.ID)] = true
		}
		for _, k := range retiredKeys(mg) {
			known[strings.ToLower(k.ID)] = true
		}
		if mg.KeyParameters().Name != name {
			return nil
		}
		rec, err := e.records.read(ctx, mg)
		var kept *keptSecretError
		var notOurs notOursError
		switch {
		case errors.As(err, &kept):
			// A Secret kept for a key left in Ory knows that key.
			if !kept.valueOf.IsZero() {
				known[strings.ToLower(kept.valueOf.ID)] = true
			}
			return nil
		case errors.As(err, &notOurs):
			// A Secret that is not the resource's records none of its keys.
			return nil
		}
		if !rec.valueOf.IsZero() {
			known[strings.ToLower(rec.valueOf.ID)] = true
		}
		return err
	}
	var failed error
	if err := e.forEachKeyResource(ctx, func(mg Resource) {
		if err := add(mg); err != nil && failed == nil {
			failed = err
		}
	}); err != nil {
		return nil, err
	}
	return known, failed
}

// forEachKeyResource calls fn with every resource of the kind, of either
// scope, read from the manager's cache. A scope whose CRD is not installed
// (not activated, with Crossplane's safe-start) has no resources.
//
// fn gets the cache's own objects, not copies: it must only read them.
// Copies cost a copy of every resource of the kind per call, and the calls
// come together when many creates are cut short at once (an overloaded API
// server): at 10,000 resources a heap profile showed these copies as 29% of
// the provider's heap.
func (e *external) forEachKeyResource(ctx context.Context, fn func(Resource)) error {
	for _, gvk := range e.kind.Scopes {
		o, err := e.kube.Scheme().New(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err != nil {
			return err
		}
		l, ok := o.(client.ObjectList)
		if !ok {
			return errors.Errorf("%s is not a list", gvk)
		}
		if err := e.kube.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			if kmeta.IsNoMatchError(err) {
				continue
			}
			return errors.Wrapf(err, "cannot list %s", gvk.Kind)
		}
		items, err := kmeta.ExtractList(l)
		if err != nil {
			return err
		}
		for _, it := range items {
			if r, ok := it.(Resource); ok {
				fn(r)
			}
		}
	}
	return nil
}

// parentOfCreate is the parent a create of cr asks for, as Observe resolves
// it before the create: spec.forProvider's, or the ProviderConfig's default.
// The repair stage runs before Observe records it in the spec.
func (e *external) parentOfCreate(cr Resource) (string, error) {
	parent := *cr.ParentID()
	if parent == "" {
		parent = e.kind.Parent.Default(e.cfg)
	}
	if parent == "" {
		return "", errors.Errorf(errNoParent, e.kind.Parent.Field, e.cfg.Ref)
	}
	return parent, nil
}

// isCredential reports whether k may be the key the ProviderConfig
// authenticates with (a WorkspaceAPIKey can make such keys, and one is the
// provider's own credential in the self-rotation pattern): a key of the same
// kind of value whose lastCharacters end the credential. The repair never
// deletes it: deleting it would cut the provider off from the workspace.
func (e *external) isCredential(k console.Key) bool {
	return e.kind.ValuePrefix != "" && strings.HasPrefix(e.cfg.Token, e.kind.ValuePrefix) &&
		k.LastCharacters != "" && strings.HasSuffix(e.cfg.Token, k.LastCharacters)
}
