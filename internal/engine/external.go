package engine

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

const (
	errNotKeyResource     = "managed resource is not an API key kind of this provider"
	errNoConnectionSecret = "spec.writeConnectionSecretToRef is not set: Ory returns a key's value only when it creates the key, so the provider will not create one without a Secret to store it in"
	errNoParent           = "spec.forProvider.%[1]s is empty and %[2]s has no %[1]s: set one of them"
	errExpiresInPast      = "spec.forProvider.expiresAt %s is not in the future: set a later time, or remove it for a key that does not expire"
)

// A Resource is a managed resource of an API key kind, of either scope: the
// one external client below serves every kind through these methods (the
// kinds' types implement them; see apis/*/v1alpha1).
type Resource interface {
	resource.Managed
	// KeyParameters are spec.forProvider's fields every key kind has.
	KeyParameters() *common.KeyParameters
	// ParentID is spec.forProvider's project or workspace ID.
	ParentID() *string
	// KeyObservation is status.atProvider's fields every key kind has.
	KeyObservation() *common.KeyObservation
	// ObservedParentID is status.atProvider's project or workspace ID.
	ObservedParentID() *string
	// SecretMetadata are the labels and annotations wanted on the
	// connection Secret, or nil.
	SecretMetadata() *common.SecretMetadata
}

// external manages one key resource for the length of one reconcile: Observe
// remembers what it found, so that Update and Delete act on exactly that.
type external struct {
	ory config.KeyAPI // the kind's keys, as kind.Keys gave them
	// inPlace is ory when the kind's objects change in place and rotate
	// their secret natively (config.InPlaceAPI), else nil.
	inPlace config.InPlaceAPI
	// self is the ID of the object the resource's external name named when
	// the reconcile began: for an in-place kind, a retired entry with this
	// ID stands for the object's rotated secrets, not the object.
	self string
	// rotating says that a rotation of an in-place kind's secret is
	// marked (common.AnnotationRotating): rotated secrets are not dropped.
	rotating bool
	// leaving says that the resource is being let go without its object
	// (deleted with a policy that keeps it), and mg is the resource, for
	// the events of what it leaves.
	leaving bool
	mg      resource.Managed
	kind    config.Kind
	conn    *keyview.Connection // the pooled console connection ory is a view of
	kube    client.Client
	records *records
	cfg     *providerconfig.Config
	record  event.Recorder
	now     func() time.Time
	// policies says whether spec.managementPolicies are honoured.
	policies bool

	observed observation
}

// observation is what Observe learned, for Update and Delete to act on.
type observation struct {
	current common.Ref // the key the resource manages, parent known
	// replace says why the key must be replaced; empty when it need not.
	replace  string
	rotation bool // the replacement is a rotation
	// valueLost says why the stored value is gone, when it is: the key is
	// then replaced to restore a working value.
	valueLost string
	// preflighted says that Observe found no key and checked, in this
	// reconcile, that a create can succeed; expiresAt is the expiry to ask
	// for. Create then does not ask the API server again.
	preflighted bool
	expiresAt   *time.Time
	// secretAbsent says that Observe found no connection Secret at all.
	secretAbsent bool
	// For an in-place kind: the object as found, and what of the spec it
	// lacks ("" when nothing), which Update applies in place.
	obj    *console.Key
	update string
}

// Observe finds the resource's key in Ory and compares it with the spec. It
// never returns the key's value: Ory does not give it again, and an empty
// value published here would overwrite the stored one.
func (e *external) Observe(ctx context.Context, cr Resource) (managed.ExternalObservation, error) {
	p, parent := cr.KeyParameters(), cr.ParentID()
	current, err := common.ParseRef(meta.GetExternalName(cr))
	if err != nil {
		n := e.kind.Parent.Noun
		return managed.ExternalObservation{}, errors.Errorf("external name %q is neither <key-id> nor <%s-id>/<key-id> with UUIDs: set the crossplane.io/external-name annotation to the ID of the key (and optionally of its %s), or remove it to create a new key", meta.GetExternalName(cr), n, n)
	}

	// An empty projectID means the import's project or the ProviderConfig's
	// default; it is written into the spec so the resource says where its
	// key lives.
	lateInit := false
	if *parent == "" {
		*parent = current.Parent
		if *parent == "" {
			*parent = e.kind.Parent.Default(e.cfg)
		}
		if *parent == "" {
			return managed.ExternalObservation{}, errors.Errorf(errNoParent, e.kind.Parent.Field, e.cfg.Ref)
		}
		lateInit = true
	}
	if err := e.allowed(*parent); err != nil {
		return managed.ExternalObservation{}, err
	}
	e.observed = observation{}

	rec, err := e.records.read(ctx, cr)
	if kept := (*keptSecretError)(nil); errors.As(err, &kept) {
		rec, err = e.takeOverKeptSecret(ctx, cr, kept)
	}
	if err != nil {
		if current.IsZero() && refusesCreate(err) {
			return managed.ExternalObservation{}, refuseCreate(cr, err)
		}
		return managed.ExternalObservation{}, err
	}
	if current, err = e.adoptRecordedKey(ctx, cr, current, rec); err != nil {
		return managed.ExternalObservation{}, err
	}
	if current.IsZero() {
		if !meta.WasDeleted(cr) && e.may(cr).create {
			e.observed.secretAbsent = rec.absent
			expiresAt, err := e.preflight(ctx, cr)
			if err != nil {
				return managed.ExternalObservation{}, refuseCreate(cr, err)
			}
			e.observed.preflighted, e.observed.expiresAt = true, expiresAt
		}
		return managed.ExternalObservation{ResourceExists: false, ResourceLateInitialized: lateInit}, nil
	}
	current.Parent = parentOf(current, rec, cr, *parent)
	if err := e.allowed(current.Parent); err != nil {
		return managed.ExternalObservation{}, err
	}
	if !rec.holds(current) {
		// A key the resource did not make (an import): it may be another
		// resource's, and two resources managing one key would each delete
		// or replace it under the other.
		if err := e.claimedElsewhere(ctx, cr, current); err != nil {
			if meta.WasDeleted(cr) {
				// Not this resource's key: its deletion deletes nothing.
				return managed.ExternalObservation{ResourceExists: false}, nil
			}
			return managed.ExternalObservation{}, err
		}
	}

	key, err := e.find(ctx, current)
	if err != nil {
		if meta.WasDeleted(cr) && console.ReasonOf(err) == console.ReasonUnauthorized && rec.holds(current) && rec.valueIs(e.cfg.Token) {
			// The resource's key is the credential of its own
			// ProviderConfig (a WorkspaceAPIKey rotating the provider's
			// key), and Ory now refuses it: Delete deleted it. Nothing
			// else can be deleted with it.
			e.leftReplacedKeys(cr)
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return e.observeGoneProject(ctx, cr, current, lateInit, err)
	}
	if key == nil {
		if meta.WasDeleted(cr) {
			// The resource still "exists" while keys it replaced are in Ory,
			// so that Delete gets to them; once Ory holds none, deletion ends.
			left, err := e.retiredLeft(ctx, cr)
			return managed.ExternalObservation{ResourceExists: left, ResourceUpToDate: true}, err
		}
		// Gone from Ory (or never there, for a mistyped import): the runtime
		// creates a new key, or reports the absence under Observe-only. A key
		// that does not exist is not Ready, whatever the policies.
		cr.SetConditions(keyMissing(current))
		return managed.ExternalObservation{ResourceExists: false, ResourceUpToDate: true, ResourceLateInitialized: lateInit}, nil
	}
	e.observed.current = current
	setObservation(cr, key)

	if meta.WasDeleted(cr) {
		return managed.ExternalObservation{ResourceExists: true}, nil
	}

	e.setReady(cr, key)
	if rec, err = e.checkValue(ctx, cr, key, rec); err != nil {
		return managed.ExternalObservation{}, err
	}
	if err := e.records.applyMetadata(ctx, cr, rec); err != nil {
		return managed.ExternalObservation{}, err
	}
	if e.inPlace != nil {
		e.observeInPlace(cr, key, rec)
	} else {
		e.observed.replace, e.observed.rotation = replaceReason(desired{params: p, parent: *parent, noun: e.kind.Parent.Noun}, key, rec, e.now())
	}
	if e.observed.valueLost != "" {
		// The lost Secret took the record of the rotation trigger with it:
		// the loss is the reason, whatever the record-based checks say.
		e.observed.replace, e.observed.rotation = e.observed.valueLost, false
	}
	e.reportDrift(cr)
	if r := p.Rotation; r != nil && r.Lifetime != nil && e.inPlace == nil {
		cr.KeyObservation().RenewAt = metaTime(ptr(renewAt(key, r, e.now())))
	}

	details := e.identity(key)
	maps.Copy(details, e.details(ctx, key.Parent))
	return managed.ExternalObservation{
		ResourceExists:          true,
		ResourceUpToDate:        e.observed.replace == "" && e.observed.update == "" && len(due(retiredKeys(cr), e.now())) == 0,
		ResourceLateInitialized: lateInit,
		ConnectionDetails:       details,
	}, nil
}

// adoptRecordedKey returns the key the resource manages. That is the key of
// its external name, unless the connection Secret records a newer key that
// still exists and that either was made to replace it (or by a create whose
// external name was never saved), or was made after the key the external name
// names now: something set the external name back to a key this resource
// replaced (a composition that patches the external name from its composite
// does that after every replacement). Then the resource adopts the recorded
// key, and a key it replaced is retired, in one patch.
func (e *external) adoptRecordedKey(ctx context.Context, cr Resource, current common.Ref, rec record) (common.Ref, error) {
	if rec.valueOf.IsZero() || strings.EqualFold(rec.valueOf.ID, current.ID) {
		return current, nil
	}
	reverted := !strings.EqualFold(rec.replaces.ID, current.ID)
	if reverted {
		if current.IsZero() || !rec.hasValue {
			// An external name removed on purpose asks for a new key.
			return current, nil
		}
		replaced, err := e.replacedEarlier(ctx, cr, current, rec)
		if err != nil || !replaced {
			return current, err
		}
	}
	if err := e.allowed(rec.valueOf.Parent); err != nil {
		return current, err
	}
	key, err := e.find(ctx, rec.valueOf)
	if err != nil || key == nil {
		return current, err
	}
	retired := retiredKeys(cr)
	if !current.IsZero() && !reverted {
		retired = append(retired, e.retire(cr, rec.replaces))
	}
	if err := patchAnnotations(ctx, e.kube, cr, storedKeyAnnotations(cr, common.ExternalName(rec.valueOf), retired)); err != nil {
		return current, err
	}
	msg := "Adopted key " + rec.valueOf.String() + ", whose value the connection Secret holds but whose ID had not been saved on the resource"
	if reverted {
		msg = "The external name was set to key " + current.String() + ", which this resource replaced; it keeps key " + rec.valueOf.String() + ", whose value its connection Secret holds (a composition that sets the external name should take it from status.atProvider.id)"
	}
	e.record.Event(cr, event.Normal("AdoptedRecordedKey", msg))
	return rec.valueOf, nil
}

// replacedEarlier reports whether key k, which the external name names, is
// one this resource replaced: one it still has to delete, or one Ory no longer
// holds while the Secret holds the value of a newer key of this resource.
func (e *external) replacedEarlier(ctx context.Context, cr Resource, k common.Ref, rec record) (bool, error) {
	for _, r := range retiredKeys(cr) {
		if strings.EqualFold(r.ID, k.ID) {
			return true, nil
		}
	}
	if k.Parent == "" {
		k.Parent = rec.valueOf.Parent
	}
	if e.allowed(k.Parent) != nil {
		return false, nil
	}
	key, err := e.find(ctx, k)
	return key == nil, err
}

// parentOf returns the parent (project or workspace) of the resource's
// current key. A short external name does not say; the connection Secret's
// record and the last observation do, and they are preferred to the spec
// because the spec may just have moved the key to another parent. (The
// parent a create asks for is parentOfCreate's.)
func parentOf(current common.Ref, rec record, cr Resource, specParent string) string {
	obsID, obsParent := cr.KeyObservation().ID, *cr.ObservedParentID()
	switch {
	case current.Parent != "":
		return current.Parent
	case strings.EqualFold(rec.valueOf.ID, current.ID):
		return rec.valueOf.Parent
	case strings.EqualFold(obsID, current.ID) && obsParent != "":
		return obsParent
	}
	return specParent
}

// desired is what the spec asks of a key: its settings and its parent
// (project or workspace), named by noun in reasons.
type desired struct {
	params *common.KeyParameters
	parent string
	noun   string
}

// replaceReason says why the key must be replaced, or "" when it matches the
// spec; rotation says the replacement is a rotation. Ory cannot change a
// key, so any difference means a new key. It depends on nothing but its
// arguments: the spec, the key as Ory reports it, the connection Secret's
// record, and the time.
func replaceReason(want desired, key *console.Key, rec record, now time.Time) (reason string, rotation bool) {
	p := want.params
	recorded := ""
	if rec.valueOf.ID == key.ID {
		recorded = rec.trigger
	}
	r := p.Rotation
	switch {
	case key.Name != p.Name:
		return "its name changed", false
	case !strings.EqualFold(key.Parent, want.parent):
		return "its " + want.noun + " changed", false
	case r != nil && r.Trigger != recorded:
		return "spec.forProvider.rotation.trigger changed", true
	case r != nil && r.Lifetime != nil:
		if !now.Before(renewAt(key, r, now)) {
			return "it is due for rotation", true
		}
	case !sameSecond(key.ExpiresAt, p.ExpiresAt):
		return "its expiry changed", false
	}
	return "", false
}

// renewAt is when a rotated key is replaced: renewBefore (by default a third
// of the lifetime) ahead of its expiry. A key without an expiry is brought
// under rotation at once.
func renewAt(key *console.Key, r *common.Rotation, now time.Time) time.Time {
	if key.ExpiresAt == nil {
		return now
	}
	before := r.Lifetime.Get() / 3
	if r.RenewBefore != nil {
		before = r.RenewBefore.Get()
	}
	return key.ExpiresAt.Add(-before)
}

// Create creates the key and stores its value before anything else: if the
// value cannot be stored the key is deleted again, so no key outlives its
// only copy of the value.
func (e *external) Create(ctx context.Context, cr Resource) (managed.ExternalCreation, error) {
	// The key the resource names, if any, is gone from Ory (or Create would
	// not be called); the new key is recorded as its replacement, so that a
	// crash before the resource records it lets Observe adopt it.
	gone, _ := common.ParseRef(meta.GetExternalName(cr))
	key, details, err := e.createStored(ctx, cr, gone)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	// Save the key's ID and the create's success now rather than leave it to
	// the runtime after Create returns: should the runtime's own write fail,
	// the resource would otherwise stop with "cannot determine creation
	// result" although the key and its value are safely recorded.
	// Keys replaced earlier and still in their overlap stay recorded: the
	// key that replaced them is gone, but they are still to delete.
	a := storedKeyAnnotations(cr, common.ExternalName(ref(key)), retiredKeys(cr))
	succeeded := e.now().Format(time.RFC3339)
	a[meta.AnnotationKeyExternalCreateSucceeded] = &succeeded
	if err := patchAnnotations(ctx, e.kube, cr, a); err != nil {
		// The runtime writes the external name next; should that fail too,
		// the Secret's record lets the next Observe adopt the key.
		meta.SetExternalName(cr, common.ExternalName(ref(key)))
	}
	return managed.ExternalCreation{ConnectionDetails: details}, nil
}

// Update replaces a key that differs from the spec or is due for rotation,
// create before destroy: the new key's value is in the connection Secret and
// its ID on the resource before the old key is deleted (after the rotation
// overlap, if any). It also deletes keys earlier replacements left to delete.
func (e *external) Update(ctx context.Context, cr Resource) (managed.ExternalUpdate, error) {
	if e.inPlace != nil {
		return e.updateInPlace(ctx, cr)
	}
	var details managed.ConnectionDetails
	retired := retiredKeys(cr)
	if e.observed.replace != "" {
		old := e.observed.current
		key, d, err := e.createStored(ctx, cr, old)
		if err != nil {
			return managed.ExternalUpdate{}, err
		}
		retired = append(retired, e.retire(cr, old))
		// Should this patch fail, the Secret's record still names the new key
		// as the replacement of the old, and the next Observe adopts it.
		if err := patchAnnotations(ctx, e.kube, cr, storedKeyAnnotations(cr, common.ExternalName(ref(key)), retired)); err != nil {
			return managed.ExternalUpdate{}, err
		}
		setObservation(cr, &key)
		e.setReady(cr, &key)
		cr.SetConditions(e.valueStored())
		reason, verb := event.Reason("ReplacedKey"), "replace"
		if e.observed.rotation {
			reason, verb = "RotatedKey", "rotate"
		}
		e.record.Event(cr, event.Normal(reason, "Created key "+ref(key).String()+" to "+verb+" key "+old.String()+" because "+e.observed.replace+"; the connection Secret holds the new value"))
		details = d
	}
	remaining, failed := e.deleteRetired(ctx, retired, e.now())
	if len(remaining) != len(retired) {
		if err := patchAnnotations(ctx, e.kube, cr, keyAnnotations(meta.GetExternalName(cr), remaining)); err != nil {
			return managed.ExternalUpdate{ConnectionDetails: details}, err
		}
	}
	if failed > 0 {
		return managed.ExternalUpdate{ConnectionDetails: details}, errors.Errorf("cannot delete replaced key(s) %s yet; the provider retries", joinRefs(remaining))
	}
	return managed.ExternalUpdate{ConnectionDetails: details}, nil
}

// Delete deletes the key and every replaced key still waiting to be deleted,
// overlap or not. A key already gone counts as deleted.
func (e *external) Delete(ctx context.Context, cr Resource) (managed.ExternalDelete, error) {
	if err := e.unused(ctx, cr); err != nil {
		return managed.ExternalDelete{}, err
	}
	keys := append(retiredKeys(cr), common.RetiredKey{Ref: e.observed.current})
	if e.inPlace != nil {
		// The object's rotated secrets go with it.
		if err := e.deleteObject(ctx, e.observed.current); err != nil {
			return managed.ExternalDelete{}, errors.Wrapf(err, "cannot delete %s %s yet; the provider retries", e.kind.Name, e.observed.current)
		}
		keys = nil
	}
	if remaining, failed := e.deleteRetired(ctx, keys, time.Time{}); failed > 0 {
		return managed.ExternalDelete{}, errors.Errorf("cannot delete key(s) %s yet; the provider retries", joinRefs(remaining))
	}
	// Every key is gone: so is the record of those still to delete, or the
	// next Observe would count the resource as existing for ever.
	if len(retiredKeys(cr)) > 0 {
		if err := patchAnnotations(ctx, e.kube, cr, map[string]*string{common.AnnotationRetiredKeys: nil}); err != nil {
			return managed.ExternalDelete{}, resource.IgnoreNotFound(err)
		}
	}
	e.endCreationGracePeriod(ctx, cr)
	return managed.ExternalDelete{}, nil
}

// unused returns an error that names what still reaches Ory with cr's key
// (config.Kind.Users), nil when nothing does: the key is deleted after
// them. The runtime retries with its backoff.
func (e *external) unused(ctx context.Context, cr Resource) error {
	if e.kind.Users == nil {
		return nil
	}
	secret, ok := connectionSecret(cr)
	if !ok {
		return nil
	}
	users, err := e.kind.Users(ctx, e.kube, secret)
	if err != nil {
		return err
	}
	if users != "" {
		return errors.Errorf("key %s is deleted once nothing manages Ory with it: %s still reach their project's API through a ProviderConfig whose projectCredentials name Secret %s; delete them first (or what composed them), so that each can delete its own object in Ory", e.observed.current, users, secret)
	}
	return nil
}

// Disconnect does nothing: the console client keeps no per-reconcile state.
func (e *external) Disconnect(context.Context) error { return nil }

// createStored creates a key as the spec declares it and writes its value,
// with the record of what it replaces, to the connection Secret.
func (e *external) createStored(ctx context.Context, cr Resource, replaces common.Ref) (console.Key, managed.ConnectionDetails, error) {
	p, parent := cr.KeyParameters(), *cr.ParentID()
	expiresAt := e.observed.expiresAt
	// What Observe found holds only for a create in the same reconcile.
	absent := e.observed.preflighted && e.observed.secretAbsent
	e.observed.secretAbsent = false
	if !e.observed.preflighted {
		var err error
		if expiresAt, err = e.preflight(ctx, cr); err != nil {
			return console.Key{}, nil, err
		}
	}
	e.observed.preflighted = false
	// Look the API URL up first: nothing may stand between creating the key
	// and storing its value.
	extra := e.details(ctx, parent)
	// Mark the attempt first: should the provider stop after Ory made the
	// key and before its value is stored, the mark tells the next Observe to
	// look for that key.
	mark := common.CreationMark{Since: e.now().UTC().Truncate(time.Second), Parent: parent, Name: p.Name}
	b, _ := json.Marshal(mark)
	if err := patchAnnotations(ctx, e.kube, cr, map[string]*string{common.AnnotationCreating: ptr(string(b))}); err != nil {
		return console.Key{}, nil, err
	}
	key, err := e.ory.CreateKey(ctx, parent, p.Name, expiresAt)
	if err != nil {
		return console.Key{}, nil, e.afterFailedCreate(ctx, cr, mark, err)
	}
	details := e.withValue(key)
	maps.Copy(details, extra)
	if err := e.records.store(ctx, cr, details, stored{valueOf: ref(key), replaces: replaces, trigger: trigger(p), issuedAt: e.issuedAt()}, absent); err != nil {
		return console.Key{}, nil, e.undoCreate(ctx, key, err)
	}
	return key, details, nil
}

// preflight checks everything that could refuse a new key or the storing of
// its value before Ory is asked for the key, and returns the expiry to ask
// for. Ask the API server whether it would take the Secret too: a key whose
// value cannot be stored must not be made.
func (e *external) preflight(ctx context.Context, cr Resource) (*time.Time, error) {
	p, parent := cr.KeyParameters(), *cr.ParentID()
	if _, ok := connectionSecret(cr); !ok {
		return nil, errors.New(errNoConnectionSecret)
	}
	if parent == "" {
		return nil, errors.Errorf(errNoParent, e.kind.Parent.Field, e.cfg.Ref)
	}
	if err := e.allowed(parent); err != nil {
		return nil, err
	}
	var expiresAt *time.Time
	switch {
	case p.Rotation != nil && p.Rotation.Lifetime != nil:
		t := e.now().Add(p.Rotation.Lifetime.Get()).UTC().Truncate(time.Second)
		expiresAt = &t
	case p.ExpiresAt != nil:
		t := p.ExpiresAt.UTC().Truncate(time.Second)
		if !t.After(e.now()) {
			return nil, errors.Errorf(errExpiresInPast, t.Format(time.RFC3339))
		}
		expiresAt = &t
	}
	return expiresAt, e.records.dryRun(ctx, cr, e.observed.secretAbsent)
}

// refuseCreate reports, before the runtime would create a key, a create that
// cannot succeed: Ready says why, and no empty connection Secret is written
// for a key that was never made (the runtime publishes Observe's details
// only when Observe succeeds).
func refuseCreate(cr Resource, err error) error {
	c := xpv2.Unavailable().WithMessage("no key was created: " + err.Error())
	c.Reason = common.ReasonCreateRefused
	cr.SetConditions(c)
	return err
}

// afterFailedCreate looks, at once, for a key a failed create may have made:
// when the connection broke, Ory answered 5xx, or its answer was cut,
// unreadable or without the value (console.MayHaveCreated), Ory may have
// made the key and its value, which only that answer carries, is lost. Such a key
// (named as asked, made since the attempt, known to no resource) is deleted;
// should looking fail, the creation mark stays for the next Observe.
func (e *external) afterFailedCreate(ctx context.Context, cr Resource, mark common.CreationMark, cause error) error {
	if !console.MayHaveCreated(cause) {
		// Ory refused before acting (4xx, 429): there is nothing to find, and
		// nothing for the connection Secret the runtime wrote before Create.
		_ = patchAnnotations(ctx, e.kube, cr, map[string]*string{common.AnnotationCreating: nil})
		if meta.GetExternalName(cr) == "" {
			_ = e.records.removeEmpty(ctx, cr)
		}
		return cause
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	leaked, err := e.deleteUnrecordedKeys(ctx, mark.Parent, mark.Name, mark.Since, true)
	if err != nil {
		return errors.Wrapf(cause, "(could not yet check whether Ory made the key anyway: %s; the provider looks again)", err)
	}
	if err := patchAnnotations(ctx, e.kube, cr, map[string]*string{common.AnnotationCreating: nil}); err != nil {
		return errors.Wrap(cause, "(could not clear the creation mark; the provider looks again)")
	}
	if len(leaked) > 0 {
		e.reportRecovery(cr, leaked, true)
		return errors.Wrapf(cause, "Ory made key(s) %s anyway but their value never arrived; the provider deleted them", joinRefs(leaked))
	}
	return cause
}

// undoCreate deletes a key whose value could not be stored: nobody could ever
// use it, and nothing would remember it. It runs even when ctx is done, since
// a write that timed out is the likeliest reason to be here.
func (e *external) undoCreate(ctx context.Context, key console.Key, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := e.ory.DeleteKey(ctx, key.Parent, key.ID); err != nil {
		return errors.Errorf("%s; deleting the new key %s again also failed (%s): delete it in the Ory console, nothing else knows of it", cause, ref(key), err)
	}
	return errors.Wrapf(cause, "deleted the new key %s again, since its value could not be stored", ref(key))
}

// retire returns a replaced key as it waits for deletion: at once, or after
// the rotation overlap.
func (e *external) retire(cr Resource, k common.Ref) common.RetiredKey {
	r := common.RetiredKey{Ref: k}
	if rot := cr.KeyParameters().Rotation; rot != nil && rot.Overlap != nil {
		r.NotBefore = overlapEnd(e.now(), rot.Overlap.Get())
	}
	return r
}

// overlapEnd is when an overlap that began at start ends, as a retired
// entry records it: to the second, rounded up, so that the old key or
// secret is never ended before the overlap has passed.
func overlapEnd(start time.Time, overlap time.Duration) time.Time {
	end := start.Add(overlap).UTC()
	if t := end.Truncate(time.Second); !t.Equal(end) {
		return t.Add(time.Second)
	}
	return end
}

// deleteRetired deletes the keys due at now (all of them for a zero now) and
// returns those left, with how many of them failed.
func (e *external) deleteRetired(ctx context.Context, keys []common.RetiredKey, now time.Time) (remaining []common.RetiredKey, failed int) {
	for _, k := range keys {
		if k.IsZero() {
			continue
		}
		if !now.IsZero() && now.Before(k.NotBefore) {
			remaining = append(remaining, k)
			continue
		}
		if e.allowed(k.Parent) != nil || e.deleteKey(ctx, k.Ref) != nil {
			remaining = append(remaining, k)
			failed++
		}
	}
	return remaining, failed
}

// due returns the retired keys whose deletion is due at now.
func due(keys []common.RetiredKey, now time.Time) []common.RetiredKey {
	var out []common.RetiredKey
	for _, k := range keys {
		if !now.Before(k.NotBefore) {
			out = append(out, k)
		}
	}
	return out
}

// find returns the key r names, or nil when the project has no such key.
func (e *external) find(ctx context.Context, r common.Ref) (*console.Key, error) {
	return e.ory.FindKey(ctx, r.Parent, r.ID)
}

// allowed says whether the ProviderConfig may manage keys in parent.
func (e *external) allowed(parent string) error {
	if e.kind.Parent.Allowed == nil {
		return nil
	}
	return e.kind.Parent.Allowed(e.cfg, parent)
}

func (e *external) setReady(cr Resource, key *console.Key) {
	if key.ExpiresAt != nil && !key.ExpiresAt.After(e.now()) {
		c := xpv2.Unavailable().WithMessage("the key expired at " + key.ExpiresAt.Format(time.RFC3339) +
			": set a later spec.forProvider.expiresAt (or remove it) to replace it with a new key")
		c.Reason = common.ReasonExpired
		// Once per key: the message names the expiry, so a replacement that
		// expires in turn is told again.
		if prev := cr.GetCondition(xpv2.TypeReady); prev.Reason != common.ReasonExpired || prev.Message != c.Message {
			e.record.Event(cr, event.Warning("KeyExpired", errors.New(c.Message)))
		}
		cr.SetConditions(c)
		return
	}
	cr.SetConditions(xpv2.Available())
}

// checkValue says whether the connection Secret holds this key's value. For
// an imported key it publishes the value spec.forProvider.importValueFrom
// names, once it has checked the value belongs to this key.
//
// It returns the record the Secret holds afterwards: rec, or the record of
// the imported value it wrote, so that what Observe decides next (a
// rotation, say) reads the trigger just recorded.
func (e *external) checkValue(ctx context.Context, cr Resource, key *console.Key, rec record) (record, error) {
	if e.inPlace != nil && !e.inPlace.HasSecret(key) {
		cr.SetConditions(e.noSecret())
		return rec, nil
	}
	if rec.holds(ref(*key)) {
		cr.SetConditions(e.valueStored())
		return rec, e.settleStoredIn(ctx, cr, key)
	}
	if where := valueStoredIn(cr); where != "" {
		// The resource had this key's value: it was moved (a new
		// writeConnectionSecretToRef) or lost (the Secret deleted or emptied).
		return rec, e.recoverValue(ctx, cr, key, rec, where)
	}
	src := cr.KeyParameters().ImportValueFrom
	field := e.importField()
	if src == nil {
		msg := "Ory returns a " + e.kind.SecretWords() + " only when it is made, and this " + e.noun() + " was not made by this resource (it was imported), so the connection Secret has no value for it. Name a Secret holding it in " + field
		switch {
		case !e.may(cr).update:
			msg += "; the management policies do not allow Update, so the provider will not make a new one (add Update to spec.managementPolicies for that)."
		case e.inPlace != nil:
			msg += ", or let the provider rotate the secret by changing spec.forProvider.rotation.trigger."
		default:
			msg += ", or let the provider replace the key by changing spec.forProvider.rotation.trigger (or name or expiresAt)."
		}
		e.valueUnknown(cr, common.ReasonValueUnknown, msg)
		return rec, nil
	}
	v, err := e.records.importedValue(ctx, cr, src)
	switch {
	case err != nil:
		e.valueUnknown(cr, common.ReasonImportedValueUnavailable, err.Error())
		return rec, nil
	case key.LastCharacters == "" && !src.AcceptUnchecked:
		e.valueUnknown(cr, common.ReasonImportedValueUnchecked, "Ory recorded no lastCharacters for this key (it predates them), so the value in Secret "+src.Name+" cannot be checked against it and is not published: set "+field+".acceptUnchecked to true to publish it anyway")
		return rec, nil
	case key.LastCharacters != "" && !strings.HasSuffix(v, key.LastCharacters):
		e.valueUnknown(cr, common.ReasonImportedValueMismatch, "the value in Secret "+src.Name+" does not end in this key's lastCharacters, so it belongs to another key and is not published: point "+field+" at this key's value")
		return rec, nil
	}
	if problem := valueShapeProblem(e.kind.ValuePrefix, v); problem != "" {
		e.valueUnknown(cr, common.ReasonImportedValueMalformed, "the value in Secret "+src.Name+" is not a secret Ory issues for a "+e.kind.Name+": it "+problem+". It is not published: point "+field+" at the value as Ory returned it")
		return rec, nil
	}
	k := *key
	k.Value = console.Value(v)
	// An imported secret counts as issued now: a rotation lifetime starts
	// with the import, not with the object's creation.
	wrote := stored{valueOf: ref(k), trigger: trigger(cr.KeyParameters()), issuedAt: e.issuedAt()}
	if err := e.records.store(ctx, cr, e.withValue(k), wrote, false); err != nil {
		return rec, err
	}
	if err := patchAnnotations(ctx, e.kube, cr, storedKeyAnnotations(cr, meta.GetExternalName(cr), retiredKeys(cr))); err != nil {
		return rec, err
	}
	cr.SetConditions(e.valueStored())
	how := "after checking it against the key's lastCharacters"
	if key.LastCharacters == "" {
		how = "unchecked, as " + field + ".acceptUnchecked allows"
	}
	e.record.Event(cr, event.Normal("ImportedValue", "Published the value from Secret "+src.Name+" "+how))
	rec.valueOf, rec.replaces, rec.trigger, rec.issuedAt, rec.hasValue = wrote.valueOf, common.Ref{}, wrote.trigger, wrote.issuedAt, true
	return rec, nil
}

// importField is the spec field that names an imported secret's Secret.
func (e *external) importField() string {
	if e.inPlace != nil {
		return "spec.forProvider.importSecretFrom"
	}
	return "spec.forProvider.importValueFrom"
}

// noun names what the kind manages in messages: "key", or the kind.
func (e *external) noun() string {
	if e.inPlace != nil {
		return e.kind.Name
	}
	return "key"
}

// valueUnknown sets the KeyValue condition to False, with a warning event
// when the reason is new.
func (e *external) valueUnknown(cr Resource, reason xpv2.ConditionReason, msg string) {
	if prev := cr.GetCondition(common.TypeValue); prev.Reason != reason {
		e.record.Event(cr, event.Warning(event.Reason(reason), errors.New(msg)))
	}
	cr.SetConditions(xpv2.Condition{Type: common.TypeValue, Status: corev1.ConditionFalse, Reason: reason, Message: msg, LastTransitionTime: metav1.Now()})
}

func (e *external) valueStored() xpv2.Condition {
	return xpv2.Condition{Type: common.TypeValue, Status: corev1.ConditionTrue, Reason: common.ReasonValueStored,
		Message: "the connection Secret holds the " + e.kind.SecretWords() + " under \"" + e.kind.ConnectionValueKey() + "\"", LastTransitionTime: metav1.Now()}
}

func trigger(p *common.KeyParameters) string {
	if p.Rotation == nil {
		return ""
	}
	return p.Rotation.Trigger
}

func setObservation(cr Resource, k *console.Key) {
	*cr.KeyObservation() = common.KeyObservation{
		ID:             k.ID,
		OwnerID:        k.OwnerID,
		CreatedAt:      metaTime(k.CreatedAt),
		ExpiresAt:      metaTime(k.ExpiresAt),
		LastCharacters: k.LastCharacters,
	}
	*cr.ObservedParentID() = k.Parent
}

func metaTime(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	m := metav1.NewTime(*t)
	return &m
}

func ptr[T any](v T) *T { return &v }

// sameSecond compares expiry times as Ory keeps them, to the second.
func sameSecond(a *time.Time, b *metav1.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Unix() == b.Unix()
}

func ref(k console.Key) common.Ref {
	return common.Ref{Parent: k.Parent, ID: k.ID}
}

// identity is the part of the connection details Observe may publish.
func (e *external) identity(k *console.Key) managed.ConnectionDetails {
	return managed.ConnectionDetails{
		e.kind.ConnectionIDKey(): []byte(k.ID),
		e.kind.Parent.Field:      []byte(k.Parent),
	}
}

// details are the connection details of the kind besides a key's identity
// and value, such as a project's API URL.
func (e *external) details(ctx context.Context, parent string) managed.ConnectionDetails {
	if e.kind.Details == nil {
		return nil
	}
	return e.kind.Details(ctx, e.conn, e.cfg, parent)
}

// withValue is the connection details of a key just created.
func (e *external) withValue(k console.Key) managed.ConnectionDetails {
	d := e.identity(&k)
	if k.Value != "" {
		d[e.kind.ConnectionValueKey()] = []byte(k.Value)
	}
	return d
}

// leftReplacedKeys warns of the replaced keys a resource leaves in Ory
// because its credential is gone, if it had any.
func (e *external) leftReplacedKeys(cr Resource) {
	if retired := retiredKeys(cr); len(retired) > 0 {
		e.record.Event(cr, event.Warning("LeftReplacedKeys", errors.New("The key this resource managed was its own ProviderConfig's credential and is deleted, so the provider can no longer delete the key(s) "+joinRefs(retired)+" it had replaced: delete them in the Ory console")))
	}
}
