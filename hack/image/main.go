// Command image writes provider-ory's runtime image as an image tarball
// (the `docker save` layout that `crossplane xpkg build
// --embed-runtime-image-tarball` and `docker load` read), without Docker:
// one layer on an empty base holding the static provider binary at
// /usr/local/bin/provider and a CA bundle at
// /etc/ssl/certs/ca-certificates.crt (the provider calls Ory over HTTPS),
// run as the non-root user 65532. cluster/images/provider-ory/Dockerfile
// describes the same image.
//
// Files get mtime 0 and owner 0:0, and the image no creation time, so the
// same binary and bundle always give the same image digest.
//
//	go run ./hack/image --binary=_output/bin/provider --version=v0.1.0 --output=_output/provider-ory-image.tar
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Paths and user inside the image; the Dockerfile uses the same.
const (
	binaryPath = "/usr/local/bin/provider"
	caPath     = "/etc/ssl/certs/ca-certificates.crt"
	user       = "65532:65532"
)

func main() {
	binary := flag.String("binary", "_output/bin/provider", "The static provider binary (make build).")
	caBundle := flag.String("ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of the CA certificates the provider trusts for Ory's API.")
	version := flag.String("version", "v0.0.0-dev", "The version, for the tag and the org.opencontainers.image.version label.")
	repo := flag.String("repository", "provider-ory", "The repository of the image's tag inside the tarball.")
	arch := flag.String("arch", runtime.GOARCH, "The architecture the binary was built for.")
	output := flag.String("output", "_output/provider-ory-image.tar", "The image tarball to write.")
	flag.Parse()
	if err := write(*binary, *caBundle, *version, *repo, *arch, *output); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func write(binary, caBundle, version, repo, arch, output string) error {
	img, err := Build(binary, caBundle, version, arch)
	if err != nil {
		return err
	}
	tag, err := name.NewTag(repo + ":" + version)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(output, tag, img); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s %s\n", output, tag, d)
	return nil
}

// Build returns the runtime image of the provider binary.
func Build(binary, caBundle, version, arch string) (v1.Image, error) {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(caBundle)
	if err != nil {
		return nil, fmt.Errorf("the image needs CA certificates to reach Ory over HTTPS: %w", err)
	}
	layerTar, err := files([]file{
		{path: caPath, mode: 0o644, data: ca},
		{path: binaryPath, mode: 0o755, data: bin},
	})
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.Entrypoint = []string{binaryPath}
	cf.Config.User = user
	// Metrics (--metrics-bind-address) and health probes
	// (--health-probe-bind-address).
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "8081/tcp": {}}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.source":  "https://github.com/crossplane-contrib/provider-ory",
		"org.opencontainers.image.version": version,
	}
	return mutate.ConfigFile(img, cf)
}

// epoch is every file's mtime, so that the layer depends on content only.
var epoch = time.Unix(0, 0)

type file struct {
	path string
	mode int64
	data []byte
}

// files is a layer holding the files and their parent folders, owned by
// root, with mtime 0.
func files(fs []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range fs {
		var parents []string
		for d := path.Dir(f.path); d != "/"; d = path.Dir(d) {
			parents = append([]string{d[1:]}, parents...)
		}
		for _, d := range parents {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.path[1:], Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
