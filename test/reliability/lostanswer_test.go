package reliability

import (
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestCreateAnswerLost covers, for every key kind, the window no provider
// can close with Ory's API alone: Ory creates a key, and its answer, the only place the key's
// value ever appears, does not reach the provider whole. The simulator
// serves the create and then cuts its answer (orysim.CutAnswers) at each
// point a network or a proxy can: before the status line, after the
// headers, in the middle of the body; or it answers without the value.
//
// What the provider does: it does not resend the create (the transport
// resends a create only when it provably never left, or after a 429, which
// Ory answers before acting); it takes any create outcome that is neither a
// decoded answer with a value nor Ory's refusal for "Ory may have made the
// key", looks at once for a key of that name made since the attempt that no
// resource knows, and deletes it; the resource reports the failure and then
// converges on exactly one key whose value is stored. Nothing is lost and
// nothing is left behind.
func TestCreateAnswerLost(t *testing.T) {
	t.Parallel()
	ns := h.NewNamespace(t, "lost-answer")
	cases := map[string]struct {
		reason string
		at     orysim.AnswerCut
	}{
		"BeforeHeaders": {reason: "The connection closes after Ory acted and before a byte of its answer: the provider sees a network error.", at: orysim.CutBeforeHeaders},
		"AfterHeaders":  {reason: "201 Created and its headers arrive, the body never: a success status without a key.", at: orysim.CutAfterHeaders},
		"MidBody":       {reason: "Half the JSON arrives, perhaps half the value: nothing the provider may use.", at: orysim.CutMidBody},
		"WithoutValue":  {reason: "A whole, valid answer without the value: the key exists and nobody can ever have its value.", at: orysim.OmitValue},
	}
	for _, kind := range testkit.Kinds {
		for cname, tc := range cases {
			for _, s := range testkit.Scopes {
				t.Run(kind.Name+"/"+cname+"/"+string(s), func(t *testing.T) {
					t.Parallel()
					// A parent of the case's own: a project of the shared
					// workspace, or a workspace (whose own API key the
					// config uses, and which no resource manages).
					var parent, credential, inSpec, projectID string
					wk := workspaceKey
					if kind.Name == testkit.WorkspaceAPIKey.Name {
						wk = newWorkspaceKey("lost answer " + cname + " " + string(s))
						ws := sim.AddWorkspace(wk)
						parent, credential, inSpec = ws.ID, ws.KeyID, ws.ID
					} else {
						parent = sim.AddProject(workspaceKey, "").ID
						projectID = parent
					}
					res := strings.ToLower(kind.Name + "-" + cname + "-" + string(s))
					name := ns + "-" + res
					// A project key takes its project from the config, a
					// workspace key names its workspace.
					k := kind.New(s, ns, res, common.KeyParameters{Name: name}, inSpec)
					h.ConfigFor(t, k, ns, res, map[string]string{"token": wk}, projectID)
					sim.CutAnswers(kind.CreateOp, parent, 1, tc.at)
					t.Cleanup(func() { sim.CutAnswers(kind.CreateOp, parent, 0, "") })
					start := time.Now()
					h.Create(t, k)
					stored := h.WaitStored(t, k, parent)
					ev := h.WaitWarning(t, k, "cannot create an API key")
					t.Logf("the cut answer (%s) was reported: %s: %s", tc.at, ev.Reason, ev.Message)
					if !strings.Contains(ev.Message, "deleted them") {
						t.Errorf("%s\nthe event does not say the key Ory made anyway was deleted: %s", tc.reason, ev.Message)
					}
					if !strings.HasPrefix(stored.Value, kind.ValuePrefix) {
						t.Errorf("the stored key's value does not start with %s", kind.ValuePrefix)
					}

					c := testkit.Counters{Kind: kind.Name, Keys: 1}
					creates := 0
					for _, e := range requestsTo(parent, start.Add(-time.Second), time.Now().Add(time.Second)) {
						if e.Fault == string(tc.at) {
							c.Faults++
						}
						if e.Operation == kind.CreateOp {
							creates++
						}
					}
					for _, key := range kind.KeysIn(sim, parent) {
						switch {
						case key.ID == stored.ID, key.ID == credential:
						case key.Name == name:
							c.Duplicates++
						default:
							c.Leaked++
						}
					}
					report.Add(c)
					if c.Faults != 1 {
						t.Errorf("%s\nthe simulator cut %d answers, want 1", tc.reason, c.Faults)
					}
					if c.Duplicates+c.Leaked != 0 {
						t.Errorf("%s\n%d keys in the %s besides the stored one: the key of the cut answer was left in Ory", tc.reason, c.Duplicates+c.Leaked, kind.Parent.Noun)
					}
					// The cut create and the one after the recovery; a third
					// would be a resent create or a second recovery.
					if creates != 2 {
						t.Errorf("%s\n%d creates reached Ory, want 2 (the cut one, and one once its key was deleted)", tc.reason, creates)
					}
					if got := meta.GetExternalName(k); got != stored.ID {
						t.Errorf("%s\nthe resource manages %s, want the stored key %s", tc.reason, got, stored.ID)
					}
				})
			}
		}
	}
}
