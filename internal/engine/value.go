package engine

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// The life of a stored value after it was stored: a connection Secret that
// moved (a new spec.writeConnectionSecretToRef), one deleted or emptied out
// of band, and one kept from a deleted resource whose key is gone since.

// settleStoredIn records that the connection Secret named by the spec holds
// the value of the resource's key. After a move it also deletes the old copy,
// once the new Secret holds the value.
func (e *external) settleStoredIn(ctx context.Context, cr Resource, key *console.Key) error {
	nn, _ := connectionSecret(cr)
	where := cr.GetAnnotations()[common.AnnotationValueStoredIn]
	if where == nn.String() {
		return nil
	}
	if where != "" {
		if err := e.deleteOldCopy(ctx, cr, where, ref(*key)); err != nil {
			return err
		}
	}
	return patchAnnotations(ctx, e.kube, cr, map[string]*string{common.AnnotationValueStoredIn: ptr(nn.String())})
}

// recoverValue handles a key whose value the resource once stored in the
// Secret where, and that the Secret the spec names does not hold now. Only a
// Secret read from the API server counts: a missing one is NotFound, not a
// read error or a cache that lags, so a restart never gets here by itself.
//
//   - where is another Secret that still holds the value: the spec moved the
//     Secret. The value is written to the new one, then the old copy deleted.
//   - otherwise the value is lost (the Secret was deleted, or its value
//     removed): nobody can get it from Ory again, so the key is replaced,
//     create before destroy, with the rotation overlap if one is set.
func (e *external) recoverValue(ctx context.Context, cr Resource, key *console.Key, rec record, where string) error {
	nn, _ := connectionSecret(cr)
	if where != nn.String() {
		old, err := e.readOldCopy(ctx, cr, where, ref(*key))
		if err != nil {
			return err
		}
		if old != nil {
			details := map[string][]byte{}
			for k, v := range old.Data {
				details[k] = v
			}
			replaces, _ := common.ParseRef(old.GetAnnotations()[common.AnnotationReplaces])
			if err := e.records.write(ctx, cr, details, ref(*key), replaces, old.GetAnnotations()[common.AnnotationTrigger]); err != nil {
				return err
			}
			if err := e.settleStoredIn(ctx, cr, key); err != nil {
				return err
			}
			cr.SetConditions(e.valueStored())
			e.record.Event(cr, event.Normal("MovedConnectionSecret", "Moved the value of key "+ref(*key).String()+" from Secret "+where+" to "+nn.String()+", as spec.writeConnectionSecretToRef now names it, and deleted the old copy"))
			return nil
		}
	}
	msg := "connection Secret " + where + " no longer holds the value of key " + ref(*key).String() + " (it was deleted, or its value removed); Ory never returns a key's value again"
	if e.may(cr).update {
		e.observed.valueLost = "the value stored in Secret " + where + " is gone"
		msg += ", so the provider replaces the key with a new one, whose value it stores"
	} else {
		msg += "; the management policies do not allow Update, so the provider does not replace the key: add Update to spec.managementPolicies, or name a Secret holding the value in spec.forProvider.importValueFrom"
	}
	e.valueUnknown(cr, common.ReasonValueLost, msg)
	return nil
}

// readOldCopy returns the Secret where (namespace/name) if it still holds the
// value of key k for this resource, or nil.
func (e *external) readOldCopy(ctx context.Context, cr Resource, where string, k common.Ref) (*corev1.Secret, error) {
	ns, name, ok := strings.Cut(where, "/")
	if !ok {
		return nil, nil
	}
	s := &corev1.Secret{}
	if err := e.records.reader.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
		if kerrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, errors.Wrapf(err, "cannot read former connection Secret %s", where)
	}
	valueOf, _ := common.ParseRef(s.GetAnnotations()[common.AnnotationValueOf])
	if c := metav1.GetControllerOf(s); c == nil || c.UID != cr.GetUID() || !strings.EqualFold(valueOf.ID, k.ID) || len(e.records.valueIn(s)) == 0 {
		return nil, nil
	}
	return s, nil
}

// deleteOldCopy deletes the former connection Secret where, if it is this
// resource's and holds the value of k: the value lives in one place.
func (e *external) deleteOldCopy(ctx context.Context, cr Resource, where string, k common.Ref) error {
	old, err := e.readOldCopy(ctx, cr, where, k)
	if err != nil || old == nil {
		return err
	}
	e.records.forget(client.ObjectKeyFromObject(old))
	return errors.Wrapf(resource.IgnoreNotFound(e.kube.Delete(ctx, old, client.Preconditions{UID: ptr(old.GetUID()), ResourceVersion: ptr(old.GetResourceVersion())})),
		"cannot delete former connection Secret %s", where)
}

// takeOverKeptSecret lets the resource use a connection Secret that was kept
// for a key left in Ory by another resource's deletion, once Ory shows that
// key is gone: the value it keeps then opens nothing. While the key exists,
// the Secret stays refused.
func (e *external) takeOverKeptSecret(ctx context.Context, cr Resource, kept *keptSecretError) (record, error) {
	if kept.valueOf.Parent == "" || e.allowed(kept.valueOf.Parent) != nil {
		return record{}, kept
	}
	k, err := e.find(ctx, kept.valueOf)
	if err != nil {
		return record{}, errors.Wrapf(err, "cannot check whether key %s, whose value Secret %s keeps, still exists", kept.valueOf, kept.secret)
	}
	if k != nil {
		return record{}, kept
	}
	s := &corev1.Secret{}
	s.SetNamespace(kept.secret.Namespace)
	s.SetName(kept.secret.Name)
	patch := []byte(`{"metadata":{"annotations":{"` + common.AnnotationKeptFrom + `":null,"` + common.AnnotationValueOf + `":null,"` + common.AnnotationReplaces + `":null,"` + common.AnnotationTrigger + `":null}}}`)
	e.records.forget(kept.secret)
	if err := e.kube.Patch(ctx, s, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return record{}, errors.Wrapf(err, "cannot take over connection Secret %s", kept.secret)
	}
	e.record.Event(cr, event.Normal("TookOverKeptSecret", "Connection Secret "+kept.secret.String()+" was kept for key "+kept.valueOf.String()+", which no longer exists in Ory; this resource uses it now"))
	return record{}, nil
}

// valueShapeProblem says how v differs from an API key as Ory issues them
// (prefix, such as "ory_pat_", then letters and digits: ory/client-go's
// documentation and every key the console has shown), or "" when it does
// not.
// minSecret is the shortest client_secret Ory accepts (oAuth2Client,
// client_secret: "at least 6 bytes").
const minSecret = 6

func valueShapeProblem(prefix, v string) string {
	const minBody = 16
	if prefix == "" {
		// A secret of the caller's choosing (an OAuth2 client's): Ory asks
		// only for a length.
		if len(v) < minSecret {
			return "is shorter than the 6 bytes Ory requires of a secret"
		}
		return ""
	}
	body, ok := strings.CutPrefix(v, prefix)
	switch {
	case !ok:
		return "does not start with " + prefix
	case strings.IndexFunc(body, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	}) >= 0:
		return "has characters other than letters and digits after " + prefix
	case len(body) < minBody:
		return "is shorter than any key Ory issues"
	}
	return ""
}

// claimedElsewhere returns an error naming another resource, of either scope,
// that manages key k (as its key, or one it still has to delete) and came
// first. Each key has one manager: two would delete or replace it under each
// other, and workloads would be left with a dead value.
func (e *external) claimedElsewhere(ctx context.Context, cr Resource, k common.Ref) error {
	var holder Resource
	err := e.forEachKeyResource(ctx, func(o Resource) {
		if o.GetUID() == cr.GetUID() || !manages(o, k) || !firstOf(o, cr) {
			return
		}
		if holder == nil || firstOf(o, holder) {
			holder = o
		}
	})
	if err != nil || holder == nil {
		return err
	}
	where := holder.GetName()
	if ns := holder.GetNamespace(); ns != "" {
		where = ns + "/" + where
	}
	gvk, _ := e.kube.GroupVersionKindFor(holder)
	kind := e.kind.Name + "." + gvk.Group
	return errors.Errorf("key %s is already managed by %s %s: one key has one manager. Remove the crossplane.io/external-name annotation to have this resource create a key of its own, or delete this resource", k, kind, where)
}

// manages reports whether o names key k as its key or as a key to delete.
func manages(o Resource, k common.Ref) bool {
	if r, err := common.ParseRef(meta.GetExternalName(o)); err == nil && strings.EqualFold(r.ID, k.ID) {
		return true
	}
	for _, r := range retiredKeys(o) {
		if strings.EqualFold(r.ID, k.ID) {
			return true
		}
	}
	return false
}

// firstOf reports whether a's claim on a key comes before b's: a resource
// that stored the value of its key before one that did not (the one that
// made the key, or imported its value), then the older (creation times have
// second precision), then by UID, so that of two claims the same one always
// wins.
func firstOf(a, b Resource) bool {
	if sa, sb := valueStoredIn(a) != "", valueStoredIn(b) != ""; sa != sb {
		return sa
	}
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		return ta.Before(&tb)
	}
	return a.GetUID() < b.GetUID()
}

// retiredLeft reports whether any key the resource replaced and still has to
// delete exists in Ory.
func (e *external) retiredLeft(ctx context.Context, cr Resource) (bool, error) {
	for _, r := range retiredKeys(cr) {
		if e.allowed(r.Parent) != nil {
			return true, nil
		}
		k, err := e.find(ctx, r.Ref)
		if err != nil {
			return false, err
		}
		if k != nil {
			return true, nil
		}
	}
	return false, nil
}

// keyMissing is the Ready condition of a resource whose key is not in Ory.
func keyMissing(k common.Ref) xpv2.Condition {
	c := xpv2.Unavailable().WithMessage("key " + k.String() + " does not exist in Ory: it was deleted there, or the crossplane.io/external-name annotation names no key. A resource that may create keys makes a new one; an Observe-only resource stays not Ready")
	c.Reason = common.ReasonKeyNotFound
	return c
}

// reportDrift sets the UpToDate condition: a key that differs from the spec
// while the policies keep the provider from replacing it says so, instead of
// staying silently Synced.
func (e *external) reportDrift(cr Resource) {
	if e.observed.replace == "" && e.observed.update == "" {
		cr.SetConditions(xpv2.Condition{Type: common.TypeUpToDate, Status: corev1.ConditionTrue, Reason: common.ReasonInSync, LastTransitionTime: metav1.Now()})
		return
	}
	msg := "the key must be replaced because " + e.observed.replace
	if e.inPlace != nil {
		msg = e.inPlaceDrift()
	}
	if e.may(cr).update {
		msg += "; the provider replaces it"
	} else {
		msg += ", but the management policies do not allow Update: the provider leaves the key as it is (add Update to spec.managementPolicies to replace it)"
		if e.inPlace != nil {
			msg = e.inPlaceDrift() + ", but the management policies do not allow Update: the provider leaves it as it is (add Update to spec.managementPolicies to let it act)"
		}
	}
	cr.SetConditions(xpv2.Condition{Type: common.TypeUpToDate, Status: corev1.ConditionFalse, Reason: common.ReasonDrifted, Message: msg, LastTransitionTime: metav1.Now()})
}
