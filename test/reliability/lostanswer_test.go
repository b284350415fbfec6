package reliability

import (
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestCreateAnswerLost measures the one window no provider can close
// without an idempotency key in Ory's API: Ory creates a key, and the
// connection is cut before its answer, the only place the key's value ever
// appears, reaches the provider. The simulator's own drops strike before it
// acts, so the test's tap in front of it loses the answer instead.
//
// What the provider guarantees here: it does not resend the create (the
// transport resends a create only when it provably never left, or after a
// 429, which Ory answers before acting), the resource reports the failure
// and then converges on exactly one new key whose value is stored, nothing
// is lost, and each lost answer leaves exactly one orphaned key, named like
// the resource's key, whose value nobody has. docs/reliability.md describes
// the window and how to find such keys.
func TestCreateAnswerLost(t *testing.T) {
	ns := newNamespace(t, "lost-answer")
	lp := sim.AddProject(workspaceKey, "")
	t.Cleanup(func() { tap.loseAnswers(lp.ID, 0) })

	for _, s := range scopes {
		t.Run(s.name, func(t *testing.T) {
			name := ns + "-" + strings.ToLower(s.name)
			k := s.key(ns, strings.ToLower(s.name), common.ProjectAPIKeyParameters{Name: name})
			configFor(t, s, k, ns, strings.ToLower(s.name), map[string]string{"token": workspaceKey}, lp.ID)
			tap.loseAnswers(lp.ID, 1)
			create(t, k)
			stored := waitStored(t, k, lp)
			ev := waitWarning(t, k, "cannot create an API key")
			t.Logf("the lost answer was reported: %s: %s", ev.Reason, ev.Message)

			var orphans []orysim.Key
			for _, key := range sim.Keys(lp.ID) {
				if key.Name == name && key.ID != stored.ID {
					orphans = append(orphans, key)
				}
			}
			if len(orphans) != 1 {
				t.Fatalf("%d keys named %q besides the stored one, want exactly one orphan for the one lost answer", len(orphans), name)
			}
			if orphans[0].CreatedAt.After(stored.CreatedAt) {
				t.Error("the orphan is newer than the stored key: the create was resent after the provider had the value")
			}
			if got := meta.GetExternalName(k); strings.Contains(got, orphans[0].ID) {
				t.Errorf("the resource manages the orphan %s", got)
			}
			t.Logf("lost answer: key %s/%s orphaned (named %q, value never received); the resource stored key %s", lp.ID, orphans[0].ID, name, stored.ID)
		})
	}
}
