package engine

import (
	"context"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// The life of an object that Ory changes in place and whose secret it
// rotates natively (config.InPlaceAPI: an OAuth2 client). It differs from an
// API key's in three ways only; the rest (the write-ahead create, the
// repair of an interrupted create, moved and lost Secrets, import, the
// finalizer) is the engine's as for keys.
//
//   - A changed spec is applied to the object (Apply), never by replacing
//     it.
//   - A rotation (due, triggered, or restoring a lost secret) asks Ory for a
//     new secret of the same object. Ory keeps the old one valid; the
//     provider ends it after the overlap by dropping the object's rotated
//     secrets. That end is kept in AnnotationRetiredKeys as an entry with
//     the object's own ID (self), written in the same patch that records
//     the rotation.
//   - Ory drops every rotated secret at once, so a second rotation waits
//     until the first one's overlap has ended: each old secret keeps the
//     overlap the spec promised, and none outlives it.
//
// The steps of a rotation, and what a stop after each leaves:
//
//  1. AnnotationRotating is set. (Nothing changed in Ory.)
//  2. Ory is asked for a new secret. (The new secret may exist and be
//     lost; the old one, which the Secret holds, is still valid: the
//     repair stage rotates again, and the lost one becomes a rotated secret
//     that step 4's drop ends.)
//  3. The new secret is stored in the connection Secret with its issue
//     time. (The repair stage sees a secret issued since the mark and
//     records the rotation.)
//  4. One patch records the rotated secrets' end (now + overlap) and
//     removes the mark.
//
// While the mark is there the provider never drops rotated secrets: the
// Secret may still hold one of them.

// maxRotatedSecrets is how many old secrets Ory keeps per client
// (rotateOAuth2ClientSecret: "Up to five rotated secrets are retained").
const maxRotatedSecrets = 5

// maxRotateAttempts bounds the rotations whose secret never reached the
// Secret: after that many the secret the Secret holds is the fourth
// newest of Ory's rotated secrets, one rotation from being dropped.
const maxRotateAttempts = maxRotatedSecrets - 1

// errRotationWaits says that a rotation waits for the previous one's
// overlap. It is not a failure: Update reports it in an event and the
// UpToDate condition and returns nil.
const msgRotationWaits = "the rotation waits until %s, when the overlap of the previous rotation ends: Ory ends every old secret at once, so rotating sooner would cut that overlap short"

// issuedAt is the issue time a store records: now for an in-place kind
// (to the nanosecond, see stamp), zero (not recorded) for API keys.
func (e *external) issuedAt() time.Time {
	if e.inPlace == nil {
		return time.Time{}
	}
	return e.now().UTC()
}

// secretRenewAt is when an in-place kind's secret is rotated under
// rotation r: lifetime after it was issued (the Secret's record; else the
// object's creation), less renewBefore if set.
func secretRenewAt(key *console.Key, rec record, r *common.Rotation, now time.Time) time.Time {
	base := now
	switch {
	case !rec.issuedAt.IsZero() && strings.EqualFold(rec.valueOf.ID, key.ID):
		base = rec.issuedAt
	case key.CreatedAt != nil:
		base = *key.CreatedAt
	}
	return base.Add(r.Lifetime.Get() - r.RenewBefore.Get())
}

// rotateReason is replaceReason for an in-place kind: only a rotation
// (triggered or due) asks for a new secret; every other difference is
// applied in place (config.InPlaceAPI.Differs).
func rotateReason(p *common.KeyParameters, key *console.Key, rec record, now time.Time) string {
	recorded := ""
	if strings.EqualFold(rec.valueOf.ID, key.ID) {
		recorded = rec.trigger
	}
	r := p.Rotation
	switch {
	case r == nil:
		return ""
	case r.Trigger != recorded:
		return "spec.forProvider.rotation.trigger changed"
	case r.Lifetime != nil && !now.Before(secretRenewAt(key, rec, r, now)):
		return "it is due for rotation"
	}
	return ""
}

// observeInPlace is Observe's part for an in-place kind, once the object
// is found: its state, what differs from the spec, and when it rotates.
func (e *external) observeInPlace(cr Resource, key *console.Key, rec record) {
	e.inPlace.Observe(key)
	e.observed.obj = key
	e.observed.update = e.inPlace.Differs(key)
	e.observed.replace, e.observed.rotation = rotateReason(cr.KeyParameters(), key, rec, e.now()), true
	if e.observed.replace == "" && e.rotating && e.inPlace.HasSecret(key) {
		// The repair stage found no secret stored since the mark: Ory may
		// hold a new secret nobody has, and the old one valid for ever.
		e.observed.replace = "an interrupted rotation is finished"
	}
	if e.observed.replace == "" {
		e.observed.rotation = false
	}
	if r := cr.KeyParameters().Rotation; r != nil && r.Lifetime != nil {
		cr.KeyObservation().RenewAt = metaTime(ptr(secretRenewAt(key, rec, r, e.now())))
	}
}

// noSecret is the Value condition of an object that has no secret (a
// public OAuth2 client).
func (e *external) noSecret() xpv2.Condition {
	return xpv2.Condition{Type: common.TypeValue, Status: corev1.ConditionTrue, Reason: common.ReasonNoSecret,
		Message: "this " + e.kind.Name + " has no secret (a public client): the connection Secret holds its ID and URLs only", LastTransitionTime: metav1.Now()}
}

// updateInPlace is Update for an in-place kind: the spec applied to the
// object, a rotation if one is asked for, and the rotated secrets dropped
// once their overlap ends.
func (e *external) updateInPlace(ctx context.Context, cr Resource) (managed.ExternalUpdate, error) {
	if e.observed.update != "" {
		obj, err := e.inPlace.Apply(ctx, e.observed.obj)
		if err != nil {
			return managed.ExternalUpdate{}, errors.Wrapf(err, "cannot update %s %s in place", e.kind.Name, e.observed.current)
		}
		e.inPlace.Observe(obj)
		e.record.Event(cr, event.Normal("UpdatedInPlace", "Updated "+e.kind.Name+" "+e.observed.current.ID+" in place: "+e.observed.update))
	}
	var details managed.ConnectionDetails
	retired := retiredKeys(cr)
	if e.observed.replace != "" {
		var waits time.Time
		for _, r := range retired {
			if strings.EqualFold(r.ID, e.observed.current.ID) && e.now().Before(r.NotBefore) {
				waits = r.NotBefore
			}
		}
		if !waits.IsZero() && e.observed.valueLost == "" {
			msg := "the " + e.kind.SecretWords() + " must be rotated because " + e.observed.replace + "; " + errors.Errorf(msgRotationWaits, waits.Format(time.RFC3339)).Error()
			if c := cr.GetCondition(common.TypeUpToDate); c.Message != msg {
				e.record.Event(cr, event.Normal("RotationWaits", msg))
			}
			cr.SetConditions(xpv2.Condition{Type: common.TypeUpToDate, Status: corev1.ConditionFalse, Reason: common.ReasonDrifted, Message: msg, LastTransitionTime: metav1.Now()})
		} else {
			if !e.rotating {
				// The previous rotation's secrets, if any, are due: drop
				// them first, so that the patch below records only this
				// rotation's. (After an interrupted rotation they stay:
				// the Secret may hold one of them. The entry below then
				// ends them with this rotation's.)
				remaining, failed := e.deleteRetired(ctx, retired, e.now())
				if failed > 0 {
					return managed.ExternalUpdate{}, errors.Errorf("cannot end the rotated secrets of %s yet, so it is not rotated again; the provider retries", joinRefs(remaining))
				}
				retired = remaining
			}
			d, err := e.rotateStored(ctx, cr)
			if err != nil {
				return managed.ExternalUpdate{}, err
			}
			retired = withRetired(retired, e.retire(cr, e.observed.current))
			a := keyAnnotations(meta.GetExternalName(cr), retired)
			a[common.AnnotationRotating] = nil
			if err := patchAnnotations(ctx, e.kube, cr, a); err != nil {
				// The repair stage records the rotation from the mark.
				return managed.ExternalUpdate{ConnectionDetails: d}, err
			}
			e.rotating = false
			cr.SetConditions(e.valueStored())
			e.record.Event(cr, event.Normal("RotatedSecret", "Rotated the secret of "+e.kind.Name+" "+e.observed.current.ID+" because "+e.observed.replace+"; the connection Secret holds the new secret"+e.oldSecretEnds(cr)))
			details = d
		}
	}
	remaining, failed := e.deleteRetired(ctx, retired, e.now())
	if len(remaining) != len(retired) {
		if err := patchAnnotations(ctx, e.kube, cr, keyAnnotations(meta.GetExternalName(cr), remaining)); err != nil {
			return managed.ExternalUpdate{ConnectionDetails: details}, err
		}
	}
	if failed > 0 {
		return managed.ExternalUpdate{ConnectionDetails: details}, errors.Errorf("cannot end the rotated secrets of %s yet; the provider retries", joinRefs(remaining))
	}
	return managed.ExternalUpdate{ConnectionDetails: details}, nil
}

// oldSecretEnds says when the old secret stops working.
func (e *external) oldSecretEnds(cr Resource) string {
	if r := cr.KeyParameters().Rotation; r != nil && r.Overlap != nil {
		return "; the old secret keeps working for " + string(*r.Overlap)
	}
	return "; the old secret ends now"
}

// rotateStored asks Ory for a new secret of the current object and stores
// it, marked first (steps 1 to 3 above).
func (e *external) rotateStored(ctx context.Context, cr Resource) (managed.ConnectionDetails, error) {
	// Whatever would refuse the new secret's write refuses it now, before
	// Ory makes a secret that could not be stored.
	if err := e.records.dryRun(ctx, cr, false); err != nil {
		return nil, errors.Wrap(err, "the secret is not rotated")
	}
	mark, marked := common.ParseRotationMark(cr.GetAnnotations()[common.AnnotationRotating]), hasAnnotation(cr, common.AnnotationRotating)
	if !marked {
		mark = common.RotationMark{Since: e.now().UTC()}
	}
	if mark.Attempts >= maxRotateAttempts {
		// Each attempt whose secret never reached the Secret pushes the one
		// the Secret holds down Ory's list of rotated secrets, and Ory
		// keeps five: another could end the only working secret.
		return nil, errors.Errorf("%d rotations of %s %s since %s never stored their secret, and Ory keeps only %d old secrets: the provider stops rotating so that the secret the connection Secret holds keeps working. "+
			"Fix what kept the new secret from being stored (see the events), then remove the %s annotation to rotate again", mark.Attempts, e.kind.Name, e.observed.current.ID, mark.Since.Format(time.RFC3339), maxRotatedSecrets, common.AnnotationRotating)
	}
	mark.Attempts++
	v := mark.String()
	if err := patchAnnotations(ctx, e.kube, cr, map[string]*string{common.AnnotationRotating: &v}); err != nil {
		return nil, err
	}
	e.rotating = true
	// Look the extra details up first: nothing may stand between the new
	// secret and storing it.
	extra := e.details(ctx, e.observed.current.Parent)
	key, err := e.inPlace.RotateSecret(ctx, e.observed.current.Parent, e.observed.current.ID)
	if err != nil {
		if console.MayHaveCreated(err) {
			return nil, errors.Wrap(err, "the new secret may exist but never arrived; the old one still works, and the provider rotates again")
		}
		if patchAnnotations(ctx, e.kube, cr, map[string]*string{common.AnnotationRotating: nil}) == nil {
			e.rotating = false
		}
		return nil, err
	}
	details := e.withValue(key)
	for k, v := range extra {
		details[k] = v
	}
	if err := e.records.store(ctx, cr, details, stored{valueOf: ref(key), replaces: ref(key), trigger: trigger(cr.KeyParameters()), issuedAt: e.issuedAt()}, false); err != nil {
		// Nothing to undo: the old secret, which the Secret holds, still
		// works, and the next rotation ends the new one with it.
		return nil, errors.Wrap(err, "the new secret could not be stored; the old one still works, and the provider rotates again")
	}
	return details, nil
}

// stamp formats a moment for AnnotationRotating and AnnotationIssuedAt:
// RFC 3339 to the nanosecond, so that a rotation marked in the second of
// the previous store still reads as later than that store (issuedSince);
// to the second, a client created and rotated within one second looked,
// after a crash that lost the rotation's answer, as if the rotation had
// stored its secret. Readers parsing with time.RFC3339 accept the fraction.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// rotationMark is the value of AnnotationRotating for a rotation begun now.
func (e *external) rotationMark() string { return common.RotationMark{Since: e.now()}.String() }

// issuedSince says whether a secret issued at issued (the Secret's record;
// zero when it records none) was stored at or after the rotation marked
// mark (AnnotationRotating; a mangled mark counts as the beginning of
// time).
func issuedSince(issued time.Time, mark string) bool {
	since := common.ParseRotationMark(mark).Since
	return !issued.IsZero() && !issued.Before(since)
}

// recoverRotation resolves an interrupted rotation (AnnotationRotating
// found by the repair stage): a secret issued since the mark is in the
// Secret, so the rotation is recorded; otherwise the mark stays and Update
// rotates again.
func (e *external) recoverRotation(ctx context.Context, cr Resource) error {
	rec, err := e.records.read(ctx, cr)
	if err != nil {
		return err
	}
	current, _ := common.ParseRef(meta.GetExternalName(cr))
	if !rec.holds(current) || !issuedSince(rec.issuedAt, cr.GetAnnotations()[common.AnnotationRotating]) {
		return nil
	}
	r := common.RetiredKey{Ref: common.Ref{Parent: rec.valueOf.Parent, ID: current.ID}}
	if rot := cr.KeyParameters().Rotation; rot != nil && rot.Overlap != nil {
		r.NotBefore = overlapEnd(rec.issuedAt, rot.Overlap.Get())
	}
	retired := withRetired(retiredKeys(cr), r)
	a := keyAnnotations(meta.GetExternalName(cr), retired)
	a[common.AnnotationRotating] = nil
	if err := patchAnnotations(ctx, e.kube, cr, a); err != nil {
		return err
	}
	e.record.Event(cr, event.Normal("RecoveredRotation", "An interrupted rotation had stored the new secret of "+e.kind.Name+" "+current.ID+" in the connection Secret; the old secret ends at the end of the overlap"))
	return nil
}

// deleteRotated ends the rotated secrets of the resource's own object (a
// retired entry with its ID). Never while a rotation is marked: the Secret
// may still hold one of them.
func (e *external) deleteRotated(ctx context.Context, k common.Ref) error {
	if e.rotating && e.leaving {
		// The resource goes and leaves the client, whose Secret may hold
		// one of the rotated secrets: they stay, and the event says so.
		e.record.Event(e.mg, event.Warning("LeftRotatedSecrets", errors.New("A rotation of "+e.kind.Name+" "+k.ID+" was interrupted, so the connection Secret may hold one of its rotated secrets: the provider leaves them valid as it lets the resource go. Drop them in the Ory console (or with Ory's deleteRotatedOAuth2ClientSecrets) once nothing uses them")))
		return nil
	}
	if e.rotating {
		return errors.New("a rotation is in progress")
	}
	err := e.inPlace.DeleteRotatedSecrets(ctx, k.Parent, k.ID)
	if err != nil && e.parentGone(ctx, k.Parent, err) != "" {
		return nil
	}
	return err
}

// withRetired adds r to retired, in place of an entry for the same object:
// Ory ends every rotated secret of an object at once, so one entry, the
// latest end, stands for them all.
func withRetired(retired []common.RetiredKey, r common.RetiredKey) []common.RetiredKey {
	out := make([]common.RetiredKey, 0, len(retired)+1)
	for _, k := range retired {
		if !strings.EqualFold(k.ID, r.ID) {
			out = append(out, k)
		} else if k.NotBefore.After(r.NotBefore) {
			r.NotBefore = k.NotBefore
		}
	}
	return append(out, r)
}

// inPlaceDrift says what Update would do for an in-place kind, for the
// UpToDate condition.
func (e *external) inPlaceDrift() string {
	var parts []string
	if e.observed.update != "" {
		parts = append(parts, "it must be updated in place: "+e.observed.update)
	}
	if e.observed.replace != "" {
		parts = append(parts, "its secret must be rotated because "+e.observed.replace)
	}
	return strings.Join(parts, "; ")
}
