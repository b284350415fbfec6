package reliability

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
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// soakClient is one OAuth2Client of the soak.
type soakClient struct {
	i       int
	c       testkit.OAuth2Client
	rotated bool // its secret is rotated mid-soak (the trigger changed)
	deleted bool // it is deleted mid-soak: it and its client must go
}

// soakClients is how many OAuth2Clients a soak of n keys drives besides:
// one for every 25 keys, at least 8 (both scopes, rotated and deleted ones).
func soakClients(n int) int { return max(8, n/25) }

// soakClientOverlap is the rotation overlap of the soak's clients: short, so
// that the old secrets end within the convergence bound.
const soakClientOverlap = "3s"

// clientOps are the operations of a project's API on OAuth2 clients, whose
// faults the soak's clients meet.
var clientOps = []string{orysim.OpCreateOAuth2Client, orysim.OpGetOAuth2Client, orysim.OpListOAuth2Clients, orysim.OpSetOAuth2Client,
	orysim.OpPatchOAuth2Client, orysim.OpDeleteOAuth2Client, orysim.OpRotateOAuth2ClientSecret, orysim.OpDeleteRotatedOAuth2ClientSecrets}

// clientPrefix starts the names of every client of the soak.
func clientPrefix(ns string) string { return ns + "-c" }

func (sc *soakClient) name(ns string) string { return fmt.Sprintf("%s%03d", clientPrefix(ns), sc.i) }

// newSoakClients makes the project of the soak's clients (a project of the
// soak's workspace outside the key holders, so that the project API key
// the clients' ProviderConfigs use is none of the soak's keys), that key's
// connection Secret, a ProviderConfig of each scope on it, and m clients,
// not yet created: of every eight, two of each scope rotated mid-soak and
// one of each scope deleted.
func newSoakClients(t *testing.T, ns, wk string, m int) (orysim.Project, []*soakClient) {
	t.Helper()
	p := sim.AddProject(wk, "")
	key, err := sim.CreateKey(orysim.KeySpec{Project: p.ID, Name: ns + "-client-manager"})
	if err != nil {
		t.Fatal(err)
	}
	secrets.Add(key.Value, "the project API key of the soak's clients")
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "client-manager"}, Data: map[string][]byte{
		common.ConnectionKeyValue:     []byte(key.Value),
		common.ConnectionKeyProjectID: []byte(p.ID),
		common.ConnectionKeyAPIURL:    []byte(orysim.ProjectAPIURL(simURL, p.Slug)),
	}}
	npc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "soak-clients"}}
	npc.Spec.ProjectCredentials = &common.LocalProjectCredentials{ConnectionSecretRef: xpv2.LocalSecretReference{Name: sec.Name}}
	cpc := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: ns + "-soak-clients"}}
	cpc.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: ns, Name: sec.Name}}
	h.Create(t, sec)
	h.Create(t, npc)
	h.Create(t, cpc)

	overlap := common.Duration(soakClientOverlap)
	clients := make([]*soakClient, m)
	for i := range clients {
		sc := &soakClient{i: i, rotated: i%8 < 4, deleted: i%8 == 4 || i%8 == 5}
		s := testkit.Scopes[i%2]
		sc.c = testkit.NewOAuth2Client(s, ns, fmt.Sprintf("c%03d", i), s.ObjectName(ns, "soak-clients"), common.OAuth2ClientParameters{
			ClientName: sc.name(ns),
			GrantTypes: []string{"client_credentials"},
			Scope:      "read",
			Rotation:   &common.Rotation{Overlap: &overlap, Trigger: "1"},
		})
		clients[i] = sc
	}
	return p, clients
}

// changeSoakClients rotates the secrets of the clients to rotate and
// deletes those to delete, and returns how many of each.
func changeSoakClients(t *testing.T, clients []*soakClient) (rotated, deleted int) {
	t.Helper()
	for _, sc := range clients {
		switch {
		case sc.rotated:
			rotated++
			if err := kube.Patch(context.Background(), sc.c, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"forProvider":{"rotation":{"trigger":"2"}}}}`))); err != nil {
				t.Errorf("cannot rotate %s: %v", sc.c.GetName(), err)
			}
		case sc.deleted:
			deleted++
			if err := kube.Delete(context.Background(), sc.c); err != nil && !kerrors.IsNotFound(err) {
				t.Errorf("cannot delete %s: %v", sc.c.GetName(), err)
			}
		}
	}
	return rotated, deleted
}

// clientState is the state of the soak's clients at one moment.
type clientState struct {
	pending []string // why clients have not converged
	inv     testkit.Invariants
}

func (s clientState) converged() bool {
	return len(s.pending) == 0 && s.inv.Leaked == 0 && s.inv.Lost == 0 && s.inv.Duplicates == 0 && s.inv.Incomplete == 0
}

// evaluateClients reads the soak's clients, their Secrets and the clients
// of project p, and counts what has not converged and what breaks an
// invariant. A live client has converged when it is Ready, names a client
// of its name in Ory, carries no creation or rotation mark and no rotated
// secret still to end, its Secret records the spec's rotation trigger, and
// Ory holds no rotated secret of it any more (every old secret ended).
func evaluateClients(t *testing.T, ns string, p orysim.Project, clients []*soakClient) clientState {
	t.Helper()
	snap, err := testkit.TakeClients(context.Background(), kube, sim, ns, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*soakClient{}
	for _, sc := range clients {
		byID[testkit.ID(sc.c)] = sc
	}
	st := clientState{inv: snap.Invariants(testkit.ClientRules{
		Changing: true,
		Ours: func(o orysim.OAuth2Client) bool {
			return strings.HasPrefix(fmt.Sprint(o.Doc["client_name"]), clientPrefix(ns))
		},
		Mine: func(r testkit.OAuth2Client, o orysim.OAuth2Client) bool {
			sc := byID[testkit.ID(r)]
			return sc != nil && o.Doc["client_name"] == sc.name(ns)
		},
	})}
	for _, sc := range clients {
		c, ok := snap.Clients[testkit.ID(sc.c)]
		if m, done := presence(sc.c, c, ok, sc.deleted); done {
			st.pending = append(st.pending, m...)
			continue
		}
		id := strings.ToLower(meta.GetExternalName(c))
		o, exists := snap.Ory[id]
		isReady, why := testkit.Ready(c)
		a := c.GetAnnotations()
		var trigger string
		if sec := snap.Secret(c); sec != nil {
			trigger = sec.GetAnnotations()[common.AnnotationTrigger]
		}
		switch {
		case !isReady:
			st.pending = append(st.pending, c.GetName()+": "+why)
		case !exists:
			st.pending = append(st.pending, c.GetName()+": its client "+id+" is not in Ory")
		case a[common.AnnotationCreating] != "" || a[common.AnnotationRotating] != "":
			st.pending = append(st.pending, c.GetName()+": marked creating "+a[common.AnnotationCreating]+" rotating "+a[common.AnnotationRotating])
		case trigger != c.ClientParameters().Rotation.Trigger:
			st.pending = append(st.pending, fmt.Sprintf("%s: its Secret holds the secret of trigger %q, the spec says %q", c.GetName(), trigger, c.ClientParameters().Rotation.Trigger))
		case a[common.AnnotationRetiredKeys] != "" || len(o.RotatedSecrets) > 0:
			st.pending = append(st.pending, fmt.Sprintf("%s: %d rotated secrets still work (%s)", c.GetName(), len(o.RotatedSecrets), a[common.AnnotationRetiredKeys]))
		}
	}
	slices.Sort(st.pending)
	return st
}

// clientFaultCounts returns how many requests to the client operations of
// project p arrived in [from, to), and the faults injected into them by
// kind and status (cut answers by the cut).
func clientFaultCounts(p orysim.Project, from, to time.Time) (int, map[string]int) {
	requests, faults := 0, map[string]int{}
	prefix := orysim.ProjectAPIPathPrefix + p.Slug + "/"
	for _, e := range sim.RequestLog() {
		if !slices.Contains(clientOps, e.Operation) || !strings.HasPrefix(e.Path, prefix) || e.Time.Before(from) || !e.Time.Before(to) {
			continue
		}
		requests++
		switch {
		case e.Fault == orysim.FaultDrop:
			faults["drop"]++
		case strings.HasPrefix(e.Fault, "cut-") || e.Fault == orysim.FaultOmitValue:
			faults[e.Fault]++
		case e.Fault != "":
			faults[fmt.Sprint(e.Status)]++
		}
	}
	return requests, faults
}

// deleteSoakClients deletes every client of the soak and waits until Ory
// holds none of them.
func deleteSoakClients(t *testing.T, ns string, p orysim.Project, clients []*soakClient, bound time.Duration) {
	t.Helper()
	for _, sc := range clients {
		if err := kube.Delete(context.Background(), sc.c); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("cannot delete %s: %v", sc.c.GetName(), err)
		}
	}
	start := time.Now()
	h.Within(bound).Eventually(t, "every soak client deleted", func() (bool, string) {
		left := 0
		for _, o := range sim.OAuth2Clients(p.ID) {
			if strings.HasPrefix(fmt.Sprint(o.Doc["client_name"]), clientPrefix(ns)) {
				left++
			}
		}
		return left == 0, fmt.Sprintf("%d clients of the soak left in Ory", left)
	})
	t.Logf("soak: all %d OAuth2Clients deleted, their clients gone, in %s", len(clients), time.Since(start).Round(time.Second))
}
