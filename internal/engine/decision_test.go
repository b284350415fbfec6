package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// TestReplaceReason is the table of the engine's one decision about a key
// that exists: whether it matches the spec, and if not, why it is replaced.
func TestReplaceReason(t *testing.T) {
	const parent, other = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	in := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	key := func(mutate ...func(*console.Key)) *console.Key {
		k := &console.Key{ID: "k1", Parent: parent, Name: "payments"}
		for _, m := range mutate {
			m(k)
		}
		return k
	}
	spec := func(mutate ...func(*common.KeyParameters)) desired {
		p := &common.KeyParameters{Name: "payments"}
		for _, m := range mutate {
			m(p)
		}
		return desired{params: p, parent: parent, noun: "workspace"}
	}
	rotation := func(r common.Rotation) func(*common.KeyParameters) {
		return func(p *common.KeyParameters) { p.Rotation = &r }
	}
	type want struct {
		Reason   string
		Rotation bool
	}
	cases := map[string]struct {
		reason string
		want   desired
		key    *console.Key
		rec    record
		out    want
	}{
		"InSync": {
			reason: "A key as the spec declares it is left alone.",
			want:   spec(),
			key:    key(),
		},
		"Renamed": {
			reason: "Ory cannot rename a key: a new name means a new key.",
			want:   spec(func(p *common.KeyParameters) { p.Name = "payments-v2" }),
			key:    key(),
			out:    want{Reason: "its name changed"},
		},
		"MovedParent": {
			reason: "A key cannot move to another parent; the reason names the kind's parent.",
			want:   desired{params: &common.KeyParameters{Name: "payments"}, parent: other, noun: "workspace"},
			key:    key(),
			out:    want{Reason: "its workspace changed"},
		},
		"ParentCaseDiffers": {
			reason: "UUIDs compare without case: Ory and the spec may spell one differently.",
			want:   desired{params: &common.KeyParameters{Name: "payments"}, parent: "5D4C3B2A-1F0E-4D9C-8B7A-6F5E4D3C2B1A", noun: "project"},
			key:    key(),
		},
		"ExpiryChanged": {
			reason: "A new expiry means a new key.",
			want:   spec(func(p *common.KeyParameters) { p.ExpiresAt = &metav1.Time{Time: now.Add(time.Hour)} }),
			key:    key(),
			out:    want{Reason: "its expiry changed"},
		},
		"ExpiryWithinTheSecond": {
			reason: "Ory keeps expiries to the second: a fraction is no change.",
			want: spec(func(p *common.KeyParameters) {
				p.ExpiresAt = &metav1.Time{Time: now.Add(time.Hour + 300*time.Millisecond)}
			}),
			key: key(func(k *console.Key) { k.ExpiresAt = in(time.Hour) }),
		},
		"TriggerChanged": {
			reason: "A trigger other than the one the key was made for rotates it.",
			want:   spec(rotation(common.Rotation{Trigger: "b"})),
			key:    key(),
			rec:    record{valueOf: common.Ref{Parent: parent, ID: "k1"}, trigger: "a"},
			out:    want{Reason: "spec.forProvider.rotation.trigger changed", Rotation: true},
		},
		"TriggerOfAnotherKey": {
			reason: "The record's trigger counts only for the key whose value it holds: an imported key has none.",
			want:   spec(rotation(common.Rotation{Trigger: "a"})),
			key:    key(),
			rec:    record{valueOf: common.Ref{Parent: parent, ID: "k0"}, trigger: "a"},
			out:    want{Reason: "spec.forProvider.rotation.trigger changed", Rotation: true},
		},
		"DueForRotation": {
			reason: "A key within renewBefore of its expiry is rotated.",
			want:   spec(rotation(common.Rotation{Lifetime: common.NewDuration(24 * time.Hour), RenewBefore: common.NewDuration(2 * time.Hour)})),
			key:    key(func(k *console.Key) { k.ExpiresAt = in(time.Hour) }),
			out:    want{Reason: "it is due for rotation", Rotation: true},
		},
		"NotDueYet": {
			reason: "A key further from its expiry than renewBefore stays.",
			want:   spec(rotation(common.Rotation{Lifetime: common.NewDuration(24 * time.Hour), RenewBefore: common.NewDuration(2 * time.Hour)})),
			key:    key(func(k *console.Key) { k.ExpiresAt = in(3 * time.Hour) }),
		},
		"DefaultRenewBefore": {
			reason: "Without renewBefore a key is rotated a third of its lifetime ahead of its expiry.",
			want:   spec(rotation(common.Rotation{Lifetime: common.NewDuration(30 * time.Hour)})),
			key:    key(func(k *console.Key) { k.ExpiresAt = in(9 * time.Hour) }),
			out:    want{Reason: "it is due for rotation", Rotation: true},
		},
		"NoExpiryUnderRotation": {
			reason: "A key that never expires is brought under rotation at once.",
			want:   spec(rotation(common.Rotation{Lifetime: common.NewDuration(24 * time.Hour)})),
			key:    key(),
			out:    want{Reason: "it is due for rotation", Rotation: true},
		},
		"NameBeforeRotation": {
			reason: "A rename is reported as a rename, not a rotation, when both apply.",
			want:   spec(func(p *common.KeyParameters) { p.Name = "new" }, rotation(common.Rotation{Trigger: "b"})),
			key:    key(),
			out:    want{Reason: "its name changed"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, rot := replaceReason(tc.want, tc.key, tc.rec, now)
			if diff := cmp.Diff(tc.out, want{Reason: r, Rotation: rot}); diff != "" {
				t.Errorf("%s\nreplaceReason(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
