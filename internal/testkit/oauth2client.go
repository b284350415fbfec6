package testkit

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// An OAuth2Client is a resource of the OAuth2Client kind, of either scope.
type OAuth2Client interface {
	resource.Managed
	ClientParameters() *common.OAuth2ClientParameters
	ClientObservation() *common.OAuth2ClientObservation
}

// NewOAuth2Client returns an OAuth2Client of scope s (the cluster-scoped
// one named <ns>-<name>) with parameters p, on the ProviderConfig config,
// writing its connection Secret <name>-client in ns.
func NewOAuth2Client(s Scope, ns, name, config string, p common.OAuth2ClientParameters) OAuth2Client {
	var c OAuth2Client
	if s == Namespaced {
		n := &namespacedv1alpha1.OAuth2Client{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		n.Spec.ForProvider = p
		c = n
	} else {
		cl := &clusterv1alpha1.OAuth2Client{ObjectMeta: metav1.ObjectMeta{Name: s.ObjectName(ns, name)}}
		cl.Spec.ForProvider = p
		c = cl
	}
	UseConfig(c, config)
	WriteSecretTo(c, ns, name+"-client")
	return c
}

// A ClientSnapshot is a test's OAuth2Clients and Ory's clients of one
// project at one moment.
type ClientSnapshot struct {
	// Clients are the resources of both scopes that belong to the test
	// namespace (see InNamespace), by ID.
	Clients map[string]OAuth2Client
	// Secrets are the Secrets of the test namespace, by namespace/name.
	Secrets map[string]*corev1.Secret
	// Ory are the project's clients, by lower case client ID.
	Ory map[string]orysim.OAuth2Client
	// Works says, by resource ID, whether the client secret the resource's
	// connection Secret holds works at Ory for the client its external name
	// names (orysim.Server.SecretWorks).
	Works map[string]bool
}

// TakeClients reads the snapshot of the test namespace ns and the clients
// of project (its ID or slug) in sim.
func TakeClients(ctx context.Context, c client.Client, sim *orysim.Server, ns, project string) (ClientSnapshot, error) {
	s := ClientSnapshot{Clients: map[string]OAuth2Client{}, Secrets: map[string]*corev1.Secret{}, Ory: map[string]orysim.OAuth2Client{}, Works: map[string]bool{}}
	nl := &namespacedv1alpha1.OAuth2ClientList{}
	if err := c.List(ctx, nl, client.InNamespace(ns)); err != nil {
		return s, err
	}
	for i := range nl.Items {
		s.Clients[ID(&nl.Items[i])] = &nl.Items[i]
	}
	cl := &clusterv1alpha1.OAuth2ClientList{}
	if err := c.List(ctx, cl); err != nil {
		return s, err
	}
	for i := range cl.Items {
		if InNamespace(&cl.Items[i], ns) {
			s.Clients[ID(&cl.Items[i])] = &cl.Items[i]
		}
	}
	sl := &corev1.SecretList{}
	if err := c.List(ctx, sl, client.InNamespace(ns)); err != nil {
		return s, err
	}
	for i := range sl.Items {
		s.Secrets[ID(&sl.Items[i])] = &sl.Items[i]
	}
	for _, o := range sim.OAuth2Clients(project) {
		s.Ory[strings.ToLower(o.ID)] = o
	}
	for id, r := range s.Clients {
		s.Works[id] = sim.SecretWorks(project, meta.GetExternalName(r), s.ClientSecret(r))
	}
	return s, nil
}

// Secret returns r's connection Secret if it exists and r controls it.
func (s ClientSnapshot) Secret(r OAuth2Client) *corev1.Secret {
	return controlledSecret(s.Secrets, r)
}

// ClientSecret returns the client secret r's connection Secret holds (""
// without one).
func (s ClientSnapshot) ClientSecret(r OAuth2Client) string {
	if sec := s.Secret(r); sec != nil {
		return string(sec.Data[common.ConnectionKeyClientSecret])
	}
	return ""
}

// ClientRules adapt the client invariants to a test.
type ClientRules struct {
	// Mine reports whether client o in Ory is one resource r made. Nil: o
	// carries the client_name r's spec says.
	Mine func(r OAuth2Client, o orysim.OAuth2Client) bool
	// Ours reports whether client o in Ory is the test's at all; clients of
	// the project that are not count as nothing. Nil: every client is.
	Ours func(o orysim.OAuth2Client) bool
	// Changing is for a world whose resources are deleted while it runs: a
	// resource being deleted has no secret to keep.
	Changing bool
}

// Invariants counts, over the snapshot's live resources and the test's
// clients in Ory:
//   - leaked: clients in Ory no resource names as its external name;
//   - lost: Ready resources with a secret (not public clients) whose
//     connection Secret's client secret does not work at Ory for their
//     client;
//   - duplicates: resources with more than one client of theirs in Ory;
//   - incomplete: resources in crossplane-runtime's create-pending state.
func (s ClientSnapshot) Invariants(r ClientRules) Invariants {
	mine := r.Mine
	if mine == nil {
		mine = func(c OAuth2Client, o orysim.OAuth2Client) bool {
			return o.Doc["client_name"] == c.ClientParameters().ClientName
		}
	}
	ours := r.Ours
	if ours == nil {
		ours = func(orysim.OAuth2Client) bool { return true }
	}
	ory := map[string]orysim.OAuth2Client{}
	for id, o := range s.Ory {
		if ours(o) {
			ory[id] = o
		}
	}
	var inv Invariants
	referenced := map[string]bool{}
	for _, rid := range slices.Sorted(maps.Keys(s.Clients)) {
		c := s.Clients[rid]
		if id := strings.ToLower(meta.GetExternalName(c)); id != "" {
			referenced[id] = true
		}
		if meta.ExternalCreateIncomplete(c) {
			inv.Incomplete++
			inv.Problems = append(inv.Problems, rid+" is stuck: create pending since "+c.GetAnnotations()[meta.AnnotationKeyExternalCreatePending]+": "+c.GetCondition(xpv2.TypeSynced).Message)
		}
		n := 0
		for _, o := range ory {
			if mine(c, o) {
				n++
			}
		}
		if n > 1 && !(r.Changing && meta.WasDeleted(c)) {
			inv.Duplicates++
			inv.Problems = append(inv.Problems, fmt.Sprintf("%s: %d clients of its own in Ory", rid, n))
		}
		public := c.ClientParameters().TokenEndpointAuthMethod == orysim.AuthNone
		if public || c.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue || (r.Changing && meta.WasDeleted(c)) {
			continue
		}
		if !s.Works[rid] {
			inv.Lost++
			inv.Problems = append(inv.Problems, rid+" is Ready but the secret its Secret holds does not work at Ory for its client "+meta.GetExternalName(c))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(ory)) {
		if !referenced[id] {
			inv.Leaked++
			inv.Problems = append(inv.Problems, fmt.Sprintf("client %s (%v, created %s) is named by no live resource", id, ory[id].Doc["client_name"], ory[id].CreatedAt.Format("2006-01-02T15:04:05Z07:00")))
		}
	}
	return inv
}
