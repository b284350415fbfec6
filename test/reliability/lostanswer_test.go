package reliability

import (
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestCreateAnswerLost covers the window no provider can close with Ory's
// API alone: Ory creates a key, and the connection is cut before its answer,
// the only place the key's value ever appears, reaches the provider. The
// simulator's own drops strike before it acts, so the test's tap in front of
// it loses the answer instead.
//
// What the provider does: it does not resend the create (the transport
// resends a create only when it provably never left, or after a 429, which
// Ory answers before acting); it looks at once for a key of that name made
// since the attempt that no resource knows, and deletes it; the resource
// reports the failure and then converges on exactly one key whose value is
// stored. Nothing is lost and nothing is left behind.
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
			if !strings.Contains(ev.Message, "deleted them") {
				t.Errorf("the event does not say the key Ory made anyway was deleted: %s", ev.Message)
			}

			var orphans []orysim.Key
			for _, key := range sim.Keys(lp.ID) {
				if key.Name == name && key.ID != stored.ID {
					orphans = append(orphans, key)
				}
			}
			if len(orphans) != 0 {
				t.Fatalf("%d keys named %q besides the stored one: the key of the lost answer was left in Ory", len(orphans), name)
			}
			if got := meta.GetExternalName(k); got != stored.ID {
				t.Errorf("the resource manages %s, want the stored key %s", got, stored.ID)
			}
		})
	}
}
