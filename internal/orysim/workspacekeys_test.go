package orysim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ory "github.com/ory/client-go"
)

// createWorkspaceKey creates a workspace key through client-go with the
// fixture's workspace key and fails the test on error.
func (f fixture) createWorkspaceKey(t *testing.T, c *ory.APIClient, name string, expiresAt *time.Time) *ory.WorkspaceApiKey {
	t.Helper()
	body := ory.NewCreateWorkspaceApiKeyBody(name)
	if expiresAt != nil {
		body.SetExpiresAt(*expiresAt)
	}
	k, _, err := c.WorkspaceAPI.CreateWorkspaceApiKey(context.Background(), f.ws.ID).CreateWorkspaceApiKeyBody(*body).Execute()
	if err != nil {
		t.Fatalf("CreateWorkspaceApiKey: %v", err)
	}
	return k
}

func TestWorkspaceAPIKeys(t *testing.T) {
	type want struct {
		Status int
		Keys   int // keys the workspace holds afterwards, the one it was set up with included
	}
	cases := map[string]struct {
		reason string
		// call returns the HTTP status of one client-go call.
		call func(ctx context.Context, f fixture) (*http.Response, error)
		want want
	}{
		"Create": {
			reason: "A create answers 201 and stores a key beside the one the workspace was set up with.",
			call: func(ctx context.Context, f fixture) (*http.Response, error) {
				_, resp, err := f.client.WorkspaceAPI.CreateWorkspaceApiKey(ctx, f.ws.ID).
					CreateWorkspaceApiKeyBody(*ory.NewCreateWorkspaceApiKeyBody("ci")).Execute()
				return resp, err
			},
			want: want{Status: 201, Keys: 2},
		},
		"CreateWithoutName": {
			reason: "The body's name is required, as for project keys.",
			call: func(ctx context.Context, f fixture) (*http.Response, error) {
				_, resp, err := f.client.WorkspaceAPI.CreateWorkspaceApiKey(ctx, f.ws.ID).
					CreateWorkspaceApiKeyBody(*ory.NewCreateWorkspaceApiKeyBody("  ")).Execute()
				return resp, err
			},
			want: want{Status: 400, Keys: 1},
		},
		"CreateBornExpired": {
			reason: "A key that would be born expired is refused, as for project keys.",
			call: func(ctx context.Context, f fixture) (*http.Response, error) {
				body := ory.NewCreateWorkspaceApiKeyBody("old")
				body.SetExpiresAt(clockStart.Add(-time.Hour))
				_, resp, err := f.client.WorkspaceAPI.CreateWorkspaceApiKey(ctx, f.ws.ID).CreateWorkspaceApiKeyBody(*body).Execute()
				return resp, err
			},
			want: want{Status: 400, Keys: 1},
		},
		"CreateInAnotherWorkspace": {
			reason: "A workspace key reaches its own workspace only: another one is 403, like a foreign project.",
			call: func(ctx context.Context, f fixture) (*http.Response, error) {
				other := f.sim.AddWorkspace("ory_wak_other")
				_, resp, err := f.client.WorkspaceAPI.CreateWorkspaceApiKey(ctx, other.ID).
					CreateWorkspaceApiKeyBody(*ory.NewCreateWorkspaceApiKeyBody("ci")).Execute()
				return resp, err
			},
			want: want{Status: 403, Keys: 1},
		},
		"ListUnknownWorkspace": {
			reason: "An unknown workspace is 403 too.",
			call: func(ctx context.Context, f fixture) (*http.Response, error) {
				_, resp, err := f.client.WorkspaceAPI.ListWorkspaceApiKeys(ctx, "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10").Execute()
				return resp, err
			},
			want: want{Status: 403, Keys: 1},
		},
		"DeleteUnknownKey": {
			reason: "A key that is not there is 404, which a client takes for already deleted.",
			call: func(ctx context.Context, f fixture) (*http.Response, error) {
				return f.client.WorkspaceAPI.DeleteWorkspaceApiKey(ctx, f.ws.ID, "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10").Execute()
			},
			want: want{Status: 404, Keys: 1},
		},
		"DeleteProjectKeyAsWorkspaceKey": {
			reason: "A project key's ID is not a workspace key: the holders do not mix.",
			call: func(ctx context.Context, f fixture) (*http.Response, error) {
				k := f.createKey(t, "project-key")
				return f.client.WorkspaceAPI.DeleteWorkspaceApiKey(ctx, f.ws.ID, k.GetId()).Execute()
			},
			want: want{Status: 404, Keys: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			resp, err := tc.call(context.Background(), f)
			got := want{Status: statusOf(resp), Keys: len(f.sim.WorkspaceKeys(f.ws.ID))}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s (error: %v)", tc.reason, diff, err)
			}
		})
	}
}

func TestWorkspaceAPIKeyShape(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	exp := clockStart.Add(48 * time.Hour)
	created := f.createWorkspaceKey(t, f.client, "rotation", &exp)
	listed, _, err := f.client.WorkspaceAPI.ListWorkspaceApiKeys(ctx, f.ws.ID).Execute()
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := f.sim.WorkspaceKey(f.ws.ID, created.GetId())
	var seed, again *ory.WorkspaceApiKey
	for i := range listed {
		switch listed[i].GetId() {
		case f.ws.KeyID:
			seed = &listed[i]
		case created.GetId():
			again = &listed[i]
		}
	}
	cases := map[string]struct {
		reason string
		got    any
		want   any
	}{
		"ValueOnCreate": {
			reason: "The create answer carries the value, ory_wak_ and random, as stored.",
			got:    [2]bool{strings.HasPrefix(created.GetValue(), WorkspaceKeyPrefix) && len(created.GetValue()) > len(WorkspaceKeyPrefix)+16, created.GetValue() == stored.Value},
			want:   [2]bool{true, true},
		},
		"LastCharacters": {
			reason: "last_characters is the end of the value.",
			got:    strings.HasSuffix(created.GetValue(), created.GetLastCharacters()) && created.GetLastCharacters() != "",
			want:   true,
		},
		"Holder": {
			reason: "A workspace key names its workspace and no project.",
			got:    [2]any{created.GetWorkspaceId(), stored.ProjectID},
			want:   [2]any{f.ws.ID, ""},
		},
		"Owner": {
			reason: "owner_id is the identity of the key that created it.",
			got:    created.GetOwnerId(),
			want:   f.ws.OwnerID,
		},
		"ExpiresAtInSeconds": {
			reason: "Times are kept to the second, like Ory's.",
			got:    created.GetExpiresAt().Equal(exp.Truncate(time.Second)),
			want:   true,
		},
		"ListedWithoutValue": {
			reason: "The list has the created key, without value: the value exists in the create answer only.",
			got:    again != nil && again.GetValue() == "" && again.GetLastCharacters() == created.GetLastCharacters(),
			want:   true,
		},
		"SetUpKeyListed": {
			reason: "The key the workspace was set up with is one of its API keys: it is listed, so it can be imported and deleted.",
			got:    seed != nil && seed.GetValue() == "" && strings.HasSuffix(f.ws.Key, seed.GetLastCharacters()),
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestWorkspaceKeyRotation rotates the provider's own credentials through
// the API, the way a WorkspaceAPIKey whose Secret is a ProviderConfig's
// credentials does: a created workspace key authenticates at once, and a
// deleted one gets 401, even when it is the key the workspace was set up
// with.
func TestWorkspaceKeyRotation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created := f.createWorkspaceKey(t, f.client, "next", nil)
	next := NewClient(f.url, created.GetValue())
	expiring := f.createWorkspaceKey(t, f.client, "short", ptr(clockStart.Add(time.Minute)))
	short := NewClient(f.url, expiring.GetValue())

	steps := []struct {
		reason string
		do     func() (int, error)
		want   int
	}{
		{"A created workspace key authenticates at once.", func() (int, error) {
			return callOp(ctx, next, OpListWorkspaceAPIKeys, f.ws.ID)
		}, 200},
		{"It reaches the workspace's projects too.", func() (int, error) {
			return callOp(ctx, next, OpListProjectAPIKeys, f.project.ID)
		}, 200},
		{"The new key deletes the one the workspace was set up with.", func() (int, error) {
			resp, err := next.WorkspaceAPI.DeleteWorkspaceApiKey(ctx, f.ws.ID, f.ws.KeyID).Execute()
			return statusOf(resp), err
		}, 204},
		{"The deleted key gets 401.", func() (int, error) {
			return callOp(ctx, f.client, OpListWorkspaceAPIKeys, f.ws.ID)
		}, 401},
		{"The new key still works.", func() (int, error) {
			return callOp(ctx, next, OpListWorkspaceAPIKeys, f.ws.ID)
		}, 200},
		{"A key may delete itself.", func() (int, error) {
			resp, err := next.WorkspaceAPI.DeleteWorkspaceApiKey(ctx, f.ws.ID, created.GetId()).Execute()
			return statusOf(resp), err
		}, 204},
		{"And gets 401 from then on.", func() (int, error) {
			return callOp(ctx, next, OpListProjectAPIKeys, f.project.ID)
		}, 401},
		{"A key not yet expired authenticates.", func() (int, error) {
			return callOp(ctx, short, OpListWorkspaceAPIKeys, f.ws.ID)
		}, 200},
		{"An expired key gets 401.", func() (int, error) {
			f.clock.Advance(time.Minute)
			return callOp(ctx, short, OpListWorkspaceAPIKeys, f.ws.ID)
		}, 401},
	}
	for _, st := range steps {
		if got, err := st.do(); got != st.want {
			t.Fatalf("%s\nstatus = %d (%v), want %d", st.reason, got, err, st.want)
		}
	}
	if ws, _ := f.sim.CreateWorkspace(WorkspaceSpec{Key: f.ws.Key}); ws.ID != "" {
		t.Error("a deleted key could set up another workspace: keys must stay unique")
	}
}

func TestRevokeCreatedWorkspaceKey(t *testing.T) {
	f := newFixture(t)
	created := f.createWorkspaceKey(t, f.client, "ci", nil)
	f.sim.RevokeWorkspaceKey(created.GetValue())
	c := NewClient(f.url, created.GetValue())
	if got, err := callOp(context.Background(), c, OpListWorkspaceAPIKeys, f.ws.ID); got != 401 {
		t.Errorf("a key revoked as if deleted in the console answered %d (%v), want 401", got, err)
	}
	if n := len(f.sim.WorkspaceKeys(f.ws.ID)); n != 1 {
		t.Errorf("%d workspace keys listed after the revocation, want 1 (the set-up key)", n)
	}
}

// TestWorkspaceKeyFaults shows that every fault the project key operations
// have strikes the workspace key operations, by their operation names.
func TestWorkspaceKeyFaults(t *testing.T) {
	type want struct {
		Status int
		Fault  string
		Keys   int // workspace keys afterwards: whether the create acted
	}
	cases := map[string]struct {
		reason string
		op     string
		fault  func(f fixture)
		want   want
	}{
		"FailNext": {
			reason: "FailNext by operation name.",
			op:     OpListWorkspaceAPIKeys,
			fault:  func(f fixture) { f.sim.FailNext(OpListWorkspaceAPIKeys, 1, 503) },
			want:   want{Status: 503, Fault: FaultFailNext, Keys: 1},
		},
		"ErrorRate": {
			reason: "Error rates by operation name.",
			op:     OpDeleteWorkspaceAPIKey,
			fault:  func(f fixture) { f.sim.SetErrorRate(OpDeleteWorkspaceAPIKey, 1, 500) },
			want:   want{Status: 500, Fault: FaultErrorRate, Keys: 1},
		},
		"Drop": {
			reason: "A dropped create never reached the API logic.",
			op:     OpCreateWorkspaceAPIKey,
			fault:  func(f fixture) { f.sim.SetDropRate(OpCreateWorkspaceAPIKey, 1) },
			want:   want{Status: 0, Fault: FaultDrop, Keys: 1},
		},
		"RateLimit": {
			reason: "The shared rate limit meters the workspace key operations too: a project call took the only token.",
			op:     OpCreateWorkspaceAPIKey,
			fault: func(f fixture) {
				f.sim.SetRateLimit(RateLimit{Rate: 0.001, Burst: 1})
				_, _ = callOp(context.Background(), f.client, OpListProjectAPIKeys, f.project.ID)
			},
			want: want{Status: 429, Fault: FaultRateLimit, Keys: 1},
		},
		"OtherOperationUnaffected": {
			reason: "A fault of a project key operation does not strike the workspace key operation of the same kind.",
			op:     OpCreateWorkspaceAPIKey,
			fault:  func(f fixture) { f.sim.FailNext(OpCreateProjectAPIKey, 1, 503) },
			want:   want{Status: 201, Keys: 2},
		},
	}
	for _, at := range AnswerCuts() {
		status := 201
		if at == CutBeforeHeaders {
			status = 0
		}
		cases["Cut/"+string(at)] = struct {
			reason string
			op     string
			fault  func(f fixture)
			want   want
		}{
			reason: "Act, then lose the answer: the workspace key exists though the answer did not arrive whole.",
			op:     OpCreateWorkspaceAPIKey,
			fault:  func(f fixture) { f.sim.CutAnswers(OpCreateWorkspaceAPIKey, f.ws.ID, 1, at) },
			want:   want{Status: status, Fault: string(at), Keys: 2},
		}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			tc.fault(f)
			status, err := callOp(context.Background(), f.client, tc.op, f.ws.ID)
			got := want{Status: status, Keys: len(f.sim.WorkspaceKeys(f.ws.ID))}
			for _, e := range f.sim.RequestLog() {
				got.Fault += e.Fault
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s (error: %v)", tc.reason, diff, err)
			}
		})
	}
}

func TestCreateWorkspace(t *testing.T) {
	const (
		fixedWS  = "00000000-0000-4000-8000-0000000000a1"
		fixedKey = "00000000-0000-4000-8000-0000000000b1"
	)
	cases := map[string]struct {
		reason  string
		spec    WorkspaceSpec
		wantErr string
		want    Workspace // compared on ID and KeyID when set
	}{
		"FixedIDs": {
			reason: "Examples name the workspace and import its key by fixed IDs.",
			spec:   WorkspaceSpec{Key: "ory_wak_fixed", ID: strings.ToUpper(fixedWS), KeyID: fixedKey},
			want:   Workspace{ID: fixedWS, KeyID: fixedKey},
		},
		"Generated": {
			reason: "Without IDs both are generated.",
			spec:   WorkspaceSpec{Key: "ory_wak_generated"},
		},
		"NoKey": {
			reason:  "A workspace is reached through its key.",
			spec:    WorkspaceSpec{},
			wantErr: "needs a key",
		},
		"KeyTaken": {
			reason:  "A key reaches one workspace.",
			spec:    WorkspaceSpec{Key: "ory_wak_first"},
			wantErr: "already registered",
		},
		"IDTaken": {
			reason:  "Workspace IDs are unique.",
			spec:    WorkspaceSpec{Key: "ory_wak_second", ID: "00000000-0000-4000-8000-0000000000ff"},
			wantErr: "already exists",
		},
		"KeyIDTaken": {
			reason:  "Key IDs are unique across workspaces.",
			spec:    WorkspaceSpec{Key: "ory_wak_second", KeyID: "00000000-0000-4000-8000-0000000000fe"},
			wantErr: "already exists",
		},
		"BadID": {
			reason:  "A fixed ID must be a UUID.",
			spec:    WorkspaceSpec{Key: "ory_wak_second", ID: "ws-1"},
			wantErr: "not a UUID",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim, err := New(WithoutContractCheck())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sim.CreateWorkspace(WorkspaceSpec{Key: "ory_wak_first", ID: "00000000-0000-4000-8000-0000000000ff", KeyID: "00000000-0000-4000-8000-0000000000fe"}); err != nil {
				t.Fatal(err)
			}
			ws, err := sim.CreateWorkspace(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nwant error containing %q, got %v", tc.reason, tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if tc.want.ID != "" && (ws.ID != tc.want.ID || ws.KeyID != tc.want.KeyID) {
				t.Errorf("%s\nIDs = %s, %s; want %s, %s", tc.reason, ws.ID, ws.KeyID, tc.want.ID, tc.want.KeyID)
			}
			if k, ok := sim.WorkspaceKey(ws.ID, ws.KeyID); !ok || k.Value != tc.spec.Key {
				t.Errorf("%s\nthe workspace's key is not among its API keys", tc.reason)
			}
		})
	}
}

// TestRequestLogCredentials checks that the request log names the workspace
// key each request presented, by ID: a caller (make run --check) tells that
// the provider moved to a key it made itself without ever seeing a value.
func TestRequestLogCredentials(t *testing.T) {
	f := newFixture(t)
	made := f.createWorkspaceKey(t, f.client, "rotated", nil)
	cases := map[string]struct {
		reason string
		token  string
		want   LogEntry
	}{
		"SetUpKey": {
			reason: "The key a workspace was set up with is named by its key ID.",
			token:  f.ws.Key,
			want:   LogEntry{WorkspaceKeyID: f.ws.KeyID, Status: http.StatusOK},
		},
		"CreatedKey": {
			reason: "A key created through the API authenticates, and is named by its own ID.",
			token:  made.GetValue(),
			want:   LogEntry{WorkspaceKeyID: made.Id, Status: http.StatusOK},
		},
		"UnknownKey": {
			reason: "A token the simulator does not know names no key, and is refused.",
			token:  "ory_wak_unknown",
			want:   LogEntry{Status: http.StatusUnauthorized},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f.sim.ResetRequests()
			_, _, _ = NewClient(f.url, tc.token).WorkspaceAPI.ListWorkspaceApiKeys(context.Background(), f.ws.ID).Execute()
			log := f.sim.RequestLog()
			if len(log) != 1 {
				t.Fatalf("want one request in the log, got %d", len(log))
			}
			got := LogEntry{WorkspaceKeyID: log[0].WorkspaceKeyID, Status: log[0].Status}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
			if strings.Contains(log[0].WorkspaceKeyID, "ory_wak_") {
				t.Errorf("the log holds a key's value: %q", log[0].WorkspaceKeyID)
			}
		})
	}
}

// TestAddWorkspaceWithCreatedKey: the setup helpers take the value of a
// workspace key created through the API as the workspace it reaches; they
// used to dereference a nil workspace for it.
func TestAddWorkspaceWithCreatedKey(t *testing.T) {
	f := newFixture(t)
	k := f.createWorkspaceKey(t, f.client, "next", nil)
	ws := f.sim.AddWorkspace(k.GetValue())
	want := Workspace{ID: f.ws.ID, Key: k.GetValue(), KeyID: k.Id, OwnerID: k.OwnerId}
	if diff := cmp.Diff(want, ws); diff != "" {
		t.Errorf("AddWorkspace of a created key: -want, +got:\n%s", diff)
	}
	p := f.sim.AddProject(k.GetValue(), "")
	if diff := cmp.Diff(f.ws.ID, p.WorkspaceID); diff != "" {
		t.Errorf("AddProject with a created key: workspace -want, +got:\n%s", diff)
	}
	if !f.sim.MoveProject(p.ID, k.GetValue()) {
		t.Error("MoveProject to a created key's workspace did not find the project")
	}
}
