package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane-contrib/provider-ory/internal/localenv"
)

func TestRenderNeverShowsValues(t *testing.T) {
	const value = "ory_pat_0123456789abcdefghijklmnopqrWXYZ"
	ready := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue}
	synced := xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionTrue}
	statuses := []localenv.KeyStatus{
		{
			Namespace: "team-a", Name: "payments", Ready: ready, Synced: synced,
			ExternalName: "k1", KeyID: "k1", ProjectID: "p1",
			Secret: &localenv.SecretStatus{Namespace: "team-a", Name: "payments-ory-api-key", Found: true, Data: map[string][]byte{
				"value": []byte(value), "keyID": []byte("k1"), "projectID": []byte("p1"),
			}},
		},
		{Cluster: true, Name: "imported", Ready: ready, Synced: synced, ExternalName: "k2", KeyID: "k2", Import: true, ValueUnknown: true},
	}
	got := render(statuses, nil, []keyRef{{id: "team-a/payments"}, {cluster: true, id: "imported"}})
	if strings.Contains(got, value[8:len(value)-4]) {
		t.Fatalf("render shows a key's value:\n%s", got)
	}
	for _, want := range []string{"value:     ory_pat_****WXYZ (40 bytes)", "keyID:     k1", "import (Observe): no value, by design", "team-a/payments"} {
		if !strings.Contains(got, want) {
			t.Errorf("render: want %q in\n%s", want, got)
		}
	}
}

func TestParse(t *testing.T) {
	cases := map[string]struct {
		args []string
		want []string
	}{
		"DefaultPoll":  {args: nil, want: []string{"--poll=" + defaultPoll}},
		"OwnPoll":      {args: []string{"--", "--poll=1m"}, want: []string{"--poll=1m"}},
		"DebugAndMore": {args: []string{"--debug", "--", "--max-reconcile-rate=2"}, want: []string{"--debug", "--poll=" + defaultPoll, "--max-reconcile-rate=2"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := parse(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.args, tc.want) {
				t.Errorf("provider flags: want %v, got %v", tc.want, o.args)
			}
		})
	}
}
