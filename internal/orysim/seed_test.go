package orysim

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreateKey(t *testing.T) {
	const (
		fixedKey = "00000000-0000-4000-8000-00000000a001"
		wsKey    = "ory_wak_a"
	)
	cases := map[string]struct {
		reason  string
		spec    func(p Project, ws Workspace) KeySpec
		wantErr string
		wantID  string
	}{
		"FixedID": {
			reason: "Examples import keys by a fixed ID.",
			spec:   func(p Project, _ Workspace) KeySpec { return KeySpec{Project: p.ID, ID: fixedKey, Name: "legacy-ci"} },
			wantID: fixedKey,
		},
		"UpperCaseIDNormalised": {
			reason: "Key IDs are stored in their canonical lower case form.",
			spec: func(p Project, _ Workspace) KeySpec {
				return KeySpec{Project: p.Slug, ID: strings.ToUpper(fixedKey), Name: "legacy-ci"}
			},
			wantID: fixedKey,
		},
		"GeneratedID": {
			reason: "Without an ID the key gets a generated one, like SeedKey.",
			spec:   func(p Project, _ Workspace) KeySpec { return KeySpec{Project: p.ID, Name: "generated"} },
		},
		"UnknownProject": {
			reason:  "An unknown project is an error, not a zero Key.",
			spec:    func(Project, Workspace) KeySpec { return KeySpec{Project: "nope", Name: "k"} },
			wantErr: "unknown project",
		},
		"BadID": {
			reason:  "A fixed ID must be a UUID.",
			spec:    func(p Project, _ Workspace) KeySpec { return KeySpec{Project: p.ID, ID: "key-1", Name: "k"} },
			wantErr: "not a UUID",
		},
		"DuplicateID": {
			reason: "Key IDs are unique across projects.",
			spec: func(Project, Workspace) KeySpec {
				return KeySpec{Project: "other", ID: "00000000-0000-4000-8000-0000000000ff", Name: "k"}
			},
			wantErr: "already exists",
		},
		"WorkspaceKey": {
			reason: "A workspace key with a fixed ID, to import one.",
			spec: func(_ Project, ws Workspace) KeySpec {
				return KeySpec{Workspace: ws.ID, ID: fixedKey, Name: "ci-rotation"}
			},
			wantID: fixedKey,
		},
		"WorkspaceKeyIDTakenByProjectKey": {
			reason: "Key IDs are unique across projects and workspaces.",
			spec: func(_ Project, ws Workspace) KeySpec {
				return KeySpec{Workspace: ws.ID, ID: "00000000-0000-4000-8000-0000000000ff", Name: "k"}
			},
			wantErr: "already exists",
		},
		"UnknownWorkspace": {
			reason:  "An unknown workspace is an error.",
			spec:    func(Project, Workspace) KeySpec { return KeySpec{Workspace: fixedKey, Name: "k"} },
			wantErr: "unknown workspace",
		},
		"BothHolders": {
			reason:  "A key has one holder.",
			spec:    func(p Project, ws Workspace) KeySpec { return KeySpec{Project: p.ID, Workspace: ws.ID, Name: "k"} },
			wantErr: "exactly one",
		},
		"NoName": {
			reason:  "Every key has a name.",
			spec:    func(p Project, _ Workspace) KeySpec { return KeySpec{Project: p.ID} },
			wantErr: "needs a name",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim, err := New(WithoutContractCheck())
			if err != nil {
				t.Fatal(err)
			}
			p := sim.AddProject(wsKey, "seeded")
			ws := sim.AddWorkspace(wsKey)
			sim.AddProject(wsKey, "other")
			if _, err := sim.CreateKey(KeySpec{Project: p.ID, ID: "00000000-0000-4000-8000-0000000000ff", Name: "taken"}); err != nil {
				t.Fatal(err)
			}
			k, err := sim.CreateKey(tc.spec(p, ws))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nCreateKey: want error containing %q, got %v", tc.reason, tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nCreateKey: %v", tc.reason, err)
			}
			if tc.wantID != "" && k.ID != tc.wantID {
				t.Errorf("%s\nID: want %s, got %s", tc.reason, tc.wantID, k.ID)
			}
			stored, ok := sim.Key(p.ID, k.ID)
			if k.WorkspaceID != "" {
				stored, ok = sim.WorkspaceKey(ws.ID, k.ID)
			}
			if !ok {
				t.Fatalf("%s\nthe key is not stored under its ID %s", tc.reason, k.ID)
			}
			if diff := cmp.Diff(k, stored); diff != "" {
				t.Errorf("%s\nreturned and stored key differ (-returned, +stored):\n%s", tc.reason, diff)
			}
		})
	}
}

// TestCreateKeyListed checks a key with a fixed ID is served like any other:
// listed under its ID, without last_characters when asked, and deletable.
func TestCreateKeyListed(t *testing.T) {
	f := newFixture(t)
	const id = "00000000-0000-4000-8000-00000000a002"
	if _, err := f.sim.CreateKey(KeySpec{Project: f.project.ID, ID: id, Name: "legacy", WithoutLastCharacters: true}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	keys, _, err := f.client.ProjectAPI.ListProjectApiKeys(ctx, f.project.ID).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Id != id || keys[0].Name != "legacy" || keys[0].GetLastCharacters() != "" {
		t.Fatalf("listed keys: want one key %s named legacy without last_characters, got %+v", id, keys)
	}
	if _, err := f.client.ProjectAPI.DeleteProjectApiKey(ctx, f.project.ID, id).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.sim.Key(f.project.ID, id); ok {
		t.Error("the key is still stored after its DELETE")
	}
}
