// Package package_test checks what the Crossplane package ships, without an
// API server: the package metadata, the CRDs, and the examples, which an e2e
// test applies unchanged and users copy. Every example object of one of our
// kinds goes through the steps the API server takes on create (pruning,
// defaulting, OpenAPI schema, list types, CEL rules), so an example that the
// CRDs would reject fails here first.
package package_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	xpmetav1 "github.com/crossplane/crossplane/apis/v2/pkg/meta/v1"
	protectionv1beta1 "github.com/crossplane/crossplane/apis/v2/protection/v1beta1"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const (
	metadataFile = "crossplane.yaml"
	crdDir       = "crds"
	examplesDir  = "../examples"

	// placeholderKey is the only Ory key-like string the examples may hold.
	placeholderKey = "ory_wak_REPLACE_ME"
)

// oryKey matches workspace (ory_wak_) and project (ory_pat_) API keys, so a
// real key pasted into an example, even into a comment, is caught.
var oryKey = regexp.MustCompile(`ory_(?:wak|pat)_[A-Za-z0-9_\-]*`)

// crossplaneV2 matches a lower bound on a Crossplane v2 release, such as
// ">=v2.0.0".
var crossplaneV2 = regexp.MustCompile(`^>=\s*v?2\.\d+\.\d+`)

var uuidPattern = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func TestPackageMetadata(t *testing.T) {
	data, err := os.ReadFile(metadataFile)
	if err != nil {
		t.Fatal(err)
	}
	// Strict, so a field the meta.pkg.crossplane.io/v1 Provider does not have
	// (such as the spec.controller of Crossplane v1) fails here rather than
	// in `crossplane xpkg build`.
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	p := &xpmetav1.Provider{}
	if err := decodeStrict(js, p); err != nil {
		t.Fatalf("%s is not a meta.pkg.crossplane.io/v1 Provider: %v", metadataFile, err)
	}
	version := ""
	if p.Spec.Crossplane != nil {
		version = p.Spec.Crossplane.Version
	}

	cases := map[string]struct {
		reason string
		got    any
		want   any
	}{
		"APIVersion": {
			reason: "Crossplane v2 reads package metadata as meta.pkg.crossplane.io/v1.",
			got:    p.APIVersion,
			want:   xpmetav1.SchemeGroupVersion.String(),
		},
		"Kind": {
			reason: "The package must declare itself a Provider to be installed as one.",
			got:    p.Kind,
			want:   xpmetav1.ProviderKind,
		},
		"Name": {
			reason: "The package name is what the Provider is known by in registries and in the cluster.",
			got:    p.Name,
			want:   "provider-ory",
		},
		"SafeStart": {
			reason: "safe-start lets Crossplane start the controllers only once the CRDs they watch exist, as managed resource activation requires.",
			got:    xpmetav1.CapabilitiesContainFuzzyMatch(p.Spec.Capabilities, xpmetav1.ProviderCapabilitySafeStart),
			want:   true,
		},
		"CrossplaneVersion": {
			reason: "The provider uses Crossplane v2 APIs (namespaced managed resources, ClusterProviderConfig), so it must not install on Crossplane v1.",
			got:    crossplaneV2.MatchString(version),
			want:   true,
		},
	}
	for _, a := range []string{
		"meta.crossplane.io/maintainer",
		"meta.crossplane.io/source",
		"meta.crossplane.io/license",
		"meta.crossplane.io/description",
		"meta.crossplane.io/readme",
	} {
		cases["Annotation "+a] = struct {
			reason string
			got    any
			want   any
		}{
			reason: "Package registries such as the Upbound Marketplace show this annotation on the package's page; a missing one leaves it blank.",
			got:    strings.TrimSpace(p.Annotations[a]) != "",
			want:   true,
		}
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("\n%s\n%s: -want, +got:\n%s", tc.reason, metadataFile, diff)
			}
		})
	}
}

func TestCRDs(t *testing.T) {
	crds := loadCRDs(t)

	// Every CRD must be usable as a schema: Kubernetes refuses CRDs whose
	// served versions are not structural.
	for _, crd := range crds {
		served := 0
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			served++
			s, err := structuralFor(crd, v.Name)
			if err != nil {
				t.Errorf("%s version %s: %v", crd.Name, v.Name, err)
				continue
			}
			if errs := ruleErrors(s); len(errs) > 0 {
				t.Errorf("%s version %s: the API server would refuse the CRD: %v", crd.Name, v.Name, errs.ToAggregate())
			}
		}
		if served == 0 {
			t.Errorf("%s: no served version", crd.Name)
		}
	}

	managedColumns := []string{"READY", "SYNCED", "EXTERNAL-NAME", "PROJECT", "EXPIRES", "AGE"}
	workspaceKeyColumns := []string{"READY", "SYNCED", "EXTERNAL-NAME", "WORKSPACE", "EXPIRES", "AGE"}
	clientColumns := []string{"READY", "SYNCED", "EXTERNAL-NAME", "CLIENT-NAME", "AGE"}
	managedCategories := []string{"crossplane", "managed", "ory"}
	cases := map[string]struct {
		reason     string
		scope      apiextensionsv1.ResourceScope
		columns    []string
		categories []string
	}{
		"projectapikeys.ory.m.crossplane.io": {
			reason:     "`kubectl get managed` and `kubectl get projectapikeys` should show the same columns for a key as every other Crossplane managed resource, plus its project and expiry.",
			scope:      apiextensionsv1.NamespaceScoped,
			columns:    managedColumns,
			categories: managedCategories,
		},
		"projectapikeys.ory.crossplane.io": {
			reason:     "The legacy cluster-scoped key should look the same as the namespaced one in `kubectl get`.",
			scope:      apiextensionsv1.ClusterScoped,
			columns:    managedColumns,
			categories: managedCategories,
		},
		"workspaceapikeys.ory.m.crossplane.io": {
			reason:     "A workspace key shows the managed resource columns too, with its workspace where a project key shows its project.",
			scope:      apiextensionsv1.NamespaceScoped,
			columns:    workspaceKeyColumns,
			categories: managedCategories,
		},
		"workspaceapikeys.ory.crossplane.io": {
			reason:     "The cluster-scoped workspace key, generated from the namespaced one, looks the same in `kubectl get`.",
			scope:      apiextensionsv1.ClusterScoped,
			columns:    workspaceKeyColumns,
			categories: managedCategories,
		},
		"oauth2clients.ory.m.crossplane.io": {
			reason:     "An OAuth2 client shows the managed resource columns and its name; its external name is the client ID, and it has no expiry.",
			scope:      apiextensionsv1.NamespaceScoped,
			columns:    clientColumns,
			categories: managedCategories,
		},
		"oauth2clients.ory.crossplane.io": {
			reason:     "The cluster-scoped OAuth2 client, generated from the namespaced one, looks the same in `kubectl get`.",
			scope:      apiextensionsv1.ClusterScoped,
			columns:    clientColumns,
			categories: managedCategories,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			crd, ok := crds[name]
			if !ok {
				t.Fatalf("\n%s\nno CRD %s in %s", tc.reason, name, crdDir)
			}
			if diff := cmp.Diff(tc.scope, crd.Spec.Scope); diff != "" {
				t.Errorf("\n%s\nscope: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.categories, crd.Spec.Names.Categories); diff != "" {
				t.Errorf("\n%s\ncategories: -want, +got:\n%s", tc.reason, diff)
			}
			for _, v := range crd.Spec.Versions {
				var got []string
				for _, c := range v.AdditionalPrinterColumns {
					got = append(got, c.Name)
				}
				if diff := cmp.Diff(tc.columns, got); diff != "" {
					t.Errorf("\n%s\nversion %s printer columns: -want, +got:\n%s", tc.reason, v.Name, diff)
				}
			}
		})
	}
}

// TestRuleErrors shows that ruleErrors, which TestCRDs relies on, finds what
// the API server refuses a CRD for.
func TestRuleErrors(t *testing.T) {
	crd, ok := loadCRDs(t)["projectapikeys.ory.m.crossplane.io"]
	if !ok {
		t.Fatal("no CRD projectapikeys.ory.m.crossplane.io")
	}
	cases := map[string]struct {
		reason  string
		rule    string
		wantErr string
	}{
		"Cheap": {
			reason: "A membership test on a list of enum strings is well within the cost limit.",
			rule:   "!has(self.managementPolicies) || !('Create' in self.managementPolicies)",
		},
		"ExistsOverUnboundedList": {
			reason:  "exists() with several comparisons over a list without maxItems is estimated above the per-rule limit.",
			rule:    "!has(self.managementPolicies) || !self.managementPolicies.exists(p, p == '*' || p == 'Create' || p == 'Update')",
			wantErr: "estimated rule cost exceeds budget",
		},
		"UnknownField": {
			reason:  "A rule must compile against the schema.",
			rule:    "self.forProvider.expiry != ''",
			wantErr: "compilation failed",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := structuralFor(crd, crd.Spec.Versions[0].Name)
			if err != nil {
				t.Fatal(err)
			}
			spec := s.Properties["spec"]
			spec.XValidations = apiextensionsv1.ValidationRules{{Rule: tc.rule}}
			s.Properties["spec"] = spec

			errs := ruleErrors(s)
			switch {
			case tc.wantErr == "" && len(errs) > 0:
				t.Errorf("\n%s\nwant no error, got: %v", tc.reason, errs.ToAggregate())
			case tc.wantErr != "" && (len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.wantErr)):
				t.Errorf("\n%s\nwant an error about %q, got: %v", tc.reason, tc.wantErr, errs.ToAggregate())
			}
		})
	}
}

// An exampleObject is how an example is named in the tables below:
// "<apiVersion> <kind> <namespace>/<name>", or without "<namespace>/" for a
// cluster-scoped object.
func exampleObject(u *unstructured.Unstructured) string {
	name := u.GetName()
	if ns := u.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	return u.GetAPIVersion() + " " + u.GetKind() + " " + name
}

func TestExamples(t *testing.T) {
	validators := newValidators(t, loadCRDs(t))
	examples := loadExamples(t)

	// The e2e test applies these files by name, and the README lists them: a
	// file that goes missing, or an object that moves, must be noticed.
	cases := map[string]struct {
		reason  string
		objects []string
	}{
		"crossplane-system.yaml": {
			reason:  "The credentials of the cluster-wide configs live in crossplane-system, which a bare API server does not have.",
			objects: []string{"v1 Namespace crossplane-system"},
		},
		"namespaced/namespace.yaml": {
			reason:  "The tenant namespace must exist before anything is created in it.",
			objects: []string{"v1 Namespace team-a"},
		},
		"namespaced/credentials.yaml": {
			reason: "A namespaced ProviderConfig reads only Secrets of its own namespace; the ClusterProviderConfig reads one in crossplane-system.",
			objects: []string{
				"v1 Secret team-a/ory-workspace-key",
				"v1 Secret crossplane-system/ory-workspace-key",
			},
		},
		"namespaced/providerconfig.yaml": {
			reason:  "A tenant's own ProviderConfig, in the tenant's namespace.",
			objects: []string{"ory.m.crossplane.io/v1alpha1 ProviderConfig team-a/default"},
		},
		"namespaced/clusterproviderconfig.yaml": {
			reason:  "ClusterProviderConfig default is what namespaced keys use when they name no ProviderConfig.",
			objects: []string{"ory.m.crossplane.io/v1alpha1 ClusterProviderConfig default"},
		},
		"namespaced/projectapikey.yaml": {
			reason:  "The example of a new namespaced key.",
			objects: []string{"ory.m.crossplane.io/v1alpha1 ProjectAPIKey team-a/payments"},
		},
		"namespaced/import.yaml": {
			reason:  "The example of importing an existing key into a namespace.",
			objects: []string{"ory.m.crossplane.io/v1alpha1 ProjectAPIKey team-a/imported-ci"},
		},
		"namespaced/workspaceapikey.yaml": {
			reason:  "The example of a new namespaced workspace key.",
			objects: []string{"ory.m.crossplane.io/v1alpha1 WorkspaceAPIKey team-a/ci"},
		},
		"namespaced/rotate-provider-credentials.yaml": {
			reason: "The self-rotation pattern: the credentials Secret, the ProviderConfig that reads it, and the WorkspaceAPIKey that writes it, in the order they must be applied.",
			objects: []string{
				"v1 Secret team-a/ory-rotated-workspace-key",
				"ory.m.crossplane.io/v1alpha1 ProviderConfig team-a/self-rotating",
				"ory.m.crossplane.io/v1alpha1 WorkspaceAPIKey team-a/provider-credentials",
			},
		},
		"cluster/credentials.yaml": {
			reason:  "The legacy ProviderConfig reads its workspace key from crossplane-system.",
			objects: []string{"v1 Secret crossplane-system/ory-legacy-workspace-key"},
		},
		"cluster/providerconfig.yaml": {
			reason:  "ProviderConfig default is what legacy keys use when they name no ProviderConfig.",
			objects: []string{"ory.crossplane.io/v1alpha1 ProviderConfig default"},
		},
		"cluster/projectapikey.yaml": {
			reason:  "The example of a new cluster-scoped key.",
			objects: []string{"ory.crossplane.io/v1alpha1 ProjectAPIKey payments-legacy"},
		},
		"cluster/import.yaml": {
			reason:  "The example of importing an existing key as a cluster-scoped resource.",
			objects: []string{"ory.crossplane.io/v1alpha1 ProjectAPIKey imported-ci-legacy"},
		},
		"cluster/workspaceapikey.yaml": {
			reason:  "The example of a new cluster-scoped workspace key.",
			objects: []string{"ory.crossplane.io/v1alpha1 WorkspaceAPIKey platform-legacy"},
		},
		"project/namespaced.yaml": {
			reason: "The example of a namespaced Project and a key in it found by projectIDRef, with no UUID written.",
			objects: []string{
				"ory.m.crossplane.io/v1alpha1 Project team-a/payments",
				"ory.m.crossplane.io/v1alpha1 ProjectAPIKey team-a/payments-app",
			},
		},
		"project/cluster.yaml": {
			reason: "The same for the cluster scope: a cluster-scoped key references a cluster-scoped Project.",
			objects: []string{
				"ory.crossplane.io/v1alpha1 Project payments-legacy",
				"ory.crossplane.io/v1alpha1 ProjectAPIKey payments-legacy-app",
			},
		},
		"oauth2client/namespaced.yaml": {
			reason: "The chain of issue 15: a ProjectAPIKey, a ProviderConfig whose project credentials are that key's connection Secret, and an OAuth2Client with a rotated secret made through it, in the order they must be applied; and a public client (no secret) on the same ProviderConfig, which make run and e2e show converged without a secret.",
			objects: []string{
				"ory.m.crossplane.io/v1alpha1 ProjectAPIKey team-a/oauth-admin",
				"ory.m.crossplane.io/v1alpha1 ProviderConfig team-a/oauth",
				"ory.m.crossplane.io/v1alpha1 OAuth2Client team-a/web",
				"ory.m.crossplane.io/v1alpha1 OAuth2Client team-a/spa",
			},
		},
		"oauth2client/cluster.yaml": {
			reason: "The same chain for the cluster scope.",
			objects: []string{
				"ory.crossplane.io/v1alpha1 ProjectAPIKey oauth-admin-legacy",
				"ory.crossplane.io/v1alpha1 ProviderConfig oauth-legacy",
				"ory.crossplane.io/v1alpha1 OAuth2Client web-legacy",
			},
		},
		"project/namespaced-usage.yaml": {
			reason:  "Crossplane's Usage keeps the namespaced Project until its key is gone.",
			objects: []string{"protection.crossplane.io/v1beta1 Usage team-a/payments-app-uses-payments"},
		},
		"project/cluster-usage.yaml": {
			reason:  "A ClusterUsage does the same for the cluster-scoped pair.",
			objects: []string{"protection.crossplane.io/v1beta1 ClusterUsage payments-legacy-app-uses-payments-legacy"},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, ok := examples[name]
			if !ok {
				t.Fatalf("\n%s\n%s is missing", tc.reason, filepath.Join(examplesDir, name))
			}
			var got []string
			for _, u := range f.objects {
				got = append(got, exampleObject(u))
			}
			if diff := cmp.Diff(tc.objects, got); diff != "" {
				t.Errorf("\n%s\n%s objects: -want, +got:\n%s", tc.reason, name, diff)
			}
		})
	}
	for name := range examples {
		if _, ok := cases[name]; !ok {
			t.Errorf("%s has no case in TestExamples: add one, so the test says what it is for", filepath.Join(examplesDir, name))
		}
	}

	// Every object of every file, listed or not, must be one the API server
	// would accept.
	for name, f := range examples {
		if leaked := findKeys(string(f.raw)); len(leaked) > 0 {
			t.Errorf("%s: holds %q; examples may only hold the placeholder %s", name, leaked, placeholderKey)
		}
		for _, u := range f.objects {
			t.Run("Valid "+name+" "+exampleObject(u), func(t *testing.T) {
				if errs := validators.validate(u); len(errs) > 0 {
					t.Errorf("%s: %s would be rejected: %v", name, exampleObject(u), errs.ToAggregate())
				}
			})
		}
	}
}

// TestExampleReferences checks that the examples need nothing from outside
// the directory: applied in the README's order to an empty cluster, every
// Secret, namespace and ProviderConfig they name exists.
func TestExampleReferences(t *testing.T) {
	validators := newValidators(t, loadCRDs(t))
	examples := loadExamples(t)

	exists := map[string]bool{}
	var all []*unstructured.Unstructured
	for _, f := range examples {
		for _, u := range f.objects {
			// Defaulted as the API server would, so the implicit
			// providerConfigRef of a key is checked too.
			u = u.DeepCopy()
			validators.defaults(u)
			exists[u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName()] = true
			// A managed resource's connection Secret exists once the
			// provider has written it; a ProviderConfig may read it (the
			// project credentials of OAuth2Clients).
			if name, ok, _ := unstructured.NestedString(u.Object, "spec", "writeConnectionSecretToRef", "name"); ok {
				ns, _, _ := unstructured.NestedString(u.Object, "spec", "writeConnectionSecretToRef", "namespace")
				if ns == "" {
					ns = u.GetNamespace()
				}
				exists["Secret "+ns+"/"+name] = true
			}
			all = append(all, u)
		}
	}
	for _, u := range all {
		var refs []string
		if ns := u.GetNamespace(); ns != "" {
			refs = append(refs, "Namespace /"+ns)
		}
		switch {
		case u.GetKind() == "ProviderConfig" || u.GetKind() == "ClusterProviderConfig":
			if src, _, _ := unstructured.NestedString(u.Object, "spec", "credentials", "source"); src == "Secret" {
				ns, _, _ := unstructured.NestedString(u.Object, "spec", "credentials", "secretRef", "namespace")
				if ns == "" {
					ns = u.GetNamespace()
				}
				name, _, _ := unstructured.NestedString(u.Object, "spec", "credentials", "secretRef", "name")
				refs = append(refs, "Secret "+ns+"/"+name)
			}
			if name, ok, _ := unstructured.NestedString(u.Object, "spec", "projectCredentials", "connectionSecretRef", "name"); ok {
				ns, _, _ := unstructured.NestedString(u.Object, "spec", "projectCredentials", "connectionSecretRef", "namespace")
				if ns == "" {
					ns = u.GetNamespace()
				}
				refs = append(refs, "Secret "+ns+"/"+name)
			}
		case u.GetKind() == "ProjectAPIKey" || u.GetKind() == "WorkspaceAPIKey" || u.GetKind() == "OAuth2Client":
			kind, _, _ := unstructured.NestedString(u.Object, "spec", "providerConfigRef", "kind")
			name, _, _ := unstructured.NestedString(u.Object, "spec", "providerConfigRef", "name")
			switch kind {
			case "ProviderConfig":
				refs = append(refs, "ProviderConfig "+u.GetNamespace()+"/"+name)
			case "ClusterProviderConfig":
				refs = append(refs, "ClusterProviderConfig /"+name)
			default:
				// The legacy kind's reference has no kind: it can only
				// name a cluster-scoped ProviderConfig.
				refs = append(refs, "ProviderConfig /"+name)
			}
			if ns, ok, _ := unstructured.NestedString(u.Object, "spec", "writeConnectionSecretToRef", "namespace"); ok {
				refs = append(refs, "Namespace /"+ns)
			}
			// A reference to a Project names one of the key's scope: in
			// the key's namespace, or cluster-scoped.
			if name, ok, _ := unstructured.NestedString(u.Object, "spec", "forProvider", "projectIDRef", "name"); ok {
				refs = append(refs, "Project "+u.GetNamespace()+"/"+name)
			}
		case u.GroupVersionKind().Group == protectionv1beta1.Group:
			// A Usage names objects of its namespace (or cluster-scoped
			// ones), a ClusterUsage cluster-scoped ones.
			for _, role := range []string{"of", "by"} {
				kind, _, _ := unstructured.NestedString(u.Object, "spec", role, "kind")
				name, _, _ := unstructured.NestedString(u.Object, "spec", role, "resourceRef", "name")
				refs = append(refs, kind+" "+u.GetNamespace()+"/"+name)
			}
		}
		for _, r := range refs {
			if !exists[r] {
				t.Errorf("%s refers to %s, which no example creates", exampleObject(u), r)
			}
		}
	}
}

// TestSelfRotationExample checks what
// examples/namespaced/rotate-provider-credentials.yaml promises: the
// WorkspaceAPIKey uses the ProviderConfig whose credentials Secret it writes,
// the ProviderConfig reads the connection Secret's key "value", and the
// Secret is one the provider may write into. Any one of them wrong and the
// provider would either never use the new keys or refuse to store them.
func TestSelfRotationExample(t *testing.T) {
	const file = "namespaced/rotate-provider-credentials.yaml"
	f, ok := loadExamples(t)[file]
	if !ok {
		t.Fatalf("no example %s", file)
	}
	var secret, config, key *unstructured.Unstructured
	for _, u := range f.objects {
		switch u.GetKind() {
		case "Secret":
			secret = u
		case "ProviderConfig":
			config = u
		case "WorkspaceAPIKey":
			key = u
		}
	}
	if secret == nil || config == nil || key == nil {
		t.Fatalf("%s must hold a Secret, a ProviderConfig and a WorkspaceAPIKey", file)
	}
	str := func(u *unstructured.Unstructured, path ...string) string {
		v, _, _ := unstructured.NestedString(u.Object, path...)
		return v
	}
	cases := map[string]struct {
		reason string
		got    string
		want   string
	}{
		"KeyUsesTheConfig": {
			reason: "The key must be made with the credentials it replaces.",
			got:    str(key, "spec", "providerConfigRef", "kind") + " " + key.GetNamespace() + "/" + str(key, "spec", "providerConfigRef", "name"),
			want:   "ProviderConfig " + config.GetNamespace() + "/" + config.GetName(),
		},
		"KeyWritesTheConfigSecret": {
			reason: "The new key's value must land in the Secret the ProviderConfig reads.",
			got:    key.GetNamespace() + "/" + str(key, "spec", "writeConnectionSecretToRef", "name"),
			want:   config.GetNamespace() + "/" + str(config, "spec", "credentials", "secretRef", "name"),
		},
		"ConfigReadsTheValue": {
			reason: "The connection Secret holds the workspace key under value; any other key would keep the first key in use.",
			got:    str(config, "spec", "credentials", "secretRef", "key"),
			want:   "value",
		},
		"SecretIsTheExampleSecret": {
			reason: "The file's Secret is the one both name.",
			got:    secret.GetNamespace() + "/" + secret.GetName(),
			want:   config.GetNamespace() + "/" + str(config, "spec", "credentials", "secretRef", "name"),
		},
		"SecretIsAConnectionSecret": {
			reason: "The provider writes a key's value only into a Secret of Crossplane's connection type (or one it made): an Opaque Secret would be refused.",
			got:    str(secret, "type"),
			want:   "connection.crossplane.io/v1alpha1",
		},
		"OldKeyOverlaps": {
			reason: "The provider itself reads the Secret: the old key must stay valid a while after the new value is stored.",
			got:    fmt.Sprint(str(key, "spec", "forProvider", "rotation", "overlap") != ""),
			want:   "true",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("\n%s\n%s: got %q, want %q", tc.reason, file, tc.got, tc.want)
			}
		})
	}
}

// TestExamplePlaceholders checks that the README lists every placeholder the
// examples use, since the local simulator is seeded from that list.
func TestExamplePlaceholders(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(examplesDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{placeholderKey: true}
	for _, f := range loadExamples(t) {
		for _, id := range uuidPattern.FindAllString(string(f.raw), -1) {
			used[id] = true
		}
	}
	for v := range used {
		if !bytes.Contains(readme, []byte("`"+v+"`")) {
			t.Errorf("examples use %s, which examples/README.md does not list", v)
		}
	}
}

func TestFindKeys(t *testing.T) {
	cases := map[string]struct {
		reason string
		text   string
		want   []string
	}{
		"Placeholder": {
			reason: "The placeholder is the one key-like string examples may hold.",
			text:   "credentials: " + placeholderKey,
		},
		"WorkspaceKey": {
			reason: "A workspace key grants access to every project of a workspace.",
			text:   "credentials: ory_wak_3kT9mQ2vXn8s",
			want:   []string{"ory_wak_3kT9mQ2vXn8s"},
		},
		"ProjectKeyInComment": {
			reason: "A key in a comment is as leaked as one in a field.",
			text:   "# value: ory_pat_Zp4rL0aB",
			want:   []string{"ory_pat_Zp4rL0aB"},
		},
		"PlaceholderPrefix": {
			reason: "Only the exact placeholder is allowed, not a key that starts like it.",
			text:   "credentials: " + placeholderKey + "_abc",
			want:   []string{placeholderKey + "_abc"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, findKeys(tc.text)); diff != "" {
				t.Errorf("\n%s\nfindKeys(%q): -want, +got:\n%s", tc.reason, tc.text, diff)
			}
		})
	}
}

// TestValidatorRejects breaks examples the ways users do, to show that the
// validation TestExamples relies on would notice: a validator that accepts
// everything would make TestExamples pass for nothing.
func TestValidatorRejects(t *testing.T) {
	validators := newValidators(t, loadCRDs(t))
	examples := loadExamples(t)

	cases := map[string]struct {
		reason  string
		file    string
		mutate  func(u *unstructured.Unstructured)
		wantErr string
	}{
		"NamespacedKeyWithoutConnectionSecret": {
			reason: "The CEL rule requires a connection Secret: Ory shows a new key's value only once.",
			file:   "namespaced/projectapikey.yaml",
			mutate: func(u *unstructured.Unstructured) {
				unstructured.RemoveNestedField(u.Object, "spec", "writeConnectionSecretToRef")
			},
			wantErr: "spec.writeConnectionSecretToRef is required",
		},
		"ClusterKeyWithoutConnectionSecret": {
			reason: "The legacy kind has the same CEL rule.",
			file:   "cluster/projectapikey.yaml",
			mutate: func(u *unstructured.Unstructured) {
				unstructured.RemoveNestedField(u.Object, "spec", "writeConnectionSecretToRef")
			},
			wantErr: "spec.writeConnectionSecretToRef is required",
		},
		"ImportThatMayCreate": {
			reason: "Without a connection Secret a key may only be observed; allowing Create breaks the CEL rule.",
			file:   "namespaced/import.yaml",
			mutate: func(u *unstructured.Unstructured) {
				setField(u, []any{"Observe", "Create"}, "spec", "managementPolicies")
			},
			wantErr: "spec.writeConnectionSecretToRef is required",
		},
		"ProviderConfigRefOfOtherKind": {
			reason:  "The CEL rule limits a namespaced key's providerConfigRef to the two config kinds.",
			file:    "namespaced/projectapikey.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "Secret", "spec", "providerConfigRef", "kind") },
			wantErr: "spec.providerConfigRef.kind must be ProviderConfig",
		},
		"ProjectSlug": {
			reason:  "projectID has format uuid; a slug is rejected.",
			file:    "cluster/projectapikey.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "my-project", "spec", "forProvider", "projectID") },
			wantErr: "spec.forProvider.projectID",
		},
		"ExpiryNotRFC3339": {
			reason:  "expiresAt has format date-time.",
			file:    "namespaced/projectapikey.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "next year", "spec", "forProvider", "expiresAt") },
			wantErr: "spec.forProvider.expiresAt",
		},
		"EmptyKeyName": {
			reason:  "A key's name has a minimum length of 1.",
			file:    "namespaced/projectapikey.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "", "spec", "forProvider", "name") },
			wantErr: "spec.forProvider.name",
		},
		"NamespacedConfigFromEnvironment": {
			reason:  "A tenant's ProviderConfig may not read the provider's environment.",
			file:    "namespaced/providerconfig.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "Environment", "spec", "credentials", "source") },
			wantErr: "spec.credentials.source",
		},
		"ClusterConfigEnvironmentWithoutEnv": {
			reason:  "The CEL rule requires env when the source is Environment.",
			file:    "namespaced/clusterproviderconfig.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "Environment", "spec", "credentials", "source") },
			wantErr: "credentials.env is required",
		},
		"DuplicateAllowedProject": {
			reason: "allowedProjectIDs is a set.",
			file:   "namespaced/providerconfig.yaml",
			mutate: func(u *unstructured.Unstructured) {
				id, _, _ := unstructured.NestedString(u.Object, "spec", "projectID")
				setField(u, []any{id, id}, "spec", "allowedProjectIDs")
			},
			wantErr: "Duplicate value",
		},
		"ConsoleURLWithoutScheme": {
			reason:  "consoleURL must be an http(s) URL.",
			file:    "cluster/providerconfig.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "api.console.ory.sh", "spec", "consoleURL") },
			wantErr: "spec.consoleURL",
		},
		"UnknownField": {
			reason:  "kubectl validates fields strictly; a misspelt field must not be dropped silently.",
			file:    "namespaced/projectapikey.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "x", "spec", "forProvider", "expiry") },
			wantErr: "spec.forProvider.expiry",
		},
		"WorkspaceKeyExpiresAtWithRotation": {
			reason: "A rotated key's expiry follows from its lifetime: the CEL rule refuses both.",
			file:   "namespaced/workspaceapikey.yaml",
			mutate: func(u *unstructured.Unstructured) {
				setField(u, "2030-01-01T00:00:00Z", "spec", "forProvider", "expiresAt")
			},
			wantErr: "set either spec.forProvider.expiresAt or spec.forProvider.rotation.lifetime",
		},
		"WorkspaceSlug": {
			reason:  "workspaceID has format uuid; a slug is rejected.",
			file:    "cluster/workspaceapikey.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "my-workspace", "spec", "forProvider", "workspaceID") },
			wantErr: "spec.forProvider.workspaceID",
		},
		"ConfigWorkspaceSlug": {
			reason:  "A ProviderConfig's workspaceID has format uuid too.",
			file:    "namespaced/providerconfig.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "main", "spec", "workspaceID") },
			wantErr: "spec.workspaceID",
		},
		"LegacyConnectionSecretWithoutNamespace": {
			reason: "A cluster-scoped key has no namespace of its own to put the Secret in.",
			file:   "cluster/projectapikey.yaml",
			mutate: func(u *unstructured.Unstructured) {
				unstructured.RemoveNestedField(u.Object, "spec", "writeConnectionSecretToRef", "namespace")
			},
			wantErr: "spec.writeConnectionSecretToRef.namespace",
		},
		"NamespacedKeyWithoutNamespace": {
			reason:  "A namespaced example must say its namespace, or it lands in whatever namespace kubectl's context has.",
			file:    "namespaced/projectapikey.yaml",
			mutate:  func(u *unstructured.Unstructured) { u.SetNamespace("") },
			wantErr: "metadata.namespace",
		},
		"SecretWithUnknownField": {
			reason:  "Core objects are decoded strictly too.",
			file:    "cluster/credentials.yaml",
			mutate:  func(u *unstructured.Unstructured) { setField(u, "x", "stringdata") },
			wantErr: "stringdata",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, ok := examples[tc.file]
			if !ok || len(f.objects) == 0 {
				t.Fatalf("no example %s", tc.file)
			}
			u := f.objects[0].DeepCopy()
			if errs := validators.validate(u); len(errs) > 0 {
				t.Fatalf("%s is invalid before it is broken: %v", tc.file, errs.ToAggregate())
			}
			tc.mutate(u)
			errs := validators.validate(u)
			if len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.wantErr) {
				t.Errorf("\n%s\nwant an error about %q, got: %v", tc.reason, tc.wantErr, errs.ToAggregate())
			}
		})
	}
}

func setField(u *unstructured.Unstructured, v any, path ...string) {
	if err := unstructured.SetNestedField(u.Object, v, path...); err != nil {
		panic(err)
	}
}

// findKeys returns the Ory keys in text other than the placeholder.
func findKeys(text string) []string {
	var found []string
	for _, k := range oryKey.FindAllString(text, -1) {
		if k != placeholderKey && !slices.Contains(found, k) {
			found = append(found, k)
		}
	}
	return found
}

// decodeStrict decodes JSON as the API server does under kubectl's default
// strict field validation: field names are case-sensitive, and unknown or
// duplicate fields are errors. encoding/json, under sigs.k8s.io/yaml's
// UnmarshalStrict, would take "stringdata" for "stringData".
func decodeStrict(js []byte, v any) error {
	strict, err := sigsjson.UnmarshalStrict(js, v)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

func loadCRDs(t *testing.T) map[string]*apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(crdDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no CRDs in %s", crdDir)
	}
	crds := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, file := range files {
		docs, err := readDocuments(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, doc := range docs {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := decodeStrict(doc, crd); err != nil {
				t.Fatalf("%s: not a CustomResourceDefinition: %v", file, err)
			}
			if crd.Kind != "CustomResourceDefinition" || crd.Name == "" {
				t.Fatalf("%s: not a named CustomResourceDefinition: kind %q, name %q", file, crd.Kind, crd.Name)
			}
			crds[crd.Name] = crd
		}
	}
	return crds
}

// An exampleFile is one YAML file under examples/, with its documents as
// objects in the order they appear.
type exampleFile struct {
	raw     []byte
	objects []*unstructured.Unstructured
}

// loadExamples reads every YAML file under examples/, keyed by its path
// relative to that directory, and fails if a document lacks what every
// Kubernetes object needs.
func loadExamples(t *testing.T) map[string]exampleFile {
	t.Helper()
	examples := map[string]exampleFile{}
	err := filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// The compositions need Crossplane's own kinds: test/composition
		// checks them against their XRDs and runs them on Crossplane core.
		if d.IsDir() && d.Name() == "composition" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		rel, err := filepath.Rel(examplesDir, path)
		if err != nil {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		docs, err := readDocuments(path)
		if err != nil {
			return err
		}
		f := exampleFile{raw: raw}
		for i, doc := range docs {
			obj := map[string]any{}
			if err := utiljson.Unmarshal(doc, &obj); err != nil {
				return fmt.Errorf("%s document %d: %w", rel, i+1, err)
			}
			u := &unstructured.Unstructured{Object: obj}
			if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
				return fmt.Errorf("%s document %d: apiVersion, kind and metadata.name are required, got %q, %q, %q", rel, i+1, u.GetAPIVersion(), u.GetKind(), u.GetName())
			}
			f.objects = append(f.objects, u)
		}
		if len(f.objects) == 0 {
			return fmt.Errorf("%s holds no object", rel)
		}
		examples[filepath.ToSlash(rel)] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return examples
}

// readDocuments splits a multi-document YAML file into JSON documents,
// leaving out empty ones (a leading "---", a document of only comments).
func readDocuments(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if s := string(bytes.TrimSpace(js)); s == "null" || s == "" {
			continue
		}
		docs = append(docs, js)
	}
}

// validators validate objects as the API server would on create.
type validators map[schema.GroupVersionKind]*crdValidator

type crdValidator struct {
	namespaced bool
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

func structuralFor(crd *apiextensionsv1.CustomResourceDefinition, version string) (*structuralschema.Structural, error) {
	var v *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == version {
			v = &crd.Spec.Versions[i]
		}
	}
	if v == nil || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
		return nil, errors.New("no OpenAPI v3 schema")
	}
	internal := &apiextensions.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
		return nil, err
	}
	s, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, err
	}
	if errs := structuralschema.ValidateStructural(field.NewPath("openAPIV3Schema"), s); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return s, nil
}

// The limits the API server puts on the estimated cost of a CRD's CEL rules
// when the CRD is created: per rule, and for all rules of a version. They are
// k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation's
// StaticEstimatedCostLimit and StaticEstimatedCRDCostLimit; that package is
// not imported for them because it pulls in much of the API server.
const (
	ruleCostLimit  = 10_000_000
	rulesCostLimit = 100_000_000
)

// ruleErrors compiles every CEL rule of s and estimates its cost as the API
// server does on creating the CRD, which it refuses when a rule does not
// compile or costs too much. Validating objects would not notice either: an
// uncompilable rule only fails objects that reach it, and cost is never
// estimated there.
func ruleErrors(s *structuralschema.Structural) field.ErrorList {
	envSet := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion())
	var (
		errs  field.ErrorList
		total uint64
	)
	// cardinality is how many times a node can occur in one object; nil is
	// unbounded, which the API server then estimates from the request size
	// limit (the compilation result's MaxCardinality).
	var walk func(path *field.Path, n *structuralschema.Structural, root bool, cardinality *uint64)
	walk = func(path *field.Path, n *structuralschema.Structural, root bool, cardinality *uint64) {
		if len(n.XValidations) > 0 {
			results, err := cel.Compile(n, model.SchemaDeclType(n, root), celconfig.PerCallLimit, envSet, cel.NewExpressionsEnvLoader())
			if err != nil {
				errs = append(errs, field.InternalError(path.Child("x-kubernetes-validations"), err))
			}
			for i, r := range results {
				rulePath := path.Child("x-kubernetes-validations").Index(i).Child("rule")
				if r.Error != nil {
					errs = append(errs, field.Invalid(rulePath, n.XValidations[i].Rule, r.Error.Error()))
					continue
				}
				card := r.MaxCardinality
				if cardinality != nil {
					card = *cardinality
				}
				cost := r.MaxCost * card
				if card != 0 && cost/card != r.MaxCost {
					cost = math.MaxUint64
				}
				if cost > ruleCostLimit {
					errs = append(errs, field.Forbidden(rulePath, fmt.Sprintf("estimated rule cost exceeds budget: %d, the limit is %d", cost, ruleCostLimit)))
				}
				total += cost
			}
		}
		times := func(max *int64) *uint64 {
			if cardinality == nil || max == nil {
				return nil
			}
			c := *cardinality * uint64(*max)
			return &c
		}
		for _, name := range slices.Sorted(maps.Keys(n.Properties)) {
			child := n.Properties[name]
			walk(path.Child("properties").Key(name), &child, false, cardinality)
		}
		if n.Items != nil {
			var max *int64
			if n.ValueValidation != nil {
				max = n.ValueValidation.MaxItems
			}
			walk(path.Child("items"), n.Items, false, times(max))
		}
		if n.AdditionalProperties != nil && n.AdditionalProperties.Structural != nil {
			var max *int64
			if n.ValueValidation != nil {
				max = n.ValueValidation.MaxProperties
			}
			walk(path.Child("additionalProperties"), n.AdditionalProperties.Structural, false, times(max))
		}
	}
	one := uint64(1)
	walk(field.NewPath("openAPIV3Schema"), s, true, &one)
	if total > rulesCostLimit {
		errs = append(errs, field.Forbidden(field.NewPath("openAPIV3Schema"), fmt.Sprintf("estimated cost of all rules exceeds budget: %d, the limit is %d", total, rulesCostLimit)))
	}
	return errs
}

func newValidators(t *testing.T, crds map[string]*apiextensionsv1.CustomResourceDefinition) validators {
	t.Helper()
	vs := validators{}
	for _, crd := range crds {
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			s, err := structuralFor(crd, v.Name)
			if err != nil {
				t.Fatalf("%s version %s: %v", crd.Name, v.Name, err)
			}
			internal := &apiextensions.JSONSchemaProps{}
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
				t.Fatal(err)
			}
			sv, _, err := apiservervalidation.NewSchemaValidator(internal)
			if err != nil {
				t.Fatalf("%s version %s: %v", crd.Name, v.Name, err)
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
			vs[gvk] = &crdValidator{
				namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
				structural: s,
				schema:     sv,
				// The API server's own per-expression cost limit, so a rule
				// too costly for it fails here too.
				cel: cel.NewValidator(s, true, celconfig.PerCallLimit),
			}
		}
	}
	return vs
}

// defaults fills in the CRD's defaults, as the API server does before it
// validates; the CEL rules see the defaulted object.
func (vs validators) defaults(u *unstructured.Unstructured) {
	if v, ok := vs[u.GroupVersionKind()]; ok {
		structuraldefaulting.Default(u.Object, v.structural)
	}
}

// validate runs u through the API server's create path for its kind: unknown
// fields (kubectl's default strict field validation rejects them), defaults,
// metadata, the OpenAPI schema with its formats, list types, then the CEL
// rules. Other kinds are decoded strictly into their Go types (validateCore).
func (vs validators) validate(u *unstructured.Unstructured) field.ErrorList {
	v, ok := vs[u.GroupVersionKind()]
	if !ok {
		return validateCore(u)
	}
	u = u.DeepCopy()
	var errs field.ErrorList
	for _, p := range unknownFields(u, v.structural) {
		errs = append(errs, field.Forbidden(field.NewPath(p), "unknown field"))
	}
	structuraldefaulting.Default(u.Object, v.structural)
	errs = append(errs, apivalidation.ValidateObjectMetaAccessor(u, v.namespaced, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.Object, v.schema)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, u.Object)...)
	if len(errs) > 0 {
		// The API server does not run CEL rules over an object that already
		// failed the schema: the rules may assume the schema holds.
		return errs
	}
	celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

// unknownFields returns the paths of the fields of u that s does not have,
// which the API server would prune, or refuse under strict field validation.
func unknownFields(u *unstructured.Unstructured, s *structuralschema.Structural) []string {
	obj := u.DeepCopy().Object
	paths := structuralpruning.PruneWithOptions(obj, s, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	_, metaPaths := schemaobjectmeta.CoerceWithOptions(nil, obj, s, true, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	paths = append(paths, metaPaths...)
	sort.Strings(paths)
	return paths
}

// validateCore checks the core objects the examples hold, and Crossplane's
// Usages (whose CRDs are Crossplane's, not this package's): the fields must
// be the Go type's and the metadata must be valid for the kind's scope.
func validateCore(u *unstructured.Unstructured) field.ErrorList {
	js, err := u.MarshalJSON()
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	var (
		obj        any
		namespaced bool
	)
	switch gvk := u.GroupVersionKind(); gvk {
	case corev1.SchemeGroupVersion.WithKind("Secret"):
		obj, namespaced = &corev1.Secret{}, true
	case corev1.SchemeGroupVersion.WithKind("Namespace"):
		obj, namespaced = &corev1.Namespace{}, false
	case protectionv1beta1.UsageGroupVersionKind:
		obj, namespaced = &protectionv1beta1.Usage{}, true
	case protectionv1beta1.ClusterUsageGroupVersionKind:
		obj, namespaced = &protectionv1beta1.ClusterUsage{}, false
	default:
		return field.ErrorList{field.NotSupported(field.NewPath("kind"), gvk.String(), []string{"v1 Namespace", "v1 Secret", "protection.crossplane.io/v1beta1 Usage or ClusterUsage", "a kind of package/crds"})}
	}
	if err := decodeStrict(js, obj); err != nil {
		return field.ErrorList{field.Invalid(nil, u.GetName(), err.Error())}
	}
	return apivalidation.ValidateObjectMetaAccessor(u, namespaced, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}
