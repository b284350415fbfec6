package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestKeys runs `orysim keys` against a simulator over HTTP, as a person
// following the README would against `make run`'s simulator.
func TestKeys(t *testing.T) {
	const wsKey = "ory_wak_keys_test"
	sim, url := orysim.StartTest(t)
	ws := sim.AddWorkspace(wsKey)
	p := sim.AddProject(wsKey, "shop")
	empty := sim.AddProject(wsKey, "empty")
	purged := sim.AddProject(wsKey, "purged")
	sim.PurgeProject(purged.ID)
	deleted := sim.AddProject(wsKey, "retired")
	sim.DeleteProject(deleted.ID)
	// Another workspace's project: Ory answers 403 for it as for a purged one.
	other := sim.AddProject("ory_wak_other_workspace", "other")
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	made, err := sim.CreateKey(orysim.KeySpec{Project: p.ID, Name: "checkout", ExpiresAt: &expires})
	if err != nil {
		t.Fatal(err)
	}
	legacy := sim.SeedKey(p.ID, "legacy-ci", nil, false)
	rotation, err := sim.CreateKey(orysim.KeySpec{Workspace: ws.ID, Name: "rotation"})
	if err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		reason string
		args   []string
		// want are substrings of stdout (a line per key), wantErr of the error.
		want    []string
		wantErr string
		// not are substrings stdout must not hold.
		not []string
	}{
		"ListsEveryKey": {
			reason: "Each key of the project is a line with its project, slug, ID, name, expiry and last characters.",
			args:   []string{"--url", url, "--workspace-key", wsKey, "--project", p.ID},
			want: []string{
				"PROJECT", "LAST CHARACTERS",
				p.ID + "  shop  " + made.ID, "checkout", "2030-01-02T03:04:05Z", made.Value[len(made.Value)-4:],
				legacy.ID, "legacy-ci",
			},
		},
		"EmptyProject": {
			reason: "A project without keys says so rather than printing nothing, and several projects go in one table.",
			args:   []string{"--url", url, "--workspace-key", wsKey, "--project", p.ID, "--project", empty.ID},
			want:   []string{empty.ID + "  empty  -", "(no keys)", made.ID},
		},
		"WorkspaceKeyFromEnvironment": {
			reason: "The workspace key can stay out of the process list and shell history.",
			args:   []string{"--url", url, "--project", p.ID},
			want:   []string{made.ID},
		},
		"WrongWorkspaceKey": {
			reason:  "A rejected workspace key is an error that says so, not an empty table.",
			args:    []string{"--url", url, "--workspace-key", "ory_wak_wrong", "--project", p.ID},
			wantErr: "project " + p.ID,
		},
		"UnknownProject": {
			reason: "A project Ory answers 403 for and does not list is a line that says it may be purged, not a bare 403.",
			args:   []string{"--url", url, "--workspace-key", wsKey, "--project", "00000000-0000-4000-8000-0000000000ff", "--project", p.ID},
			want:   []string{"00000000-0000-4000-8000-0000000000ff  -", "(project not found: purged, or not of this workspace", made.ID},
		},
		"PurgedProject": {
			reason: "After a purge (the README's walk deletes a Project) the purged project says so, and the other projects' keys are still listed.",
			args:   []string{"--url", url, "--workspace-key", wsKey, "--project", purged.ID, "--project", p.ID},
			want:   []string{purged.ID + "  -", "purged", made.ID},
		},
		"OtherWorkspacesProject": {
			reason: "Ory's 403 cannot tell another workspace's project from a purged one; the line names both.",
			args:   []string{"--url", url, "--workspace-key", wsKey, "--project", other.ID},
			want:   []string{other.ID, "purged, or not of this workspace"},
		},
		"DeletedProject": {
			reason: "A project deleted in the console is still read, with its slug, but Ory lists no keys of it.",
			args:   []string{"--url", url, "--workspace-key", wsKey, "--project", deleted.ID},
			want:   []string{deleted.ID + "  retired", "(project deleted in the console"},
		},
		"ListsProjects": {
			reason: "Without a project or workspace named, the command lists the workspace's projects (ID, slug, name, state), so a person finds the projects `make run` made.",
			args:   []string{"--url", url, "--workspace-key", wsKey},
			want: []string{
				"PROJECT", "SLUG", "NAME", "STATE", "CREATED",
				p.ID + "  shop", "running", empty.ID + "  empty", deleted.ID + "  retired", "deleted",
			},
			not: []string{purged.ID, other.ID, "KEY ID"},
		},
		"ProjectsAndKeys": {
			reason: "--projects lists the projects before the keys of a named project.",
			args:   []string{"--url", url, "--workspace-key", wsKey, "--projects", "--project", p.ID},
			want:   []string{"STATE", empty.ID, "KEY ID", made.ID},
		},
		"WorkspaceKeys": {
			reason: "Each key of a workspace is a line with the workspace, ID, name and last characters; the key the command calls with is one of them.",
			args:   []string{"--url", url, "--workspace-key", wsKey, "--workspace", ws.ID},
			want: []string{
				"WORKSPACE", "LAST CHARACTERS",
				ws.ID + "  " + ws.KeyID, ws.ID + "  " + rotation.ID, "rotation", rotation.Value[len(rotation.Value)-4:],
			},
		},
		"ProjectsAndWorkspaces": {
			reason: "Both kinds of holders go in one call, a table each.",
			args:   []string{"--url", url, "--workspace-key", wsKey, "--project", p.ID, "--workspace", ws.ID},
			want:   []string{"PROJECT", made.ID, "WORKSPACE", rotation.ID},
		},
		"UnknownWorkspace": {
			reason:  "A workspace the key does not reach is an error naming it.",
			args:    []string{"--url", url, "--workspace-key", wsKey, "--workspace", "00000000-0000-4000-8000-0000000000fe"},
			wantErr: "workspace 00000000-0000-4000-8000-0000000000fe",
		},
		"NoURL": {
			reason:  "Without --url the command would not know which console to ask.",
			args:    []string{"--workspace-key", wsKey, "--project", p.ID},
			wantErr: "--url is required",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env := ""
			if name == "WorkspaceKeyFromEnvironment" {
				env = wsKey
			}
			t.Setenv(workspaceKeyEnv, env)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"keys"}, tc.args...), &stdout, &stderr)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("%s\nunexpected error: %v", tc.reason, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("%s\nerror: want one containing %q, got %v", tc.reason, tc.wantErr, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("%s\nwant %q in:\n%s", tc.reason, w, stdout.String())
				}
			}
			for _, n := range tc.not {
				if strings.Contains(stdout.String(), n) {
					t.Errorf("%s\nwant no %q in:\n%s", tc.reason, n, stdout.String())
				}
			}
			// The value exists once, in the response that made the key.
			if out := stdout.String() + stderr.String(); strings.Contains(out, made.Value) || strings.Contains(out, rotation.Value) || strings.Contains(out, wsKey) ||
				(err != nil && strings.Contains(err.Error(), made.Value)) {
				t.Errorf("output holds a key's value:\n%s", out)
			}
		})
	}

	t.Run("Help", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"keys", "--help"}, &stdout, &stderr)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "Usage: orysim keys") || !strings.Contains(stderr.String(), "-project") {
			t.Errorf("keys --help: want the usage with its flags and flag.ErrHelp, got %v:\n%s", err, stderr.String())
		}
	})
}
