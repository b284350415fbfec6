package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane-contrib/provider-ory/internal/localenv"
)

func TestRenderNeverShowsValues(t *testing.T) {
	const value = "ory_pat_0123456789abcdefghijklmnopqrWXYZ"
	ready := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue}
	synced := xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionTrue}
	statuses := []localenv.KeyStatus{
		{
			Namespace: "team-a", Name: "payments", Ready: ready, Synced: synced,
			ExternalName: "k1", KeyID: "k1", ProjectID: "p1",
			Secret: &localenv.SecretStatus{Namespace: "team-a", Name: "payments-ory-api-key", Found: true, Data: map[string][]byte{
				"value": []byte(value), "keyID": []byte("k1"), "projectID": []byte("p1"),
			}},
		},
		{Cluster: true, Name: "imported", Ready: ready, Synced: synced, ExternalName: "k2", KeyID: "k2", Import: true, ValueUnknown: true},
	}
	got := render(statuses, nil, []keyRef{{id: "team-a/payments"}, {cluster: true, id: "imported"}})
	if strings.Contains(got, value[8:len(value)-4]) {
		t.Fatalf("render shows a key's value:\n%s", got)
	}
	for _, want := range []string{"value:     ory_pat_****WXYZ (40 bytes)", "keyID:     k1", "import (Observe): no value, by design", "team-a/payments"} {
		if !strings.Contains(got, want) {
			t.Errorf("render: want %q in\n%s", want, got)
		}
	}
}

func TestParse(t *testing.T) {
	cases := map[string]struct {
		args []string
		want []string
	}{
		"DefaultPoll":  {args: nil, want: []string{"--poll=" + defaultPoll}},
		"OwnPoll":      {args: []string{"--", "--poll=1m"}, want: []string{"--poll=1m"}},
		"DebugAndMore": {args: []string{"--debug", "--", "--max-reconcile-rate=2"}, want: []string{"--debug", "--poll=" + defaultPoll, "--max-reconcile-rate=2"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := parse(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.args, tc.want) {
				t.Errorf("provider flags: want %v, got %v", tc.want, o.args)
			}
		})
	}
}

// TestRunPrintsWorkingAddresses runs what `make run` runs and follows what it
// prints, as a person would: the metrics address must serve the provider's
// own metrics, the command line must be the one the provider runs with, and
// the command that shows Ory's side must name the simulator it started.
func TestRunPrintsWorkingAddresses(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		msg := "KUBEBUILDER_ASSETS must be set: KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) go test ./cmd/localrun"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, nil, w)
		_ = w.Close()
	}()
	t.Cleanup(func() {
		cancel()
		go func() { _, _ = io.Copy(io.Discard, r) }()
		if code := <-done; code != 0 {
			t.Errorf("localrun exited %d after Ctrl-C, want 0", code)
		}
	})

	var output strings.Builder
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	var metrics, commandLine, keysLine string
	deadline := time.After(8 * time.Minute)
	for converged := false; !converged; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("localrun stopped before the examples converged:\n%s", output.String())
			}
			output.WriteString(l + "\n")
			switch f := strings.Fields(l); {
			case strings.HasPrefix(l, "  provider metrics: "):
				metrics = f[2]
			case strings.HasPrefix(l, "    KUBECONFIG="):
				commandLine = l
			case strings.Contains(l, "./cmd/orysim keys "):
				keysLine = l
			case strings.HasPrefix(l, "Every example converged"):
				converged = true
			}
		case <-deadline:
			t.Fatalf("the examples did not converge in time:\n%s", output.String())
		}
	}
	go func() {
		for range lines { // keep localrun from blocking on its output
		}
	}()

	if !strings.HasPrefix(metrics, "http://127.0.0.1:") {
		t.Fatalf("metrics address: want a loopback URL, got %q in:\n%s", metrics, output.String())
	}
	for _, want := range []string{"--poll=" + defaultPoll, "--metrics-bind-address=" + strings.TrimSuffix(strings.TrimPrefix(metrics, "http://"), "/metrics"), "--health-probe-bind-address=127.0.0.1:"} {
		if !strings.Contains(commandLine, want) {
			t.Errorf("printed provider command line %q lacks %q", commandLine, want)
		}
	}
	resp, err := http.Get(metrics)
	if err != nil {
		t.Fatalf("scraping the printed metrics address: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(body), "provider_ory_requests_total{") {
		t.Errorf("%s: want provider_ory_requests_total (the examples made console calls), got %d bytes without it", metrics, len(body))
	}
	for _, want := range []string{"--url http://127.0.0.1:", "--workspace-key " + localenv.ExampleWorkspaceKey, "--project " + localenv.ExampleProjectID, "--workspace " + localenv.ExampleWorkspaceID} {
		if !strings.Contains(keysLine, want) {
			t.Errorf("printed keys command %q lacks %q", keysLine, want)
		}
	}
}

func TestWithLoopbackPorts(t *testing.T) {
	cases := map[string]struct {
		reason      string
		args        []string
		wantMetrics string // "loopback" for a chosen free port
		wantArgs    int
	}{
		"Defaults": {
			reason:      "make run serves metrics and health on free loopback ports, never the provider's :8080/:8081 on every interface.",
			args:        []string{"--poll=10s"},
			wantMetrics: "loopback",
			wantArgs:    3,
		},
		"OwnMetrics": {
			reason:      "Flags after -- win.",
			args:        []string{"--metrics-bind-address=127.0.0.1:9999"},
			wantMetrics: "127.0.0.1:9999",
			wantArgs:    2,
		},
		"MetricsOff": {
			reason:      "--metrics-bind-address=0 turns metrics off; nothing is printed for them.",
			args:        []string{"--metrics-bind-address=0", "--health-probe-bind-address=0"},
			wantMetrics: "",
			wantArgs:    2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args, metrics, err := withLoopbackPorts(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if len(args) != tc.wantArgs {
				t.Errorf("%s\nargs: want %d, got %v", tc.reason, tc.wantArgs, args)
			}
			if tc.wantMetrics == "loopback" {
				if !strings.HasPrefix(metrics, "127.0.0.1:") || metrics == "127.0.0.1:0" {
					t.Errorf("%s\nmetrics address: want 127.0.0.1:<port>, got %q", tc.reason, metrics)
				}
				return
			}
			if metrics != tc.wantMetrics {
				t.Errorf("%s\nmetrics address: want %q, got %q", tc.reason, tc.wantMetrics, metrics)
			}
		})
	}
}
