package bootstrap

import (
	"testing"
	"time"
)

func TestLeaseTimings(t *testing.T) {
	cases := map[string]struct {
		reason       string
		lease, renew time.Duration
		wantLease    time.Duration
		wantRenew    time.Duration
		wantErr      bool
	}{
		"Defaults": {
			reason:    "Zero means the defaults, Crossplane's own timings.",
			wantLease: DefaultLeaseDuration, wantRenew: DefaultRenewDeadline,
		},
		"ControllerRuntimes": {
			reason: "controller-runtime's 15s and 10s are a valid choice for a faster takeover.",
			lease:  15 * time.Second, renew: 10 * time.Second,
			wantLease: 15 * time.Second, wantRenew: 10 * time.Second,
		},
		"ShorterLeaseOnly": {
			reason:  "A lease shorter than the default renew deadline must come with a shorter deadline: the leader would renew after the others took over.",
			lease:   15 * time.Second,
			wantErr: true,
		},
		"RenewEqualsLease": {
			reason: "client-go wants the renew deadline strictly shorter than the lease.",
			lease:  10 * time.Second, renew: 10 * time.Second,
			wantErr: true,
		},
		"RenewWithinRetryJitter": {
			reason: "client-go wants the renew deadline longer than 1.2 retry periods (2.4s).",
			lease:  10 * time.Second, renew: 2 * time.Second,
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lease, renew, err := leaseTimings(tc.lease, tc.renew)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nleaseTimings(%s, %s): error %v, want error: %t", tc.reason, tc.lease, tc.renew, err, tc.wantErr)
			}
			if lease != tc.wantLease || renew != tc.wantRenew {
				t.Errorf("%s\nleaseTimings(%s, %s) = %s, %s, want %s, %s", tc.reason, tc.lease, tc.renew, lease, renew, tc.wantLease, tc.wantRenew)
			}
		})
	}
}
