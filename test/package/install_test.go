package packagetest

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestPackageFromRegistry pushes the package `make package` built to an OCI
// registry on loopback (go-containerregistry's, in process) with the
// Crossplane CLI, as a user publishes it, and pulls it back by tag the way
// Crossplane's package manager does (go-containerregistry's remote; a
// registry on loopback is plain HTTP). It checks what Crossplane reads: the
// annotated package layer with the metadata (safe-start declared) and every
// CRD of package/crds, and the embedded runtime image: a non-root user and
// the entrypoint binary, which runs and reports the version make stamped.
//
// `make test` runs `make package` first and passes PACKAGE_XPKG,
// PACKAGE_VERSION and CROSSPLANE_CLI.
func TestPackageFromRegistry(t *testing.T) {
	xpkg := testkit.Required(t, "PACKAGE_XPKG", "the .xpkg of `make package`; run `make test`, which builds it")
	cli := testkit.Required(t, "CROSSPLANE_CLI", "the Crossplane CLI (hack/package/crossplane-cli.sh); run `make test`")
	version := testkit.Required(t, "PACKAGE_VERSION", "the version `make package` stamped")
	root, err := localenv.FindRoot()
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	ref := strings.TrimPrefix(reg.URL, "http://") + "/crossplane-contrib/provider-ory:" + version
	if out, err := exec.CommandContext(t.Context(), cli, "xpkg", "push", "-f", xpkg, ref).CombinedOutput(); err != nil {
		t.Fatalf("crossplane xpkg push: %v\n%s", err, out)
	}

	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(tag)
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	manifest, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("PackageLayer", func(t *testing.T) {
		var pkg []byte
		for _, l := range manifest.Layers {
			if l.Annotations["io.crossplane.xpkg"] != "base" {
				continue
			}
			layer, err := img.LayerByDigest(l.Digest)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := layer.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			pkg = fileFromTar(t, rc, "package.yaml")
			_ = rc.Close()
		}
		if pkg == nil {
			t.Fatal("no layer annotated io.crossplane.xpkg: base with a package.yaml: Crossplane would read the whole image instead")
		}
		var meta map[string]any
		var crds []string
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(pkg), 4096)
		for {
			var obj map[string]any
			if err := dec.Decode(&obj); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			switch obj["kind"] {
			case "Provider":
				meta = obj
			case "CustomResourceDefinition":
				js, _ := yaml.Marshal(obj)
				crd := &apiextensionsv1.CustomResourceDefinition{}
				if err := yaml.Unmarshal(js, crd); err != nil {
					t.Fatal(err)
				}
				crds = append(crds, crd.Spec.Group+"_"+crd.Spec.Names.Plural+".yaml")
			}
		}
		spec, _ := meta["spec"].(map[string]any)
		caps, _ := spec["capabilities"].([]any)
		if !slices.Contains(caps, any("safe-start")) {
			t.Errorf("the package's Provider metadata declares capabilities %v, want safe-start", caps)
		}
		files, err := filepath.Glob(filepath.Join(root, "package", "crds", "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, f := range files {
			want = append(want, filepath.Base(f))
		}
		slices.Sort(want)
		slices.Sort(crds)
		if !slices.Equal(want, crds) {
			t.Errorf("the package holds the CRDs %v, want those of package/crds %v", crds, want)
		}
	})

	var providerBin string
	t.Run("RuntimeImage", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if u := cf.Config.User; u == "" || u == "0" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root") {
			t.Errorf("the runtime image runs as user %q; Crossplane runs providers as non-root", u)
		}
		if len(cf.Config.Entrypoint) != 1 {
			t.Fatalf("entrypoint %v, want the provider binary", cf.Config.Entrypoint)
		}
		rc := mutate.Extract(img)
		bin := fileFromTar(t, rc, strings.TrimPrefix(cf.Config.Entrypoint[0], "/"))
		_ = rc.Close()
		if bin == nil {
			t.Fatalf("the image has no %s", cf.Config.Entrypoint[0])
		}
		// Kept for InstalledByCrossplane, which runs it.
		path := filepath.Join(dir, "provider")
		if err := os.WriteFile(path, bin, 0o755); err != nil {
			t.Fatal(err)
		}
		got, err := localenv.BinaryVersion(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if got != version {
			t.Errorf("the image's provider reports version %q, want %q", got, version)
		}
		providerBin = path
	})

	t.Run("InstalledByCrossplane", func(t *testing.T) {
		if providerBin == "" {
			t.Skip("no provider binary in the image (RuntimeImage failed)")
		}
		installByCrossplane(t, root, ref, providerBin)
	})
}

// fileFromTar returns the content of the file at path (no leading slash) in
// a tar stream, or nil.
func fileFromTar(t *testing.T, r io.Reader, path string) []byte {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "/") == path || strings.TrimPrefix(h.Name, "./") == path {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
