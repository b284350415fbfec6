package v1alpha1

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
)

// TestOAuth2ClientKeyParameters checks the view of an OAuth2Client the
// engine reads as it reads a key's: derived from the client's own fields.
func TestOAuth2ClientKeyParameters(t *testing.T) {
	lifetime := common.Duration("2160h")
	rotation := &common.Rotation{Lifetime: &lifetime, Trigger: "leak-1"}
	source := &common.ValueSource{Name: "old", Key: "secret", AcceptUnchecked: true}
	cases := map[string]struct {
		reason string
		params common.OAuth2ClientParameters
		want   *common.KeyParameters
	}{
		"NameRotationImport": {
			reason: "The client's name is the name the engine looks a lost client up by; rotation and import source are the spec's own.",
			params: common.OAuth2ClientParameters{ClientName: "web", Rotation: rotation, ImportSecretFrom: source},
			want:   &common.KeyParameters{Name: "web", Rotation: rotation, ImportValueFrom: source},
		},
		"NameOnly": {
			reason: "A client without rotation or import has neither in the view: no expiry either, as a client secret never expires.",
			params: common.OAuth2ClientParameters{ClientName: "spa", TokenEndpointAuthMethod: "none"},
			want:   &common.KeyParameters{Name: "spa"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := &OAuth2Client{Spec: OAuth2ClientSpec{ForProvider: tc.params}}
			got := c.KeyParameters()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nKeyParameters(): -want, +got:\n%s", tc.reason, diff)
			}
			if got.Rotation != c.Spec.ForProvider.Rotation || got.ImportValueFrom != c.Spec.ForProvider.ImportSecretFrom {
				t.Errorf("%s\nKeyParameters() copied rotation or import source: the engine must read the spec's own", tc.reason)
			}
		})
	}
}

// TestOAuth2ClientAccessors checks that the engine's accessors write
// through to the object: it records the project and the client's state
// through them.
func TestOAuth2ClientAccessors(t *testing.T) {
	c := &OAuth2Client{}
	*c.ParentID() = "p"
	*c.ObservedParentID() = "q"
	c.KeyObservation().ID = "client-id"
	c.ClientParameters().Scope = "openid"
	c.ClientObservation().ClientName = "web"
	if c.Spec.ForProvider.ProjectID != "p" || c.Status.AtProvider.ProjectID != "q" ||
		c.Status.AtProvider.ID != "client-id" || c.Spec.ForProvider.Scope != "openid" ||
		c.Status.AtProvider.ClientName != "web" {
		t.Errorf("an accessor did not write through to the object: %+v", c)
	}
	if c.SecretMetadata() != nil {
		t.Errorf("SecretMetadata() of a client without connectionSecretMetadata = %v, want nil", c.SecretMetadata())
	}
}
