package composition

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-ory/config"
)

// TestShippedCompositionsMatchSchemas checks, without a cluster, what a typo
// in a Composition would otherwise only show at run time (as a patch that
// silently does nothing, or a composed resource the API server refuses):
// every patch reads a field the XRD declares and writes a field the
// ProjectAPIKey CRD declares, with the same type and constraints at least
// as strict; every field the CRD requires is set; connection details name
// keys the provider writes and the XRD passes on.
func TestShippedCompositionsMatchSchemas(t *testing.T) {
	crds := loadCRDs(t, filepath.Join("..", "..", "package", "crds"))
	fn := load(t, filepath.Join(examples, "functions.yaml"))

	for _, api := range shippedAPIs {
		t.Run(api.flavour+"/"+api.prefix+"xrd", func(t *testing.T) {
			xrd := load(t, filepath.Join(examples, api.flavour, api.prefix+"xrd.yaml"))
			comp := load(t, filepath.Join(examples, api.flavour, api.prefix+"composition.yaml"))
			scope := str(xrd, "spec", "scope")
			if scope == "" { // apiextensions.crossplane.io/v1's default
				scope = "LegacyCluster"
			}

			ref := schema.FromAPIVersionAndKind(str(comp, "spec", "compositeTypeRef", "apiVersion"), str(comp, "spec", "compositeTypeRef", "kind"))
			if ref.Group != str(xrd, "spec", "group") || ref.Kind != str(xrd, "spec", "names", "kind") {
				t.Fatalf("Composition is for %s, XRD defines %s.%s", ref, str(xrd, "spec", "names", "kind"), str(xrd, "spec", "group"))
			}
			xrSchema := versionSchema(t, xrd, ref.Version)
			if str(xrd, "spec", "defaultCompositionRef", "name") != comp.GetName() {
				t.Errorf("XRD's defaultCompositionRef is %q, the Composition is %q", str(xrd, "spec", "defaultCompositionRef", "name"), comp.GetName())
			}
			secretKeys, _, _ := unstructured.NestedStringSlice(xrd.Object, "spec", "connectionSecretKeys")
			if scope == "LegacyCluster" && str(comp, "spec", "writeConnectionSecretsToNamespace") == "" {
				t.Error("a LegacyCluster XR only gets a connection Secret (and its claim the details) when the Composition sets writeConnectionSecretsToNamespace")
			}

			steps, _, _ := unstructured.NestedSlice(comp.Object, "spec", "pipeline")
			if len(steps) != 1 {
				t.Fatalf("want one pipeline step, got %d", len(steps))
			}
			step := object(steps[0].(map[string]any))
			if got := str(step, "functionRef", "name"); got != fn.GetName() {
				t.Errorf("step runs function %q, functions.yaml installs %q", got, fn.GetName())
			}
			input := object(step.Object["input"].(map[string]any))
			if input.GetAPIVersion() != "pt.fn.crossplane.io/v1beta1" || input.GetKind() != "Resources" {
				t.Fatalf("step input is %s %s, want pt.fn.crossplane.io/v1beta1 Resources", input.GetAPIVersion(), input.GetKind())
			}

			resources, _, _ := unstructured.NestedSlice(input.Object, "resources")
			configs := composedConfigNames(resources)
			produced := map[string]bool{}
			for _, r := range resources {
				res := object(r.(map[string]any))
				base := object(res.Object["base"].(map[string]any))
				crd, ok := crds[base.GroupVersionKind().GroupKind()]
				if !ok {
					t.Fatalf("resource %q composes %s, which no CRD in package/crds defines", str(res, "name"), base.GroupVersionKind())
				}
				if want := map[string]string{"Namespaced": "Namespaced", "LegacyCluster": "Cluster", "Cluster": "Cluster"}[scope]; str(crd, "spec", "scope") != want {
					t.Errorf("a %s XR must compose a %s %s, base is %s", scope, want, base.GetKind(), str(crd, "spec", "scope"))
				}
				mrSchema := versionSchema(t, crd, base.GroupVersionKind().Version)
				set := map[string]bool{}
				for _, p := range leaves(base.Object, "") {
					if p == "apiVersion" || p == "kind" {
						continue
					}
					if _, err := schemaAt(mrSchema, p); err != nil {
						t.Errorf("base sets %s: %v", p, err)
					}
					set[p] = true
				}
				checkPatches(t, res, xrSchema, mrSchema, set)
				checkPlatformDecides(t, res, configs)
				// A value-once kind's CRD requires writeConnectionSecretToRef
				// by a CEL rule (Ory shows a key's value once), not by
				// `required`; a Project's connection Secret is optional.
				var celRequired []string
				if slices.ContainsFunc(config.Kinds(), func(k config.Kind) bool { return k.Name == base.GetKind() }) {
					celRequired = []string{"spec.writeConnectionSecretToRef"}
				}
				for _, p := range requiredLeaves(mrSchema, "", celRequired) {
					if !set[p] {
						t.Errorf("nothing sets %s, which the %s CRD requires (or sets it from an optional XR field)", p, base.GetKind())
					}
				}

				details, _, _ := unstructured.NestedSlice(res.Object, "connectionDetails")
				if scope != "LegacyCluster" && len(details) > 0 {
					t.Errorf("a %s XR has no connection Secret: connectionDetails would be dropped; the ProjectAPIKey's own Secret is the app's", scope)
				}
				for _, d := range details {
					cd := object(d.(map[string]any))
					name, from := str(cd, "name"), str(cd, "fromConnectionSecretKey")
					if str(cd, "type") != "FromConnectionSecretKey" || !slices.Contains(config.ProjectAPIKey.ConnectionKeys, from) {
						t.Errorf("connection detail %q: want type FromConnectionSecretKey from one of %v, got %s %q", name, config.ProjectAPIKey.ConnectionKeys, str(cd, "type"), from)
					}
					if !slices.Contains(secretKeys, name) {
						t.Errorf("connection detail %q is not among the XRD's connectionSecretKeys %v: it would never reach the claim", name, secretKeys)
					}
					produced[name] = true
				}
			}
			for _, k := range secretKeys {
				if !produced[k] {
					t.Errorf("XRD promises connection secret key %q, no connection detail produces it", k)
				}
			}
		})
	}
}

// platformFields are the fields of a ProjectAPIKey that decide which
// workspace key and project a key is made with. The shipped Compositions
// let the platform team alone set them: an XR or claim is written by an app
// team, and a ProviderConfig without allowedProjectIDs (the shipped
// defaults have none) would make a key in whatever project the team names.
var platformFields = []string{"spec.forProvider.projectID", "spec.forProvider.projectIDRef", "spec.forProvider.projectIDSelector", "spec.providerConfigRef"}

// shippedAPIs are the XRD and Composition pairs of examples/composition: in
// each flavour's folder, <prefix>xrd.yaml and <prefix>composition.yaml.
var shippedAPIs = []struct{ flavour, prefix string }{
	{"v2", ""}, {"v1", ""}, // OryAPIKey: a key in the platform's project
	{"v2", "project-"}, {"v1", "project-"}, // OryProject: a Project and a key in it, by reference
	{"v2", "oauth2client-"}, // OryOAuth2App: a Project, a key, a ProviderConfig on its Secret, an OAuth2Client
}

// checkPlatformDecides fails when a patch copies anything of the XR into a
// platform field. README.md ("Letting a team choose its project") says how
// a platform may allow it, with a per-namespace allow-list. One patch is no
// choice of the app team's: a providerConfigRef.name made exactly as the
// name of a ProviderConfig the same Composition composes (configs, from
// composedConfigNames), which names that ProviderConfig and no other.
func checkPlatformDecides(t *testing.T, res *unstructured.Unstructured, configs map[string]bool) {
	t.Helper()
	patches, _, _ := unstructured.NestedSlice(res.Object, "patches")
	for _, p := range patches {
		patch := object(p.(map[string]any))
		from, to := str(patch, "fromFieldPath"), str(patch, "toFieldPath")
		if to == "" {
			to = from
		}
		if to == "spec.providerConfigRef.name" && configs[nameRecipe(patch)] {
			continue
		}
		for _, f := range platformFields {
			if to == f || strings.HasPrefix(to, f+".") {
				t.Errorf("patch %s -> %s: the app team's XR would choose %s; the shipped Compositions must leave it to the platform team (a fixed base value)", from, to, f)
			}
		}
	}
}

// composedConfigNames returns how the Composition's resources of kind
// ProviderConfig get their names (nameRecipe of their metadata.name
// patches): a name from the XR's identity (metadata.uid or metadata.name),
// which no app team chooses.
func composedConfigNames(resources []any) map[string]bool {
	out := map[string]bool{}
	for _, r := range resources {
		res := object(r.(map[string]any))
		if str(res, "base", "kind") != "ProviderConfig" {
			continue
		}
		patches, _, _ := unstructured.NestedSlice(res.Object, "patches")
		for _, p := range patches {
			patch := object(p.(map[string]any))
			if from := str(patch, "fromFieldPath"); str(patch, "toFieldPath") == "metadata.name" && (from == "metadata.uid" || from == "metadata.name") {
				out[nameRecipe(patch)] = true
			}
		}
	}
	return out
}

// nameRecipe is what a patch makes a value of: its source and its Format
// transforms.
func nameRecipe(patch *unstructured.Unstructured) string {
	recipe := str(patch, "fromFieldPath")
	transforms, _, _ := unstructured.NestedSlice(patch.Object, "transforms")
	for _, tr := range transforms {
		recipe += " | " + str(object(tr.(map[string]any)), "string", "fmt")
	}
	return recipe
}

// checkPatches checks every patch of a resource template and records the
// fields the patches always set (those read from required XR fields).
func checkPatches(t *testing.T, res *unstructured.Unstructured, xrSchema, mrSchema map[string]any, set map[string]bool) {
	t.Helper()
	patches, _, _ := unstructured.NestedSlice(res.Object, "patches")
	for _, p := range patches {
		patch := object(p.(map[string]any))
		from, to := str(patch, "fromFieldPath"), str(patch, "toFieldPath")
		if typ := str(patch, "type"); typ != "" && typ != "FromCompositeFieldPath" {
			t.Errorf("patch %s -> %s: type %s is not checked here", from, to, typ)
			continue
		}
		if to == "" {
			to = from
		}
		src, required, err := xrField(xrSchema, from)
		if err != nil {
			t.Errorf("patch from %s: %v", from, err)
			continue
		}
		dst, err := schemaAt(mrSchema, to)
		if to == "metadata.name" {
			// The composed object's own name; CRDs do not declare it.
			dst, err = map[string]any{"type": "string"}, nil
		}
		if err != nil {
			t.Errorf("patch to %s: %v", to, err)
			continue
		}
		transforms, _, _ := unstructured.NestedSlice(patch.Object, "transforms")
		for _, tr := range transforms {
			tf := object(tr.(map[string]any))
			if str(tf, "type") != "string" || (str(tf, "string", "type") != "" && str(tf, "string", "type") != "Format") {
				t.Errorf("patch %s -> %s: only string Format transforms are checked here", from, to)
			}
			// A Format transform's output is a string with unknown upper
			// bound, at least as long as its text around %s.
			src = map[string]any{"type": "string"}
			if n := len(strings.ReplaceAll(str(tf, "string", "fmt"), "%s", "")); n > 0 {
				src["minLength"] = int64(n)
			}
		}
		if err := assignable(src, dst); err != nil {
			t.Errorf("patch %s -> %s: %v", from, to, err)
		}
		if required {
			set[to] = true
		}
	}
}

// xrField returns the schema of a field of the XR and whether every XR has
// it. Crossplane adds metadata to the XRD's schema; its string fields are
// always there.
func xrField(s map[string]any, path string) (map[string]any, bool, error) {
	switch path {
	case "metadata.name", "metadata.uid":
		return map[string]any{"type": "string"}, true, nil
	case "metadata.namespace":
		return map[string]any{"type": "string"}, false, nil
	}
	if strings.HasPrefix(path, "metadata.labels[") || strings.HasPrefix(path, "metadata.annotations[") {
		return map[string]any{"type": "string"}, false, nil
	}
	f, err := schemaAt(s, path)
	if err != nil {
		return nil, false, err
	}
	segs, _ := parsePath(path)
	required, cur := true, s
	for i, seg := range segs {
		if seg.index {
			return f, false, nil
		}
		req, _, _ := unstructured.NestedStringSlice(cur, "required")
		// Crossplane's XR CRDs require spec whatever the XRD says
		// (BaseProps in crossplane-runtime's pkg/xcrd).
		required = required && (slices.Contains(req, seg.name) || i == 0 && seg.name == "spec")
		next, ok, _ := unstructured.NestedMap(cur, "properties", seg.name)
		if !ok {
			return f, false, nil // a map entry: never required
		}
		cur = next
	}
	return f, required, nil
}

// assignable reports whether every value the source schema admits is
// admitted by the destination schema, for the keywords the shipped
// schemas use.
func assignable(src, dst map[string]any) error {
	if src["type"] != dst["type"] {
		return fmt.Errorf("type %v into %v", src["type"], dst["type"])
	}
	if f, ok := dst["format"]; ok && src["format"] != f {
		return fmt.Errorf("format %v into format %v", src["format"], f)
	}
	if p, ok := dst["pattern"]; ok && src["pattern"] != p {
		return fmt.Errorf("pattern %v into pattern %v", src["pattern"], p)
	}
	if m, ok := number(dst["minLength"]); ok {
		if s, ok := number(src["minLength"]); !ok || s < m {
			return fmt.Errorf("minLength %v into minLength %v", src["minLength"], m)
		}
	}
	if m, ok := number(dst["maxLength"]); ok {
		if s, ok := number(src["maxLength"]); !ok || s > m {
			return fmt.Errorf("maxLength %v into maxLength %v", src["maxLength"], m)
		}
	}
	if e, ok := dst["enum"].([]any); ok {
		se, _ := src["enum"].([]any)
		if se == nil {
			return fmt.Errorf("any value into enum %v", e)
		}
		for _, v := range se {
			if !slices.Contains(e, v) {
				return fmt.Errorf("enum value %v not in %v", v, e)
			}
		}
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// schemaAt returns the schema of the field at a field path.
func schemaAt(s map[string]any, path string) (map[string]any, error) {
	segs, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	cur := s
	for i, seg := range segs {
		var next any
		if seg.index {
			next = cur["items"]
			if next == nil {
				next = cur["additionalProperties"] // metadata.labels[key]
			}
		} else {
			if props, ok := cur["properties"].(map[string]any); ok {
				next = props[seg.name]
			}
			if next == nil {
				next = cur["additionalProperties"]
			}
		}
		m, ok := next.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the schema has no %s", strings.Join(strings.SplitAfterN(path, ".", len(segs))[:i+1], ""))
		}
		cur = m
	}
	return cur, nil
}

// A segment of a field path: a field name, or an index or key in brackets.
type segment struct {
	name  string
	index bool
}

// parsePath splits a Crossplane field path (a.b[0].c, metadata.labels[k]).
// The root module cannot use crossplane-runtime's fieldpath package without
// a new dependency (dario.cat/mergo), and the shipped paths are simple.
func parsePath(path string) ([]segment, error) {
	var out []segment
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name == "" && rest == "" {
			return nil, fmt.Errorf("empty segment in field path %q", path)
		}
		if name != "" {
			out = append(out, segment{name: name})
		}
		for rest != "" {
			key, after, ok := strings.Cut(rest, "]")
			if !ok {
				return nil, fmt.Errorf("unclosed [ in field path %q", path)
			}
			out = append(out, segment{name: key, index: true})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out, nil
}

// requiredLeaves lists the scalar fields an object must have: required
// properties, followed into required objects. extra are paths treated as
// required although the schema says so only in a CEL rule.
func requiredLeaves(s map[string]any, prefix string, extra []string) []string {
	var out []string
	req, _, _ := unstructured.NestedStringSlice(s, "required")
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		path := strings.TrimPrefix(prefix+"."+name, ".")
		if !slices.Contains(req, name) && !slices.Contains(extra, path) {
			continue
		}
		ps := p.(map[string]any)
		if ps["type"] == "object" && ps["properties"] != nil {
			out = append(out, requiredLeaves(ps, path, extra)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

// leaves lists the field paths of the scalar values of an object.
func leaves(m map[string]any, prefix string) []string {
	var out []string
	for k, v := range m {
		path := strings.TrimPrefix(prefix+"."+k, ".")
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			out = append(out, leaves(sub, path)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

// versionSchema returns the openAPIV3Schema of a version of a CRD or XRD.
func versionSchema(t *testing.T, o *unstructured.Unstructured, version string) map[string]any {
	t.Helper()
	versions, _, _ := unstructured.NestedSlice(o.Object, "spec", "versions")
	for _, v := range versions {
		vm := v.(map[string]any)
		if vm["name"] != version {
			continue
		}
		if vm["served"] != true {
			t.Fatalf("%s %s: version %s is not served", o.GetKind(), o.GetName(), version)
		}
		s, ok, _ := unstructured.NestedMap(vm, "schema", "openAPIV3Schema")
		if !ok {
			t.Fatalf("%s %s: version %s has no schema", o.GetKind(), o.GetName(), version)
		}
		return s
	}
	t.Fatalf("%s %s has no version %s", o.GetKind(), o.GetName(), version)
	return nil
}

func loadCRDs(t *testing.T, dir string) map[schema.GroupKind]*unstructured.Unstructured {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in %s (%v)", dir, err)
	}
	out := map[schema.GroupKind]*unstructured.Unstructured{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		crd := object(m)
		out[schema.GroupKind{Group: str(crd, "spec", "group"), Kind: str(crd, "spec", "names", "kind")}] = crd
	}
	return out
}

func str(o *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(o.Object, path...)
	return s
}
