// Command localrun runs provider-ory on a local control plane against the Ory
// console simulator, with the shipped examples applied: what `make run` does.
//
// It starts etcd, kube-apiserver and kube-controller-manager (garbage
// collector and namespace controller) on loopback, the simulator seeded with the examples'
// placeholders, installs the CRDs, applies every file of examples/ unchanged
// and points their ProviderConfigs at the simulator (a patch of
// spec.consoleURL), then starts the provider binary as its own process and
// prints a table of every Project and every resource of every kind of the
// catalogue (ProjectAPIKeys, WorkspaceAPIKeys, OAuth2Clients) and their
// connection Secrets (key values and client secrets masked): whole at first and whenever every example (again)
// converged, and in between a line per row or Secret whose shown fields
// changed, with the new values. Examples the user deleted are rows that say
// so and count neither as converged nor as pending. At start it prints the provider's full command
// line, its metrics URL (a free loopback port), a kubeconfig for kubectl and
// the `orysim keys` command that lists the simulator's keys; it runs until
// SIGINT or SIGTERM, then stops everything and removes its files.
//
// Usage:
//
//	localrun [flags] [-- provider flags]
//	make run                 # the same, building everything first
//	make run ARGS=--check    # exit 0 once every example converged, 1 on timeout
//
// With --check it exits 0 as soon as every example Project, key and OAuth2
// client is Ready and Synced, each Project's project runs in the simulator
// under its name, and each connection Secret holds the simulator's current
// value of its key or secret of its client (imports: Ready, with their value
// reported unknown, as designed; a public client: its ID and no secret), and
// 1 with the reasons after --timeout. That includes the keys whose Secret a
// ProviderConfig reads: the WorkspaceAPIKey that rotates its own
// ProviderConfig's credentials, and the ProjectAPIKeys that are the
// projectCredentials of the OAuth2Clients' ProviderConfigs. Each converges
// only once the simulator answered a request that presented the key the
// provider wrote into that Secret (for a project key, on the project's own
// API at the URL the Secret's apiURL gives).
//
// The provider runs with --poll=10s unless flags after -- set another: a
// person watching wants to see changes soon, and crossplane-runtime v2.4.0
// drops the status of a resource's very first reconcile when that reconcile
// also adds the finalizer and finds nothing to do (an import), so an import
// shows Ready only at its second reconcile, one poll later.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout)
	stop()
	os.Exit(code)
}

type options struct {
	check    bool
	timeout  time.Duration
	provider string
	dir      string
	debug    bool
	args     []string // provider flags after --
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("localrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: localrun [flags] [-- provider flags]\n\nRuns provider-ory on a local control plane against the Ory simulator, with examples/ applied.\n\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nProvider flags go after --, e.g. `localrun -- --poll=1m` (the default here is --poll="+defaultPoll+"; see `provider --help`).")
	}
	fs.BoolVar(&o.check, "check", false, "exit 0 once every example converged, 1 with the reasons after --timeout (for CI and scripts)")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "how long --check waits for the examples to converge")
	fs.StringVar(&o.provider, "provider", "", "provider binary (default: build ./cmd/provider into the work folder)")
	fs.StringVar(&o.dir, "dir", "", "work folder for the kubeconfig, logs and etcd data (default: a temporary folder, removed at exit)")
	fs.BoolVar(&o.debug, "debug", false, "run the provider with --debug (its log is in the work folder)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.args = fs.Args()
	if !hasFlag(o.args, "--poll") {
		// Snappier than the default of 1m for a person watching; it also
		// bounds how long an import's first observation can stay invisible
		// (see the README's local run section).
		o.args = append([]string{"--poll=" + defaultPoll}, o.args...)
	}
	if o.debug {
		o.args = append([]string{"--debug"}, o.args...)
	}
	return o, nil
}

// defaultPoll is the provider's --poll unless the provider flags set one.
const defaultPoll = "10s"

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

func run(ctx context.Context, args []string, out io.Writer) int {
	o, err := parse(args, out)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	started := time.Now()
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	fail := func(format string, a ...any) int {
		say("localrun: "+format, a...)
		return 1
	}

	say("provider-ory local run: a control plane and the Ory simulator on loopback, examples/ applied")
	root, err := localenv.FindRoot()
	if err != nil {
		return fail("%v", err)
	}
	assets, err := localenv.Assets(ctx, root, out)
	if err != nil {
		return fail("%v", err)
	}
	env, err := localenv.Start(ctx, localenv.Options{Root: root, Assets: assets, Dir: o.dir, Log: indent(out)})
	if err != nil {
		return fail("%v", err)
	}
	code := runIn(ctx, env, o, say)
	if code == 0 && o.check {
		if v := env.Sim.Violations(); len(v) > 0 {
			for _, x := range v {
				say("  Ory API contract violation: %s", x)
			}
			code = fail("the provider's traffic broke Ory's OpenAPI contract %d times", len(v))
		}
	}
	say("stopping the provider, kube-controller-manager, kube-apiserver, etcd and the simulator...")
	requests := 0
	for _, op := range orysim.Operations() {
		requests += env.Sim.Requests(op)
	}
	if err := env.Close(); err != nil {
		say("  %v", err)
		if code == 0 {
			code = 1
		}
	}
	where := "removed " + env.Dir
	if o.dir != "" {
		where = "kept " + env.Dir
	}
	say("stopped after %s; the simulator answered %d requests; %s", time.Since(started).Round(time.Second), requests, where)
	return code
}

// runIn is the part of the run that needs the environment.
func runIn(ctx context.Context, env *localenv.Env, o options, say func(string, ...any)) int {
	objs, err := env.ApplyExamples(ctx)
	if err != nil {
		say("localrun: %v", err)
		return 1
	}
	binary := o.provider
	if binary == "" {
		say("  building the provider (./cmd/provider)...")
		if binary, err = localenv.BuildProvider(ctx, env.Root, env.Dir, "v0.0.0-localrun"); err != nil {
			say("localrun: %v", err)
			return 1
		}
	}
	version, err := localenv.BinaryVersion(ctx, binary)
	if err != nil {
		say("localrun: %v", err)
		return 1
	}
	args, metricsAddr, err := withLoopbackPorts(o.args)
	if err != nil {
		say("localrun: %v", err)
		return 1
	}
	p := env.NewProvider(localenv.ProviderOptions{Binary: binary, Args: args})
	if err := p.Start(); err != nil {
		say("localrun: %v", err)
		return 1
	}
	providerStarted := time.Now()
	say("  provider %s started as pid %d:", version, p.Pid())
	say("    KUBECONFIG=%s %s %s", env.Kubeconfig, binary, strings.Join(p.Args(), " "))
	say("  provider log: %s", p.LogPath())
	if metricsAddr != "" {
		say("  provider metrics: %s   (provider_ory_* and controller-runtime's)", metricsURL(metricsAddr))
	}
	say("")
	say("To look around with kubectl (1.27 or newer runs the README's commands; Kubernetes supports 1.34 to 1.36 with this 1.35 API server):")
	say("  export KUBECONFIG=%s", env.Kubeconfig)
	say("  kubectl get ory -A")
	say("  kubectl -n team-a get secret payments-ory-api-key -o yaml   # holds a real-looking key: do not paste it anywhere")
	say("  kubectl -n team-a get secret web-oauth2-client -o yaml      # the OAuth2 client's clientID, clientSecret and URLs")
	say("To see Ory's side (the simulator), from the repository root: the workspace's projects (the example Projects make two), then the keys")
	say("  %s", projectsCommand(env.SimURL))
	say("  %s   # --project <ID> for another project's", keysCommand(env.SimURL))
	say("")

	want := exampleResources(objs)
	lacks := lacking(env.Sim, exampleCredentials(objs))
	var deadline <-chan time.Time
	if o.check {
		deadline = time.After(o.timeout)
		say("Waiting up to %s for the %d examples (%s) to converge (--check)...", o.timeout, len(want), countKinds(want))
	} else {
		say("Showing the examples (%s) whenever they change; Ctrl-C stops everything.", countKinds(want))
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var (
		last                 *view
		lastTally            tally
		reported, warnedExit bool
		problems             []string
	)
	for {
		statuses, err := localenv.KeyStatuses(ctx, env.Client)
		var projects []localenv.ProjectStatus
		if err == nil {
			projects, err = localenv.ProjectStatuses(ctx, env.Client)
		}
		if err != nil && ctx.Err() == nil {
			say("  cannot read the Projects and keys: %v", err)
		}
		if err == nil {
			rs := rows(projects, statuses, env.Sim, lacks)
			problems = missing(want, rs)
			v, t := show(rs, statuses, want), count(want, rs)
			// The whole table first and whenever the examples (again) all
			// converged; in between, only what changed.
			switch ch := changes(orZero(last), v); {
			case last == nil, t.all() && !lastTally.all() && len(ch) > 0:
				say("[%s] %s", time.Now().Format(time.TimeOnly), t)
				say("%s", render(v))
			case len(ch) > 0:
				say("[%s] %s; changed:", time.Now().Format(time.TimeOnly), t)
				say("%s", strings.Join(ch, "\n"))
			}
			last, lastTally = &v, t
			if len(problems) == 0 && !reported {
				reported = true
				say("Every example converged %s after the provider started.", time.Since(providerStarted).Round(100*time.Millisecond))
				say("The imports (managementPolicies: [Observe]) are Ready without a connection Secret: Ory returns a key's value only when it creates the key, so their value is unknown by design.")
				if o.check {
					say("check: OK")
					return 0
				}
				say("Running until Ctrl-C (SIGINT) or SIGTERM.")
			}
		}
		select {
		case <-ctx.Done():
			if o.check {
				say("check: interrupted")
				return 1
			}
			return 0
		case <-deadline:
			say("check: FAILED: not every example converged within %s:", o.timeout)
			for _, p := range problems {
				say("  %s", p)
			}
			say("provider log (last lines) from %s:", p.LogPath())
			say("%s", tail(p.LogPath(), 30))
			return 1
		case <-p.Exited():
			if o.check {
				say("check: FAILED: the provider exited: %v", p.ExitError())
				say("%s", tail(p.LogPath(), 30))
				return 1
			}
			if !warnedExit {
				warnedExit = true
				say("The provider exited (%v); see %s. The control plane keeps running until Ctrl-C.", p.ExitError(), p.LogPath())
			}
			<-tick.C
		case <-tick.C:
		}
	}
}

// withLoopbackPorts returns the provider flags with free loopback addresses
// for the metrics and health endpoints, unless the flags set them, and the
// metrics address ("" when the flags turned metrics off with 0). The
// provider's defaults (:8080, :8081) listen on every interface and often
// collide with other programs on a workstation; localenv's default (0)
// would turn them off.
func withLoopbackPorts(args []string) ([]string, string, error) {
	out := slices.Clone(args)
	for _, f := range []string{metricsFlag, "--health-probe-bind-address"} {
		if hasFlag(out, f) {
			continue
		}
		addr, err := freeLoopbackAddr()
		if err != nil {
			return nil, "", fmt.Errorf("cannot find a free port for %s: %w", f, err)
		}
		out = append(out, f+"="+addr)
	}
	return out, flagValue(out, metricsFlag), nil
}

// metricsFlag is the provider's flag for its Prometheus endpoint.
const metricsFlag = "--metrics-bind-address"

// flagValue returns the value of the last --flag=value or --flag value in
// args, "" for none or for 0 (off).
func flagValue(args []string, flag string) string {
	v := ""
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, flag+"="):
			v = strings.TrimPrefix(a, flag+"=")
		case a == flag && i+1 < len(args):
			v = args[i+1]
		}
	}
	if v == "0" {
		return ""
	}
	return v
}

// metricsURL is where Prometheus would scrape a bind address such as
// 127.0.0.1:4711 or :8080.
func metricsURL(addr string) string {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	return "http://" + addr + "/metrics"
}

// freeLoopbackAddr returns 127.0.0.1:<a port nobody listens on now>.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// projectsCommand is the command that lists the projects of the examples'
// workspace in the simulator: their IDs, slugs, names and states (see
// `orysim keys --help`).
func projectsCommand(simURL string) string {
	return fmt.Sprintf("go run ./cmd/orysim keys --url %s --workspace-key %s", simURL, localenv.ExampleWorkspaceKey)
}

// keysCommand is the command that lists the simulator's keys of the
// examples' project and workspace (see `orysim keys --help`).
func keysCommand(simURL string) string {
	return fmt.Sprintf("%s --project %s --workspace %s", projectsCommand(simURL), localenv.ExampleProjectID, localenv.ExampleWorkspaceID)
}

// resourceRef names an example resource, a Project or a key: its kind, its
// scope and its ID as KeyStatus.ID and ProjectStatus.ID have it.
type resourceRef struct {
	kind    string
	cluster bool
	id      string
}

// exampleResources returns the Projects and the key resources of every kind
// among objs, in order.
func exampleResources(objs []*unstructured.Unstructured) []resourceRef {
	var out []resourceRef
	for _, o := range objs {
		if !localenv.IsKeyResource(o) && !localenv.IsProject(o) {
			continue
		}
		if o.GetNamespace() == "" {
			out = append(out, resourceRef{kind: o.GetKind(), cluster: true, id: o.GetName()})
		} else {
			out = append(out, resourceRef{kind: o.GetKind(), id: o.GetNamespace() + "/" + o.GetName()})
		}
	}
	return out
}

// countKinds says how many of keys are of each kind, in the order the kinds
// first appear: "2 Projects, 4 ProjectAPIKeys, 3 WorkspaceAPIKeys".
func countKinds(keys []resourceRef) string {
	var kinds []string
	n := map[string]int{}
	for _, k := range keys {
		if n[k.kind] == 0 {
			kinds = append(kinds, k.kind)
		}
		n[k.kind]++
	}
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		if n[k] == 1 {
			parts = append(parts, "1 "+k)
		} else {
			parts = append(parts, fmt.Sprintf("%d %ss", n[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

// A credentialsRef is where a ProviderConfig reads an API key: its workspace
// API key (spec.credentials) or its project API key
// (spec.projectCredentials).
type credentialsRef struct {
	// config names the ProviderConfig: "ProviderConfig.ory.m.crossplane.io team-a/self-rotating".
	config string
	secret types.NamespacedName
	key    string
	// project is true for spec.projectCredentials: a project API key, which
	// the provider presents to the project's own API.
	project bool
}

// exampleCredentials returns where the example ProviderConfigs read their
// credentials from a Secret: spec.credentials with source Secret (key
// secretRef.key) and spec.projectCredentials (key "value" of
// connectionSecretRef, a ProjectAPIKey's connection Secret). A namespaced
// ProviderConfig reads a Secret of its own namespace.
func exampleCredentials(objs []*unstructured.Unstructured) []credentialsRef {
	var out []credentialsRef
	for _, o := range objs {
		if !localenv.IsProviderConfig(o) {
			continue
		}
		config := o.GetKind() + "." + o.GroupVersionKind().Group + " " + o.GetName()
		if ns := o.GetNamespace(); ns != "" {
			config = o.GetKind() + "." + o.GroupVersionKind().Group + " " + ns + "/" + o.GetName()
		}
		secret := func(ref map[string]string) types.NamespacedName {
			if ns := o.GetNamespace(); ns != "" {
				ref["namespace"] = ns
			}
			return types.NamespacedName{Namespace: ref["namespace"], Name: ref["name"]}
		}
		if source, _, _ := unstructured.NestedString(o.Object, "spec", "credentials", "source"); source == "Secret" {
			if ref, _, _ := unstructured.NestedStringMap(o.Object, "spec", "credentials", "secretRef"); ref["name"] != "" {
				out = append(out, credentialsRef{config: config, secret: secret(ref), key: ref["key"]})
			}
		}
		if ref, _, _ := unstructured.NestedStringMap(o.Object, "spec", "projectCredentials", "connectionSecretRef"); ref["name"] != "" {
			out = append(out, credentialsRef{config: config, secret: secret(ref), key: common.ConnectionKeyValue, project: true})
		}
	}
	return out
}

// lacking returns what a key lacks to be converged: first what
// KeyStatus.Converged says; then, for a key whose value its connection Secret
// holds where a ProviderConfig reads its credentials (the provider rotating
// its own credentials; a ProjectAPIKey that is a ProviderConfig's
// projectCredentials), a request the simulator answered with success that
// presented that key (a project key on the project's own API): the
// ProviderConfig works with the key the provider wrote, at the URL it
// wrote. A nil sim checks neither the simulator's keys nor its requests.
func lacking(sim *orysim.Server, creds []credentialsRef) func(localenv.KeyStatus) string {
	return func(s localenv.KeyStatus) string {
		if m := s.Converged(sim); m != "" || sim == nil || s.Secret == nil {
			return m
		}
		var log []orysim.LogEntry
		for _, c := range creds {
			if c.secret != (types.NamespacedName{Namespace: s.Secret.Namespace, Name: s.Secret.Name}) || c.key != common.ConnectionKeyValue {
				continue
			}
			if log == nil {
				log = sim.RequestLog()
			}
			if !slices.ContainsFunc(log, func(e orysim.LogEntry) bool {
				presented := e.WorkspaceKeyID
				if c.project {
					presented = e.ProjectKeyID
				}
				return presented == s.KeyID && e.Status >= 200 && e.Status < 300
			}) {
				return fmt.Sprintf("%s has not yet called Ory successfully with key %s, which its credentials Secret %s holds", c.config, s.KeyID, c.secret)
			}
		}
		return ""
	}
}

// A row is one resource of the table: a Project or a key.
type row struct {
	ref           resourceRef
	ready, synced xpv2.Condition
	externalName  string
	// lacks is what the resource lacks to be converged, "" once it is.
	lacks string
	// note says what the resource is once converged.
	note string
	// deleting is true once the resource has a deletion timestamp: the
	// user deleted it, so it is not pending (see tally).
	deleting bool
}

// rows returns the table's rows: the Projects first (keys find them by
// reference), what a Project lacks as ProjectStatus.Converged says against
// sim; then the keys, what a key lacks as lacks says.
func rows(projects []localenv.ProjectStatus, keys []localenv.KeyStatus, sim *orysim.Server, lacks func(localenv.KeyStatus) string) []row {
	out := make([]row, 0, len(projects)+len(keys))
	for _, p := range projects {
		r := row{
			ref:   resourceRef{kind: localenv.ProjectKind, cluster: p.Cluster, id: p.ID()},
			ready: p.Ready, synced: p.Synced, externalName: p.ExternalName,
			lacks: p.Converged(sim), deleting: p.Deleting,
			note: fmt.Sprintf("project %s, %s, API %s", p.AtProvider.Slug, p.AtProvider.State, p.AtProvider.APIURL),
		}
		if p.Import {
			r.note = "import (Observe): " + r.note
		}
		out = append(out, r)
	}
	for _, k := range keys {
		r := row{
			ref:   resourceRef{kind: k.Kind, cluster: k.Cluster, id: k.ID()},
			ready: k.Ready, synced: k.Synced, externalName: k.ExternalName,
			lacks: lacks(k), deleting: k.Deleting,
		}
		switch {
		case k.Import:
			r.note = "import (Observe): no value, by design"
		case k.NoSecret && k.Secret != nil:
			r.note = "public client: no secret, by design; " + k.IDKey() + " in Secret " + k.Secret.Namespace + "/" + k.Secret.Name
		case k.Secret != nil:
			r.note = k.ValueKey() + " in Secret " + k.Secret.Namespace + "/" + k.Secret.Name
		}
		out = append(out, r)
	}
	return out
}

// missing returns, for each example resource not converged (as its row
// says), "<kind> <name>: <what is missing>".
func missing(want []resourceRef, rows []row) []string {
	var out []string
	for _, w := range want {
		i := slices.IndexFunc(rows, func(r row) bool { return r.ref == w })
		if i < 0 {
			out = append(out, label(w)+": does not exist")
			continue
		}
		if m := rows[i].lacks; m != "" {
			out = append(out, label(w)+": "+m)
		}
	}
	return out
}

func label(k resourceRef) string {
	if k.cluster {
		return k.kind + " " + k.id + " (cluster-scoped)"
	}
	return k.kind + " " + k.id
}

// A view is what the table shows: an entry per row (a Project or a key, and
// an example the user deleted) and per connection Secret, each a list of
// fields, so that a change can be told as the fields it changed. It holds
// no clock and nothing of an object the table does not show (its
// resourceVersion, a condition's transition time), so it changes only when
// what a person reads does.
type view struct {
	rows, secrets []entry
}

// An entry is a row of the table or a connection Secret: its name and its
// fields in order.
type entry struct {
	name   string
	fields []field
}

// A field is a label and its value as shown: a table column ("READY",
// "True"), a Secret's key and its masked value, or "" and a state of the
// Secret ("(does not exist yet)").
type field struct{ label, value string }

// rowColumns are the columns of the table after KIND and NAME.
var rowColumns = []string{"API", "READY", "SYNCED", "EXTERNAL-NAME", "NOTE"}

// show is the view of the Projects and keys of every kind (rows), a row's
// note saying what it lacks until it converged, the examples the user
// deleted (in want, not in rows), then the keys' Secrets (statuses).
func show(rows []row, statuses []localenv.KeyStatus, want []resourceRef) view {
	var v view
	for _, r := range rows {
		note := r.note
		if r.lacks != "" {
			note = truncate(firstTelling(r.lacks), 100)
		}
		if !slices.Contains(want, r.ref) {
			note = "(not an example) " + note
		}
		v.rows = append(v.rows, rowEntry(r.ref, string(r.ready.Status), string(r.synced.Status), r.externalName, note))
	}
	for _, w := range want {
		if !slices.ContainsFunc(rows, func(r row) bool { return r.ref == w }) {
			v.rows = append(v.rows, rowEntry(w, "", "", "", "deleted"))
		}
	}
	for _, s := range statuses {
		if s.Secret == nil {
			continue
		}
		e := entry{name: fmt.Sprintf("%s/%s (of %s %s)", s.Secret.Namespace, s.Secret.Name, s.Kind, s.ID())}
		switch {
		case !s.Secret.Found:
			e.fields = []field{{value: "(does not exist yet)"}}
		case len(s.Secret.Data) == 0:
			e.fields = []field{{value: "(empty)"}}
		default:
			keys := make([]string, 0, len(s.Secret.Data))
			for k := range s.Secret.Data {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				e.fields = append(e.fields, field{label: k, value: shown(k, s.Secret.Data[k], s.ValueKey())})
			}
		}
		v.secrets = append(v.secrets, e)
	}
	return v
}

// firstTelling is the first condition of lacks (its "; "-separated parts)
// that is False, which says why, or else its first part:
// "Synced=False (ReconcileError): cannot resolve references..." tells a
// person why a key waits, "Ready=Unknown" before it does not.
func firstTelling(lacks string) string {
	parts := strings.Split(lacks, "; ")
	for _, p := range parts {
		if strings.HasPrefix(p, string(xpv2.TypeReady)+"=False") || strings.HasPrefix(p, string(xpv2.TypeSynced)+"=False") {
			return p
		}
	}
	return parts[0]
}

func rowEntry(ref resourceRef, ready, synced, externalName, note string) entry {
	api := "ory.m"
	if ref.cluster {
		api = "ory (cluster)"
	}
	values := []string{api, orDash(ready), orDash(synced), orDash(externalName), note}
	e := entry{name: ref.kind + " " + ref.id}
	for i, c := range rowColumns {
		e.fields = append(e.fields, field{label: c, value: values[i]})
	}
	return e
}

// render is the whole table of v, then its Secrets.
func render(v view) string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  KIND\tNAME\t"+strings.Join(rowColumns, "\t"))
	for _, e := range v.rows {
		kind, id, _ := strings.Cut(e.name, " ")
		values := make([]string, 0, len(e.fields))
		for _, f := range e.fields {
			values = append(values, f.value)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", kind, id, strings.Join(values, "\t"))
	}
	_ = tw.Flush()
	if len(v.secrets) > 0 {
		fmt.Fprintln(&b, "  CONNECTION SECRETS")
	}
	for _, e := range v.secrets {
		fmt.Fprintf(&b, "  %s\n", e.name)
		// The values of a Secret line up: its longest key
		// (authorizationURL of a client) sets the column.
		width := 12
		for _, f := range e.fields {
			width = max(width, len(f.label)+1)
		}
		for _, f := range e.fields {
			if f.label == "" {
				fmt.Fprintf(&b, "    %s\n", f.value)
				continue
			}
			fmt.Fprintf(&b, "    %-*s %s\n", width, f.label+":", f.value)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// changes tells what changed from old to v, a line per entry that changed:
// its name and the new values of the fields that changed ("READY True"), or
// that it is new or no longer shown. It is empty when nothing shown changed.
func changes(old, v view) []string {
	var out []string
	for _, part := range []struct {
		prefix   string
		old, new []entry
	}{{"", old.rows, v.rows}, {"Secret ", old.secrets, v.secrets}} {
		for _, e := range part.new {
			i := slices.IndexFunc(part.old, func(o entry) bool { return o.name == e.name })
			if i < 0 {
				out = append(out, "  + "+part.prefix+e.name+": "+fieldsText(e.fields, nil))
				continue
			}
			if d := fieldsText(e.fields, part.old[i].fields); d != "" {
				out = append(out, "  ~ "+part.prefix+e.name+": "+d)
			}
		}
		for _, o := range part.old {
			if !slices.ContainsFunc(part.new, func(e entry) bool { return e.name == o.name }) {
				out = append(out, "  - "+part.prefix+o.name+": no longer shown")
			}
		}
	}
	return out
}

// fieldsText is the fields of fs that old lacks or has with another value,
// as "LABEL value, ...", and a Secret's key that is gone as "LABEL removed".
func fieldsText(fs, old []field) string {
	var parts []string
	for _, f := range fs {
		if slices.Contains(old, f) {
			continue
		}
		parts = append(parts, strings.TrimSpace(f.label+" "+f.value))
	}
	for _, o := range old {
		if o.label != "" && !slices.ContainsFunc(fs, func(f field) bool { return f.label == o.label }) {
			parts = append(parts, o.label+" removed")
		}
	}
	return strings.Join(parts, ", ")
}

// A tally counts the examples for the headline: a converged example is one
// whose row lacks nothing; a deleted one (gone, or with a deletion
// timestamp) was deleted by the user and is neither converged nor pending.
type tally struct{ converged, existing, deleted int }

func count(want []resourceRef, rows []row) tally {
	var t tally
	for _, w := range want {
		i := slices.IndexFunc(rows, func(r row) bool { return r.ref == w })
		switch {
		case i < 0 || rows[i].deleting:
			t.deleted++
		case rows[i].lacks == "":
			t.existing++
			t.converged++
		default:
			t.existing++
		}
	}
	return t
}

// String is the headline: "9/9 examples converged (2 deleted)".
func (t tally) String() string {
	s := fmt.Sprintf("%d/%d examples converged", t.converged, t.existing)
	if t.deleted > 0 {
		s += fmt.Sprintf(" (%d deleted)", t.deleted)
	}
	return s
}

// all reports whether every example that was not deleted converged.
func (t tally) all() bool { return t.converged == t.existing }

func orZero(v *view) view {
	if v == nil {
		return view{}
	}
	return *v
}

// shown masks the secret (the value of an API key, the secret of an OAuth2
// client: the Secret's key valueKey) and anything that looks like an Ory
// key; IDs and URLs are not secret and are shown whole.
func shown(key string, v []byte, valueKey string) string {
	if key == valueKey || key == common.ConnectionKeyValue || key == common.ConnectionKeyClientSecret || bytes.HasPrefix(v, []byte("ory_")) {
		return localenv.Mask(v)
	}
	return string(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// tail returns the last n lines of a file, indented.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	defer f.Close() //nolint:errcheck // read only
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		lines = append(lines, "  "+s.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// indent prefixes every line written to w with two spaces.
func indent(w io.Writer) io.Writer { return &indenter{w: w} }

type indenter struct{ w io.Writer }

func (i *indenter) Write(p []byte) (int, error) {
	lines := strings.SplitAfter(string(p), "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("  " + l)
		}
	}
	if _, err := io.WriteString(i.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
