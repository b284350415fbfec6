package v1alpha1

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseProjectID(t *testing.T) {
	const project = "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"
	cases := map[string]struct {
		reason  string
		name    string
		want    string
		wantErr bool
	}{
		"Empty": {
			reason: "A Project without an external name has no project yet: the provider creates one.",
		},
		"ID": {
			reason: "The form the provider writes, and the import form.",
			name:   project,
			want:   project,
		},
		"UpperCase": {
			reason: "Ory reports IDs in lower case; an upper case import must still match them.",
			name:   strings.ToUpper(project),
			want:   project,
		},
		"Slug": {
			reason:  "GetProject takes no slug: an import by slug must be refused with what to set instead.",
			name:    "affectionate-hopper-1234",
			wantErr: true,
		},
		"KeyForm": {
			reason:  "A <parent>/<id> form is a key's, not a project's.",
			name:    project + "/" + project,
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseProjectID(tc.name)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nParseProjectID(%q) error = %v, want error %t", tc.reason, tc.name, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nParseProjectID(%q): -want, +got:\n%s", tc.reason, tc.name, diff)
			}
		})
	}
}

func TestParseKeyRef(t *testing.T) {
	const (
		project = "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"
		key     = "9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
	)
	cases := map[string]struct {
		reason  string
		name    string
		want    Ref
		wantErr bool
	}{
		"Empty": {
			reason: "A resource without an external name has no key yet.",
			name:   "",
			want:   Ref{},
		},
		"KeyID": {
			reason: "The form the provider writes, and the short import form.",
			name:   key,
			want:   Ref{ID: key},
		},
		"ProjectAndKeyID": {
			reason: "The long import form names the project too, as Ory's Terraform provider does.",
			name:   project + "/" + key,
			want:   Ref{Parent: project, ID: key},
		},
		"UpperCase": {
			reason: "Ory reports IDs in lower case; an upper case import must still match them.",
			name:   strings.ToUpper(project + "/" + key),
			want:   Ref{Parent: project, ID: key},
		},
		"NotAUUID": {
			reason:  "A key name or a typo must be refused with a message, not looked up in Ory.",
			name:    "payments",
			wantErr: true,
		},
		"ProjectSlug": {
			reason:  "A slug never matches the project UUID Ory reports; accepting it would replace the key forever.",
			name:    "my-project/" + key,
			wantErr: true,
		},
		"URNForm": {
			reason:  "uuid.Parse accepts urn:uuid: forms that Ory never reports.",
			name:    "urn:uuid:" + key,
			wantErr: true,
		},
		"TooManyParts": {
			reason:  "Only one slash separates project and key.",
			name:    project + "/" + key + "/x",
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseRef(tc.name)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nParseKeyRef(%q) error = %v, want error: %v", tc.reason, tc.name, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
			if err == nil && tc.name != "" {
				round, _ := ParseRef(got.String())
				if round != got {
					t.Errorf("%s\nString() %q does not parse back to %+v", tc.reason, got.String(), got)
				}
			}
		})
	}
}

func TestExternalName(t *testing.T) {
	r := Ref{Parent: "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01", ID: "9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"}
	if got := ExternalName(r); got != r.ID {
		t.Errorf("external name = %q, want the key ID alone: the project is in the spec", got)
	}
}

func TestParseCreationMark(t *testing.T) {
	since := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		value  string
		want   CreationMark
	}{
		"RoundTrip": {
			reason: "A mark reads back as written.",
			value:  CreationMark{Since: since, Parent: "p", Name: "n"}.String(),
			want:   CreationMark{Since: since, Parent: "p", Name: "n"},
		},
		"Legacy": {
			reason: "A mark written while the provider had one kind names its parent project: a create interrupted across an upgrade is still found.",
			value:  `{"since":"2026-11-30T12:00:00Z","project":"p","name":"n"}`,
			want:   CreationMark{Since: since, Parent: "p", Name: "n"},
		},
		"Mangled": {
			reason: "A mangled mark reads as empty: it still asks for a look.",
			value:  `{not json`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseCreationMark(tc.value)); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRetiredKeysRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	keys := []RetiredKey{
		{Ref: Ref{Parent: "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01", ID: "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"}},
		{Ref: Ref{Parent: "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01", ID: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}, NotBefore: at},
	}
	v := FormatRetiredKeys(keys)
	if diff := cmp.Diff(keys, ParseRetiredKeys(v)); diff != "" {
		t.Errorf("ParseRetiredKeys(FormatRetiredKeys(keys)) of %q: -want, +got:\n%s", v, diff)
	}
	if got := ParseRetiredKeys("not-a-key,"); len(got) != 0 {
		t.Errorf("ParseRetiredKeys of garbage = %v, want nothing: only keys with their parent are retired", got)
	}
}
