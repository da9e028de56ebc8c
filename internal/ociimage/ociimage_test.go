package ociimage

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testSpec returns a spec with an executable from disk, a file from memory
// in a new directory and a CA bundle, all in t's temp dir.
func testSpec(t *testing.T) Spec {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "manager")
	if err := os.WriteFile(bin, []byte("#!binary\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The mode comes from the source file: set it past the umask.
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Spec{
		Name: "localhost/ociimage-test:dev",
		Files: []File{
			{Path: "/manager", Source: bin},
			{Path: "/etc/app/app.yaml", Content: []byte("a: 1\n"), Mode: 0o640},
		},
		Entrypoint: []string{"/manager"},
		Args:       []string{"--leader-elect"},
		User:       "65532:65532",
		Env:        []string{"LOG_LEVEL=debug"},
		Labels:     map[string]string{"org.opencontainers.image.title": "test"},
		CABundle:   ca,
	}
}

type tarEntry struct {
	Name     string
	Type     byte
	Mode     int64
	UID, GID int
	Content  string
}

// layerEntries reads the only layer of img.
func layerEntries(t *testing.T, img v1.Image) []tarEntry {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("image has %d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	var got []tarEntry
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !hdr.ModTime.Equal(Epoch) {
			t.Errorf("%s: mtime %v, want %v", hdr.Name, hdr.ModTime, Epoch)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tarEntry{hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid, string(b)})
	}
	return got
}

func TestBuildArchiveRoundTrip(t *testing.T) {
	built, err := Build(testSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "out", "image.tar")
	if err := WriteArchive(archive, built); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("localhost/ociimage-test:dev")
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(archive, &tag)
	if err != nil {
		t.Fatalf("reading the archive back: %v", err)
	}

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	wantConfig := v1.Config{
		User:       "65532:65532",
		Entrypoint: []string{"/manager"},
		Cmd:        []string{"--leader-elect"},
		Env:        []string{"PATH=" + DefaultPath, "SSL_CERT_FILE=" + CABundlePath, "LOG_LEVEL=debug"},
		WorkingDir: "/",
		Labels:     map[string]string{"org.opencontainers.image.title": "test"},
	}
	if diff := cmp.Diff(wantConfig, cf.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH || !cf.Created.Equal(Epoch) {
		t.Errorf("os/arch/created = %s/%s/%v, want linux/%s/%v", cf.OS, cf.Architecture, cf.Created.Time, runtime.GOARCH, Epoch)
	}

	// The archive holds the very config and layer that were built (its
	// manifest is docker-archive's own, so the image digest differs).
	for _, c := range []struct {
		what string
		hash func(v1.Image) (v1.Hash, error)
	}{
		{"config digest", v1.Image.ConfigName},
		{"layer diff ID", func(i v1.Image) (v1.Hash, error) {
			cf, err := i.ConfigFile()
			if err != nil || len(cf.RootFS.DiffIDs) != 1 {
				return v1.Hash{}, fmt.Errorf("diff IDs %v: %w", cf.RootFS.DiffIDs, err)
			}
			return cf.RootFS.DiffIDs[0], nil
		}},
	} {
		got, err1 := c.hash(img)
		want, err2 := c.hash(built)
		if err1 != nil || err2 != nil || got != want {
			t.Errorf("%s: archive %v (%v), built %v (%v)", c.what, got, err1, want, err2)
		}
	}

	want := []tarEntry{
		{"etc/", tar.TypeDir, 0o755, 0, 0, ""},
		{"etc/app/", tar.TypeDir, 0o755, 0, 0, ""},
		{"etc/app/app.yaml", tar.TypeReg, 0o640, 0, 0, "a: 1\n"},
		{"etc/group", tar.TypeReg, 0o644, 0, 0, "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"},
		{"etc/passwd", tar.TypeReg, 0o644, 0, 0, "root:x:0:0:root:/root:/sbin/nologin\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
			"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
		{"etc/ssl/", tar.TypeDir, 0o755, 0, 0, ""},
		{"etc/ssl/certs/", tar.TypeDir, 0o755, 0, 0, ""},
		{"etc/ssl/certs/ca-certificates.crt", tar.TypeReg, 0o644, 0, 0, "-----BEGIN CERTIFICATE-----\n"},
		{"home/", tar.TypeDir, 0o755, 0, 0, ""},
		{"home/nonroot/", tar.TypeDir, 0o700, 65532, 65532, ""},
		{"manager", tar.TypeReg, 0o755, 0, 0, "#!binary\n"},
		{"root/", tar.TypeDir, 0o700, 0, 0, ""},
		{"tmp/", tar.TypeDir, 0o1777, 0, 0, ""},
	}
	if diff := cmp.Diff(want, layerEntries(t, img)); diff != "" {
		t.Errorf("layer (-want +got):\n%s", diff)
	}
}

func TestBuildDefaults(t *testing.T) {
	// No CA bundle: no SSL_CERT_FILE and no /etc/ssl; Env replaces PATH.
	img, err := Build(Spec{
		Name:  "ociimage-test",
		Files: []File{{Path: "/hello", Content: []byte("hi")}},
		Env:   []string{"PATH=/bin"},
		Arch:  "arm64",
	})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"PATH=/bin"}, cf.Config.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if cf.Architecture != "arm64" || cf.Config.User != "" || cf.Config.WorkingDir != "/" {
		t.Errorf("arch %q user %q workdir %q, want arm64, root, /", cf.Architecture, cf.Config.User, cf.Config.WorkingDir)
	}
	for _, e := range layerEntries(t, img) {
		if strings.HasPrefix(e.Name, "etc/ssl") {
			t.Errorf("unexpected %s without a CA bundle", e.Name)
		}
		if e.Name == "hello" && e.Mode != 0o644 {
			t.Errorf("hello: mode %o, want 644", e.Mode)
		}
	}
	mt, err := img.MediaType()
	if err != nil || mt != types.OCIManifestSchema1 {
		t.Errorf("media type %q (%v), want %q", mt, err, types.OCIManifestSchema1)
	}
}

func TestBuildDeterministic(t *testing.T) {
	spec := testSpec(t)
	digest := func(s Spec) v1.Hash {
		t.Helper()
		img, err := Build(s)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first, second := digest(spec), digest(spec)
	if first != second {
		t.Errorf("two builds of the same spec: %v and %v", first, second)
	}
	// Files in another order give the same layer.
	reordered := spec
	reordered.Files = []File{spec.Files[1], spec.Files[0]}
	if d := digest(reordered); d != first {
		t.Errorf("reordered files: %v, want %v", d, first)
	}
	// And the digest does depend on the inputs.
	changed := spec
	changed.User = "0:0"
	if d := digest(changed); d == first {
		t.Errorf("another user gave the same digest %v", d)
	}
	if err := os.WriteFile(spec.Files[0].Source, []byte("#!other binary\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if d := digest(spec); d == first {
		t.Errorf("another binary gave the same digest %v", d)
	}
}

func TestBuildErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"bad name", Spec{Name: "UPPER:case:x"}, "parsing image name"},
		{"relative path", Spec{Name: "x", Files: []File{{Path: "manager"}}}, "must be absolute"},
		{"unclean path", Spec{Name: "x", Files: []File{{Path: "/a/../manager"}}}, "must be absolute"},
		{"twice", Spec{Name: "x", Files: []File{{Path: "/a"}, {Path: "/a"}}}, "given twice"},
		{"base file", Spec{Name: "x", Files: []File{{Path: "/etc/passwd"}}}, "part of the base image"},
		{"under a file", Spec{Name: "x", Files: []File{{Path: "/a"}, {Path: "/a/b"}}}, "parent /a is a file"},
		{"octal sticky", Spec{Name: "x", Files: []File{{Path: "/a", Mode: 0o1755}}}, "bits other than"},
		{"directory mode", Spec{Name: "x", Files: []File{{Path: "/a", Mode: fs.ModeDir | 0o755}}}, "bits other than"},
		{"missing source", Spec{Name: "x", Files: []File{{Path: "/a", Source: missing}}}, "no such file"},
		{"missing CA bundle", Spec{Name: "x", CABundle: missing}, "adding the CA bundle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestWriteArchiveSeveralImages(t *testing.T) {
	var images []Image
	for _, n := range []string{"localhost/one:dev", "localhost/two:dev"} {
		img, err := Build(Spec{Name: n, Labels: map[string]string{"name": n}})
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, img)
	}
	archive := filepath.Join(t.TempDir(), "images.tar")
	if err := WriteArchive(archive, images...); err != nil {
		t.Fatal(err)
	}
	for _, img := range images {
		tag := img.Ref.(name.Tag)
		got, err := tarball.ImageFromPath(archive, &tag)
		if err != nil {
			t.Fatalf("reading %s back: %v", tag, err)
		}
		cf, err := got.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.Labels["name"] != tag.String() {
			t.Errorf("%s: label name %q", tag, cf.Config.Labels["name"])
		}
	}
	if err := WriteArchive(archive, images[0], images[0]); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("same image twice: error %v", err)
	}
	if _, err := os.Stat(archive + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

func TestPush(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	// 127.0.0.1:port: go-containerregistry talks plain HTTP to loopback.
	ref := strings.TrimPrefix(srv.URL, "http://") + "/antrea/ociimage-test:dev"

	img, err := Build(testSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := Push(context.Background(), ref, img); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(r)
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pulled.Digest(); err != nil || got != want {
		t.Errorf("pulled digest %v (%v), pushed %v", got, err, want)
	}
	if diff := cmp.Diff(layerEntries(t, img), layerEntries(t, pulled)); diff != "" {
		t.Errorf("pulled layer (-pushed +pulled):\n%s", diff)
	}

	if err := Push(context.Background(), "bad ref!", img); err == nil {
		t.Errorf("pushing to an invalid reference: no error")
	}
}
