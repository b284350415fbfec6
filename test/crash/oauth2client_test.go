package crash

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// clientOverlap is the rotation overlap of TestCrashOAuth2Client's
// clients; overlapSlack is how much longer an old secret may work after
// the overlap ended: the provider drops rotated secrets at its next
// reconcile (the poll, 2 s, may be up to twice away), and the issue time it
// records is truncated to the second.
const (
	clientOverlap = 5 * time.Second
	overlapSlack  = 2*pollInterval + 2*time.Second
)

// TestCrashOAuth2Client kills the provider with SIGKILL once at each moment
// of an OAuth2Client's create and of a rotation of its secret, in both
// scopes, and starts it again while the crash's leftovers are checked:
//
//   - create, answer lost (tap): Ory made the client, nobody got its
//     secret;
//   - create, before the external name (kill hook): the secret is stored in
//     the connection Secret, the resource does not name the client;
//   - rotation, answer lost (tap): Ory made a new secret nobody has, the
//     old one (which the Secret holds) still works;
//   - rotation, before its record (kill hook): the new secret is stored,
//     the rotated secrets' end is not recorded and the mark is still on.
//
// After the restart each client must be Ready with exactly one client in
// Ory (a client whose secret was lost deleted), the Secret's secret must
// work at Ory, a rotation must keep the same client, the old secret must
// work until the overlap ends and then, as every lost secret, no more
// (within overlapSlack of the overlap's end). The test reports how long
// each case took to settle after the restart, and how long old and lost
// secrets lived after the new one was stored.
func TestCrashOAuth2Client(t *testing.T) {
	start := time.Now()
	t.Cleanup(func() { logProviderOnFailure(t) })
	w := newWorld(t, "oacrash")
	w.clientConfigs(t)
	startHook(t)
	inspectKills(t, w.inspectClients)

	cases := []struct {
		scope  testkit.Scope
		rotate bool
		stage  stage
		// why the case exists.
		why string
	}{
		{testkit.Namespaced, false, answerLost, "Ory made the client and nobody has its secret: the recovery deletes it and creates another"},
		{testkit.Cluster, false, answerLost, "the same for the cluster scope"},
		{testkit.Namespaced, false, beforeExternalName, "the secret is stored, the resource does not name the client: the recovery adopts the client the Secret holds"},
		{testkit.Cluster, false, beforeExternalName, "the same for the cluster scope"},
		{testkit.Namespaced, true, answerLost, "a new secret nobody has: the old one still works, the provider rotates again and the lost one ends with the old"},
		{testkit.Cluster, true, answerLost, "the same for the cluster scope"},
		{testkit.Namespaced, true, beforeRotationRecord, "the new secret is stored, its rotation not recorded: the recovery records it from the Secret's issue time"},
		{testkit.Cluster, true, beforeRotationRecord, "the same for the cluster scope"},
	}
	counters := testkit.Counters{Kind: oauth2ClientKind}
	var figures []string
	for i, c := range cases {
		op := "create"
		if c.rotate {
			op = "rotation"
		}
		t.Run(fmt.Sprintf("%s/%s/%s", op, c.stage, c.scope), func(t *testing.T) {
			f := w.crashClient(t, i, c.scope, c.rotate, c.stage)
			counters.Kills++
			counters.Keys++
			t.Logf("%s (%s): %s", t.Name(), c.why, f)
			figures = append(figures, fmt.Sprintf("%s %s %s: %s", op, c.stage, c.scope, f))
		})
	}

	// The invariants over the world's clients, once every case settled.
	s, err := testkit.TakeClients(t.Context(), env.Client, env.Sim, w.ns, w.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	inv := s.Invariants(testkit.ClientRules{})
	counters.Leaked, counters.Lost, counters.Duplicates, counters.Incomplete = inv.Leaked, inv.Lost, inv.Duplicates, inv.Incomplete
	report.Add(counters)
	t.Logf("oacrash: clients=%d kills=%d in %s; leaked=%d lost=%d duplicates=%d incomplete=%d\n%s",
		len(s.Clients), counters.Kills, time.Since(start).Round(time.Second), inv.Leaked, inv.Lost, inv.Duplicates, inv.Incomplete, strings.Join(figures, "\n"))
	if inv.Leaked+inv.Lost+inv.Duplicates+inv.Incomplete != 0 {
		t.Errorf("after every case settled:\n%s", strings.Join(inv.Problems, "\n"))
	}
}

// oauth2ClientKind is the kind's name in the reliability line.
const oauth2ClientKind = "OAuth2Client"

// clientConfigName names the ProviderConfigs of a world's OAuth2Clients
// (the cluster-scoped one <ns>-clients).
const clientConfigName = "clients"

// clientConfigs writes, in the world's namespace, what a ProjectAPIKey's
// connection Secret would be for a fresh key of the world's project (value,
// projectID, and the apiURL of the project's API behind the tap), and a
// ProviderConfig of each scope whose projectCredentials name it.
func (w *world) clientConfigs(t *testing.T) {
	t.Helper()
	key, err := env.Sim.CreateKey(orysim.KeySpec{Project: w.project.ID, Name: w.ns + "-client-manager"})
	if err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "project-key"}, Data: map[string][]byte{
		common.ConnectionKeyValue:     []byte(key.Value),
		common.ConnectionKeyProjectID: []byte(w.project.ID),
		common.ConnectionKeyAPIURL:    []byte(orysim.ProjectAPIURL(tapURL, w.project.Slug)),
	}}
	npc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: clientConfigName}}
	npc.Spec.ProjectCredentials = &common.LocalProjectCredentials{ConnectionSecretRef: xpv2.LocalSecretReference{Name: sec.Name}}
	cpc := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: testkit.Cluster.ObjectName(w.ns, clientConfigName)}}
	cpc.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: w.ns, Name: sec.Name}}
	// The provider's own limit raised, as for the world's console
	// ProviderConfigs: the clients poll every 2 s, which at the default (60
	// requests a minute) would queue the drop of a rotated secret, ending
	// the old secret long after the overlap.
	npc.Spec.RateLimit = &common.RateLimit{RequestsPerMinute: 60000, Burst: 1000}
	cpc.Spec.RateLimit = npc.Spec.RateLimit
	testkit.Create(t, env.Client, sec)
	testkit.Create(t, env.Client, npc)
	testkit.Create(t, env.Client, cpc)
}

// crashClient is one case of TestCrashOAuth2Client: the i-th client of the
// world, of scope s, created (and, for rotate, rotated) with a kill armed
// at stage st. It returns the case's figures.
func (w *world) crashClient(t *testing.T, i int, s testkit.Scope, rotate bool, st stage) string {
	ctx := t.Context()
	name := fmt.Sprintf("c%d", i)
	overlap := common.Duration(clientOverlap.String())
	r := testkit.NewOAuth2Client(s, w.ns, name, s.ObjectName(w.ns, clientConfigName), common.OAuth2ClientParameters{
		ClientName: w.ns + "-" + name,
		GrantTypes: []string{"client_credentials"},
		Scope:      "read",
		Rotation:   &common.Rotation{Overlap: &overlap, Trigger: "1"},
	})
	r.SetLabels(map[string]string{hookLabel: "true"})

	// old is the secret before the rotation; ended are the secrets that
	// must stop working once the overlap ends.
	var old string
	var before clientState
	if rotate {
		create(t, r)
		before = w.waitClient(t, r, "")
		old = before.secret
		tp.arm(plan{stage: st, hold: true})
		mergePatch(t, r, map[string]any{"spec": map[string]any{"forProvider": map[string]any{"rotation": map[string]any{"trigger": "2"}}}})
	} else {
		tp.arm(plan{stage: st, hold: true})
		create(t, r)
	}
	k := waitKill(t)
	lost := ""
	for _, c := range tp.createdKeys() {
		if strings.EqualFold(c.id, k.keyID) && !c.delivered {
			lost = c.secret
		}
	}

	// What the crash left, read while the provider is dead.
	refresh(t, r)
	snap, err := testkit.TakeClients(ctx, env.Client, env.Sim, w.ns, w.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := snap.ClientSecret(r)
	_, marked := r.GetAnnotations()[common.AnnotationRotating]
	left := fmt.Sprintf("create-pending=%d creating=%d unrecorded=%d unstored=%d rotating=%v", len(k.state.createIncomplete), len(k.state.creating), len(k.state.unrecorded), len(k.state.unstored), marked)
	switch {
	case st == answerLost && lost == "":
		t.Fatalf("the kill struck no answer that carried a secret (%s)", left)
	case !rotate && st == answerLost && len(k.state.unstored) != 1:
		t.Errorf("the crash left %v unstored clients, want the one whose answer was lost (%s)", k.state.unstored, k.keyID)
	case !rotate && st == beforeExternalName && (meta.GetExternalName(r) != "" || !env.Sim.SecretWorks(w.project.ID, k.keyID, stored)):
		t.Errorf("the crash left external name %q and a stored secret that works for client %s: %v; want the secret stored and the client unnamed",
			meta.GetExternalName(r), k.keyID, env.Sim.SecretWorks(w.project.ID, k.keyID, stored))
	case rotate && !env.Sim.SecretWorks(w.project.ID, before.id, old):
		t.Errorf("the old secret of client %s stopped working while the provider was dead, before any new secret was stored", before.id)
	case rotate && st == beforeRotationRecord && (stored == old || !marked):
		t.Errorf("the crash left the Secret holding the old secret (%v) or no rotation mark (%v): want the new secret stored and the mark on", stored == old, marked)
	}

	restart := time.Now()
	startProvider(t)
	after := w.waitClient(t, r, old)
	settled := time.Since(restart)

	// Exactly one client of its name, the one it names; a rotation keeps
	// the client; the stored secret works.
	var named []string
	for _, c := range env.Sim.OAuth2Clients(w.project.ID) {
		if c.Doc["client_name"] == r.ClientParameters().ClientName {
			named = append(named, c.ID)
		}
	}
	if len(named) != 1 || named[0] != after.id {
		t.Errorf("Ory holds clients %v named %q, want only %s, the one the resource names", named, r.ClientParameters().ClientName, after.id)
	}
	switch {
	case rotate && after.id != before.id:
		t.Errorf("the rotation replaced client %s with %s: a client's secret is rotated in place", before.id, after.id)
	case !rotate && st == beforeExternalName && after.id != k.keyID:
		t.Errorf("the resource names client %s, not %s whose secret its Secret held when the provider crashed", after.id, k.keyID)
	case !rotate && st == answerLost && after.id == k.keyID:
		t.Errorf("the resource adopted client %s, whose secret nobody had", k.keyID)
	}
	if rotate && time.Now().Before(after.issuedAt.Add(clientOverlap-time.Second)) && !env.Sim.SecretWorks(w.project.ID, after.id, old) {
		t.Errorf("the old secret stopped working before the overlap (%s from %s) ended", clientOverlap, after.issuedAt.Format(time.RFC3339))
	}

	// Once the overlap ends, only the stored secret works.
	ends := map[string]string{}
	if old != "" {
		ends["old"] = old
	}
	if lost != "" {
		ends["lost"] = lost
	}
	lived := map[string]time.Duration{}
	ok, why := poll(clientOverlap+overlapSlack+30*time.Second, func() (bool, string) {
		var still []string
		for what, secret := range ends {
			id := after.id
			if !rotate {
				id = k.keyID // the lost client's own secret
			}
			if env.Sim.SecretWorks(w.project.ID, id, secret) {
				still = append(still, what)
			} else if _, done := lived[what]; !done {
				lived[what] = time.Since(after.issuedAt)
			}
		}
		slices.Sort(still)
		return len(still) == 0, fmt.Sprintf("the %v secret still works", still)
	})
	if !ok {
		t.Errorf("long after the overlap: %s", why)
	}
	var ended []string
	for _, what := range []string{"old", "lost"} {
		d, done := lived[what]
		if !done {
			continue
		}
		ended = append(ended, fmt.Sprintf("%s secret had ended %s after the new was stored", what, d.Round(100*time.Millisecond)))
		if what == "old" && d < clientOverlap {
			// d is when a poll first found it ended: it ended sooner.
			t.Errorf("the old secret had ended %s after the new secret was stored: before the overlap (%s) ended", d.Round(100*time.Millisecond), clientOverlap)
		}
		if d > clientOverlap+overlapSlack {
			t.Errorf("the %s secret worked for %s after the new secret was stored: longer than the overlap (%s) and the provider's slack (%s)", what, d.Round(100*time.Millisecond), clientOverlap, overlapSlack)
		}
	}
	if !env.Sim.SecretWorks(w.project.ID, after.id, after.secret) {
		t.Errorf("the stored secret no longer works for client %s", after.id)
	}
	return fmt.Sprintf("killed %s; left %s; settled %s after the restart; %s", k.plan.stage, left, settled.Round(100*time.Millisecond), strings.Join(ended, ", "))
}

// clientState is an OAuth2Client once converged: its client's ID, the
// secret its Secret holds and when that secret was stored.
type clientState struct {
	id, secret string
	issuedAt   time.Time
}

// waitClient waits until r converged: Ready and Synced, no create pending,
// no creation or rotation mark, exactly one client in Ory of its name and
// that one named by its external name, and its Secret holding a secret, not
// old, that works for that client.
func (w *world) waitClient(t *testing.T, r testkit.OAuth2Client, old string) clientState {
	t.Helper()
	var st clientState
	ok, why := poll(windowTimeout, func() (bool, string) {
		s, err := testkit.TakeClients(t.Context(), env.Client, env.Sim, w.ns, w.project.ID)
		if err != nil {
			return false, err.Error()
		}
		c, found := s.Clients[testkit.ID(r)]
		if !found {
			return false, "does not exist"
		}
		ready, why := testkit.Ready(c)
		a := c.GetAnnotations()
		st = clientState{id: meta.GetExternalName(c), secret: s.ClientSecret(c)}
		n := 0
		for _, o := range s.Ory {
			if o.Doc["client_name"] == c.ClientParameters().ClientName {
				n++
			}
		}
		switch {
		case meta.ExternalCreateIncomplete(c):
			return false, "create pending since " + a[meta.AnnotationKeyExternalCreatePending]
		case !ready:
			return false, why
		case a[common.AnnotationCreating] != "" || a[common.AnnotationRotating] != "":
			return false, "marked creating " + a[common.AnnotationCreating] + " rotating " + a[common.AnnotationRotating]
		case n != 1:
			return false, fmt.Sprintf("%d clients of its name in Ory", n)
		case st.secret == "" || st.secret == old:
			return false, "its Secret holds no new secret"
		case !s.Works[testkit.ID(c)]:
			return false, "its Secret's secret does not work for client " + st.id
		}
		issued, err := time.Parse(time.RFC3339, s.Secret(c).GetAnnotations()[common.AnnotationIssuedAt])
		if err != nil {
			return false, "its Secret has no issue time: " + err.Error()
		}
		st.issuedAt = issued
		return true, ""
	})
	if !ok {
		t.Fatalf("%s did not converge within %s: %s", testkit.ID(r), windowTimeout, why)
	}
	return st
}

// inspectClients reads what a kill left of the world's OAuth2Clients:
// those in the runtime's create-pending state, those with the creation
// mark, Secrets holding the secret of a client their resource does not
// name (unrecorded), and clients in Ory that no resource names and no
// Secret holds (unstored: their secrets are lost).
func (w *world) inspectClients(ctx context.Context) crashState {
	var st crashState
	s, err := testkit.TakeClients(ctx, env.Client, env.Sim, w.ns, w.project.ID)
	if err != nil {
		st.err = err
		return st
	}
	known := map[string]bool{}
	for id, c := range s.Clients {
		a := c.GetAnnotations()
		if meta.ExternalCreateIncomplete(c) {
			st.createIncomplete = append(st.createIncomplete, id+" pending since "+a[meta.AnnotationKeyExternalCreatePending])
		}
		if mark, ok := a[common.AnnotationCreating]; ok {
			st.creating = append(st.creating, id+" creating "+mark)
		}
		current := strings.ToLower(meta.GetExternalName(c))
		known[current] = true
		if sec := s.Secret(c); sec != nil {
			held := strings.ToLower(string(sec.Data[common.ConnectionKeyClientID]))
			known[held] = true
			if held != "" && held != current {
				st.unrecorded = append(st.unrecorded, fmt.Sprintf("%s names %q, its Secret holds the secret of %s", id, current, held))
			}
		}
	}
	for id, o := range s.Ory {
		if !known[id] {
			st.unstored = append(st.unstored, fmt.Sprintf("%s (%v)", id, o.Doc["client_name"]))
		}
	}
	return st
}
