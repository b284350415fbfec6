package oauth2client

import (
	"strings"
	"testing"

	ory "github.com/ory/client-go"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/projectapi"
)

// fake is a Resource of neither scope: the adapter reads nothing else.
type fake struct {
	p common.OAuth2ClientParameters
	o common.OAuth2ClientObservation
}

func (f *fake) ClientParameters() *common.OAuth2ClientParameters   { return &f.p }
func (f *fake) ClientObservation() *common.OAuth2ClientObservation { return &f.o }

func dur(s string) *common.Duration { d := common.Duration(s); return &d }

// reported is a client as Ory reports it after a create of the fixture's
// spec: Ory's defaults filled in, lifespans respelled.
func reported() ory.OAuth2Client {
	m := ory.OAuth2Client{
		ClientId:                ory.PtrString("c1"),
		ClientName:              ory.PtrString("web"),
		GrantTypes:              []string{"client_credentials"},
		ResponseTypes:           []string{"code"},
		RedirectUris:            []string{},
		Scope:                   ory.PtrString("read"),
		TokenEndpointAuthMethod: ory.PtrString("client_secret_basic"),
		Metadata:                map[string]any{"team": "a"},
	}
	m.ClientCredentialsGrantAccessTokenLifespan.Set(ory.PtrString("1h0m0s"))
	return m
}

func spec() common.OAuth2ClientParameters {
	return common.OAuth2ClientParameters{
		ClientName: "web",
		GrantTypes: []string{"client_credentials"},
		Scope:      "read",
		Metadata:   &apiextensionsv1.JSON{Raw: []byte(`{"team":"a"}`)},
		Lifespans:  &common.OAuth2ClientLifespans{ClientCredentialsGrantAccessTokenLifespan: dur("60m")},
	}
}

func TestDiffers(t *testing.T) {
	cases := []struct {
		name   string
		why    string
		mutate func(*common.OAuth2ClientParameters)
		ory    func(*ory.OAuth2Client)
		want   []string // the fields named, in order; none: in sync
		ops    []string // the patch's "op path" lines
	}{
		{name: "InSync", why: "fields the spec leaves out (responseTypes, auth method) are Ory's to default, and 60m is 1h0m0s"},
		{name: "Scope", why: "a changed scope is patched, and only it",
			mutate: func(p *common.OAuth2ClientParameters) { p.Scope = "read write" },
			want:   []string{"scope"}, ops: []string{"replace /scope"}},
		{name: "Renamed", why: "a client's name changes in place, unlike a key's",
			mutate: func(p *common.OAuth2ClientParameters) { p.ClientName = "web-v2" },
			want:   []string{"client_name"}, ops: []string{"replace /client_name"}},
		{name: "OutOfBandGrant", why: "a grant type added in the console is drift the provider corrects",
			ory:  func(m *ory.OAuth2Client) { m.GrantTypes = append(m.GrantTypes, "implicit") },
			want: []string{"grant_types"}, ops: []string{"replace /grant_types"}},
		{name: "Lifespan", why: "a lifespan compared by duration: 2h is not 1h0m0s",
			mutate: func(p *common.OAuth2ClientParameters) {
				p.Lifespans.ClientCredentialsGrantAccessTokenLifespan = dur("2h")
			},
			want: []string{"client_credentials_grant_access_token_lifespan"}, ops: []string{"replace /client_credentials_grant_access_token_lifespan"}},
		{name: "MetadataAdded", why: "a field Ory does not report yet is added, not replaced",
			ory:  func(m *ory.OAuth2Client) { m.Metadata = nil },
			want: []string{"metadata"}, ops: []string{"add /metadata"}},
		{name: "ListEmptied", why: "audience: [] in the manifest asks for none: Ory's model would leave an empty list out, so the patch names it",
			mutate: func(p *common.OAuth2ClientParameters) { p.Audience = []string{} },
			ory:    func(m *ory.OAuth2Client) { m.Audience = []string{"https://api.example.com"} },
			want:   []string{"audience"}, ops: []string{"replace /audience"}},
		{name: "ListEmptiedAndEmpty", why: "an empty list Ory reports empty is in sync",
			mutate: func(p *common.OAuth2ClientParameters) { p.Audience = []string{} },
			ory:    func(m *ory.OAuth2Client) { m.Audience = []string{} }},
		{name: "MetadataValue", why: "metadata compares as JSON",
			mutate: func(p *common.OAuth2ClientParameters) {
				p.Metadata = &apiextensionsv1.JSON{Raw: []byte(`{"team":"b"}`)}
			},
			want: []string{"metadata"}, ops: []string{"replace /metadata"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{p: spec()}
			if tc.mutate != nil {
				tc.mutate(&f.p)
			}
			m := reported()
			if tc.ory != nil {
				tc.ory(&m)
			}
			c := New(nil, "p1", f)
			k := c.key(projectapi.OAuth2Client{OAuth2Client: m})
			got := c.Differs(&k)
			if len(tc.want) == 0 {
				if got != "" {
					t.Errorf("Differs = %q, want in sync (%s)", got, tc.why)
				}
				return
			}
			if got != strings.Join(tc.want, ", ")+" differ from the spec" {
				t.Errorf("Differs = %q, want %v named (%s)", got, tc.want, tc.why)
			}
			ops, err := c.patch(&k)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, op := range ops {
				lines = append(lines, op.Op+" "+op.Path)
			}
			if strings.Join(lines, ";") != strings.Join(tc.ops, ";") {
				t.Errorf("patch = %v, want %v (%s)", lines, tc.ops, tc.why)
			}
		})
	}
}

// TestModelNeverCarriesASecret: the spec has no secret, and the model the
// adapter sends never gains one (Ory would set it, dropping rotated ones).
func TestModelNeverCarriesASecret(t *testing.T) {
	m, err := Model(&common.OAuth2ClientParameters{ClientName: "web", ImportSecretFrom: &common.ValueSource{Name: "s", Key: "k", AcceptUnchecked: true}})
	if err != nil {
		t.Fatal(err)
	}
	if m.ClientSecret != nil {
		t.Errorf("Model set client_secret")
	}
	if m.GetClientName() != "web" {
		t.Errorf("client_name = %q", m.GetClientName())
	}
}

func TestObserve(t *testing.T) {
	f := &fake{p: spec()}
	c := New(nil, "p1", f)
	m := reported()
	k := c.key(projectapi.OAuth2Client{OAuth2Client: m, Secret: console.Value("never-in-status")})
	c.Observe(&k)
	o := f.o
	if o.ClientName != "web" || o.Scope != "read" || o.TokenEndpointAuthMethod != "client_secret_basic" || len(o.GrantTypes) != 1 {
		t.Errorf("status.atProvider = %+v, want the client as Ory reports it", o)
	}
	if o.Lifespans == nil || o.Lifespans.ClientCredentialsGrantAccessTokenLifespan == nil || *o.Lifespans.ClientCredentialsGrantAccessTokenLifespan != "1h0m0s" {
		t.Errorf("lifespans = %+v, want Ory's 1h0m0s", o.Lifespans)
	}
	if k.Value != "never-in-status" || k.ID != "c1" || k.Parent != "p1" {
		t.Errorf("key = %+v", k)
	}
}

func TestDetails(t *testing.T) {
	d := Details("https://slug.projects.oryapis.com/")
	for k, want := range map[string]string{
		common.ConnectionKeyIssuerURL:        "https://slug.projects.oryapis.com",
		common.ConnectionKeyTokenURL:         "https://slug.projects.oryapis.com/oauth2/token",
		common.ConnectionKeyAuthorizationURL: "https://slug.projects.oryapis.com/oauth2/auth",
	} {
		if got := string(d[k]); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if Details("") != nil {
		t.Errorf("Details of no API URL must be nil: a detail that cannot be known is left out")
	}
}
