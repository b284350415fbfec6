package orysim

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCreateProject(t *testing.T) {
	const fixedID = "5f0f7a1c-3b52-4c1e-9a57-6c4a3e0c7d11"
	cases := map[string]struct {
		reason   string
		spec     ProjectSpec
		wantErr  string
		wantID   string
		wantSlug string
		// wantPlace is the environment and home region, when not the
		// defaults.
		wantPlace [2]string
	}{
		"FixedID": {
			reason:   "Examples reference projects by a fixed UUID.",
			spec:     ProjectSpec{WorkspaceKey: "ory_wak_a", Slug: "fixed", ID: fixedID},
			wantID:   fixedID,
			wantSlug: "fixed",
		},
		"UpperCaseIDNormalised": {
			reason:   "UUIDs are stored in their canonical lower case form.",
			spec:     ProjectSpec{WorkspaceKey: "ory_wak_a", Slug: "upper", ID: strings.ToUpper(fixedID)},
			wantID:   fixedID,
			wantSlug: "upper",
		},
		"UnknownWorkspace": {
			reason:  "CreateProject reports an unknown workspace key instead of inventing one.",
			spec:    ProjectSpec{WorkspaceKey: "ory_wak_nobody", Slug: "x"},
			wantErr: "unknown workspace key",
		},
		"BadID": {
			reason:  "A fixed ID must be a UUID, the spec's format for project ids.",
			spec:    ProjectSpec{WorkspaceKey: "ory_wak_a", ID: "project-1"},
			wantErr: "not a UUID",
		},
		"DuplicateSlug": {
			reason:  "Slugs identify projects, so they must be unique.",
			spec:    ProjectSpec{WorkspaceKey: "ory_wak_a", Slug: "taken"},
			wantErr: "already exists",
		},
		"SlugLooksLikeID": {
			reason:  "A UUID-shaped slug would make {project} ambiguous.",
			spec:    ProjectSpec{WorkspaceKey: "ory_wak_a", Slug: fixedID},
			wantErr: "looks like a project id",
		},
		"UnknownEnvironment": {
			reason:  "The environment is an enum of the spec; another value would make every read of the project break the contract.",
			spec:    ProjectSpec{WorkspaceKey: "ory_wak_a", Environment: "qa"},
			wantErr: "is not one of prod, stage, dev",
		},
		"UnknownHomeRegion": {
			reason:  "So is the home region.",
			spec:    ProjectSpec{WorkspaceKey: "ory_wak_a", HomeRegion: "mars"},
			wantErr: "is not one of eu-central",
		},
		"EnvironmentAndRegion": {
			reason:    "Both are kept as given.",
			spec:      ProjectSpec{WorkspaceKey: "ory_wak_a", Slug: "staged", ID: fixedID, Environment: "stage", HomeRegion: "asia"},
			wantID:    fixedID,
			wantSlug:  "staged",
			wantPlace: [2]string{"stage", "asia"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim, err := New(WithoutContractCheck())
			if err != nil {
				t.Fatal(err)
			}
			sim.AddWorkspace("ory_wak_a")
			sim.AddProject("ory_wak_a", "taken")
			got, err := sim.CreateProject(tc.spec)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if tc.wantErr != "" && strings.Contains(gotErr, tc.wantErr) {
				gotErr = tc.wantErr
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Fatalf("%s\nerror: -want, +got:\n%s", tc.reason, diff)
			}
			if tc.wantErr != "" {
				return
			}
			if diff := cmp.Diff([2]string{tc.wantID, tc.wantSlug}, [2]string{got.ID, got.Slug}); diff != "" {
				t.Errorf("%s\nid and slug: -want, +got:\n%s", tc.reason, diff)
			}
			wantPlace := tc.wantPlace
			if wantPlace == [2]string{} {
				wantPlace = [2]string{"prod", DefaultHomeRegion}
			}
			if diff := cmp.Diff(wantPlace, [2]string{got.Environment, got.HomeRegion}); diff != "" {
				t.Errorf("%s\nenvironment and home region: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestAddProjectNeverFails(t *testing.T) {
	sim, err := New(WithoutContractCheck())
	if err != nil {
		t.Fatal(err)
	}
	first := sim.AddProject("ory_wak_implicit", "same")
	second := sim.AddProject("ory_wak_implicit", "same")
	generated := sim.AddProject("ory_wak_implicit", "")

	cases := map[string]struct {
		reason string
		got    any
		want   any
	}{
		"WorkspaceRegistered": {
			reason: "An unknown workspace key is registered on the fly.",
			got:    sim.AddWorkspace("ory_wak_implicit").ID,
			want:   first.WorkspaceID,
		},
		"TakenSlugReplaced": {
			reason: "A taken slug is replaced by a generated one rather than failing.",
			got:    second.Slug != "same" && second.Slug != "" && second.ID != first.ID,
			want:   true,
		},
		"EmptySlugGenerated": {
			reason: "An empty slug is generated in Ory's adjective-name-suffix style.",
			got:    strings.Count(generated.Slug, "-"),
			want:   2,
		},
		"LookupBySlug": {
			reason: "Projects are found by slug as well as by ID.",
			got: func() string {
				p, _ := sim.Project("same")
				return p.ID
			}(),
			want: first.ID,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSeedKey(t *testing.T) {
	sim, err := New(WithoutContractCheck(), WithClock(newClock(clockStart).Now))
	if err != nil {
		t.Fatal(err)
	}
	p := sim.AddProject("ory_wak_a", "seeded")
	expiry := time.Date(2031, 1, 1, 0, 0, 0, 500, time.UTC)

	cases := map[string]struct {
		reason string
		seed   func() Key
		check  func(Key) any
		want   any
	}{
		"UnknownProject": {
			reason: "Seeding into an unknown project yields the zero Key.",
			seed:   func() Key { return sim.SeedKey("nope", "k", nil, true) },
			check:  func(k Key) any { return k },
			want:   Key{},
		},
		"Legacy": {
			reason: "withLastCharacters=false models keys from before last_characters existed.",
			seed:   func() Key { return sim.SeedKey(p.Slug, "old", nil, false) },
			check:  func(k Key) any { return [2]any{k.LastCharacters, strings.HasPrefix(k.Value, ProjectKeyPrefix)} },
			want:   [2]any{"", true},
		},
		"ExpiryTruncated": {
			reason: "Seeded expiries are stored with second precision like created ones.",
			seed:   func() Key { return sim.SeedKey(p.ID, "exp", &expiry, true) },
			check:  func(k Key) any { return *k.ExpiresAt },
			want:   time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		"Owner": {
			reason: "Seeded keys are owned by the project's workspace credential.",
			seed:   func() Key { return sim.SeedKey(p.ID, "own", nil, true) },
			check:  func(k Key) any { return k.OwnerID },
			want:   sim.AddWorkspace("ory_wak_a").OwnerID,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.check(tc.seed())); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
