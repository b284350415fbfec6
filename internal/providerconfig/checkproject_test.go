package providerconfig

import (
	"strings"
	"testing"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
)

// TestCheckProject: the allowedProjectIDs rule every kind that names a
// project applies, ProjectAPIKeys and Projects alike.
func TestCheckProject(t *testing.T) {
	const id = "8d6c7c7b-0d1f-4c3e-9a39-3d3a8f1d2b11"
	cases := map[string]struct {
		reason  string
		allowed []string
		project string
		refused bool
	}{
		"NoList": {
			reason:  "A config without allowedProjectIDs allows every project.",
			project: id,
		},
		"Listed": {
			reason:  "A listed project is allowed.",
			allowed: []string{"other", id},
			project: id,
		},
		"ListedOtherCase": {
			reason:  "Project IDs are UUIDs, compared without regard to case.",
			allowed: []string{strings.ToUpper(id)},
			project: id,
		},
		"NotListed": {
			reason:  "A project the list leaves out is refused, in words that name it and the config.",
			allowed: []string{"other"},
			project: id,
			refused: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := &Config{Ref: "ProviderConfig team-a/limited", ConsoleSettings: common.ConsoleSettings{AllowedProjectIDs: tc.allowed}}
			err := c.CheckProject(tc.project)
			if (err != nil) != tc.refused {
				t.Fatalf("%s\nCheckProject(%q) = %v, want refused %t", tc.reason, tc.project, err, tc.refused)
			}
			if err != nil && (!strings.Contains(err.Error(), tc.project) || !strings.Contains(err.Error(), c.Ref)) {
				t.Errorf("%s\n%q does not name the project and the config", tc.reason, err)
			}
		})
	}
}
