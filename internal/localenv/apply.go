package localenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// FieldManager is the server-side apply field manager of Apply, and the one
// that sets spec.consoleURL of the examples' ProviderConfigs.
const FieldManager = "provider-ory-localenv"

// The placeholders of examples/README.md. SeedExamples seeds the simulator
// with exactly these, so the examples work unchanged against it.
const (
	// ExampleWorkspaceKey is the workspace API key of every credentials
	// Secret of the examples.
	ExampleWorkspaceKey = "ory_wak_REPLACE_ME"
	// ExampleProjectID is the project of every example.
	ExampleProjectID = "00000000-0000-4000-8000-000000000001"
	// ExampleWorkspaceID is the workspace ExampleWorkspaceKey reaches, the
	// holder of workspace API keys in examples.
	ExampleWorkspaceID = "00000000-0000-4000-8000-000000000002"
	// ExampleWorkspaceKeyID is the ID of ExampleWorkspaceKey as one of the
	// workspace's API keys, to import it (a rotation of the provider's own
	// credentials starts there).
	ExampleWorkspaceKeyID = "00000000-0000-4000-8000-00000000b001"
)

// ExampleImports returns the keys the examples import (namespaced/import.yaml
// and cluster/import.yaml): keys made "before" the provider, in
// ExampleProjectID.
func ExampleImports() []orysim.KeySpec {
	return []orysim.KeySpec{
		// Made before Ory recorded last_characters, as orysim's own
		// example config has it.
		{Project: ExampleProjectID, ID: "00000000-0000-4000-8000-00000000a001", Name: "legacy-ci", WithoutLastCharacters: true},
		{Project: ExampleProjectID, ID: "00000000-0000-4000-8000-00000000a002", Name: "legacy-ci-cluster"},
	}
}

// SeedExamples gives sim the workspace, project and imported keys the
// examples name.
func SeedExamples(sim *orysim.Server) error {
	if _, err := sim.CreateWorkspace(orysim.WorkspaceSpec{
		Key: ExampleWorkspaceKey, ID: ExampleWorkspaceID, KeyID: ExampleWorkspaceKeyID, KeyName: "provider-ory examples",
	}); err != nil {
		return fmt.Errorf("seeding the examples' workspace: %w", err)
	}
	if _, err := sim.CreateProject(orysim.ProjectSpec{
		WorkspaceKey: ExampleWorkspaceKey, Slug: "examples", ID: ExampleProjectID, Name: "provider-ory examples",
	}); err != nil {
		return fmt.Errorf("seeding the examples' project: %w", err)
	}
	for _, k := range ExampleImports() {
		if _, err := sim.CreateKey(k); err != nil {
			return fmt.Errorf("seeding imported key %s: %w", k.Name, err)
		}
	}
	return nil
}

// ExampleFiles returns the example files of both scopes: crossplane-system.yaml,
// every YAML file of examples/namespaced and examples/cluster, sorted, then
// the ProjectExampleFiles and the OAuth2ClientExampleFiles. The rest of
// examples/ (compositions, the Usages of examples/project) needs Crossplane
// itself, which this environment does not run.
func ExampleFiles(root string) ([]string, error) {
	dir := filepath.Join(root, "examples")
	files := []string{filepath.Join(dir, "crossplane-system.yaml")}
	if _, err := os.Stat(files[0]); err != nil {
		return nil, err
	}
	for _, set := range []string{"namespaced", "cluster"} {
		var found []string
		for _, pattern := range []string{"*.yaml", "*.yml"} {
			m, err := filepath.Glob(filepath.Join(dir, set, pattern))
			if err != nil {
				return nil, err
			}
			found = append(found, m...)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no YAML files in %s", filepath.Join(dir, set))
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	for _, f := range slices.Concat(ProjectExampleFiles, OAuth2ClientExampleFiles) {
		f = filepath.Join(dir, f)
		if _, err := os.Stat(f); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// ProjectExampleFiles are the files of examples/project, relative to
// examples/, that need only the provider: a Project of each scope and a key
// in it by reference. Its Usages (*-usage.yaml) are enforced by Crossplane's
// webhooks, which this environment does not run.
var ProjectExampleFiles = []string{"project/namespaced.yaml", "project/cluster.yaml"}

// OAuth2ClientExampleFiles are the files of examples/oauth2client, relative
// to examples/: per scope, a ProjectAPIKey whose connection Secret is the
// projectCredentials of a ProviderConfig, and an OAuth2Client made through
// that ProviderConfig. They build on the namespaced and cluster sets (the
// namespace and the ProviderConfigs the keys are made through).
var OAuth2ClientExampleFiles = []string{"oauth2client/namespaced.yaml", "oauth2client/cluster.yaml"}

// ReadObjects reads every document of the YAML (or JSON) files, in order,
// skipping empty documents.
func ReadObjects(files ...string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for i := 1; ; i++ {
			var m map[string]any
			if err := d.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s, document %d: %w", f, i, err)
			}
			if len(m) == 0 {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
				return nil, fmt.Errorf("%s, document %d: apiVersion, kind and metadata.name are required", f, i)
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// Apply server-side applies objs in order, as FieldManager, taking over
// fields other managers own (like `kubectl apply --server-side
// --force-conflicts`). A namespaced object without a namespace goes to
// "default". objs are not modified.
func Apply(ctx context.Context, c client.Client, objs ...*unstructured.Unstructured) error {
	for _, o := range objs {
		u := o.DeepCopy()
		if u.GetNamespace() == "" {
			if namespaced, err := c.IsObjectNamespaced(u); err != nil {
				return fmt.Errorf("%s: %w", describe(u), err)
			} else if namespaced {
				u.SetNamespace("default")
			}
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("cannot apply %s: %w", describe(u), err)
		}
	}
	return nil
}

// ApplyExamples applies the ExampleFiles unchanged, then points each
// ProviderConfig and ClusterProviderConfig at the simulator by patching its
// spec.consoleURL and spec.projectAPIURLTemplate (the examples leave them to
// their defaults, Ory Network; see PointAtSimulator). It
// applies namespaces first, then the other core objects (Secrets), then the
// ProviderConfigs, whose consoleURL it patches at once, and the key
// resources last: a running provider never sees an example key whose
// ProviderConfig still names Ory Network. It returns the
// objects as read from the files, in the order applied.
func (e *Env) ApplyExamples(ctx context.Context) ([]*unstructured.Unstructured, error) {
	files, err := ExampleFiles(e.Root)
	if err != nil {
		return nil, err
	}
	objs, err := ReadObjects(files...)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int { return applyRank(a) - applyRank(b) })
	for _, o := range objs {
		if err := Apply(ctx, e.Client, o); err != nil {
			return nil, err
		}
		if IsProviderConfig(o) {
			if err := PointAtSimulator(ctx, e.Client, o, e.SimURL); err != nil {
				return nil, err
			}
		}
	}
	e.logf("applied %d objects from %d files of examples/; spec.consoleURL of their ProviderConfigs patched to %s, spec.projectAPIURLTemplate to %s", len(objs), len(files), e.SimURL, SimProjectAPIURLTemplate(e.SimURL))
	return objs, nil
}

// applyRank orders objects so that what an object needs exists before it.
func applyRank(u *unstructured.Unstructured) int {
	switch gv := u.GroupVersionKind(); {
	case gv.Group == "" && gv.Kind == "Namespace":
		return 0
	case gv.Group == "":
		return 1
	case IsProviderConfig(u):
		return 2
	default:
		return 3
	}
}

// IsProviderConfig reports whether u is a ProviderConfig or
// ClusterProviderConfig of provider-ory (either scope).
func IsProviderConfig(u *unstructured.Unstructured) bool {
	gvk := u.GroupVersionKind()
	switch gvk.GroupKind() {
	case namespacedv1alpha1.ProviderConfigGroupVersionKind.GroupKind(),
		namespacedv1alpha1.ClusterProviderConfigGroupVersionKind.GroupKind(),
		clusterv1alpha1.ProviderConfigGroupVersionKind.GroupKind():
		return true
	}
	return false
}

// IsKeyResource reports whether u is a resource of a kind of the catalogue
// (config.Kinds), in either scope: a ProjectAPIKey, a WorkspaceAPIKey or an
// OAuth2Client.
func IsKeyResource(u *unstructured.Unstructured) bool {
	_, ok := kindOf(u)
	return ok
}

// kindOf returns the catalogue kind u is a resource of, by group and kind.
func kindOf(u *unstructured.Unstructured) (config.Kind, bool) {
	gk := u.GroupVersionKind().GroupKind()
	for _, k := range config.Kinds() {
		if slices.ContainsFunc(k.Scopes, func(s schema.GroupVersionKind) bool { return s.GroupKind() == gk }) {
			return k, true
		}
	}
	return config.Kind{}, false
}

// PointAtSimulator points the ProviderConfig pc at the simulator at url
// with a merge patch: spec.consoleURL to url, and spec.projectAPIURLTemplate
// to the simulator's per-project API (SimProjectAPIURLTemplate), so that the
// apiURL a ProjectAPIKey's connection Secret publishes is one a client (or a
// ProviderConfig's projectCredentials) can call. It is a patch rather than
// an edit of the file, so that the examples are applied exactly as shipped,
// and so that a person who applies an example again keeps the simulator's
// URLs (the file does not set the fields, so applying it does not touch
// them).
func PointAtSimulator(ctx context.Context, c client.Client, pc *unstructured.Unstructured, url string) error {
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"consoleURL": url, "projectAPIURLTemplate": SimProjectAPIURLTemplate(url)}})
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(pc.GroupVersionKind())
	u.SetNamespace(pc.GetNamespace())
	u.SetName(pc.GetName())
	if err := c.Patch(ctx, u, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("cannot point %s at the simulator: %w", describe(pc), err)
	}
	return nil
}

// describe names an object for messages: Kind.group namespace/name.
func describe(u *unstructured.Unstructured) string {
	gk := u.GroupVersionKind().GroupKind().String()
	if u.GetNamespace() == "" {
		return gk + " " + u.GetName()
	}
	return gk + " " + u.GetNamespace() + "/" + u.GetName()
}

// SimProjectAPIURLTemplate is the projectAPIURLTemplate of the simulator at
// url: orysim.ProjectAPIURL with {slug} for the slug, not escaped.
func SimProjectAPIURLTemplate(url string) string {
	return strings.TrimRight(url, "/") + orysim.ProjectAPIPathPrefix + common.SlugPlaceholder
}
