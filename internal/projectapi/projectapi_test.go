package projectapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ory "github.com/ory/client-go"

	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// world is a simulator with one workspace, one project and a project API
// key of it, and a Client of the project's API that uses the key.
type world struct {
	sim     *orysim.Server
	url     string
	ws      orysim.Workspace
	project orysim.Project
	key     orysim.Key
	c       *Client
}

func newWorld(t *testing.T) world {
	t.Helper()
	sim, url := orysim.StartTest(t)
	ws := sim.AddWorkspace("ory_wak_owner")
	p := sim.AddProject(ws.Key, "shop")
	k, err := sim.CreateKey(orysim.KeySpec{Project: p.ID, Name: "oauth2 admin"})
	if err != nil {
		t.Fatal(err)
	}
	w := world{sim: sim, url: url, ws: ws, project: p, key: k}
	w.c = w.client(orysim.ProjectAPIURL(url, p.Slug), k.Value)
	return w
}

// client is a Client of apiURL with token, through a console.Transport
// with quick retries and room for every request.
func (w world) client(apiURL, token string) *Client {
	tr := console.NewTransport(nil, console.TransportOptions{
		RateLimit:  console.RateLimit{RequestsPerMinute: 600000, Burst: 1000},
		BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	return New(apiURL, token, &http.Client{Transport: tr, Timeout: 10 * time.Second}, "provider-ory/test")
}

func (w world) create(t *testing.T, spec ory.OAuth2Client) OAuth2Client {
	t.Helper()
	c, err := w.c.CreateClient(context.Background(), spec, "")
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return c
}

func TestOperations(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		reason string
		// run acts on a world whose project has the client made (web,
		// confidential) and returns what the case compares with want.
		run  func(t *testing.T, w world, made OAuth2Client) any
		want any
	}{
		"CreateReturnsSecret": {
			reason: "A confidential client's create answers its secret once, as a Value; Ory holds the same.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				return []any{made.Secret != "", w.sim.SecretWorks(w.project.ID, made.ID(), string(made.Secret)), made.ClientSecret == nil, made.GetClientName()}
			},
			want: []any{true, true, true, "web"},
		},
		"CreateChosenIDAndSecret": {
			reason: "An ID and a secret of the caller's choosing are used.",
			run: func(t *testing.T, w world, _ OAuth2Client) any {
				c, err := w.c.CreateClient(ctx, ory.OAuth2Client{ClientId: ory.PtrString("checkout")}, "chosen-secret")
				return []any{err, c.ID(), string(c.Secret), w.sim.SecretWorks(w.project.ID, "checkout", "chosen-secret")}
			},
			want: []any{nil, "checkout", "chosen-secret", true},
		},
		"CreateTakenID": {
			reason: "A taken ID is Ory's refusal: ReasonConflict, and nothing may have been made.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				_, err := w.c.CreateClient(ctx, ory.OAuth2Client{ClientId: ory.PtrString(made.ID())}, "")
				return []any{ReasonOf(err), MayHaveActed(err), len(w.sim.OAuth2Clients(w.project.ID))}
			},
			want: []any{ReasonConflict, false, 1},
		},
		"CreatePublic": {
			reason: "A public client has no secret, and that is no error.",
			run: func(t *testing.T, w world, _ OAuth2Client) any {
				c, err := w.c.CreateClient(ctx, ory.OAuth2Client{TokenEndpointAuthMethod: ory.PtrString(AuthMethodNone)}, "")
				return []any{err, c.Public(), string(c.Secret)}
			},
			want: []any{nil, true, ""},
		},
		"CreateInvalid": {
			reason: "Bad metadata is ReasonInvalidRequest with Ory's words, and Ory did not act.",
			run: func(t *testing.T, w world, _ OAuth2Client) any {
				_, err := w.c.CreateClient(ctx, ory.OAuth2Client{RedirectUris: []string{"relative"}}, "")
				return []any{ReasonOf(err), MayHaveActed(err), strings.Contains(err.Error(), "redirect_uris")}
			},
			want: []any{ReasonInvalidRequest, false, true},
		},
		"Get": {
			reason: "A read answers the client without its secret.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				c, err := w.c.GetClient(ctx, made.ID())
				return []any{err, c.ID() == made.ID(), c.GetClientName(), string(c.Secret)}
			},
			want: []any{nil, true, "web", ""},
		},
		"GetUnknown": {
			reason: "A client that does not exist is ReasonNotFound.",
			run: func(t *testing.T, w world, _ OAuth2Client) any {
				_, err := w.c.GetClient(ctx, "nope")
				return IsNotFound(err)
			},
			want: true,
		},
		"SetKeepsSecret": {
			reason: "A set without a secret changes the fields and keeps the secret.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				c, err := w.c.SetClient(ctx, made.ID(), ory.OAuth2Client{ClientName: ory.PtrString("web v2")}, "")
				return []any{err, c.GetClientName(), string(c.Secret), w.sim.SecretWorks(w.project.ID, made.ID(), string(made.Secret))}
			},
			want: []any{nil, "web v2", "", true},
		},
		"SetWithSecret": {
			reason: "A set with a secret makes it the only one and answers it.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				c, err := w.c.SetClient(ctx, made.ID(), ory.OAuth2Client{ClientName: ory.PtrString("web")}, "new-secret")
				return []any{err, string(c.Secret), w.sim.SecretWorks(w.project.ID, made.ID(), string(made.Secret))}
			},
			want: []any{nil, "new-secret", false},
		},
		"SetUnknown": {
			reason: "Setting a client that does not exist is ReasonNotFound.",
			run: func(t *testing.T, w world, _ OAuth2Client) any {
				_, err := w.c.SetClient(ctx, "nope", ory.OAuth2Client{}, "")
				return ReasonOf(err)
			},
			want: ReasonNotFound,
		},
		"Patch": {
			reason: "A JSON Patch changes what it names and nothing else.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				c, err := w.c.PatchClient(ctx, made.ID(), []ory.JsonPatch{{Op: "add", Path: "/redirect_uris/-", Value: "https://shop.example/cb"}})
				return []any{err, c.GetRedirectUris(), c.GetClientName(), string(c.Secret)}
			},
			want: []any{nil, []string{"https://shop.example/cb"}, "web", ""},
		},
		"PatchDoesNotApply": {
			reason: "A patch that does not apply is ReasonInvalidRequest.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				_, err := w.c.PatchClient(ctx, made.ID(), []ory.JsonPatch{{Op: "replace", Path: "/client_id", Value: "other"}})
				return ReasonOf(err)
			},
			want: ReasonInvalidRequest,
		},
		"ListAll": {
			reason: "The list has every client, without secrets.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				w.create(t, ory.OAuth2Client{ClientName: ory.PtrString("api"), Owner: ory.PtrString("team-a")})
				cs, err := w.c.ListClients(ctx, ListFilter{})
				var names, secrets []string
				for _, c := range cs {
					names, secrets = append(names, c.GetClientName()), append(secrets, string(c.Secret))
				}
				return []any{err, names, secrets}
			},
			want: []any{nil, []string{"web", "api"}, []string{"", ""}},
		},
		"ListFiltered": {
			reason: "The filter is Ory's: name and owner.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				w.create(t, ory.OAuth2Client{ClientName: ory.PtrString("api"), Owner: ory.PtrString("team-a")})
				w.create(t, ory.OAuth2Client{ClientName: ory.PtrString("api"), Owner: ory.PtrString("team-b")})
				cs, err := w.c.ListClients(ctx, ListFilter{ClientName: "api", Owner: "team-b"})
				var owners []string
				for _, c := range cs {
					owners = append(owners, c.GetOwner())
				}
				return []any{err, owners}
			},
			want: []any{nil, []string{"team-b"}},
		},
		"Delete": {
			reason: "A delete removes the client; a second one finds it gone, which is no error.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				return []any{w.c.DeleteClient(ctx, made.ID()), w.c.DeleteClient(ctx, made.ID()), len(w.sim.OAuth2Clients(w.project.ID))}
			},
			want: []any{nil, nil, 0},
		},
		"RotateThenDropRotated": {
			reason: "A rotation answers the new secret and keeps the old one working until the rotated secrets are deleted.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				r, err := w.c.RotateSecret(ctx, made.ID(), "")
				if err != nil {
					return err
				}
				both := []bool{w.sim.SecretWorks(w.project.ID, made.ID(), string(made.Secret)), w.sim.SecretWorks(w.project.ID, made.ID(), string(r.Secret))}
				d, err := w.c.DeleteRotatedSecrets(ctx, made.ID())
				after := []bool{w.sim.SecretWorks(w.project.ID, made.ID(), string(made.Secret)), w.sim.SecretWorks(w.project.ID, made.ID(), string(r.Secret))}
				return []any{err, r.Secret != made.Secret, both, after, string(d.Secret)}
			},
			want: []any{nil, true, []bool{true, true}, []bool{false, true}, ""},
		},
		"RotateToChosen": {
			reason: "A rotation can name the new secret.",
			run: func(t *testing.T, w world, made OAuth2Client) any {
				r, err := w.c.RotateSecret(ctx, made.ID(), "rotated-to")
				return []any{err, string(r.Secret)}
			},
			want: []any{nil, "rotated-to"},
		},
		"RotatePublic": {
			reason: "A public client cannot be rotated: Ory's refusal, so nothing happened.",
			run: func(t *testing.T, w world, _ OAuth2Client) any {
				p := w.create(t, ory.OAuth2Client{TokenEndpointAuthMethod: ory.PtrString(AuthMethodNone)})
				_, err := w.c.RotateSecret(ctx, p.ID(), "")
				return []any{ReasonOf(err), MayHaveActed(err)}
			},
			want: []any{ReasonInvalidRequest, false},
		},
		"DeleteRotatedUnknown": {
			reason: "Dropping the rotated secrets of a client that does not exist is ReasonNotFound.",
			run: func(t *testing.T, w world, _ OAuth2Client) any {
				_, err := w.c.DeleteRotatedSecrets(ctx, "nope")
				return ReasonOf(err)
			},
			want: ReasonNotFound,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			made := w.create(t, ory.OAuth2Client{ClientName: ory.PtrString("web")})
			got := tc.run(t, w, made)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b error) bool { return fmt.Sprint(a) == fmt.Sprint(b) })); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
			if v := w.sim.Violations(); len(v) > 0 {
				t.Errorf("%s\nthe client's traffic broke the contract: %v", tc.reason, v)
			}
			w.sim.Checker().Reset()
		})
	}
}

// call runs one operation of the package and returns its error.
func call(ctx context.Context, c *Client, op, id string) error {
	var err error
	switch op {
	case OpCreateClient:
		_, err = c.CreateClient(ctx, ory.OAuth2Client{}, "")
	case OpGetClient:
		_, err = c.GetClient(ctx, id)
	case OpListClients:
		_, err = c.ListClients(ctx, ListFilter{})
	case OpSetClient:
		_, err = c.SetClient(ctx, id, ory.OAuth2Client{}, "")
	case OpPatchClient:
		_, err = c.PatchClient(ctx, id, []ory.JsonPatch{{Op: "replace", Path: "/client_name", Value: "x"}})
	case OpDeleteClient:
		err = c.DeleteClient(ctx, id)
	case OpRotateSecret:
		_, err = c.RotateSecret(ctx, id, "")
	case OpDeleteRotatedSecrets:
		_, err = c.DeleteRotatedSecrets(ctx, id)
	default:
		err = fmt.Errorf("unknown operation %s", op)
	}
	return err
}

var allOps = []string{OpCreateClient, OpGetClient, OpListClients, OpSetClient, OpPatchClient, OpDeleteClient, OpRotateSecret, OpDeleteRotatedSecrets}

func TestAuthFailures(t *testing.T) {
	cases := map[string]struct {
		reason string
		// client returns a Client to call with and the credential whose
		// value must not appear in any error.
		client func(t *testing.T, w world) (*Client, string)
		want   Reason
	}{
		"UnknownKey": {
			reason: "A key no project issued is rejected.",
			client: func(_ *testing.T, w world) (*Client, string) {
				k := orysim.ProjectKeyPrefix + "NotAKeyOfAnyProjectAtAll"
				return w.client(orysim.ProjectAPIURL(w.url, w.project.Slug), k), k
			},
			want: ReasonUnauthorized,
		},
		"RevokedKey": {
			reason: "A key deleted in the console is rejected at once.",
			client: func(t *testing.T, w world) (*Client, string) {
				cc := console.New(w.url, w.ws.Key, nil, "test")
				if err := cc.DeleteProjectKey(context.Background(), w.project.ID, w.key.ID); err != nil {
					t.Fatal(err)
				}
				return w.c, w.key.Value
			},
			want: ReasonUnauthorized,
		},
		"KeyOfAnotherProject": {
			reason: "A key of another project is denied: it is valid, but not for this project.",
			client: func(t *testing.T, w world) (*Client, string) {
				other := w.sim.AddProject(w.ws.Key, "")
				k, err := w.sim.CreateKey(orysim.KeySpec{Project: other.ID, Name: "other"})
				if err != nil {
					t.Fatal(err)
				}
				return w.client(orysim.ProjectAPIURL(w.url, w.project.Slug), k.Value), k.Value
			},
			want: ReasonForbidden,
		},
		"WorkspaceKey": {
			reason: "A workspace key is the wrong kind of key for a project's API.",
			client: func(_ *testing.T, w world) (*Client, string) {
				return w.client(orysim.ProjectAPIURL(w.url, w.project.Slug), w.ws.Key), w.ws.Key
			},
			want: ReasonForbidden,
		},
		"UnknownProject": {
			reason: "No project serves an API at the URL.",
			client: func(_ *testing.T, w world) (*Client, string) {
				return w.client(orysim.ProjectAPIURL(w.url, "no-such-shop"), w.key.Value), w.key.Value
			},
			want: ReasonNotFound,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, want := map[string]Reason{}, map[string]Reason{}
			for _, op := range allOps {
				w := newWorld(t)
				made := w.create(t, ory.OAuth2Client{})
				c, credential := tc.client(t, w)
				err := call(context.Background(), c, op, made.ID())
				got[op], want[op] = ReasonOf(err), tc.want
				if op == OpDeleteClient && tc.want == ReasonNotFound {
					want[op] = "" // a delete that finds nothing is done
				}
				if err != nil && strings.Contains(err.Error(), credential) {
					t.Errorf("%s\n%s: the error reveals the credential: %v", tc.reason, op, err)
				}
				if MayHaveActed(err) {
					t.Errorf("%s\n%s: an auth failure is Ory's refusal, not an unknown outcome", tc.reason, op)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nreason per operation: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLostAnswers(t *testing.T) {
	for _, op := range []string{OpCreateClient, OpRotateSecret} {
		for _, at := range orysim.AnswerCuts() {
			t.Run(op+"/"+string(at), func(t *testing.T) {
				w := newWorld(t)
				made := w.create(t, ory.OAuth2Client{})
				before, _ := w.sim.OAuth2Client(w.project.ID, made.ID())
				w.sim.CutAnswers(op, w.project.Slug, 1, at)
				w.sim.ResetRequests()

				err := call(context.Background(), w.c, op, made.ID())

				if !MayHaveActed(err) {
					t.Errorf("Ory acted and the answer was %s: the client must say it may have acted, got %v", at, err)
				}
				if n := w.sim.Requests(op); n != 1 {
					t.Errorf("an operation whose outcome is unknown must never be resent: sent %d times", n)
				}
				after := w.sim.OAuth2Clients(w.project.ID)
				switch op {
				case OpCreateClient:
					if len(after) != 2 {
						t.Errorf("Ory made the client: want 2 clients, have %d", len(after))
					}
				case OpRotateSecret:
					if after[0].Secret == before.Secret || !w.sim.SecretWorks(w.project.ID, made.ID(), before.Secret) {
						t.Errorf("Ory rotated: a new current secret, the old one still working")
					}
				}
				for _, c := range after {
					if err != nil && strings.Contains(err.Error(), c.Secret) {
						t.Errorf("the error reveals a secret: %v", err)
					}
				}
			})
		}
	}
}

func TestRetries(t *testing.T) {
	cases := map[string]struct {
		reason    string
		arm       func(s *orysim.Server)
		op        string
		wantErr   Reason
		wantActed bool
		wantSent  int
	}{
		"GetRetriedAfter503": {
			reason:   "A read is retried after a 5xx and succeeds.",
			arm:      func(s *orysim.Server) { s.FailNext(orysim.OpGetOAuth2Client, 1, 503) },
			op:       OpGetClient,
			wantSent: 2,
		},
		"CreateNotResentAfter503": {
			reason:    "A create that met a 5xx may have acted (a proxy's 5xx can follow Ory's work): never resent.",
			arm:       func(s *orysim.Server) { s.FailNext(orysim.OpCreateOAuth2Client, 1, 503) },
			op:        OpCreateClient,
			wantErr:   ReasonUnavailable,
			wantActed: true,
			wantSent:  1,
		},
		"RotateNotResentAfterDrop": {
			reason:    "A rotation whose connection dropped may have acted: never resent.",
			arm:       func(s *orysim.Server) { s.SetDropRate(orysim.OpRotateOAuth2ClientSecret, 1) },
			op:        OpRotateSecret,
			wantErr:   ReasonUnavailable,
			wantActed: true,
			wantSent:  1,
		},
		"CreateRetriedAfter429": {
			reason:   "A 429 comes before Ory acts: the create is sent again once the limit resets, and succeeds.",
			arm:      func(s *orysim.Server) { s.FailNext(orysim.OpCreateOAuth2Client, 1, 429) },
			op:       OpCreateClient,
			wantSent: 2,
		},
		"SetRetriedAfter502": {
			reason:   "A set is idempotent: retried after a 5xx.",
			arm:      func(s *orysim.Server) { s.FailNext(orysim.OpSetOAuth2Client, 1, 502) },
			op:       OpSetClient,
			wantSent: 2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			made := w.create(t, ory.OAuth2Client{})
			tc.arm(w.sim)
			w.sim.ResetRequests()
			err := call(context.Background(), w.c, tc.op, made.ID())
			w.sim.ClearFaults()
			got := []any{ReasonOf(err), MayHaveActed(err), w.sim.Requests(tc.op)}
			if diff := cmp.Diff([]any{tc.wantErr, tc.wantActed, tc.wantSent}, got); diff != "" {
				t.Errorf("%s\n(err %v) -want, +got:\n%s", tc.reason, err, diff)
			}
		})
	}
}

func TestListPages(t *testing.T) {
	w := newWorld(t)
	var want []string
	for i := range 7 {
		want = append(want, w.create(t, ory.OAuth2Client{ClientName: ory.PtrString(fmt.Sprint("c", i))}).ID())
	}
	cases := map[string]struct {
		reason    string
		pageSize  int64
		wantPages int
	}{
		"SeveralPages": {reason: "Seven clients three at a time: three pages, followed to the end.", pageSize: 3, wantPages: 3},
		"ExactPages":   {reason: "A page size that divides the list.", pageSize: 7, wantPages: 1},
		"OnePerPage":   {reason: "The smallest page.", pageSize: 1, wantPages: 7},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w.c.pageSize = tc.pageSize
			w.sim.ResetRequests()
			cs, err := w.c.ListClients(context.Background(), ListFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, c.ID())
			}
			if diff := cmp.Diff([]any{want, tc.wantPages}, []any{got, w.sim.Requests(orysim.OpListOAuth2Clients)}); diff != "" {
				t.Errorf("%s\nclients and pages read: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestNextPageToken(t *testing.T) {
	cases := map[string]struct {
		reason string
		links  []string
		want   string
	}{
		"OryForm":      {reason: "first and next in one header, quoted rel.", links: []string{`</admin/clients?page_size=2>; rel="first",</admin/clients?page_size=2&page_token=abc>; rel="next"`}, want: "abc"},
		"Absolute":     {reason: "An absolute link works as well.", links: []string{`<https://shop.projects.oryapis.com/admin/clients?page_token=t%2B1>; rel="next"`}, want: "t+1"},
		"TwoHeaders":   {reason: "Links may come in several headers.", links: []string{`</a?page_token=x>; rel="first"`, `</a?page_token=y>; rel=next`}, want: "y"},
		"RelList":      {reason: "rel may list several relations.", links: []string{`</a?page_token=z>; rel="prev next"`}, want: "z"},
		"LastPage":     {reason: "No next link: the last page.", links: []string{`</admin/clients?page_size=2>; rel="first"`}, want: ""},
		"NoHeader":     {reason: "No Link header at all: one page.", want: ""},
		"NextNoToken":  {reason: "A next link without a page_token gives nothing to follow.", links: []string{`</admin/clients>; rel="next"`}, want: ""},
		"NotNextParam": {reason: "A rel that merely contains 'next' in another word is not next.", links: []string{`</a?page_token=q>; rel="nextish"`}, want: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range tc.links {
				h.Add("Link", l)
			}
			if diff := cmp.Diff(tc.want, NextPageToken(h)); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPurgedProject(t *testing.T) {
	w := newWorld(t)
	made := w.create(t, ory.OAuth2Client{})
	cc := console.New(w.url, w.ws.Key, nil, "test")
	if err := cc.PurgeProject(context.Background(), w.project.ID); err != nil {
		t.Fatal(err)
	}
	_, listErr := w.c.ListClients(context.Background(), ListFilter{})
	_, getErr := w.c.GetClient(context.Background(), made.ID())
	got := []any{ReasonOf(listErr), ReasonOf(getErr), len(w.sim.OAuth2Clients(w.project.ID)), w.sim.SecretWorks(w.project.ID, made.ID(), string(made.Secret))}
	if diff := cmp.Diff([]any{ReasonNotFound, ReasonNotFound, 0, false}, got); diff != "" {
		t.Errorf("A purged project's clients are gone with it and its API answers 404: -want, +got:\n%s", diff)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	w := newWorld(t)
	made := w.create(t, ory.OAuth2Client{ClientName: ory.PtrString("web")})
	for _, form := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(form, made); strings.Contains(s, string(made.Secret)) {
			t.Errorf("formatting a client with %s reveals its secret: %s", form, s)
		}
	}
}

// TestErrorAsConsoleError: the engine classifies failures with the
// console's functions; a project API error must read the same through them,
// or a lost rotation would be taken for a refusal and its secret never
// looked for.
func TestErrorAsConsoleError(t *testing.T) {
	for r := range consoleReasons {
		t.Run(string(r), func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &Error{Op: "x", Reason: r})
			if got := console.ReasonOf(err); got != consoleReasons[r] || got == "" {
				t.Errorf("console.ReasonOf = %q, want %q", got, consoleReasons[r])
			}
			if console.MayHaveCreated(err) != MayHaveActed(err) {
				t.Errorf("console.MayHaveCreated = %v, MayHaveActed = %v: they must agree", console.MayHaveCreated(err), MayHaveActed(err))
			}
		})
	}
	if len(consoleReasons) != 9 {
		t.Errorf("consoleReasons has %d reasons, want every Reason (9)", len(consoleReasons))
	}
}
