package reliability

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/crossplane-contrib/provider-ory/internal/testkit"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// TestAdmission sends invalid manifests to the real API server and checks
// that each is refused with a message that says what to fix. A valid
// manifest of each kind is accepted, so a refusal is the schema's doing.
//
// The table is a copy of test/integration/admission_test.go's (keep them
// alike): here its counts go into the reliability line's rejected/total.
func TestAdmission(t *testing.T) {
	t.Parallel()
	ns := h.NewNamespace(t, "admission")
	const (
		uuid   = "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"
		nsKey  = "apiVersion: ory.m.crossplane.io/v1alpha1\nkind: ProjectAPIKey\nmetadata: {name: k}\n"
		clKey  = "apiVersion: ory.crossplane.io/v1alpha1\nkind: ProjectAPIKey\nmetadata: {name: k-%s}\n"
		nsPC   = "apiVersion: ory.m.crossplane.io/v1alpha1\nkind: ProviderConfig\nmetadata: {name: pc}\n"
		cpc    = "apiVersion: ory.m.crossplane.io/v1alpha1\nkind: ClusterProviderConfig\nmetadata: {name: cpc-%s}\n"
		legacy = "apiVersion: ory.crossplane.io/v1alpha1\nkind: ProviderConfig\nmetadata: {name: lpc-%s}\n"
		secret = "writeConnectionSecretToRef: {name: s}"
		creds  = "credentials: {source: Secret, secretRef: {namespace: crossplane-system, name: c, key: k}}"
	)
	cases := map[string]struct {
		reason   string
		manifest string
		wantMsg  string // empty: the manifest must be accepted
	}{
		"ValidNamespacedKey": {
			reason:   "The baseline: a complete namespaced key is accepted.",
			manifest: nsKey + "spec: {forProvider: {name: ok, projectID: " + uuid + ", expiresAt: '2030-01-01T00:00:00Z'}, " + secret + "}",
		},
		"ValidClusterKey": {
			reason:   "The baseline for the cluster scope.",
			manifest: clKey + "spec: {forProvider: {name: ok}, writeConnectionSecretToRef: {name: s, namespace: default}}",
		},
		"ValidObserveOnlyImportWithoutSecret": {
			reason:   "An Observe-only import may go without a Secret: it never creates a key.",
			manifest: nsKey + "spec: {forProvider: {name: ok}, managementPolicies: [Observe]}",
		},
		"EmptyName": {
			reason:   "Ory needs a key name.",
			manifest: nsKey + "spec: {forProvider: {name: ''}, " + secret + "}",
			wantMsg:  "spec.forProvider.name: Invalid value: \"\"",
		},
		"MissingName": {
			reason:   "name is required.",
			manifest: nsKey + "spec: {forProvider: {}, " + secret + "}",
			wantMsg:  "spec.forProvider.name: Required value",
		},
		"TooLongName": {
			reason:   "An unbounded name would be refused by Ory later, or make an unreadable console.",
			manifest: nsKey + "spec: {forProvider: {name: " + strings.Repeat("x", 257) + "}, " + secret + "}",
			wantMsg:  "spec.forProvider.name: Too long",
		},
		"MissingForProvider": {
			reason:   "forProvider is required.",
			manifest: nsKey + "spec: {" + secret + "}",
			wantMsg:  "spec.forProvider: Required value",
		},
		"MalformedExpiresAt": {
			reason:   "expiresAt must be RFC 3339.",
			manifest: nsKey + "spec: {forProvider: {name: x, expiresAt: 'next tuesday'}, " + secret + "}",
			wantMsg:  "spec.forProvider.expiresAt",
		},
		"ValidSecretMetadata": {
			reason:   "The baseline for connection Secret metadata: a reloader annotation and a plain label are accepted.",
			manifest: nsKey + "spec: {forProvider: {name: ok}, " + secret + ", connectionSecretMetadata: {labels: {app.kubernetes.io/name: payments, tier: ''}, annotations: {reloader.stakater.com/match: 'true'}}}",
		},
		"InvalidLabelValue": {
			reason:   "The API server refuses such a label on the Secret: the provider would make a key whose value it cannot store.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + secret + ", connectionSecretMetadata: {labels: {app: 'has spaces'}}}",
			wantMsg:  "label values must be empty or at most 63",
		},
		"TooLongLabelValue": {
			reason:   "Label values are at most 63 characters.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + secret + ", connectionSecretMetadata: {labels: {app: " + strings.Repeat("a", 64) + "}}}",
			wantMsg:  "Too long",
		},
		"InvalidLabelKey": {
			reason:   "A label key must be [prefix/]name.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + secret + ", connectionSecretMetadata: {labels: {'-bad/key/x': v}}}",
			wantMsg:  "label keys must be [prefix/]name",
		},
		"InvalidAnnotationKey": {
			reason:   "An annotation key follows the label key rule.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + secret + ", connectionSecretMetadata: {annotations: {'not a key': v}}}",
			wantMsg:  "annotation keys must be [prefix/]name",
		},
		"ReservedAnnotation": {
			reason:   "The provider records in ory.crossplane.io annotations which key a Secret holds: a user must not be able to steer adoption to another key.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + secret + ", connectionSecretMetadata: {annotations: {ory.crossplane.io/value-of: 'x'}}}",
			wantMsg:  "annotation keys under crossplane.io are kept",
		},
		"ReservedCrossplaneAnnotation": {
			reason:   "Crossplane's own annotations (crossplane.io/...) are not the user's either.",
			manifest: clKey + "spec: {forProvider: {name: x}, writeConnectionSecretToRef: {name: s, namespace: default}, connectionSecretMetadata: {annotations: {crossplane.io/external-name: 'x'}}}",
			wantMsg:  "annotation keys under crossplane.io are kept",
		},
		"ReservedLabel": {
			reason:   "Labels under crossplane.io are Crossplane's.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + secret + ", connectionSecretMetadata: {labels: {crossplane.io/claim-name: x}}}",
			wantMsg:  "label keys under crossplane.io are kept",
		},
		"ExpiresAtWithoutTimezone": {
			reason:   "A time without a zone is ambiguous.",
			manifest: nsKey + "spec: {forProvider: {name: x, expiresAt: '2030-01-01T00:00:00'}, " + secret + "}",
			wantMsg:  "spec.forProvider.expiresAt",
		},
		"ProjectSlug": {
			reason:   "A slug would never match the UUID Ory reports and would replace the key forever.",
			manifest: nsKey + "spec: {forProvider: {name: x, projectID: my-project}, " + secret + "}",
			wantMsg:  "spec.forProvider.projectID in body must be of type uuid",
		},
		"EmptyProjectID": {
			reason:   "An explicit empty projectID is not a UUID; leave the field out instead.",
			manifest: nsKey + "spec: {forProvider: {name: x, projectID: ''}, " + secret + "}",
			wantMsg:  "spec.forProvider.projectID in body must be of type uuid",
		},
		"NoConnectionSecret": {
			reason:   "A key's value is returned once: without a Secret it would be lost.",
			manifest: nsKey + "spec: {forProvider: {name: x}}",
			wantMsg:  "spec.writeConnectionSecretToRef is required",
		},
		"NoConnectionSecretWithCreate": {
			reason:   "Only policies that can neither create nor update may go without a Secret.",
			manifest: nsKey + "spec: {forProvider: {name: x}, managementPolicies: [Observe, Create]}",
			wantMsg:  "spec.writeConnectionSecretToRef is required",
		},
		"ClusterKeyNoConnectionSecret": {
			reason:   "The same rule holds for the cluster scope.",
			manifest: clKey + "spec: {forProvider: {name: x}}",
			wantMsg:  "spec.writeConnectionSecretToRef is required",
		},
		"ClusterKeySecretWithoutNamespace": {
			reason:   "A cluster-scoped key must say where its Secret goes.",
			manifest: clKey + "spec: {forProvider: {name: x}, writeConnectionSecretToRef: {name: s}}",
			wantMsg:  "spec.writeConnectionSecretToRef.namespace: Required value",
		},
		"WrongProviderConfigKind": {
			reason:   "Only ProviderConfig and ClusterProviderConfig configure a namespaced key.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + secret + ", providerConfigRef: {kind: StoreConfig, name: default}}",
			wantMsg:  "spec.providerConfigRef.kind must be ProviderConfig (in this namespace) or ClusterProviderConfig",
		},
		"ProviderConfigRefWithoutName": {
			reason:   "A reference needs a name.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + secret + ", providerConfigRef: {kind: ProviderConfig}}",
			wantMsg:  "spec.providerConfigRef.name: Required value",
		},
		"UnknownManagementPolicy": {
			reason:   "Management policies are a closed set.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + secret + ", managementPolicies: [Destroy]}",
			wantMsg:  "spec.managementPolicies[0]: Unsupported value: \"Destroy\"",
		},
		"UnknownDeletionPolicy": {
			reason:   "deletionPolicy is Delete or Orphan.",
			manifest: clKey + "spec: {forProvider: {name: x}, writeConnectionSecretToRef: {name: s, namespace: default}, deletionPolicy: Keep}",
			wantMsg:  "spec.deletionPolicy: Unsupported value: \"Keep\"",
		},
		"NameNotAString": {
			reason:   "Types are checked.",
			manifest: nsKey + "spec: {forProvider: {name: 42}, " + secret + "}",
			wantMsg:  "spec.forProvider.name: Invalid value: \"integer\"",
		},
		"MissingSpec": {
			reason:   "spec is required.",
			manifest: nsKey,
			wantMsg:  "spec: Required value",
		},
		"NamespacedConfigWithoutSecretRef": {
			reason:   "A namespaced ProviderConfig needs its Secret.",
			manifest: nsPC + "spec: {credentials: {source: Secret}}",
			wantMsg:  "spec.credentials.secretRef: Required value",
		},
		"NamespacedConfigFromEnvironment": {
			reason:   "A tenant's ProviderConfig must not read the provider's environment.",
			manifest: nsPC + "spec: {credentials: {source: Environment, secretRef: {name: c, key: k}}}",
			wantMsg:  "spec.credentials.source: Unsupported value: \"Environment\"",
		},
		"ClusterConfigSecretSourceWithoutRef": {
			reason:   "source Secret needs secretRef.",
			manifest: cpc + "spec: {credentials: {source: Secret}}",
			wantMsg:  "credentials.secretRef is required when credentials.source is Secret",
		},
		"ClusterConfigEnvironmentWithoutEnv": {
			reason:   "source Environment needs env.",
			manifest: cpc + "spec: {credentials: {source: Environment}}",
			wantMsg:  "credentials.env is required when credentials.source is Environment",
		},
		"ClusterConfigFilesystemWithoutFs": {
			reason:   "source Filesystem needs fs.",
			manifest: legacy + "spec: {credentials: {source: Filesystem}}",
			wantMsg:  "credentials.fs is required when credentials.source is Filesystem",
		},
		"ClusterConfigUnknownSource": {
			reason:   "InjectedIdentity means nothing for Ory.",
			manifest: cpc + "spec: {credentials: {source: InjectedIdentity}}",
			wantMsg:  "spec.credentials.source: Unsupported value: \"InjectedIdentity\"",
		},
		"ConfigProjectSlug": {
			reason:   "A ProviderConfig's default project is a UUID too.",
			manifest: cpc + "spec: {" + creds + ", projectID: main}",
			wantMsg:  "spec.projectID in body must be of type uuid",
		},
		"ConfigAllowedProjectSlug": {
			reason:   "allowedProjectIDs are UUIDs.",
			manifest: legacy + "spec: {" + creds + ", allowedProjectIDs: [main]}",
			wantMsg:  "spec.allowedProjectIDs[0] in body must be of type uuid",
		},
		"ConfigDuplicateAllowedProject": {
			reason:   "allowedProjectIDs is a set.",
			manifest: cpc + "spec: {" + creds + ", allowedProjectIDs: [" + uuid + ", " + uuid + "]}",
			wantMsg:  "spec.allowedProjectIDs[1]: Duplicate value",
		},
		"ConfigConsoleURLNotHTTP": {
			reason:   "The console URL must be an http(s) URL.",
			manifest: cpc + "spec: {" + creds + ", consoleURL: 'api.console.ory.sh'}",
			wantMsg:  "spec.consoleURL in body should match",
		},
		"ConfigMissingCredentials": {
			reason:   "Credentials are required.",
			manifest: legacy + "spec: {projectID: " + uuid + "}",
			wantMsg:  "spec.credentials: Required value",
		},
	}
	var refused struct {
		sync.Mutex
		n int
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			manifest := strings.ReplaceAll(tc.manifest, "%s", strings.ToLower(name))
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
				t.Fatalf("bad test manifest: %v\n%s", err, manifest)
			}
			if u.GetKind() != "ClusterProviderConfig" && !strings.HasPrefix(u.GetName(), "lpc-") && !strings.HasPrefix(u.GetName(), "k-") {
				u.SetNamespace(ns)
			}
			if u.GetName() == "k" || u.GetName() == "pc" {
				u.SetName(strings.ToLower(name))
			}
			err := kube.Create(context.Background(), u, client.DryRunAll)
			if tc.wantMsg != "" && err != nil {
				refused.Lock()
				refused.n++
				refused.Unlock()
			}
			switch {
			case tc.wantMsg == "" && err != nil:
				t.Errorf("%s\nrefused a valid manifest: %v", tc.reason, err)
			case tc.wantMsg != "" && err == nil:
				t.Errorf("%s\naccepted an invalid manifest:\n%s", tc.reason, manifest)
			case tc.wantMsg != "" && !strings.Contains(err.Error(), tc.wantMsg):
				t.Errorf("%s\nrefused with %q, want a message containing %q", tc.reason, err, tc.wantMsg)
			}
		})
	}
	invalid := 0
	for _, tc := range cases {
		if tc.wantMsg != "" {
			invalid++
		}
	}
	t.Logf("admission: %d of %d invalid manifests refused, %d valid ones accepted", refused.n, invalid, len(cases)-invalid)
	report.Add(testkit.Counters{Kind: testkit.ProjectAPIKey.Kind, Rejected: refused.n, Total: invalid})
}
