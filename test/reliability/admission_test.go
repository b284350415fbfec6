package reliability

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestAdmission sends invalid manifests to the real API server and checks
// that each is refused with a message that says what to fix. A valid
// manifest of each kind is accepted, so a refusal is the schema's doing.
// Its counts go into the reliability line's rejected/total.
//
// A cluster-scoped manifest is told by its group (ory.crossplane.io) or its
// kind (ClusterProviderConfig); the others get the test's namespace. A
// manifest named k or pc is renamed after its case, and %s in a name
// becomes the case's name, so no two cases share an object.
//
// A case with an update checks a rule on a change (a field that cannot be
// changed): its manifest is created for real, Observe-only so that no
// controller acts on it, and the update is sent as a dry run.
func TestAdmission(t *testing.T) {
	t.Parallel()
	ns := h.NewNamespace(t, "admission")
	const (
		uuid   = "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"
		nsKey  = "apiVersion: ory.m.crossplane.io/v1alpha1\nkind: ProjectAPIKey\nmetadata: {name: k}\n"
		clKey  = "apiVersion: ory.crossplane.io/v1alpha1\nkind: ProjectAPIKey\nmetadata: {name: k-%s}\n"
		nsWAK  = "apiVersion: ory.m.crossplane.io/v1alpha1\nkind: WorkspaceAPIKey\nmetadata: {name: k}\n"
		clWAK  = "apiVersion: ory.crossplane.io/v1alpha1\nkind: WorkspaceAPIKey\nmetadata: {name: k-%s}\n"
		nsPC   = "apiVersion: ory.m.crossplane.io/v1alpha1\nkind: ProviderConfig\nmetadata: {name: pc}\n"
		cpc    = "apiVersion: ory.m.crossplane.io/v1alpha1\nkind: ClusterProviderConfig\nmetadata: {name: cpc-%s}\n"
		legacy = "apiVersion: ory.crossplane.io/v1alpha1\nkind: ProviderConfig\nmetadata: {name: lpc-%s}\n"
		secret = "writeConnectionSecretToRef: {name: s}"
		creds  = "credentials: {source: Secret, secretRef: {namespace: crossplane-system, name: c, key: k}}"
		clSec  = "writeConnectionSecretToRef: {name: s, namespace: default}"
		nsProj = "apiVersion: ory.m.crossplane.io/v1alpha1\nkind: Project\nmetadata: {name: k}\n"
		clProj = "apiVersion: ory.crossplane.io/v1alpha1\nkind: Project\nmetadata: {name: p-%s}\n"
		nsOAC  = "apiVersion: ory.m.crossplane.io/v1alpha1\nkind: OAuth2Client\nmetadata: {name: k}\n"
		clOAC  = "apiVersion: ory.crossplane.io/v1alpha1\nkind: OAuth2Client\nmetadata: {name: c-%s}\n"
		// observe keeps the created objects of update cases from any
		// controller's action.
		observe = "managementPolicies: [Observe]"
	)
	cases := map[string]struct {
		reason   string
		manifest string
		// update, when set, is manifest changed: manifest is created and
		// update sent as a dry run, and wantMsg is about the update.
		update  string
		wantMsg string // empty: the manifest (or update) must be accepted
		// defaults are fields (dotted paths) the API server must have set
		// on an accepted manifest, and their values.
		defaults map[string]any
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
		"ClusterKeyImportWithoutNamespace": {
			reason:   "A cluster-scoped key has no namespace of its own to read an imported value from (the rule the cluster twin's generator writes).",
			manifest: clKey + "spec: {forProvider: {name: x, importValueFrom: {name: s, key: value}}, " + clSec + "}",
			wantMsg:  "spec.forProvider.importValueFrom.namespace is required for a cluster-scoped ProjectAPIKey",
		},

		// WorkspaceAPIKey: the same rules as ProjectAPIKey (shared
		// KeyParameters, the cluster twin generated from the namespaced
		// kind), plus its workspaceID, and the rotation rules for both.
		"ValidNamespacedWorkspaceKey": {
			reason:   "The baseline: a complete namespaced workspace key is accepted.",
			manifest: nsWAK + "spec: {forProvider: {name: ok, workspaceID: " + uuid + ", expiresAt: '2030-01-01T00:00:00Z'}, " + secret + "}",
		},
		"ValidClusterWorkspaceKey": {
			reason:   "The baseline for the cluster scope, taking the workspace from the ProviderConfig.",
			manifest: clWAK + "spec: {forProvider: {name: ok}, " + clSec + "}",
		},
		"ValidWorkspaceKeyRotation": {
			reason:   "The baseline for rotation: every field, durations spelled as people write them.",
			manifest: nsWAK + "spec: {forProvider: {name: ok, rotation: {lifetime: 720h, renewBefore: 240h, overlap: 1h30m, trigger: '2026-05-01'}}, " + secret + "}",
		},
		"ValidWorkspaceKeyImport": {
			reason:   "The baseline for a namespaced import: a Secret of the key's own namespace.",
			manifest: nsWAK + "spec: {forProvider: {name: ok, importValueFrom: {name: s, key: value}}, " + secret + "}",
		},
		"ValidClusterWorkspaceKeyImport": {
			reason:   "The baseline for a cluster-scoped import: it names the Secret's namespace.",
			manifest: clWAK + "spec: {forProvider: {name: ok, importValueFrom: {name: s, namespace: default, key: value}}, " + clSec + "}",
		},
		"ValidObserveOnlyWorkspaceKeyWithoutSecret": {
			reason:   "An Observe-only workspace key may go without a Secret: it never creates a key.",
			manifest: nsWAK + "spec: {forProvider: {name: ok}, managementPolicies: [Observe]}",
		},
		"WorkspaceKeyMissingName": {
			reason:   "name is required.",
			manifest: nsWAK + "spec: {forProvider: {workspaceID: " + uuid + "}, " + secret + "}",
			wantMsg:  "spec.forProvider.name: Required value",
		},
		"WorkspaceKeyEmptyName": {
			reason:   "Ory needs a key name.",
			manifest: clWAK + "spec: {forProvider: {name: ''}, " + clSec + "}",
			wantMsg:  "spec.forProvider.name: Invalid value: \"\"",
		},
		"WorkspaceKeyTooLongName": {
			reason:   "Names are bounded as for project keys.",
			manifest: nsWAK + "spec: {forProvider: {name: " + strings.Repeat("x", 257) + "}, " + secret + "}",
			wantMsg:  "spec.forProvider.name: Too long",
		},
		"WorkspaceSlug": {
			reason:   "A slug would never match the workspace UUID Ory reports and would replace the key forever.",
			manifest: nsWAK + "spec: {forProvider: {name: x, workspaceID: my-workspace}, " + secret + "}",
			wantMsg:  "spec.forProvider.workspaceID in body must be of type uuid",
		},
		"ClusterWorkspaceKeyEmptyWorkspaceID": {
			reason:   "An explicit empty workspaceID is not a UUID; leave the field out instead.",
			manifest: clWAK + "spec: {forProvider: {name: x, workspaceID: ''}, " + clSec + "}",
			wantMsg:  "spec.forProvider.workspaceID in body must be of type uuid",
		},
		"WorkspaceKeyExpiresAtWithLifetime": {
			reason:   "A rotated key's expiry follows from its lifetime; both would contradict each other.",
			manifest: nsWAK + "spec: {forProvider: {name: x, expiresAt: '2030-01-01T00:00:00Z', rotation: {lifetime: 720h}}, " + secret + "}",
			wantMsg:  "set either spec.forProvider.expiresAt or spec.forProvider.rotation.lifetime",
		},
		"ClusterWorkspaceKeyExpiresAtWithLifetime": {
			reason:   "The same rule holds in the generated cluster twin.",
			manifest: clWAK + "spec: {forProvider: {name: x, expiresAt: '2030-01-01T00:00:00Z', rotation: {lifetime: 720h}}, " + clSec + "}",
			wantMsg:  "set either spec.forProvider.expiresAt or spec.forProvider.rotation.lifetime",
		},
		"RenewBeforeWithoutLifetime": {
			reason:   "renewBefore counts back from an expiry that only a lifetime gives.",
			manifest: nsWAK + "spec: {forProvider: {name: x, rotation: {renewBefore: 24h}}, " + secret + "}",
			wantMsg:  "rotation.renewBefore needs rotation.lifetime",
		},
		"RenewBeforeAsLongAsLifetime": {
			reason:   "A key renewed as soon as it is made would be replaced in a loop.",
			manifest: nsWAK + "spec: {forProvider: {name: x, rotation: {lifetime: 720h, renewBefore: 720h}}, " + secret + "}",
			wantMsg:  "rotation.renewBefore must be shorter than rotation.lifetime",
		},
		"RenewBeforeLongerSpelledOtherwise": {
			reason:   "The rule compares durations, not strings: 1500m is longer than 24h.",
			manifest: clWAK + "spec: {forProvider: {name: x, rotation: {lifetime: 24h, renewBefore: 1500m}}, " + clSec + "}",
			wantMsg:  "rotation.renewBefore must be shorter than rotation.lifetime",
		},
		"LifetimeInDays": {
			reason:   "Go durations have no days: 30d would not parse in the provider.",
			manifest: nsWAK + "spec: {forProvider: {name: x, rotation: {lifetime: 30d}}, " + secret + "}",
			wantMsg:  "spec.forProvider.rotation.lifetime in body should match",
		},
		"NegativeRenewBefore": {
			reason:   "A negative renewBefore would renew after expiry.",
			manifest: nsWAK + "spec: {forProvider: {name: x, rotation: {lifetime: 720h, renewBefore: -1h}}, " + secret + "}",
			wantMsg:  "spec.forProvider.rotation.renewBefore in body should match",
		},
		"OverlapInWords": {
			reason:   "overlap is a Go duration too.",
			manifest: nsWAK + "spec: {forProvider: {name: x, rotation: {overlap: 1 hour}}, " + secret + "}",
			wantMsg:  "spec.forProvider.rotation.overlap in body should match",
		},
		"TooLongTrigger": {
			reason:   "trigger is bounded; a hash or a date fits.",
			manifest: nsWAK + "spec: {forProvider: {name: x, rotation: {trigger: " + strings.Repeat("t", 254) + "}}, " + secret + "}",
			wantMsg:  "spec.forProvider.rotation.trigger: Too long",
		},
		"NamespacedWorkspaceKeyImportFromAnotherNamespace": {
			reason:   "A namespaced key reads Secrets of its own namespace only.",
			manifest: nsWAK + "spec: {forProvider: {name: x, importValueFrom: {name: s, namespace: other, key: value}}, " + secret + "}",
			wantMsg:  "spec.forProvider.importValueFrom.namespace must be left out: a namespaced WorkspaceAPIKey",
		},
		"ClusterWorkspaceKeyImportWithoutNamespace": {
			reason:   "A cluster-scoped key must say where the imported value is.",
			manifest: clWAK + "spec: {forProvider: {name: x, importValueFrom: {name: s, key: value}}, " + clSec + "}",
			wantMsg:  "spec.forProvider.importValueFrom.namespace is required for a cluster-scoped WorkspaceAPIKey",
		},
		"WorkspaceKeyImportWithoutKey": {
			reason:   "An import names the Secret's key that holds the value.",
			manifest: nsWAK + "spec: {forProvider: {name: x, importValueFrom: {name: s}}, " + secret + "}",
			wantMsg:  "spec.forProvider.importValueFrom.key: Required value",
		},
		"WorkspaceKeyNoConnectionSecret": {
			reason:   "A workspace key's value is returned once too: without a Secret it would be lost.",
			manifest: nsWAK + "spec: {forProvider: {name: x}}",
			wantMsg:  "spec.writeConnectionSecretToRef is required",
		},
		"ClusterWorkspaceKeyNoConnectionSecretWithUpdate": {
			reason:   "Update replaces keys, so a policy with Update needs a Secret in the cluster scope as well.",
			manifest: clWAK + "spec: {forProvider: {name: x}, managementPolicies: [Observe, Update]}",
			wantMsg:  "spec.writeConnectionSecretToRef is required",
		},
		"ClusterWorkspaceKeySecretWithoutNamespace": {
			reason:   "A cluster-scoped key must say where its Secret goes.",
			manifest: clWAK + "spec: {forProvider: {name: x}, writeConnectionSecretToRef: {name: s}}",
			wantMsg:  "spec.writeConnectionSecretToRef.namespace: Required value",
		},
		"WorkspaceKeyWrongProviderConfigKind": {
			reason:   "Only ProviderConfig and ClusterProviderConfig configure a namespaced key.",
			manifest: nsWAK + "spec: {forProvider: {name: x}, " + secret + ", providerConfigRef: {kind: StoreConfig, name: default}}",
			wantMsg:  "spec.providerConfigRef.kind must be ProviderConfig (in this namespace) or ClusterProviderConfig",
		},
		"WorkspaceKeyReservedAnnotation": {
			reason:   "The provider's own record of which key a Secret holds must not be steerable.",
			manifest: clWAK + "spec: {forProvider: {name: x}, " + clSec + ", connectionSecretMetadata: {annotations: {ory.crossplane.io/value-of: 'x'}}}",
			wantMsg:  "annotation keys under crossplane.io are kept",
		},
		"WorkspaceKeyReservedLabel": {
			reason:   "Labels under crossplane.io are Crossplane's.",
			manifest: nsWAK + "spec: {forProvider: {name: x}, " + secret + ", connectionSecretMetadata: {labels: {crossplane.io/composite: x}}}",
			wantMsg:  "label keys under crossplane.io are kept",
		},
		"ValidConfigWorkspaceID": {
			reason:   "The baseline for a ProviderConfig's default workspace.",
			manifest: cpc + "spec: {" + creds + ", workspaceID: " + uuid + "}",
		},
		"NamespacedConfigWorkspaceSlug": {
			reason:   "A ProviderConfig's default workspace is a UUID, in every kind of ProviderConfig.",
			manifest: nsPC + "spec: {credentials: {secretRef: {name: c, key: k}}, workspaceID: main}",
			wantMsg:  "spec.workspaceID in body must be of type uuid",
		},
		"ClusterConfigWorkspaceSlug": {
			reason:   "A ProviderConfig's default workspace is a UUID, in every kind of ProviderConfig.",
			manifest: cpc + "spec: {" + creds + ", workspaceID: main}",
			wantMsg:  "spec.workspaceID in body must be of type uuid",
		},
		"LegacyConfigWorkspaceSlug": {
			reason:   "A ProviderConfig's default workspace is a UUID, in every kind of ProviderConfig.",
			manifest: legacy + "spec: {" + creds + ", workspaceID: main}",
			wantMsg:  "spec.workspaceID in body must be of type uuid",
		},
		"ConfigMissingCredentials": {
			reason:   "A config needs credentials: a workspace key, project credentials, or both. The message names both.",
			manifest: legacy + "spec: {projectID: " + uuid + "}",
			wantMsg:  "set spec.credentials (a workspace API key, for ProjectAPIKeys, WorkspaceAPIKeys and Projects), spec.projectCredentials (a project API key, for kinds served by a project's API such as OAuth2Client), or both",
		},
		"NamespacedConfigMissingCredentials": {
			reason:   "The rule holds in every kind of ProviderConfig.",
			manifest: nsPC + "spec: {projectID: " + uuid + "}",
			wantMsg:  "set spec.credentials (a workspace API key",
		},
		"ClusterConfigMissingCredentials": {
			reason:   "The rule holds in every kind of ProviderConfig.",
			manifest: cpc + "spec: {consoleURL: 'https://api.console.ory.sh'}",
			wantMsg:  "set spec.credentials (a workspace API key",
		},
		"ValidNamespacedConfigProjectCredentialsOnly": {
			reason:   "A namespaced config may hold only a project key, read from a Secret of its namespace under a ProjectAPIKey's connection keys by default.",
			manifest: nsPC + "spec: {projectCredentials: {connectionSecretRef: {name: shop-key}}}",
			defaults: map[string]any{"spec.projectCredentials.valueKey": "value", "spec.projectCredentials.apiURLKey": "apiURL",
				"spec.projectCredentials.projectIDKey": "projectID", "spec.projectAPIURLTemplate": "https://{slug}.projects.oryapis.com"},
		},
		"ValidClusterConfigProjectCredentialsOnly": {
			reason:   "The same for a ClusterProviderConfig, naming the Secret's namespace, with keys of its own.",
			manifest: cpc + "spec: {projectCredentials: {connectionSecretRef: {name: shop-key, namespace: team-a}, valueKey: token, apiURLKey: url, projectIDKey: project}}",
		},
		"ValidLegacyConfigBothCredentials": {
			reason:   "A config may hold both credentials.",
			manifest: legacy + "spec: {" + creds + ", projectCredentials: {connectionSecretRef: {name: shop-key, namespace: team-a}}}",
		},
		"ClusterProjectCredentialsWithoutNamespace": {
			reason:   "A cluster-wide config names the Secret's namespace: it has none of its own.",
			manifest: cpc + "spec: {projectCredentials: {connectionSecretRef: {name: shop-key}}}",
			wantMsg:  "spec.projectCredentials.connectionSecretRef.namespace: Required value",
		},
		"ProjectCredentialsWithoutSecretRef": {
			reason:   "Project credentials name their Secret.",
			manifest: legacy + "spec: {projectCredentials: {valueKey: token}}",
			wantMsg:  "spec.projectCredentials.connectionSecretRef: Required value",
		},
		"ProjectCredentialsEmptyKey": {
			reason:   "An empty key name would read nothing.",
			manifest: nsPC + "spec: {projectCredentials: {connectionSecretRef: {name: shop-key}, apiURLKey: ''}}",
			wantMsg:  "spec.projectCredentials.apiURLKey in body should be at least 1 chars long",
		},
		"ValidProjectAPIURLTemplate": {
			reason:   "A template pointing at a simulator's per-project API, as make run sets it.",
			manifest: cpc + "spec: {" + creds + ", projectAPIURLTemplate: 'http://127.0.0.1:8080/projects-api/{slug}'}",
		},
		"ProjectAPIURLTemplateWithoutSlug": {
			reason:   "A template without {slug} would publish one URL for every project.",
			manifest: cpc + "spec: {" + creds + ", projectAPIURLTemplate: 'https://auth.example.com'}",
			wantMsg:  "projectAPIURLTemplate must contain {slug}, where the project's slug goes",
		},
		"ProjectAPIURLTemplateNotHTTP": {
			reason:   "The template must make http(s) URLs.",
			manifest: legacy + "spec: {" + creds + ", projectAPIURLTemplate: '{slug}.projects.oryapis.com'}",
			wantMsg:  "spec.projectAPIURLTemplate in body should match",
		},

		// ProjectAPIKey's references to a Project (projectIDRef,
		// projectIDSelector): per scope, the namespaced ones kept to the
		// key's namespace.
		"ValidKeyWithProjectRef": {
			reason:   "The baseline: a namespaced key names a Project of its namespace, without a projectID.",
			manifest: nsKey + "spec: {forProvider: {name: ok, projectIDRef: {name: app, policy: {resolve: Always, resolution: Required}}}, " + secret + "}",
		},
		"ValidKeyWithProjectSelector": {
			reason:   "The baseline for a selector, by labels or by the composite both belong to.",
			manifest: nsKey + "spec: {forProvider: {name: ok, projectIDSelector: {matchLabels: {app: payments}, matchControllerRef: true}}, " + secret + "}",
		},
		"ValidClusterKeyWithProjectRef": {
			reason:   "The baseline for the cluster scope: a cluster-scoped Project by name.",
			manifest: clKey + "spec: {forProvider: {name: ok, projectIDRef: {name: app}}, " + clSec + "}",
		},
		"ValidClusterKeyWithProjectSelector": {
			reason:   "The baseline for a cluster-scoped selector.",
			manifest: clKey + "spec: {forProvider: {name: ok, projectIDSelector: {matchLabels: {app: payments}}}, " + clSec + "}",
		},
		"KeyProjectRefToAnotherNamespace": {
			reason:   "A namespaced key references Projects of its own namespace only: a tenant must not take another namespace's project.",
			manifest: nsKey + "spec: {forProvider: {name: x, projectIDRef: {name: app, namespace: other}}, " + secret + "}",
			wantMsg:  "spec.forProvider.projectIDRef.namespace and spec.forProvider.projectIDSelector.namespace must be left out: a namespaced ProjectAPIKey references Projects of its own namespace only",
		},
		"KeyProjectSelectorInAnotherNamespace": {
			reason:   "A selector is kept to the key's namespace too.",
			manifest: nsKey + "spec: {forProvider: {name: x, projectIDSelector: {matchLabels: {app: payments}, namespace: other}}, " + secret + "}",
			wantMsg:  "must be left out: a namespaced ProjectAPIKey references Projects of its own namespace only",
		},
		"KeyProjectSelectorNamespaceAddedLater": {
			reason:   "Nothing but a person writes a selector's namespace, so an update that adds one is refused as a create is.",
			manifest: nsKey + "spec: {forProvider: {name: x}, " + observe + "}",
			update:   nsKey + "spec: {forProvider: {name: x, projectIDSelector: {matchLabels: {app: payments}, namespace: other}}, " + observe + "}",
			wantMsg:  "must be left out: a namespaced ProjectAPIKey references Projects of its own namespace only",
		},
		"KeyProjectRefNamespaceRecorded": {
			reason:   "After a selector matched, crossplane-runtime's resolver records the key's own namespace in projectIDRef: the schema must let that update through (the provider refuses to resolve another namespace: TestOwnNamespaceResolveReferences, TestProjectReferenceOwnNamespace).",
			manifest: nsKey + "spec: {forProvider: {name: x, projectIDSelector: {matchLabels: {app: payments}}}, " + observe + "}",
			update:   nsKey + "spec: {forProvider: {name: x, projectIDSelector: {matchLabels: {app: payments}}, projectID: " + uuid + ", projectIDRef: {name: app, namespace: %s}}, " + observe + "}",
		},
		"KeyProjectRefWithoutName": {
			reason:   "A reference needs a name.",
			manifest: clKey + "spec: {forProvider: {name: x, projectIDRef: {policy: {resolve: Always}}}, " + clSec + "}",
			wantMsg:  "spec.forProvider.projectIDRef.name: Required value",
		},
		"KeyProjectRefOptional": {
			reason:   "An optional reference left unresolved would leave projectID empty, and the key would be made in the ProviderConfig's default project.",
			manifest: nsKey + "spec: {forProvider: {name: x, projectIDRef: {name: app, policy: {resolution: Optional}}}, " + secret + "}",
			wantMsg:  "spec.forProvider.projectIDRef.policy.resolution and spec.forProvider.projectIDSelector.policy.resolution must be Required",
		},
		"ClusterKeyProjectSelectorOptional": {
			reason:   "The same holds for a selector, in the cluster scope too.",
			manifest: clKey + "spec: {forProvider: {name: x, projectIDSelector: {matchLabels: {app: payments}, policy: {resolution: Optional}}}, " + clSec + "}",
			wantMsg:  "must be Required: a reference left unresolved would leave projectID empty",
		},
		"KeyProjectRefUnknownResolvePolicy": {
			reason:   "A reference's resolve policy is Always or IfNotPresent.",
			manifest: nsKey + "spec: {forProvider: {name: x, projectIDRef: {name: app, policy: {resolve: Sometimes}}}, " + secret + "}",
			wantMsg:  "spec.forProvider.projectIDRef.policy.resolve: Unsupported value: \"Sometimes\"",
		},

		// Project, both scopes (the cluster twin generated from the
		// namespaced kind).
		"ValidNamespacedProject": {
			reason:   "The baseline: a namespaced project, and deletion protection on unless said otherwise (a purge deletes a project's users for good).",
			manifest: nsProj + "spec: {forProvider: {name: payments, environment: prod, homeRegion: eu-central, workspaceID: " + uuid + "}}",
			defaults: map[string]any{"spec.forProvider.deletionProtection": true},
		},
		"ValidClusterProject": {
			reason:   "The baseline for the cluster scope, with the ProviderConfig's workspace and Ory's choice of region, and deletion protection on.",
			manifest: clProj + "spec: {forProvider: {name: payments, environment: dev}}",
			defaults: map[string]any{"spec.forProvider.deletionProtection": true},
		},
		"ValidUnprotectedProject": {
			reason:   "Deletion protection can be turned off, for a project that may be purged.",
			manifest: nsProj + "spec: {forProvider: {name: payments, environment: stage, deletionProtection: false}}",
			defaults: map[string]any{"spec.forProvider.deletionProtection": false},
		},
		"ProjectMissingName": {
			reason:   "Ory needs a project name.",
			manifest: nsProj + "spec: {forProvider: {environment: dev}}",
			wantMsg:  "spec.forProvider.name: Required value",
		},
		"ClusterProjectEmptyName": {
			reason:   "An empty name is no name.",
			manifest: clProj + "spec: {forProvider: {name: '', environment: dev}}",
			wantMsg:  "spec.forProvider.name: Invalid value: \"\"",
		},
		"ProjectTooLongName": {
			reason:   "Names are bounded.",
			manifest: nsProj + "spec: {forProvider: {name: " + strings.Repeat("x", 256) + ", environment: dev}}",
			wantMsg:  "spec.forProvider.name: Too long",
		},
		"ProjectMissingEnvironment": {
			reason:   "The environment is required: it cannot be chosen later.",
			manifest: clProj + "spec: {forProvider: {name: x}}",
			wantMsg:  "spec.forProvider.environment: Required value",
		},
		"ProjectUnknownEnvironment": {
			reason:   "Ory knows prod, stage and dev.",
			manifest: nsProj + "spec: {forProvider: {name: x, environment: production}}",
			wantMsg:  "spec.forProvider.environment: Unsupported value: \"production\"",
		},
		"ProjectUnknownHomeRegion": {
			reason:   "Ory's regions are a closed set.",
			manifest: clProj + "spec: {forProvider: {name: x, environment: dev, homeRegion: mars}}",
			wantMsg:  "spec.forProvider.homeRegion: Unsupported value: \"mars\"",
		},
		"ProjectWorkspaceSlug": {
			reason:   "A workspace is named by its UUID.",
			manifest: nsProj + "spec: {forProvider: {name: x, environment: dev, workspaceID: my-workspace}}",
			wantMsg:  "spec.forProvider.workspaceID in body must be of type uuid",
		},
		"ProjectDeletionProtectionNotBool": {
			reason:   "deletionProtection is true or false; a string would be read as neither.",
			manifest: nsProj + "spec: {forProvider: {name: x, environment: dev, deletionProtection: 'no'}}",
			wantMsg:  "spec.forProvider.deletionProtection: Invalid value: \"string\"",
		},
		"ProjectWrongProviderConfigKind": {
			reason:   "Only ProviderConfig and ClusterProviderConfig configure a namespaced Project.",
			manifest: nsProj + "spec: {forProvider: {name: x, environment: dev}, providerConfigRef: {kind: StoreConfig, name: default}}",
			wantMsg:  "spec.providerConfigRef.kind must be ProviderConfig (in this namespace) or ClusterProviderConfig",
		},
		"ProjectRenamed": {
			reason:   "A name changes in place: the update is accepted.",
			manifest: nsProj + "spec: {forProvider: {name: before, environment: dev}, " + observe + "}",
			update:   nsProj + "spec: {forProvider: {name: after, environment: dev}, " + observe + "}",
		},
		"ProjectEnvironmentChanged": {
			reason:   "A project cannot change environment without losing its users.",
			manifest: nsProj + "spec: {forProvider: {name: x, environment: dev}, " + observe + "}",
			update:   nsProj + "spec: {forProvider: {name: x, environment: prod}, " + observe + "}",
			wantMsg:  "spec.forProvider.environment cannot be changed",
		},
		"ClusterProjectEnvironmentChanged": {
			reason:   "The same rule in the generated cluster twin.",
			manifest: clProj + "spec: {forProvider: {name: x, environment: stage}, " + observe + "}",
			update:   clProj + "spec: {forProvider: {name: x, environment: dev}, " + observe + "}",
			wantMsg:  "spec.forProvider.environment cannot be changed",
		},
		"ProjectHomeRegionChanged": {
			reason:   "Ory keeps a project's data in its home region.",
			manifest: nsProj + "spec: {forProvider: {name: x, environment: dev, homeRegion: eu-central}, " + observe + "}",
			update:   nsProj + "spec: {forProvider: {name: x, environment: dev, homeRegion: us-east}, " + observe + "}",
			wantMsg:  "spec.forProvider.homeRegion cannot be changed",
		},
		"ClusterProjectHomeRegionAdded": {
			reason:   "A project whose region Ory chose cannot be given another one later.",
			manifest: clProj + "spec: {forProvider: {name: x, environment: dev}, " + observe + "}",
			update:   clProj + "spec: {forProvider: {name: x, environment: dev, homeRegion: eu}, " + observe + "}",
			wantMsg:  "spec.forProvider.homeRegion cannot be changed",
		},
		"ProjectHomeRegionRemoved": {
			reason:   "Removing the region would not move the project either.",
			manifest: nsProj + "spec: {forProvider: {name: x, environment: dev, homeRegion: asia}, " + observe + "}",
			update:   nsProj + "spec: {forProvider: {name: x, environment: dev}, " + observe + "}",
			wantMsg:  "spec.forProvider.homeRegion cannot be changed",
		},
		"ProjectWorkspaceRecorded": {
			reason:   "A workspace left out is taken from the ProviderConfig and recorded: that update is accepted.",
			manifest: nsProj + "spec: {forProvider: {name: x, environment: dev}, " + observe + "}",
			update:   nsProj + "spec: {forProvider: {name: x, environment: dev, workspaceID: " + uuid + "}, " + observe + "}",
		},
		"ProjectWorkspaceChanged": {
			reason:   "A project cannot move between workspaces.",
			manifest: nsProj + "spec: {forProvider: {name: x, environment: dev, workspaceID: " + uuid + "}, " + observe + "}",
			update:   nsProj + "spec: {forProvider: {name: x, environment: dev, workspaceID: 00000000-0000-4000-8000-000000000002}, " + observe + "}",
			wantMsg:  "spec.forProvider.workspaceID cannot be changed once set",
		},
		"ClusterProjectWorkspaceRemoved": {
			reason:   "Removing a recorded workspace would let another be set later.",
			manifest: clProj + "spec: {forProvider: {name: x, environment: dev, workspaceID: " + uuid + "}, " + observe + "}",
			update:   clProj + "spec: {forProvider: {name: x, environment: dev}, " + observe + "}",
			wantMsg:  "spec.forProvider.workspaceID cannot be changed once set",
		},

		// OAuth2Client, both scopes (the cluster twin generated from the
		// namespaced kind; the forProvider rules are common to both).
		"ValidNamespacedOAuth2Client": {
			reason:   "The baseline: a confidential client with every field a platform team sets, a native app's custom-scheme redirect URI among them, and a rotated secret.",
			manifest: nsOAC + "spec: {forProvider: {projectID: " + uuid + ", clientName: web, grantTypes: [authorization_code, refresh_token, client_credentials, 'urn:ietf:params:oauth:grant-type:device_code'], responseTypes: [code, 'code id_token'], redirectURIs: ['https://app.example.com/callback', 'com.example.app:/oauth2redirect'], postLogoutRedirectURIs: ['https://app.example.com/bye'], scope: 'openid offline_access orders.read', audience: ['https://api.example.com'], tokenEndpointAuthMethod: client_secret_post, allowedCORSOrigins: ['https://app.example.com', 'http://localhost:3000'], skipConsent: true, skipLogoutConsent: false, metadata: {team: payments, tier: {level: 1}}, clientURI: 'https://example.com', logoURI: 'https://example.com/logo.png', policyURI: 'https://example.com/privacy', tosURI: 'https://example.com/tos', contacts: [ops@example.com], accessTokenStrategy: opaque, lifespans: {authorizationCodeGrantAccessTokenLifespan: 1h, refreshTokenGrantRefreshTokenLifespan: 720h, clientCredentialsGrantAccessTokenLifespan: 30m}, rotation: {lifetime: 2160h, overlap: 24h, trigger: leak-1}}, " + secret + "}",
		},
		"ValidClusterOAuth2Client": {
			reason:   "The baseline for the cluster scope: a name is all a client needs; Ory's defaults and the ProviderConfig's project do the rest.",
			manifest: clOAC + "spec: {forProvider: {clientName: web}, " + clSec + "}",
		},
		"ValidPublicOAuth2Client": {
			reason:   "A public client (a native or single-page app) has no secret; it still gets a connection Secret for its client ID and URLs.",
			manifest: nsOAC + "spec: {forProvider: {clientName: spa, tokenEndpointAuthMethod: none, redirectURIs: ['https://app.example.com/cb']}, " + secret + "}",
		},
		"ValidPrivateKeyJWTOAuth2Client": {
			reason:   "private_key_jwt with the keys' URL is what Ory accepts.",
			manifest: clOAC + "spec: {forProvider: {clientName: m2m, grantTypes: [client_credentials], tokenEndpointAuthMethod: private_key_jwt, jwksURI: 'https://m2m.example.com/.well-known/jwks.json'}, " + clSec + "}",
		},
		"ValidOAuth2ClientImportUnchecked": {
			reason:   "An imported client's secret, from a Secret of the client's own namespace, explicitly accepted unchecked.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, importSecretFrom: {name: old, key: secret, acceptUnchecked: true}}, " + secret + "}",
		},
		"ValidClusterOAuth2ClientImport": {
			reason:   "A cluster-scoped client names the namespace of the Secret it imports from.",
			manifest: clOAC + "spec: {forProvider: {clientName: web, importSecretFrom: {name: old, namespace: default, key: secret, acceptUnchecked: true}}, " + clSec + "}",
		},
		"ValidObserveOnlyOAuth2ClientWithoutSecret": {
			reason:   "An Observe-only import never creates a client nor rotates its secret: it may go without a Secret.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web}, " + observe + "}",
		},
		"OAuth2ClientMissingClientName": {
			reason:   "The provider finds a client whose create answer was lost by its name, so a name is required though Ory allows none.",
			manifest: nsOAC + "spec: {forProvider: {grantTypes: [client_credentials]}, " + secret + "}",
			wantMsg:  "spec.forProvider.clientName: Required value",
		},
		"ClusterOAuth2ClientEmptyClientName": {
			reason:   "An empty name is no name: it could not tell the client apart.",
			manifest: clOAC + "spec: {forProvider: {clientName: ''}, " + clSec + "}",
			wantMsg:  "spec.forProvider.clientName: Invalid value: \"\"",
		},
		"OAuth2ClientTooLongClientName": {
			reason:   "Names are bounded.",
			manifest: nsOAC + "spec: {forProvider: {clientName: " + strings.Repeat("x", 257) + "}, " + secret + "}",
			wantMsg:  "spec.forProvider.clientName: Too long",
		},
		"OAuth2ClientWithoutSecret": {
			reason:   "Ory returns a client's secret once: without a connection Secret it would be lost.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web}}",
			wantMsg:  "spec.writeConnectionSecretToRef is required: Ory returns a client's secret only once",
		},
		"ClusterOAuth2ClientWithoutSecret": {
			reason:   "The same rule in the generated cluster twin.",
			manifest: clOAC + "spec: {forProvider: {clientName: web}}",
			wantMsg:  "spec.writeConnectionSecretToRef is required: Ory returns a client's secret only once",
		},
		"PublicOAuth2ClientWithoutSecret": {
			reason:   "A public client has no secret but its connection Secret still carries its client ID and the project's OAuth2 URLs, which the app needs: kept required like every kind's.",
			manifest: nsOAC + "spec: {forProvider: {clientName: spa, tokenEndpointAuthMethod: none}}",
			wantMsg:  "spec.writeConnectionSecretToRef is required",
		},
		"OAuth2ClientWrongProviderConfigKind": {
			reason:   "Only ProviderConfig and ClusterProviderConfig configure a namespaced OAuth2Client.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web}, " + secret + ", providerConfigRef: {kind: StoreConfig, name: default}}",
			wantMsg:  "spec.providerConfigRef.kind must be ProviderConfig (in this namespace) or ClusterProviderConfig",
		},
		"OAuth2ClientImportFromOtherNamespace": {
			reason:   "A namespaced client must not read another namespace's Secrets.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, importSecretFrom: {name: old, namespace: default, key: secret, acceptUnchecked: true}}, " + secret + "}",
			wantMsg:  "spec.forProvider.importSecretFrom.namespace must be left out: a namespaced OAuth2Client reads Secrets of its own namespace only",
		},
		"ClusterOAuth2ClientImportWithoutNamespace": {
			reason:   "A cluster-scoped client has no namespace of its own to read from.",
			manifest: clOAC + "spec: {forProvider: {clientName: web, importSecretFrom: {name: old, key: secret, acceptUnchecked: true}}, " + clSec + "}",
			wantMsg:  "spec.forProvider.importSecretFrom.namespace is required for a cluster-scoped OAuth2Client",
		},
		"OAuth2ClientImportChecked": {
			reason:   "Ory keeps only a hash of a client secret and cannot check an imported value: the user must say it is accepted unchecked.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, importSecretFrom: {name: old, key: secret}}, " + secret + "}",
			wantMsg:  "spec.forProvider.importSecretFrom.acceptUnchecked must be true",
		},
		"ClusterOAuth2ClientImportAcceptUncheckedFalse": {
			reason:   "acceptUnchecked: false says the same as leaving it out, in the cluster twin.",
			manifest: clOAC + "spec: {forProvider: {clientName: web, importSecretFrom: {name: old, namespace: default, key: secret, acceptUnchecked: false}}, " + clSec + "}",
			wantMsg:  "spec.forProvider.importSecretFrom.acceptUnchecked must be true",
		},
		"OAuth2ClientRenewBefore": {
			reason:   "A client secret never expires, so there is nothing to renew before: lifetime alone says when to rotate.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, rotation: {lifetime: 720h, renewBefore: 24h}}, " + secret + "}",
			wantMsg:  "spec.forProvider.rotation.renewBefore does not apply to an OAuth2Client",
		},
		"ClusterOAuth2ClientRenewBefore": {
			reason:   "The same rule in the cluster twin.",
			manifest: clOAC + "spec: {forProvider: {clientName: web, rotation: {lifetime: 720h, renewBefore: 24h}}, " + clSec + "}",
			wantMsg:  "spec.forProvider.rotation.renewBefore does not apply to an OAuth2Client",
		},
		"PublicOAuth2ClientWithRotation": {
			reason:   "A public client has no secret to rotate.",
			manifest: nsOAC + "spec: {forProvider: {clientName: spa, tokenEndpointAuthMethod: none, rotation: {lifetime: 720h}}, " + secret + "}",
			wantMsg:  "a public client (tokenEndpointAuthMethod none) has no secret",
		},
		"ClusterPublicOAuth2ClientWithImport": {
			reason:   "A public client has no secret to import, and Ory refuses a secret for one.",
			manifest: clOAC + "spec: {forProvider: {clientName: spa, tokenEndpointAuthMethod: none, importSecretFrom: {name: old, namespace: default, key: secret, acceptUnchecked: true}}, " + clSec + "}",
			wantMsg:  "a public client (tokenEndpointAuthMethod none) has no secret",
		},
		"OAuth2ClientPrivateKeyJWTWithoutJWKS": {
			reason:   "Ory refuses private_key_jwt without the keys to check the client's assertions with.",
			manifest: nsOAC + "spec: {forProvider: {clientName: m2m, tokenEndpointAuthMethod: private_key_jwt}, " + secret + "}",
			wantMsg:  "tokenEndpointAuthMethod private_key_jwt needs spec.forProvider.jwksURI",
		},
		"ClusterOAuth2ClientPrivateKeyJWTWithoutJWKS": {
			reason:   "The same rule in the cluster twin.",
			manifest: clOAC + "spec: {forProvider: {clientName: m2m, tokenEndpointAuthMethod: private_key_jwt}, " + clSec + "}",
			wantMsg:  "tokenEndpointAuthMethod private_key_jwt needs spec.forProvider.jwksURI",
		},
		"OAuth2ClientProjectSlug": {
			reason:   "A project is named by its UUID.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, projectID: my-project}, " + secret + "}",
			wantMsg:  "spec.forProvider.projectID in body must be of type uuid",
		},
		"OAuth2ClientUnknownAuthMethod": {
			reason:   "Ory supports four token endpoint auth methods; client_secret_jwt is not one of them.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, tokenEndpointAuthMethod: client_secret_jwt}, " + secret + "}",
			wantMsg:  "spec.forProvider.tokenEndpointAuthMethod: Unsupported value: \"client_secret_jwt\"",
		},
		"ClusterOAuth2ClientUnknownGrantType": {
			reason:   "Ory does not offer the password grant.",
			manifest: clOAC + "spec: {forProvider: {clientName: web, grantTypes: [password]}, " + clSec + "}",
			wantMsg:  "spec.forProvider.grantTypes[0]: Unsupported value: \"password\"",
		},
		"OAuth2ClientDuplicateGrantType": {
			reason:   "The grant types are a set: a duplicate would show as drift against Ory's answer forever.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, grantTypes: [refresh_token, refresh_token]}, " + secret + "}",
			wantMsg:  "spec.forProvider.grantTypes[1]: Duplicate value",
		},
		"OAuth2ClientUnknownResponseType": {
			reason:   "Response types are code, token and id_token or space-separated combinations of them.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, responseTypes: ['code,token']}, " + secret + "}",
			wantMsg:  "spec.forProvider.responseTypes[0]: Invalid value",
		},
		"OAuth2ClientRelativeRedirectURI": {
			reason:   "Ory refuses a redirect URI that is not absolute.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, redirectURIs: ['/callback']}, " + secret + "}",
			wantMsg:  "spec.forProvider.redirectURIs[0]: Invalid value",
		},
		"ClusterOAuth2ClientRedirectURIFragment": {
			reason:   "Ory refuses a redirect URI with a fragment (OAuth 2.0 forbids it).",
			manifest: clOAC + "spec: {forProvider: {clientName: web, redirectURIs: ['https://app.example.com/cb#top']}, " + clSec + "}",
			wantMsg:  "spec.forProvider.redirectURIs[0]: Invalid value",
		},
		"OAuth2ClientTooManyRedirectURIs": {
			reason:   "Lists are bounded, so the rules that read them stay within the API server's CEL cost budget.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, redirectURIs: [" + strings.TrimSuffix(strings.Repeat("'https://a.example.com/cb', ", 65), ", ") + "]}, " + secret + "}",
			wantMsg:  "spec.forProvider.redirectURIs: Too many",
		},
		"OAuth2ClientRelativePostLogoutRedirectURI": {
			reason:   "A post-logout redirect URI is absolute, like a redirect URI.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, postLogoutRedirectURIs: ['bye']}, " + secret + "}",
			wantMsg:  "spec.forProvider.postLogoutRedirectURIs[0]: Invalid value",
		},
		"ValidOAuth2ClientNativePostLogout": {
			reason:   "A native app's custom-scheme post-logout URI matches its custom-scheme redirect URI (same scheme, empty host).",
			manifest: nsOAC + "spec: {forProvider: {clientName: app, tokenEndpointAuthMethod: none, redirectURIs: ['com.example.app:/cb'], postLogoutRedirectURIs: ['com.example.app:/bye']}, " + secret + "}",
		},
		"OAuth2ClientCORSOriginTrailingSlash": {
			reason:   "Ory strips a trailing slash from an origin: the provider would then see drift on every observation.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, allowedCORSOrigins: ['https://app.example.com/']}, " + secret + "}",
			wantMsg:  "spec.forProvider.allowedCORSOrigins[0]: Invalid value",
		},
		"OAuth2ClientScopeWithQuote": {
			reason:   "A scope token cannot hold a double quote (RFC 6749 section 3.3): such a scope could never be requested.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, scope: 'openid \"admin\"'}, " + secret + "}",
			wantMsg:  "spec.forProvider.scope: Invalid value",
		},
		"ClusterOAuth2ClientScopeCommaSeparated": {
			reason:   "Scopes are separated by single spaces; a doubled space or a tab makes an empty or unreadable token.",
			manifest: clOAC + "spec: {forProvider: {clientName: web, scope: 'openid  offline'}, " + clSec + "}",
			wantMsg:  "spec.forProvider.scope: Invalid value",
		},
		"OAuth2ClientAudienceWithSpace": {
			reason:   "Ory forbids whitespace in an audience.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, audience: ['https://api.example.com orders']}, " + secret + "}",
			wantMsg:  "spec.forProvider.audience[0]: Invalid value",
		},
		"OAuth2ClientCORSOriginWithPath": {
			reason:   "A CORS origin is scheme://host[:port]: a browser never sends a path in Origin, so such an entry would never match.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, allowedCORSOrigins: ['https://app.example.com/login']}, " + secret + "}",
			wantMsg:  "spec.forProvider.allowedCORSOrigins[0]: Invalid value",
		},
		"ClusterOAuth2ClientCORSOriginNotHTTP": {
			reason:   "Ory requires http or https CORS origins.",
			manifest: clOAC + "spec: {forProvider: {clientName: web, allowedCORSOrigins: ['ftp://files.example.com']}, " + clSec + "}",
			wantMsg:  "spec.forProvider.allowedCORSOrigins[0]: Invalid value",
		},
		"OAuth2ClientLogoURIJavascript": {
			reason:   "The consent screen shows the client's URIs as links and images: only web URLs, never a javascript: URI.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, logoURI: 'javascript:alert(1)'}, " + secret + "}",
			wantMsg:  "spec.forProvider.logoURI: Invalid value",
		},
		"OAuth2ClientJWKSURINotHTTP": {
			reason:   "Ory fetches the client's keys over HTTP(S).",
			manifest: nsOAC + "spec: {forProvider: {clientName: m2m, tokenEndpointAuthMethod: private_key_jwt, jwksURI: 'file:///etc/jwks.json'}, " + secret + "}",
			wantMsg:  "spec.forProvider.jwksURI: Invalid value",
		},
		"OAuth2ClientUnknownAccessTokenStrategy": {
			reason:   "Ory knows jwt and opaque.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, accessTokenStrategy: paseto}, " + secret + "}",
			wantMsg:  "spec.forProvider.accessTokenStrategy: Unsupported value: \"paseto\"",
		},
		"ValidOAuth2ClientLifespanAsOryPrintsIt": {
			reason:   "Ory prints durations as Go does, 1h0m0s or 500µs; the same value in the spec is accepted, so the provider can compare them.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, lifespans: {implicitGrantAccessTokenLifespan: 1h0m0s, jwtBearerGrantAccessTokenLifespan: 500µs}}, " + secret + "}",
		},
		"OAuth2ClientLifespanInDays": {
			reason:   "Ory reads lifespans as Go durations, which have no days.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, lifespans: {refreshTokenGrantRefreshTokenLifespan: 30d}}, " + secret + "}",
			wantMsg:  "spec.forProvider.lifespans.refreshTokenGrantRefreshTokenLifespan: Invalid value",
		},
		"ClusterOAuth2ClientLifespanNotDuration": {
			reason:   "The same check in the cluster twin.",
			manifest: clOAC + "spec: {forProvider: {clientName: web, lifespans: {implicitGrantIDTokenLifespan: 'one hour'}}, " + clSec + "}",
			wantMsg:  "spec.forProvider.lifespans.implicitGrantIDTokenLifespan: Invalid value",
		},
		"OAuth2ClientMetadataNotObject": {
			reason:   "Ory's metadata is a JSON object.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, metadata: [a, b]}, " + secret + "}",
			wantMsg:  "spec.forProvider.metadata: Invalid value: \"array\"",
		},
		"OAuth2ClientSkipConsentNotBool": {
			reason:   "skipConsent is true or false; a string would be read as neither.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, skipConsent: 'yes'}, " + secret + "}",
			wantMsg:  "spec.forProvider.skipConsent: Invalid value: \"string\"",
		},
		"OAuth2ClientRenamed": {
			reason:   "A client is renamed in place: the update is accepted.",
			manifest: nsOAC + "spec: {forProvider: {clientName: before}, " + observe + "}",
			update:   nsOAC + "spec: {forProvider: {clientName: after}, " + observe + "}",
		},
		"OAuth2ClientProjectRecorded": {
			reason:   "A project left out is taken from the ProviderConfig's project credentials and recorded: that update is accepted.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web}, " + observe + "}",
			update:   nsOAC + "spec: {forProvider: {clientName: web, projectID: " + uuid + "}, " + observe + "}",
		},
		"OAuth2ClientProjectChanged": {
			reason:   "A client cannot move between projects.",
			manifest: nsOAC + "spec: {forProvider: {clientName: web, projectID: " + uuid + "}, " + observe + "}",
			update:   nsOAC + "spec: {forProvider: {clientName: web, projectID: 00000000-0000-4000-8000-000000000002}, " + observe + "}",
			wantMsg:  "spec.forProvider.projectID cannot be changed once set",
		},
		"ClusterOAuth2ClientProjectRemoved": {
			reason:   "Removing a recorded project would let another be set later.",
			manifest: clOAC + "spec: {forProvider: {clientName: web, projectID: " + uuid + "}, " + observe + "}",
			update:   clOAC + "spec: {forProvider: {clientName: web}, " + observe + "}",
			wantMsg:  "spec.forProvider.projectID cannot be changed once set",
		},
	}
	// The counts go under the kind of each manifest: ProjectAPIKey,
	// WorkspaceAPIKey, or none of the key kinds (the ProviderConfigs both
	// use).
	var refused struct {
		sync.Mutex
		n map[string]int
	}
	refused.n = map[string]int{}
	kinds := []string{"Project"}
	for _, kind := range testkit.Kinds {
		kinds = append(kinds, kind.Name)
	}
	// OAuth2Client has its admission rows before it has a testkit.Kind.
	if !slices.Contains(kinds, "OAuth2Client") {
		kinds = append(kinds, "OAuth2Client")
	}
	kindOf := func(manifest string) string {
		for _, kind := range kinds {
			if strings.Contains(manifest, "\nkind: "+kind+"\n") {
				return kind
			}
		}
		return ""
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			object := func(manifest string) *unstructured.Unstructured {
				manifest = strings.NewReplacer("namespace: %s", "namespace: "+ns, "%s", strings.ToLower(name)).Replace(manifest)
				u := &unstructured.Unstructured{}
				if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
					t.Fatalf("bad test manifest: %v\n%s", err, manifest)
				}
				if u.GetKind() != "ClusterProviderConfig" && !strings.HasPrefix(u.GetAPIVersion(), "ory.crossplane.io/") {
					u.SetNamespace(ns)
				}
				if u.GetName() == "k" || u.GetName() == "pc" {
					u.SetName(strings.ToLower(name))
				}
				return u
			}
			u := object(tc.manifest)
			var err error
			if tc.update == "" {
				err = kube.Create(ctx, u, client.DryRunAll)
			} else {
				if err := kube.Create(ctx, u); err != nil {
					t.Fatalf("%s\nthe object to update was refused: %v", tc.reason, err)
				}
				t.Cleanup(func() { _ = kube.Delete(ctx, u) })
				changed := object(tc.update)
				// A controller may write the object (a finalizer, its
				// status) between the create and the update: a conflict
				// says nothing of the schema, so read the object's version
				// again and send the same change.
				err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
					cur := u.DeepCopy()
					if err := kube.Get(ctx, client.ObjectKeyFromObject(u), cur); err != nil {
						return err
					}
					changed.SetResourceVersion(cur.GetResourceVersion())
					return kube.Update(ctx, changed, client.DryRunAll)
				})
				u = changed
			}
			if err == nil {
				for path, want := range tc.defaults {
					got, _, _ := unstructured.NestedFieldNoCopy(u.Object, strings.Split(path, ".")...)
					if got != want {
						t.Errorf("%s\n%s = %v, want %v set by the API server", tc.reason, path, got, want)
					}
				}
			}
			if tc.wantMsg != "" && err != nil {
				refused.Lock()
				refused.n[kindOf(tc.manifest)]++
				refused.Unlock()
			}
			switch {
			case tc.wantMsg == "" && err != nil:
				t.Errorf("%s\nrefused a valid manifest: %v", tc.reason, err)
			case tc.wantMsg != "" && err == nil:
				t.Errorf("%s\naccepted an invalid manifest:\n%s", tc.reason, cmp.Or(tc.update, tc.manifest))
			case tc.wantMsg != "" && !strings.Contains(err.Error(), tc.wantMsg):
				t.Errorf("%s\nrefused with %q, want a message containing %q", tc.reason, err, tc.wantMsg)
			}
		})
	}
	invalid := map[string]int{}
	all := 0
	for _, tc := range cases {
		if tc.wantMsg != "" {
			invalid[kindOf(tc.manifest)]++
			all++
		}
	}
	var per []string
	done := 0
	for _, kind := range append(kinds, "") {
		report.Add(testkit.Counters{Kind: kind, Rejected: refused.n[kind], Total: invalid[kind]})
		per = append(per, fmt.Sprintf("%s %d/%d", cmp.Or(kind, "ProviderConfig kinds"), refused.n[kind], invalid[kind]))
		done += refused.n[kind]
	}
	t.Logf("admission: %d of %d invalid manifests refused (%s), %d valid ones accepted", done, all, strings.Join(per, ", "), len(cases)-all)
}
