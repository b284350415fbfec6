package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/crossplane-contrib/provider-ory/internal/localenv"
)

// usageFiles are the examples of examples/project that need Crossplane core:
// Usages, which Crossplane enforces with its webhooks.
var usageFiles = []string{"project/namespaced-usage.yaml", "project/cluster-usage.yaml"}

// testUsagesValid checks the Usage examples against Crossplane's own Usage
// and ClusterUsage CRDs, installed into this API server: schema and CEL
// rules, with a server-side dry run, so nothing is stored. This
// environment runs no Crossplane, so nothing enforces them here;
// test/composition runs Crossplane core, and package/package_test.go checks
// the same files against Crossplane's Go types. A Usage the CRD must refuse
// (neither resourceRef nor resourceSelector) shows the rules are in force.
// Crossplane's CRDs come from CROSSPLANE_CRDS, or the crds folder beside
// CROSSPLANE_BIN (`make test`), or .cache/crossplane/crds (`make
// crossplane`); without any of them the check is skipped.
func testUsagesValid(ctx context.Context, t *testing.T, env *localenv.Env) {
	crds := crossplaneCRDs(env.Root)
	if crds == "" {
		t.Skip("Crossplane's CRDs are not built (CROSSPLANE_CRDS, CROSSPLANE_BIN, .cache/crossplane/crds): run `make crossplane`; package/package_test.go still checks the Usages against Crossplane's Go types")
	}
	// envtest logs the files it reads through controller-runtime's logger,
	// which this test binary has no other use for.
	ctrllog.SetLogger(logr.Discard())
	if _, err := envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{
		Paths:              []string{filepath.Join(crds, "protection.crossplane.io_usages.yaml"), filepath.Join(crds, "protection.crossplane.io_clusterusages.yaml")},
		ErrorIfPathMissing: true,
	}); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range usageFiles {
		files = append(files, filepath.Join(env.Root, "examples", f))
	}
	objs, err := localenv.ReadObjects(files...)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(usageFiles) {
		t.Fatalf("%v hold %d objects, want one Usage each", usageFiles, len(objs))
	}
	for _, o := range objs {
		if err := dryRunApply(ctx, env.Client, o); err != nil {
			t.Errorf("%s is refused by Crossplane's CRD: %v", name(o), err)
		}
	}
	bad := objs[0].DeepCopy()
	unstructured.RemoveNestedField(bad.Object, "spec", "of", "resourceRef")
	if err := dryRunApply(ctx, env.Client, bad); err == nil || !strings.Contains(err.Error(), "resource reference or a resource selector") {
		t.Errorf("%s without spec.of.resourceRef: want Crossplane's CRD to refuse it (its CEL rule), got %v", name(bad), err)
	}
}

// dryRunApply server-side applies o as a dry run: validated, not stored.
func dryRunApply(ctx context.Context, c client.Client, o *unstructured.Unstructured) error {
	return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()), client.FieldOwner(localenv.FieldManager), client.ForceOwnership, client.DryRunAll)
}

// crossplaneCRDs returns the folder of Crossplane core's CRDs, "" when none
// is built.
func crossplaneCRDs(root string) string {
	var candidates []string
	if d := os.Getenv("CROSSPLANE_CRDS"); d != "" {
		candidates = append(candidates, d)
	}
	if b := os.Getenv("CROSSPLANE_BIN"); b != "" {
		candidates = append(candidates, filepath.Join(b, "..", "crds"))
	}
	candidates = append(candidates, filepath.Join(root, ".cache", "crossplane", "crds"))
	for _, d := range candidates {
		if _, err := os.Stat(filepath.Join(d, "protection.crossplane.io_usages.yaml")); err == nil {
			return d
		}
	}
	return ""
}
