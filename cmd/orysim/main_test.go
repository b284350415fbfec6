package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

func TestLoadConfig(t *testing.T) {
	cases := map[string]struct {
		reason  string
		path    string
		env     map[string]string
		wantErr string
		want    []string // workspace name/key pairs after resolveKeys
	}{
		"Example": {
			reason: "The example shipped for `make run` loads.",
			path:   "example.yaml",
			want:   []string{"local=ory_wak_orysim_local"},
		},
		"UnknownField": {
			reason:  "Typos in the file are errors, not silently ignored settings.",
			path:    "testdata/bad-field.yaml",
			wantErr: "unknown field",
		},
		"Missing": {
			reason:  "A missing file is reported.",
			path:    "testdata/nope.yaml",
			wantErr: "no such file",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := loadConfig(tc.path)
			if err == nil {
				err = c.resolveKeys()
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				if tc.wantErr != "" && strings.Contains(gotErr, tc.wantErr) {
					gotErr = tc.wantErr
				}
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Fatalf("%s\nerror: -want, +got:\n%s", tc.reason, diff)
			}
			if err != nil {
				return
			}
			var got []string
			for _, ws := range c.Workspaces {
				got = append(got, ws.Name+"="+ws.Key)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nworkspaces: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestResolveKeys(t *testing.T) {
	cases := map[string]struct {
		reason  string
		cfg     config
		env     map[string]string
		wantErr string
	}{
		"FromEnv": {
			reason: "keyEnv keeps keys out of files.",
			cfg:    config{Workspaces: []workspaceConfig{{Name: "a", KeyEnv: "ORYSIM_TEST_KEY"}}},
			env:    map[string]string{"ORYSIM_TEST_KEY": "ory_wak_env"},
		},
		"EmptyEnv": {
			reason:  "An unset keyEnv is an error rather than a workspace nobody can use.",
			cfg:     config{Workspaces: []workspaceConfig{{Name: "a", KeyEnv: "ORYSIM_TEST_UNSET"}}},
			wantErr: "is empty",
		},
		"ProjectKey": {
			reason:  "A project API key cannot be a workspace key; the console would answer 403.",
			cfg:     config{Workspaces: []workspaceConfig{{Name: "a", Key: "ory_pat_x"}}},
			wantErr: "project API key",
		},
		"NoWorkspace": {
			reason:  "Without a workspace every request would be 401.",
			cfg:     config{},
			wantErr: "no workspace configured",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := tc.cfg.resolveKeys()
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				if tc.wantErr != "" && strings.Contains(gotErr, tc.wantErr) {
					gotErr = tc.wantErr
				}
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("%s\nerror: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRun(t *testing.T) {
	const key = "ory_wak_secret_do_not_print"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{
			"--workspace-key", key,
			"--workspace-id", "0c4f5b1e-7d2a-4e8b-9f36-2a1d5c7e9b40",
			"--project", "demo=5f0f7a1c-3b52-4c1e-9a57-6c4a3e0c7d11",
			"--rate-limit", "100", "--burst", "10",
		}, io.MultiWriter(pw, &stdout), &stderr)
		_ = pw.Close()
	}()

	first, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v (stderr: %s)", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	url := strings.TrimSpace(first[strings.LastIndex(first, " "):])

	c := orysim.NewClient(url, key)
	p, _, err := c.ProjectAPI.GetProject(ctx, "5f0f7a1c-3b52-4c1e-9a57-6c4a3e0c7d11").Execute()
	if err != nil {
		t.Fatalf("GetProject against the command: %v", err)
	}
	wsKeys, _, err := c.WorkspaceAPI.ListWorkspaceApiKeys(ctx, "0c4f5b1e-7d2a-4e8b-9f36-2a1d5c7e9b40").Execute()
	if err != nil {
		t.Fatalf("ListWorkspaceApiKeys against the command: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop after cancel")
	}

	out := stdout.String()
	cases := map[string]struct {
		reason string
		got    any
		want   any
	}{
		"URLFirst": {
			reason: "The first line ends with the URL, for scripts and people.",
			got:    strings.HasPrefix(url, "http://127.0.0.1:"),
			want:   true,
		},
		"FixedProjectID": {
			reason: "--project SLUG=UUID fixes the project's ID.",
			got:    p.Slug,
			want:   "demo",
		},
		"NoKeyPrinted": {
			reason: "Key values are never printed.",
			got:    strings.Contains(out+stderr.String(), key),
			want:   false,
		},
		"FixedWorkspaceID": {
			reason: "--workspace-id fixes the workspace's ID, whose only key is the one it was set up with.",
			got:    len(wsKeys) == 1 && strings.Contains(out, "its key id="+wsKeys[0].GetId()),
			want:   true,
		},
		"SetupPrinted": {
			reason: "What was set up is printed by name and id.",
			got: strings.Contains(out, `workspace "default" id=0c4f5b1e-7d2a-4e8b-9f36-2a1d5c7e9b40`) &&
				strings.Contains(out, `project "demo" id=5f0f7a1c-3b52-4c1e-9a57-6c4a3e0c7d11`),
			want: true,
		},
		"FaultsPrinted": {
			reason: "Active faults are listed.",
			got:    strings.Contains(out, "faults: rate limit 100/s burst 10"),
			want:   true,
		},
		"SummaryOnExit": {
			reason: "Request counts are printed on shutdown.",
			got:    strings.Contains(out, "getProject: 1 requests"),
			want:   true,
		},
		"NoViolations": {
			reason: "The command serves through the contract check like tests do.",
			got:    strings.Contains(stderr.String(), "contract violation"),
			want:   false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s\nstdout:\n%s", tc.reason, diff, out)
			}
		})
	}
}

func TestSeed(t *testing.T) {
	const (
		wsID   = "0c4f5b1e-7d2a-4e8b-9f36-2a1d5c7e9b40"
		keyID  = "0c4f5b1e-7d2a-4e8b-9f36-2a1d5c7e9b41"
		wakID  = "0c4f5b1e-7d2a-4e8b-9f36-2a1d5c7e9b42"
		patID  = "0c4f5b1e-7d2a-4e8b-9f36-2a1d5c7e9b43"
		projID = "5f0f7a1c-3b52-4c1e-9a57-6c4a3e0c7d11"
	)
	full := workspaceConfig{
		Name: "local", ID: wsID, Key: "ory_wak_seed", KeyID: keyID,
		Keys:     []seedKeyConfig{{ID: wakID, Name: "ci-rotation"}},
		Projects: []projectConfig{{Slug: "shop", ID: projID, Keys: []seedKeyConfig{{ID: patID, Name: "legacy-ci", WithoutLastCharacters: true}}}},
	}
	cases := map[string]struct {
		reason  string
		cfg     config
		wantErr string
		// want are the workspace's and the project's key IDs afterwards.
		wantWorkspaceKeys, wantProjectKeys []string
	}{
		"FixedIDs": {
			reason:            "Examples name the workspace and import its keys and the project's by fixed IDs.",
			cfg:               config{Workspaces: []workspaceConfig{full}},
			wantWorkspaceKeys: []string{keyID, wakID}, wantProjectKeys: []string{patID},
		},
		"SameKeyTwice": {
			reason:  "A workspace key reaches one workspace: a second workspace with it is an error, not a silent merge.",
			cfg:     config{Workspaces: []workspaceConfig{{Name: "a", Key: "ory_wak_seed"}, {Name: "b", Key: "ory_wak_seed"}}},
			wantErr: "workspace b",
		},
		"KeyIDTwice": {
			reason: "Key IDs are unique across workspaces and projects.",
			cfg: config{Workspaces: []workspaceConfig{{
				Name: "local", Key: "ory_wak_seed", KeyID: keyID,
				Projects: []projectConfig{{Slug: "shop", Keys: []seedKeyConfig{{ID: keyID, Name: "dup"}}}},
			}}},
			wantErr: "already exists",
		},
		"BadWorkspaceID": {
			reason:  "A fixed workspace ID must be a UUID.",
			cfg:     config{Workspaces: []workspaceConfig{{Name: "local", Key: "ory_wak_seed", ID: "local"}}},
			wantErr: "not a UUID",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim, err := orysim.New(orysim.WithoutContractCheck())
			if err != nil {
				t.Fatal(err)
			}
			var report strings.Builder
			err = tc.cfg.seed(sim, func(format string, a ...any) { fmt.Fprintf(&report, format, a...) })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nwant an error containing %q, got %v", tc.reason, tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			var gotWS, gotP []string
			for _, k := range sim.WorkspaceKeys(wsID) {
				gotWS = append(gotWS, k.ID)
			}
			for _, k := range sim.Keys(projID) {
				gotP = append(gotP, k.ID)
			}
			if diff := cmp.Diff([][]string{tc.wantWorkspaceKeys, tc.wantProjectKeys}, [][]string{gotWS, gotP}); diff != "" {
				t.Errorf("%s\nkey IDs: -want, +got:\n%s", tc.reason, diff)
			}
			if strings.Contains(report.String(), "ory_wak_seed") {
				t.Errorf("%s\nthe report shows a workspace key's value:\n%s", tc.reason, report.String())
			}
		})
	}
}
