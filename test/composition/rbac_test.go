package composition

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// providerGroups are provider-ory's API groups: app teams get nothing in
// them (see rbac.yaml).
var providerGroups = []string{"ory.m.crossplane.io", "ory.crossplane.io"}

// loadRBAC reads v2/rbac.yaml strictly into the rbac/v1 types, so a typo in
// a field fails here rather than being dropped by the API server.
func loadRBAC(t *testing.T) []client.Object {
	t.Helper()
	path := filepath.Join(examples, "v2", "rbac.yaml")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	var out []client.Object
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatal(err)
		}
		var o client.Object
		switch tm.Kind {
		case "ClusterRole":
			o = &rbacv1.ClusterRole{}
		case "Role":
			o = &rbacv1.Role{}
		case "RoleBinding":
			o = &rbacv1.RoleBinding{}
		default:
			t.Fatalf("%s: %s is not a kind this test knows", path, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, o); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, o)
	}
	return out
}

// TestShippedRBACMatchesXRD checks, without a cluster, that rbac.yaml fits the
// XRD and the XR it is shipped with, and grants app teams nothing of
// provider-ory and no Secret but the key's.
func TestShippedRBACMatchesXRD(t *testing.T) {
	xrd := load(t, filepath.Join(examples, "v2", "xrd.yaml"))
	xr := load(t, filepath.Join(examples, "v2", "xr.yaml"))
	objs := loadRBAC(t)
	roles := map[string][]rbacv1.PolicyRule{}
	for _, o := range objs {
		switch r := o.(type) {
		case *rbacv1.ClusterRole:
			roles["ClusterRole/"+r.Name] = r.Rules
		case *rbacv1.Role:
			roles["Role/"+r.Name] = r.Rules
			if r.Namespace != xr.GetNamespace() {
				t.Errorf("Role %s is in %q, the XR in %q", r.Name, r.Namespace, xr.GetNamespace())
			}
		}
	}
	grantsXR := false
	for _, o := range objs {
		rb, ok := o.(*rbacv1.RoleBinding)
		if !ok {
			continue
		}
		if rb.Namespace != xr.GetNamespace() {
			t.Errorf("RoleBinding %s is in %q, the XR in %q", rb.Name, rb.Namespace, xr.GetNamespace())
		}
		if _, ok := roles[rb.RoleRef.Kind+"/"+rb.RoleRef.Name]; !ok {
			t.Errorf("RoleBinding %s refers to %s %s, which rbac.yaml does not define", rb.Name, rb.RoleRef.Kind, rb.RoleRef.Name)
		}
	}
	secretName := str(xr, "spec", "secretName")
	for name, rules := range roles {
		for _, r := range rules {
			for _, g := range r.APIGroups {
				if slices.Contains(providerGroups, g) || g == "*" {
					t.Errorf("%s grants %v in group %q: an app team that can write a ProjectAPIKey or ProviderConfig chooses its own project", name, r.Resources, g)
				}
				if g == "" && slices.Contains(r.Resources, "secrets") && !slices.Equal(r.ResourceNames, []string{secretName}) {
					t.Errorf("%s grants Secrets %v; want only the XR's Secret %q", name, r.ResourceNames, secretName)
				}
				if g == str(xrd, "spec", "group") && slices.Contains(r.Resources, str(xrd, "spec", "names", "plural")) {
					grantsXR = true
				}
			}
		}
	}
	if !grantsXR {
		t.Errorf("no role of rbac.yaml grants %s.%s", str(xrd, "spec", "names", "plural"), str(xrd, "spec", "group"))
	}
}

// TestShippedRBACOnAPIServer applies rbac.yaml as shipped to a real API
// server (RBAC authorizer) and asks it, through SubjectAccessReviews, what
// the app team and the workload may do.
func TestShippedRBACOnAPIServer(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		msg := "KUBEBUILDER_ASSETS must be set: KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) go test ./test/composition"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	kube, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	xr := load(t, filepath.Join(examples, "v2", "xr.yaml"))
	ns, secret := xr.GetNamespace(), str(xr, "spec", "secretName")
	for _, n := range []string{ns, "elsewhere"} {
		if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range loadRBAC(t) {
		if err := kube.Create(ctx, o); err != nil {
			t.Fatalf("rbac.yaml: %T %s: %v", o, o.GetName(), err)
		}
	}

	developer := authorizationv1.SubjectAccessReviewSpec{User: "dev", Groups: []string{"checkout-developers"}}
	workload := authorizationv1.SubjectAccessReviewSpec{User: "system:serviceaccount:" + ns + ":checkout",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns}}
	res := func(ns, group, resource, verb, name string) *authorizationv1.ResourceAttributes {
		return &authorizationv1.ResourceAttributes{Namespace: ns, Group: group, Resource: resource, Verb: verb, Name: name}
	}
	cases := map[string]struct {
		reason string
		who    authorizationv1.SubjectAccessReviewSpec
		what   *authorizationv1.ResourceAttributes
		want   bool
	}{
		"DeveloperCreatesXR":       {"The app team asks for keys through the platform's API.", developer, res(ns, "platform.example.org", "oryapikeys", "create", ""), true},
		"DeveloperDeletesXR":       {"Deleting its XR is how a team gives a key up.", developer, res(ns, "platform.example.org", "oryapikeys", "delete", "checkout"), true},
		"DeveloperOtherNamespace":  {"A team's grant ends at its namespace.", developer, res("elsewhere", "platform.example.org", "oryapikeys", "create", ""), false},
		"DeveloperProjectAPIKey":   {"A ProjectAPIKey names its own project: writing one directly would bypass the platform's choice.", developer, res(ns, "ory.m.crossplane.io", "projectapikeys", "create", ""), false},
		"DeveloperProviderConfig":  {"A ProviderConfig holds a workspace key and an allow-list; the platform team owns them.", developer, res(ns, "ory.m.crossplane.io", "providerconfigs", "update", "default"), false},
		"DeveloperReadsSecret":     {"The key's value is for the workload, not for people.", developer, res(ns, "", "secrets", "get", secret), false},
		"WorkloadReadsItsSecret":   {"The workload mounts or reads its key.", workload, res(ns, "", "secrets", "get", secret), true},
		"WorkloadListsSecrets":     {"Listing would show every Secret of the namespace, the workspace key of a team ProviderConfig among them.", workload, res(ns, "", "secrets", "list", ""), false},
		"WorkloadReadsOtherSecret": {"Only the key's Secret, by name.", workload, res(ns, "", "secrets", "get", "ory-workspace-key"), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sar := &authorizationv1.SubjectAccessReview{Spec: tc.who}
			sar.Spec.ResourceAttributes = tc.what
			if err := kube.Create(ctx, sar); err != nil {
				t.Fatal(err)
			}
			if sar.Status.Allowed != tc.want {
				t.Errorf("%s\n%s %s %s/%s %s in %s: allowed=%v, want %v (%s)", tc.reason, tc.who.User, tc.what.Verb, tc.what.Group, tc.what.Resource, tc.what.Name, tc.what.Namespace, sar.Status.Allowed, tc.want, sar.Status.Reason)
			}
		})
	}
}
