package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuild checks what Crossplane runs: a non-root user, the binary as
// entrypoint, executable, beside the CA bundle, and that the image is
// reproducible (the same inputs, the same digest).
func TestBuild(t *testing.T) {
	dir := t.TempDir()
	bin, ca := filepath.Join(dir, "provider"), filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(bin, []byte("\x7fELF not really"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := Build(bin, ca, "v1.2.3", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user %q: Crossplane runs providers as non-root, want 65532:65532", cf.Config.User)
	}
	if diff := cmp.Diff([]string{binaryPath}, cf.Config.Entrypoint); diff != "" {
		t.Errorf("entrypoint: -want +got:\n%s", diff)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if v := cf.Config.Labels["org.opencontainers.image.version"]; v != "v1.2.3" {
		t.Errorf("version label %q, want v1.2.3", v)
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1 on an empty base", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close() //nolint:errcheck // read only
	got := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 {
			t.Errorf("%s: owner %d:%d, mtime %s; want 0:0 and 0 for a reproducible image", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		got[h.Name] = h.Mode
	}
	want := map[string]int64{
		"etc/": 0o755, "etc/ssl/": 0o755, "etc/ssl/certs/": 0o755, "etc/ssl/certs/ca-certificates.crt": 0o644,
		"usr/": 0o755, "usr/local/": 0o755, "usr/local/bin/": 0o755, "usr/local/bin/provider": 0o755,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layer files and modes: -want +got:\n%s", diff)
	}

	again, err := Build(bin, ca, "v1.2.3", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds of the same inputs have digests %s and %s: the image is not reproducible", d1, d2)
	}
}
