package engine

import (
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	corev1 "k8s.io/api/core/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
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

// stubInPlace makes external an in-place kind's; the test calls none of
// its methods.
type stubInPlace struct{ config.InPlaceAPI }

// TestRotationMarkAgainstStore checks the times the provider writes for an
// in-place kind (the issue time of a store, AnnotationIssuedAt, and the
// rotation mark, AnnotationRotating) as recoverRotation reads them back:
// a secret counts as the interrupted rotation's only if it was stored at
// or after the mark. Found by test/crash TestCrashOAuth2Client (rotation,
// answer lost): a client created and rotated within one second read, after
// the crash, as if the lost rotation had stored its secret; the provider
// recorded a rotation that had not happened and then dropped the rotated
// secrets, among them the one the Secret held.
func TestRotationMarkAgainstStore(t *testing.T) {
	stored := time.Date(2026, 11, 30, 12, 0, 0, 100_000_000, time.UTC)
	cases := []struct {
		name string
		why  string
		mark time.Time
		want bool
	}{
		{name: "MarkedLaterInTheSameSecond", why: "the previous secret stored at .100, the rotation marked at .400: the Secret holds the old secret, the rotation stored nothing",
			mark: stored.Add(300 * time.Millisecond), want: false},
		{name: "MarkedInTheNextSecond", why: "the rotation marked a second after the store: nothing stored since",
			mark: stored.Add(time.Second), want: false},
		{name: "StoredAfterTheMarkInTheSameSecond", why: "the rotation's own store, 200 ms after its mark",
			mark: stored.Add(-200 * time.Millisecond), want: true},
		{name: "StoredInTheSecondAfterTheMark", why: "the rotation's own store, in the second after its mark",
			mark: stored.Add(-900 * time.Millisecond), want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at := func(now time.Time) *external {
				return &external{inPlace: stubInPlace{}, now: func() time.Time { return now }}
			}
			mark := at(tc.mark).rotationMark()
			issued := recordedIssuedAt(t, at(stored).issuedAt())
			if got := issuedSince(issued, mark); got != tc.want {
				t.Errorf("issuedSince(%s, mark %q) = %v, want %v (%s)", issued.Format(time.RFC3339Nano), mark, got, tc.want, tc.why)
			}
		})
	}
}

// recordedIssuedAt is an issue time as a store writes it to the Secret and
// records.read parses it back.
func recordedIssuedAt(t *testing.T, at time.Time) time.Time {
	t.Helper()
	s := &corev1.Secret{}
	meta.AddAnnotations(s, map[string]string{common.AnnotationIssuedAt: stamp(at)})
	got, err := time.Parse(time.RFC3339, s.GetAnnotations()[common.AnnotationIssuedAt])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestOverlapEnd checks the moment an overlap ends as the retired entry
// records it (to the second): never before the overlap has passed. Found by
// test/crash TestCrashOAuth2Client (rotation, answer lost): an old secret
// ended 4.6 s after the new one was stored, with an overlap of 5 s, since
// the end was truncated to the second.
func TestOverlapEnd(t *testing.T) {
	overlap := 5 * time.Second
	stored := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		why  string
		at   time.Time
	}{
		{name: "WholeSecond", why: "stored on a whole second: the end is exact", at: stored},
		{name: "WithinASecond", why: "stored at .600: truncating would end the overlap 600 ms early", at: stored.Add(600 * time.Millisecond)},
		{name: "JustAfterASecond", why: "stored 1 ns after a whole second", at: stored.Add(time.Nanosecond)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := common.RetiredKey{Ref: common.Ref{Parent: "3f2c1b8e-0d7a-4c1e-9b6f-2a4d5e6f7a8b", ID: "8c0d9e1f-2a3b-4c5d-8e6f-7a8b9c0d1e2f"}, NotBefore: overlapEnd(tc.at, overlap)}
			got := common.ParseRetiredKeys(r.String())
			if len(got) != 1 {
				t.Fatalf("cannot read back %q: %v", r.String(), got)
			}
			if end := got[0].NotBefore; end.Before(tc.at.Add(overlap)) || !end.Before(tc.at.Add(overlap+time.Second)) {
				t.Errorf("the overlap of a secret stored at %s ends at %s, want within a second from %s (%s)",
					tc.at.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano), tc.at.Add(overlap).Format(time.RFC3339Nano), tc.why)
			}
		})
	}
}
