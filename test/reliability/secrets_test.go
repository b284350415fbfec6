package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// window is the length of the pieces of a secret the scans look for. A
// secret is found when any window of it appears, so a value cut short (a
// truncated message) or split (a wrapped line) is found as long as 12 of its
// random characters stay together. Values carry 32 random alphanumeric
// characters: the chance that 12 given ones appear in a text by accident is
// 62^-12 per position, nil for any log this package writes.
const window = 12

// A secretSet holds every secret the simulator issued (key values) and
// every workspace API key the tests made, as windows of the forms a leak
// could take: the value itself and its base64 (how a Secret's data prints
// when an object is logged). It is safe for concurrent use.
type secretSet struct {
	mu      sync.RWMutex
	windows map[string]string // window -> which secret, for the report
	n       int
}

func newSecretSet() *secretSet { return &secretSet{windows: map[string]string{}} }

// Add records a secret; label names it in findings (never the value).
func (s *secretSet) Add(value, label string) {
	core := value
	for _, p := range []string{"ory_pat_", "ory_wak_"} {
		core = strings.TrimPrefix(core, p)
	}
	forms := []string{core, base64.StdEncoding.EncodeToString([]byte(value))}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	for _, f := range forms {
		for i := 0; i+window <= len(f); i++ {
			s.windows[f[i:i+window]] = label
		}
	}
}

// Len is how many secrets are known.
func (s *secretSet) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.n
}

// A finding is a secret found somewhere it must never be.
type finding struct {
	where   string // e.g. "log line 1234", "Event ns/name"
	secret  string // the secret's label, never its value
	excerpt string
}

func (f finding) String() string {
	return fmt.Sprintf("%s holds %s: %s", f.where, f.secret, f.excerpt)
}

// Scan returns the secrets found in text, one finding per secret.
func (s *secretSet) Scan(where string, text []byte) []finding {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []finding
	seen := map[string]bool{}
	for i := 0; i+window <= len(text); i++ {
		label, ok := s.windows[string(text[i:i+window])]
		if !ok || seen[label] {
			continue
		}
		seen[label] = true
		out = append(out, finding{where: where, secret: label, excerpt: s.redactedExcerpt(text, i)})
	}
	return out
}

// redactedExcerpt shows where in text a secret was found, with every part
// of any known secret masked, so that a failing test does not print it.
// The caller holds s.mu.
func (s *secretSet) redactedExcerpt(text []byte, at int) string {
	from, to := max(0, at-60), min(len(text), at+window+60)
	masked := bytes.Clone(text[from:to])
	for i := max(0, from-window+1); i+window <= min(len(text), to+window-1); i++ {
		if _, ok := s.windows[string(text[i:i+window])]; ok {
			for j := max(i, from); j < min(i+window, to); j++ {
				masked[j-from] = '*'
			}
		}
	}
	return strings.ToValidUTF8(string(masked), "?")
}

// ScanLines scans a text line by line, naming the line of each finding.
func (s *secretSet) ScanLines(where string, text []byte) []finding {
	var out []finding
	for n, line := range bytes.Split(text, []byte("\n")) {
		out = append(out, s.Scan(fmt.Sprintf("%s line %d", where, n+1), line)...)
	}
	return out
}

// scanWorld scans everything the provider writes for people to read: its
// whole log, every Event (both APIs) in every namespace, and every object of
// the provider's kinds (metadata, spec and status with every condition).
// Connection Secrets and credentials Secrets are, of course, not scanned.
func scanWorld(ctx context.Context) ([]finding, scanStats, error) {
	log := logs.Bytes()
	st := scanStats{LogBytes: len(log), LogLines: bytes.Count(log, []byte("\n")), Secrets: secrets.Len()}
	out := secrets.ScanLines("provider log", log)
	lists := []client.ObjectList{
		&corev1.EventList{}, &eventsv1.EventList{},
		&namespacedv1alpha1.ProviderConfigList{}, &namespacedv1alpha1.ClusterProviderConfigList{},
		&clusterv1alpha1.ProviderConfigList{},
		&namespacedv1alpha1.ProviderConfigUsageList{}, &clusterv1alpha1.ProviderConfigUsageList{},
		&namespacedv1alpha1.ProjectList{}, &clusterv1alpha1.ProjectList{},
	}
	for _, kind := range testkit.Kinds {
		for _, s := range testkit.Scopes {
			lists = append(lists, kind.List(s))
		}
	}
	for _, l := range lists {
		if err := kube.List(ctx, l); err != nil {
			return nil, st, fmt.Errorf("cannot list %T: %w", l, err)
		}
		items, err := metaItems(l)
		if err != nil {
			return nil, st, err
		}
		for _, o := range items {
			b, err := json.Marshal(o)
			if err != nil {
				return nil, st, err
			}
			switch o.(type) {
			case *corev1.Event, *eventsv1.Event:
				st.Events++
			default:
				st.Objects++
			}
			where := fmt.Sprintf("%T %s", o, client.ObjectKeyFromObject(o))
			out = append(out, secrets.Scan(where, b)...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out, st, nil
}

// scanStats say how much a scan looked at.
type scanStats struct {
	LogBytes, LogLines, Events, Objects, Secrets int
}

func (s scanStats) String() string {
	return fmt.Sprintf("%d log lines (%d bytes), %d events, %d objects of the provider's kinds, against %d secrets",
		s.LogLines, s.LogBytes, s.Events, s.Objects, s.Secrets)
}

func metaItems(l client.ObjectList) ([]client.Object, error) {
	objs, err := meta.ExtractList(l)
	if err != nil {
		return nil, err
	}
	out := make([]client.Object, 0, len(objs))
	for _, o := range objs {
		co, ok := o.(client.Object)
		if !ok {
			return nil, fmt.Errorf("%T is not a client.Object", o)
		}
		out = append(out, co)
	}
	return out, nil
}

// valueTap records the value of every key the simulator creates before the
// answer reaches the provider, so that the scans know every value ever
// issued, including those of keys deleted since. Other requests pass
// through untouched (a dropped connection too: the simulator reaches the
// connection through Unwrap).
type valueTap struct {
	next    http.Handler
	secrets *secretSet

	mu   sync.Mutex
	seen map[string]bool // values recorded, so that none counts twice
}

func (t *valueTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		t.next.ServeHTTP(w, r)
		return
	}
	bw := &bufferedWriter{ResponseWriter: w}
	t.next.ServeHTTP(bw, r)
	var k struct {
		ID          string `json:"id"`
		ProjectID   string `json:"project_id"`
		WorkspaceID string `json:"workspace_id"`
		Value       string `json:"value"`
		// An OAuth2 client's, from its create or a rotation.
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	switch {
	case json.Unmarshal(bw.body.Bytes(), &k) == nil && k.Value != "":
		t.add(k.Value, k.ProjectID+k.WorkspaceID, k.ID)
	case k.ClientSecret != "":
		t.addSecret(k.ClientSecret, "the secret of OAuth2 client "+k.ClientID)
	case bw.status < http.StatusMultipleChoices:
		// A dropped connection, or an answer the simulator cut or sent
		// without its value after making the key (orysim.CutAnswers): that
		// value was issued all the same. Record every value the project or
		// workspace holds, which includes it.
		t.addHolderValues(r.URL.Path)
	}
	if bw.status == 0 && bw.body.Len() == 0 {
		return // hijacked (a dropped or cut connection), or nothing written
	}
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	w.WriteHeader(bw.status)
	_, _ = w.Write(bw.body.Bytes())
}

// addHolderValues records the values of the keys of the project or
// workspace a request path (/projects/{project}/tokens,
// /workspaces/{workspace}/tokens) names.
func (t *valueTap) addHolderValues(path string) {
	if rest, ok := strings.CutPrefix(path, orysim.ProjectAPIPathPrefix); ok {
		// A project's own API: the secrets of its OAuth2 clients, the
		// rotated ones too.
		slug, _, _ := strings.Cut(rest, "/")
		for _, c := range sim.OAuth2Clients(slug) {
			for _, secret := range append([]string{c.Secret}, c.RotatedSecrets...) {
				t.addSecret(secret, "the secret of OAuth2 client "+c.ID)
			}
		}
		return
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	if len(seg) < 2 {
		return
	}
	for _, kind := range testkit.Kinds {
		if kind.Holders != seg[0] {
			continue
		}
		for _, k := range kind.KeysIn(sim, seg[1]) {
			t.add(k.Value, seg[1], k.ID)
		}
	}
}

// add records a key's value once; holderID is its project or workspace.
func (t *valueTap) add(value, holderID, keyID string) {
	t.addSecret(value, "the value of key "+holderID+"/"+keyID)
}

// addSecret records a secret once, with what it is.
func (t *valueTap) addSecret(value, what string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if value == "" || t.seen[value] {
		return
	}
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	t.seen[value] = true
	t.secrets.Add(value, what)
}

// bufferedWriter holds a response back until the tap has read it.
type bufferedWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// Unwrap lets http.ResponseController reach Hijack, for dropped connections.
func (w *bufferedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack passes a dropped connection through, for wrappers above the tap
// (the simulator's contract check) that assert http.Hijacker.
func (w *bufferedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// syncBuffer is a bytes.Buffer safe for concurrent writers: the log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Bytes returns a copy of everything written so far.
func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// Since returns a copy of what was written after offset.
func (s *syncBuffer) Since(offset int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes()[min(offset, s.b.Len()):])
}

// Len is how many bytes were written.
func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomAlphanumeric(n int) string { return testkit.Random(n, alphanumerics) }
