package engine

import (
	"testing"
	"time"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

func TestRotateReason(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	created := now.Add(-48 * time.Hour)
	obj := &console.Key{ID: "c1", CreatedAt: &created}
	day := common.Duration("24h")
	hour := common.Duration("1h")
	held := record{valueOf: common.Ref{ID: "c1"}, hasValue: true, trigger: "a", issuedAt: now.Add(-2 * time.Hour)}
	cases := []struct {
		name string
		why  string
		p    common.KeyParameters
		rec  record
		want string
	}{
		{name: "NoRotation", why: "without a rotation block nothing but a lost secret rotates",
			p: common.KeyParameters{Name: "renamed"}, rec: held},
		{name: "SameTrigger", why: "the recorded trigger is the spec's: no rotation",
			p: common.KeyParameters{Rotation: &common.Rotation{Trigger: "a"}}, rec: held},
		{name: "NewTrigger", why: "a changed trigger rotates once",
			p: common.KeyParameters{Rotation: &common.Rotation{Trigger: "b"}}, rec: held, want: "spec.forProvider.rotation.trigger changed"},
		{name: "TriggerOfAnotherObject", why: "a record of another client's secret says nothing of this one's trigger",
			p: common.KeyParameters{Rotation: &common.Rotation{Trigger: "a"}}, rec: record{valueOf: common.Ref{ID: "c2"}, trigger: "a"}, want: "spec.forProvider.rotation.trigger changed"},
		{name: "LifetimeNotDue", why: "issued 2h ago with a 24h lifetime",
			p: common.KeyParameters{Rotation: &common.Rotation{Trigger: "a", Lifetime: &day}}, rec: held},
		{name: "LifetimeDue", why: "issued 2h ago with a 1h lifetime",
			p: common.KeyParameters{Rotation: &common.Rotation{Trigger: "a", Lifetime: &hour}}, rec: held, want: "it is due for rotation"},
		{name: "LifetimeFromCreation", why: "no issue time recorded (an import): the client's creation 48h ago counts, so a 24h lifetime is due",
			p: common.KeyParameters{Rotation: &common.Rotation{Lifetime: &day}}, rec: record{}, want: "it is due for rotation"},
		{name: "RenewBefore", why: "renewBefore brings the rotation forward: 24h lifetime less 23h is due 1h after issue",
			p: common.KeyParameters{Rotation: &common.Rotation{Trigger: "a", Lifetime: &day, RenewBefore: ptr(common.Duration("23h"))}}, rec: held, want: "it is due for rotation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := rotateReason(&tc.p, obj, tc.rec, now); got != tc.want {
				t.Errorf("rotateReason = %q, want %q (%s)", got, tc.want, tc.why)
			}
		})
	}
}

func TestWithRetired(t *testing.T) {
	t1 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	c1 := common.Ref{Parent: "p", ID: "c1"}
	c2 := common.Ref{Parent: "p", ID: "c2"}
	cases := []struct {
		name    string
		why     string
		retired []common.RetiredKey
		add     common.RetiredKey
		want    []common.RetiredKey
	}{
		{name: "First", why: "a first rotation adds its entry",
			add: common.RetiredKey{Ref: c1, NotBefore: t1}, want: []common.RetiredKey{{Ref: c1, NotBefore: t1}}},
		{name: "LaterEndWins", why: "Ory ends every rotated secret at once: one entry, the latest end, so no old secret loses its overlap",
			retired: []common.RetiredKey{{Ref: c1, NotBefore: t2}}, add: common.RetiredKey{Ref: c1, NotBefore: t1}, want: []common.RetiredKey{{Ref: c1, NotBefore: t2}}},
		{name: "Replaced", why: "a later end replaces an earlier one",
			retired: []common.RetiredKey{{Ref: c1, NotBefore: t1}}, add: common.RetiredKey{Ref: c1, NotBefore: t2}, want: []common.RetiredKey{{Ref: c1, NotBefore: t2}}},
		{name: "OtherObjectsKept", why: "entries of other objects are not touched",
			retired: []common.RetiredKey{{Ref: c2}}, add: common.RetiredKey{Ref: c1, NotBefore: t1}, want: []common.RetiredKey{{Ref: c2}, {Ref: c1, NotBefore: t1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := withRetired(tc.retired, tc.add)
			if len(got) != len(tc.want) {
				t.Fatalf("withRetired = %v, want %v (%s)", got, tc.want, tc.why)
			}
			for i := range got {
				if got[i].String() != tc.want[i].String() {
					t.Errorf("withRetired = %v, want %v (%s)", got, tc.want, tc.why)
				}
			}
		})
	}
}
