package crash

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// hookLabel marks the resources whose updates the kill hook sees.
const hookLabel = "crash.ory.crossplane.io/kill-hook"

// The kill hook strikes the plans of the stages that follow a store in the
// connection Secret (beforeExternalName, beforeRotationRecord): between the
// store and the update of the resource that records it the provider asks
// nothing of Ory, so the tap cannot see the moment. The hook is a validating
// admission webhook, registered with the API server for updates of
// OAuth2Clients of both scopes labelled hookLabel: when an update records
// what a plan waits for, it kills the provider (SIGKILL) and refuses the
// update, so that the API server holds exactly what the crash left: the
// secret stored, its record not.
//
// It reads only the annotations the provider documents: the external name,
// and ory.crossplane.io/rotating, which the update that records a rotation
// removes.
type hook struct{}

// startHook serves the kill hook over TLS and registers it with the API
// server until t ends. Its failure policy is Ignore: a hook that does not
// answer refuses nothing.
func startHook(t *testing.T) {
	t.Helper()
	srv := httptest.NewTLSServer(hook{})
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	url := srv.URL + "/kill"
	ignore, none, timeout := admissionregistrationv1.Ignore, admissionregistrationv1.SideEffectClassNone, int32(10)
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "crash-kill-hook-" + testkit.RandomAlphanumeric(6)},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "kill.crash.ory.crossplane.io",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca},
			FailurePolicy:           &ignore,
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{hookLabel: "true"}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{namespacedv1alpha1.Group, clusterv1alpha1.Group},
					APIVersions: []string{"v1alpha1"},
					Resources:   []string{"oauth2clients"},
				},
			}},
		}},
	}
	if err := env.Client.Create(t.Context(), cfg); err != nil {
		t.Fatalf("cannot register the kill hook: %v", err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(t.Context(), cfg) })
}

// hookObject is the part of a resource the hook reads.
type hookObject struct {
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ForProvider struct {
			ClientName string `json:"clientName"`
		} `json:"forProvider"`
	} `json:"spec"`
}

// stageOf says which stage's plan an update from old to obj strikes: the
// first record of an external name, or the record of a rotation; ok is
// false for every other update.
func stageOf(old, obj hookObject) (stage, bool) {
	_, wasRotating := old.Annotations[common.AnnotationRotating]
	_, rotating := obj.Annotations[common.AnnotationRotating]
	switch {
	case meta.GetExternalName(&old) == "" && meta.GetExternalName(&obj) != "":
		return beforeExternalName, true
	case wasRotating && !rotating:
		return beforeRotationRecord, true
	}
	return 0, false
}

func (hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	answer := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	var old, obj hookObject
	if json.Unmarshal(review.Request.OldObject.Raw, &old) == nil && json.Unmarshal(review.Request.Object.Raw, &obj) == nil {
		if s, ok := stageOf(old, obj); ok {
			if p := tp.take(s, arrived); p != nil {
				// Killed before the answer: the update is refused to
				// a process that no longer exists.
				tp.kill(*p, meta.GetExternalName(&obj), obj.Spec.ForProvider.ClientName)
				answer.Allowed = false
				answer.Result = &metav1.Status{Message: "the crash test killed the provider before this update", Code: http.StatusServiceUnavailable}
			}
		}
	}
	review.Response = answer
	review.Request = nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(review)
}
