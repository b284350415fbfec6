package providerconfig

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane-contrib/provider-ory/apis"
	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

const (
	// projectKey stands for a project API key in these tests; no error may
	// contain it, nor projectKeyTail, which tells it apart from other text.
	projectKey     = "ory_pat_unit_test_project_key_7Hq2"
	projectKeyTail = "7Hq2"
	projectID      = "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"
	projectAPIURL  = "https://shop-1a2b.projects.oryapis.com"
)

// connectionSecret is a ProjectAPIKey's connection Secret, as the provider
// writes it.
func connectionSecret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func goodConnection() map[string]string {
	return map[string]string{"value": projectKey, "apiURL": projectAPIURL + "/", "projectID": projectID, "keyID": "k1"}
}

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestProjectAPI resolves ProviderConfigs of every kind whose
// spec.projectCredentials name a Secret, and checks what Config.ProjectAPI
// returns: the credentials, or an error that says what to fix and never
// holds what the Secret holds.
func TestProjectAPI(t *testing.T) {
	workspace := &common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "workspace"}, Key: "token"}}}
	clusterCreds := func(ns, name string, keys common.ProjectCredentialKeys) *common.ProjectCredentials {
		return &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: ns, Name: name}, ProjectCredentialKeys: keys}
	}
	cpc := func(c *common.Credentials, p *common.ProjectCredentials) client.Object {
		o := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}
		o.Spec.Credentials, o.Spec.ProjectCredentials = c, p
		return o
	}
	want := &ProjectAccess{Ref: "Secret team-a/shop-key", Token: projectKey, APIURL: projectAPIURL, ProjectID: projectID}

	cases := map[string]struct {
		reason string
		// config is the ProviderConfig the resource names; mg the resource.
		config client.Object
		mg     resource.Managed
		secret map[string]string // of Secret team-a/shop-key; nil: none
		want   *ProjectAccess
		// wantErr are parts of ProjectAPI's error.
		wantErr []string
	}{
		"NamespacedProviderConfig": {
			reason: "A namespaced ProviderConfig reads the connection Secret of its own namespace, under a ProjectAPIKey's keys when it names none (an object made in Go skips the CRD's defaults).",
			config: func() client.Object {
				o := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "cfg"}}
				o.Spec.ProjectCredentials = &common.LocalProjectCredentials{ConnectionSecretRef: xpv2.LocalSecretReference{Name: "shop-key"}}
				return o
			}(),
			mg:     keyUsing("ProviderConfig", "cfg"),
			secret: goodConnection(),
			want:   want,
		},
		"ClusterProviderConfig": {
			reason: "A ClusterProviderConfig names the Secret's namespace.",
			config: cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})),
			mg:     keyUsing("ClusterProviderConfig", "cfg"),
			secret: goodConnection(),
			want:   want,
		},
		"LegacyProviderConfig": {
			reason: "The cluster-scoped ProviderConfig takes project credentials too, for cluster-scoped resources.",
			config: func() client.Object {
				o := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}
				o.Spec.ProjectCredentials = clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})
				return o
			}(),
			mg:     legacyKeyUsing("cfg"),
			secret: goodConnection(),
			want:   want,
		},
		"OtherKeys": {
			reason: "A Secret made by hand may hold the credentials under other keys, named in the ProviderConfig.",
			config: cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{ValueKey: "token", APIURLKey: "url", ProjectIDKey: "project"})),
			mg:     keyUsing("ClusterProviderConfig", "cfg"),
			secret: map[string]string{"token": projectKey, "url": projectAPIURL, "project": projectID},
			want:   want,
		},
		"NoProjectID": {
			reason: "The project's ID is not needed to call its API: a Secret may leave it out.",
			config: cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})),
			mg:     keyUsing("ClusterProviderConfig", "cfg"),
			secret: map[string]string{"value": projectKey, "apiURL": projectAPIURL},
			want:   &ProjectAccess{Ref: "Secret team-a/shop-key", Token: projectKey, APIURL: projectAPIURL},
		},
		"BothCredentials": {
			reason: "One ProviderConfig may hold a workspace key and project credentials; each is read.",
			config: cpc(workspace, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})),
			mg:     keyUsing("ClusterProviderConfig", "cfg"),
			secret: goodConnection(),
			want:   want,
		},
		"NoProjectCredentials": {
			reason:  "A config with only a workspace key says how to give it project credentials.",
			config:  cpc(workspace, nil),
			mg:      keyUsing("ClusterProviderConfig", "cfg"),
			wantErr: []string{"ClusterProviderConfig cfg has no spec.projectCredentials", "such as OAuth2Client, are managed with a project API key (ory_pat_...)", "ProjectAPIKey's connection Secret"},
		},
		"SecretMissing": {
			reason:  "The Secret of a ProjectAPIKey that is not created yet does not exist: say so, and what it should hold.",
			config:  cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})),
			mg:      keyUsing("ClusterProviderConfig", "cfg"),
			wantErr: []string{"ClusterProviderConfig cfg: project credentials Secret team-a/shop-key does not exist", "spec.projectCredentials.connectionSecretRef"},
		},
		"NamespacedSecretOfOtherNamespace": {
			reason: "A namespaced ProviderConfig reads only its own namespace: a Secret of that name elsewhere is not found.",
			config: func() client.Object {
				o := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "cfg"}}
				o.Spec.ProjectCredentials = &common.LocalProjectCredentials{ConnectionSecretRef: xpv2.LocalSecretReference{Name: "shop-key"}}
				return o
			}(),
			mg: func() resource.Managed {
				k := keyUsing("ProviderConfig", "cfg")
				k.Namespace = "team-b"
				return k
			}(),
			secret:  goodConnection(),
			wantErr: []string{"ProviderConfig team-b/cfg: project credentials Secret team-b/shop-key does not exist"},
		},
		"EmptyValue": {
			reason:  "A Secret without the key's value (a ProjectAPIKey imported without its value, say) cannot authenticate.",
			config:  cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})),
			mg:      keyUsing("ClusterProviderConfig", "cfg"),
			secret:  map[string]string{"value": "  ", "apiURL": projectAPIURL},
			wantErr: []string{`project credentials Secret team-a/shop-key has no key "value" (or it is empty)`, "spec.projectCredentials.valueKey"},
		},
		"WorkspaceKey": {
			reason:  "A workspace key is the wrong kind: the project API answers it 401, and the person should know why.",
			config:  cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})),
			mg:      keyUsing("ClusterProviderConfig", "cfg"),
			secret:  map[string]string{"value": "ory_wak_unit_test_" + projectKeyTail, "apiURL": projectAPIURL},
			wantErr: []string{`key "value" of project credentials Secret team-a/shop-key holds a workspace API key; kinds on the project API need a project API key (ory_pat_...)`},
		},
		"NoAPIURL": {
			reason:  "A Secret without the project's API URL (a WorkspaceAPIKey's, say) names no API to call.",
			config:  cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})),
			mg:      keyUsing("ClusterProviderConfig", "cfg"),
			secret:  map[string]string{"value": projectKey},
			wantErr: []string{`project credentials Secret team-a/shop-key has no key "apiURL" (or it is empty)`, "spec.projectCredentials.apiURLKey"},
		},
		"APIURLNotHTTP": {
			reason:  "Only an http(s) URL names an API.",
			config:  cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})),
			mg:      keyUsing("ClusterProviderConfig", "cfg"),
			secret:  map[string]string{"value": projectKey, "apiURL": "shop-1a2b.projects.oryapis.com"},
			wantErr: []string{`key "apiURL" of project credentials Secret team-a/shop-key is not an http(s) URL`},
		},
		"APIURLKeyNamesTheValue": {
			reason:  "A ProviderConfig whose apiURLKey names the key's value must not echo it in its error.",
			config:  cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{APIURLKey: "value"})),
			mg:      keyUsing("ClusterProviderConfig", "cfg"),
			secret:  goodConnection(),
			wantErr: []string{`key "value" of project credentials Secret team-a/shop-key is not an http(s) URL`},
		},
		"ProjectIDNotUUID": {
			reason:  "A project ID is a UUID; a slug or anything else there is a wrong Secret or key.",
			config:  cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{})),
			mg:      keyUsing("ClusterProviderConfig", "cfg"),
			secret:  map[string]string{"value": projectKey, "apiURL": projectAPIURL, "projectID": "shop-1a2b"},
			wantErr: []string{`key "projectID" of project credentials Secret team-a/shop-key is not a project UUID`},
		},
		"ProjectIDKeyNamesTheValue": {
			reason:  "A projectIDKey naming the key's value must not echo it either.",
			config:  cpc(nil, clusterCreds("team-a", "shop-key", common.ProjectCredentialKeys{ProjectIDKey: "value"})),
			mg:      keyUsing("ClusterProviderConfig", "cfg"),
			secret:  goodConnection(),
			wantErr: []string{`key "value" of project credentials Secret team-a/shop-key is not a project UUID`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			objs := []client.Object{tc.config,
				connectionSecret("crossplane-system", "workspace", map[string]string{"token": workspaceKey})}
			if tc.secret != nil {
				objs = append(objs, connectionSecret("team-a", "shop-key", tc.secret))
			}
			kube := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(objs...).Build()
			cfg, err := Resolve(context.Background(), kube, tc.mg)
			if err != nil {
				t.Fatalf("%s\nResolve: %v (a config resolves whatever its project credentials hold: ProjectAPI reports on them)", tc.reason, err)
			}
			got, err := cfg.ProjectAPI()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nProjectAPI: -want +got:\n%s", tc.reason, diff)
			}
			if len(tc.wantErr) == 0 && err != nil {
				t.Errorf("%s\nProjectAPI: %v", tc.reason, err)
			}
			if len(tc.wantErr) > 0 && err == nil {
				t.Fatalf("%s\nProjectAPI: no error, want one containing %q", tc.reason, tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s\nProjectAPI error %q\nwant it to contain %q", tc.reason, err, w)
				}
			}
			if err != nil {
				for _, shown := range []string{err.Error(), fmt.Sprintf("%+v", err)} {
					if strings.Contains(shown, projectKeyTail) {
						t.Errorf("%s\nthe error shows the Secret's value: %s", tc.reason, shown)
					}
				}
			}
			if got != nil && strings.Contains(fmt.Sprintf("%v %+v %#v", *got, *got, *got), projectKeyTail) {
				t.Errorf("%s\na ProjectAccess printed shows its token", tc.reason)
			}
		})
	}
}

// TestResolverNeeds checks that a Resolver refuses a config without the
// credentials its kind needs, with an error that says what to set, and
// resolves one that has them, whatever else the config lacks.
func TestResolverNeeds(t *testing.T) {
	workspace := &common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "workspace"}, Key: "token"}}}
	project := &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: "team-a", Name: "shop-key"}}
	cases := map[string]struct {
		reason string
		// kind is an object of the kind the Resolver is for; project: it
		// serves the project API (UseProjectCredentials).
		kind    runtime.Object
		project bool
		creds   *common.Credentials
		pcreds  *common.ProjectCredentials
		wantErr string
	}{
		"ConsoleKindWithWorkspaceKey": {
			reason: "The console's kinds resolve as before with a workspace key.",
			kind:   &namespacedv1alpha1.ProjectAPIKey{}, creds: workspace,
		},
		"ConsoleKindWithBoth": {
			reason: "Project credentials beside the workspace key change nothing for the console's kinds.",
			kind:   &namespacedv1alpha1.Project{}, creds: workspace, pcreds: project,
		},
		"ProjectAPIKeyWithoutWorkspaceKey": {
			reason: "A ProjectAPIKey on a config with only project credentials is told to set spec.credentials, not left to a 401.",
			kind:   &namespacedv1alpha1.ProjectAPIKey{}, pcreds: project,
			wantErr: "ClusterProviderConfig cfg has no spec.credentials: ProjectAPIKeys are managed through the Ory console with a workspace API key (ory_wak_...); set spec.credentials",
		},
		"ProjectWithoutWorkspaceKey": {
			reason: "Projects too need the workspace key, and the error names the kind.",
			kind:   &namespacedv1alpha1.Project{}, pcreds: project,
			wantErr: "ClusterProviderConfig cfg has no spec.credentials: Projects are managed",
		},
		"WorkspaceAPIKeyWithoutWorkspaceKey": {
			reason: "WorkspaceAPIKeys too.",
			kind:   &namespacedv1alpha1.WorkspaceAPIKey{}, pcreds: project,
			wantErr: "has no spec.credentials: WorkspaceAPIKeys are managed",
		},
		"ProjectKindWithProjectCredentials": {
			reason: "A kind of the project API resolves on project credentials alone.",
			kind:   &namespacedv1alpha1.ProjectAPIKey{}, project: true, pcreds: project,
		},
		"ProjectKindWithoutProjectCredentials": {
			reason: "A kind of the project API on a config with only a workspace key gets ProjectAPI's error from Resolve, the Connect error its condition shows.",
			kind:   &namespacedv1alpha1.ProjectAPIKey{}, project: true, creds: workspace,
			wantErr: "ClusterProviderConfig cfg has no spec.projectCredentials",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pc := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}
			pc.Spec.Credentials, pc.Spec.ProjectCredentials = tc.creds, tc.pcreds
			kube := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(pc,
				connectionSecret("crossplane-system", "workspace", map[string]string{"token": workspaceKey}),
				connectionSecret("team-a", "shop-key", goodConnection())).Build()
			r, err := NewResolver(kube, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if tc.project {
				r.UseProjectCredentials()
			}
			// The resolve after usage tracking, which needs a real API server
			// (test/integration covers it).
			cfg, err := r.last.resolve(context.Background(), kube, keyUsing("ClusterProviderConfig", "cfg"))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("%s\n%v", tc.reason, err)
			case tc.wantErr == "":
				if cfg == nil {
					t.Errorf("%s\nno config", tc.reason)
				}
			case err == nil || !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("%s\nerror: got %v\nwant one containing %q", tc.reason, err, tc.wantErr)
			}
		})
	}
}

// TestProjectCredentialsReadWhenChanged checks that the project credentials
// Secret goes through the workspace key's resourceVersion memo: read once
// while unchanged, and again, with the new key, as soon as it changes (a
// ProjectAPIKey rotated), so the next resolve after a rotation uses the new
// key without a restart.
func TestProjectCredentialsReadWhenChanged(t *testing.T) {
	cases := map[string]struct {
		reason    string
		change    map[string]string // the Secret's data after the second resolve; nil: unchanged
		wantReads int
		want      console.Value
		wantErr   string
	}{
		"Unchanged": {
			reason:    "An unchanged Secret is read once over three resolves.",
			wantReads: 1,
			want:      projectKey,
		},
		"Rotated": {
			reason:    "A rotated ProjectAPIKey writes its new value: read again, and used at once.",
			change:    map[string]string{"value": "ory_pat_rotated", "apiURL": projectAPIURL, "projectID": projectID},
			wantReads: 2,
			want:      "ory_pat_rotated",
		},
		"OverwrittenWithWorkspaceKey": {
			reason:    "A change that breaks the Secret is seen at once too, and reported.",
			change:    map[string]string{"value": "ory_wak_" + projectKeyTail, "apiURL": projectAPIURL},
			wantReads: 2,
			wantErr:   "holds a workspace API key",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pc := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}
			pc.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: "team-a", Name: "shop-key"}}
			reads := 0
			kube := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(pc, connectionSecret("team-a", "shop-key", goodConnection())).
				WithInterceptorFuncs(interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
					if _, ok := obj.(*corev1.Secret); ok {
						reads++
					}
					return c.Get(ctx, key, obj, opts...)
				}}).Build()
			r := &Secrets{Kube: kube, Metadata: kube}
			mg := keyUsing("ClusterProviderConfig", "cfg")
			var (
				p   *ProjectAccess
				err error
			)
			for i := range 3 {
				if i == 2 && tc.change != nil {
					if err := kube.Update(context.Background(), connectionSecret("team-a", "shop-key", tc.change)); err != nil {
						t.Fatal(err)
					}
				}
				cfg, rerr := r.Resolve(context.Background(), mg)
				if rerr != nil {
					t.Fatal(rerr)
				}
				p, err = cfg.ProjectAPI()
			}
			if reads != tc.wantReads {
				t.Errorf("%s\nSecret reads: got %d, want %d", tc.reason, reads, tc.wantReads)
			}
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("%s\nerror: got %v, want one containing %q", tc.reason, err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("%s\n%v", tc.reason, err)
			case p.Token != tc.want:
				t.Errorf("%s\nthe token read is not the Secret's current one", tc.reason)
			}
		})
	}
}

func legacyKeyUsing(name string) *clusterv1alpha1.ProjectAPIKey {
	k := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: "api"}}
	k.SetProviderConfigReference(&xpv2.Reference{Name: name})
	return k
}
