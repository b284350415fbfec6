package projectapikey

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-ory/internal/console"
)

func TestProjectGoneProof(t *testing.T) {
	answer := func(status int, reason console.Reason) error {
		return &console.Error{Op: "get project p", StatusCode: status, Reason: reason}
	}
	cases := map[string]struct {
		reason string
		state  string
		err    error
		gone   bool
	}{
		"Deleted": {
			reason: "The console deletes softly: a read saying state deleted is proof.",
			state:  console.ProjectDeleted,
			gone:   true,
		},
		"Running": {
			reason: "A running project is there.",
			state:  console.ProjectRunning,
		},
		"Halted": {
			reason: "A halted project still exists; its keys may come back with it.",
			state:  console.ProjectHalted,
		},
		"NotFound": {
			reason: "A 404 on the project says it does not exist.",
			err:    answer(http.StatusNotFound, console.ReasonNotFound),
			gone:   true,
		},
		"Forbidden": {
			reason: "Ory answers 403 for an unknown project and for one the key may not see: no proof.",
			err:    answer(http.StatusForbidden, console.ReasonForbidden),
		},
		"Unauthorized": {
			reason: "A 401 is a revoked workspace key, nothing about the project.",
			err:    answer(http.StatusUnauthorized, console.ReasonUnauthorized),
		},
		"Unavailable": {
			reason: "A 5xx or a cut connection says nothing.",
			err:    answer(http.StatusBadGateway, console.ReasonUnavailable),
		},
		"RateLimited": {
			reason: "A 429 says nothing.",
			err:    answer(http.StatusTooManyRequests, console.ReasonRateLimited),
		},
		"OtherError": {
			reason: "An error that is no console answer says nothing.",
			err:    errors.New("this console client cannot look up projects"),
		},
		"DeletedStateWithError": {
			reason: "A state is only read from a successful answer.",
			state:  console.ProjectDeleted,
			err:    answer(http.StatusForbidden, console.ReasonForbidden),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := projectGoneProof(tc.state, tc.err) != ""
			if diff := cmp.Diff(tc.gone, got); diff != "" {
				t.Errorf("%s\nprojectGoneProof(%q, %v): -want, +got:\n%s", tc.reason, tc.state, tc.err, diff)
			}
		})
	}
}
