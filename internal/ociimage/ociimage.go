// Package ociimage builds small static container images without a container
// engine: one layer holding the given files on top of what
// gcr.io/distroless/static:nonroot provides to a static binary (/etc/passwd
// and /etc/group with root, nonroot and nobody, home directories, a sticky
// /tmp and, on request, a CA bundle). Builds are deterministic: fixed
// timestamps, sorted tar entries, root-owned files, so the same inputs give
// the same digest. Images are written as a docker-archive tarball (what
// `docker load` and `ctr images import` read) or pushed to a registry.
package ociimage

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// CABundlePath is where the CA bundle goes in the image, and where Debian
// (and so the machines that build the image) keep theirs.
const CABundlePath = "/etc/ssl/certs/ca-certificates.crt"

// DefaultPath is the PATH of gcr.io/distroless/static.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Epoch is the timestamp of every file, of the layer's history entry and of
// the image config.
var Epoch = time.Unix(0, 0).UTC()

// Spec describes an image.
type Spec struct {
	// Name is the image reference the archive tags the image with, e.g.
	// "localhost/antrea-monitoring-operator:dev".
	Name string
	// Files are added to the image, owned by root.
	Files []File
	// Entrypoint and Args become the config's Entrypoint and Cmd.
	Entrypoint []string
	Args       []string
	// User is the config's User, e.g. "65532:65532"; empty runs as root.
	User string
	// Env entries ("KEY=value") are added to PATH and, with a CA bundle,
	// SSL_CERT_FILE; an entry with the same key replaces those.
	Env []string
	// WorkingDir defaults to "/".
	WorkingDir string
	// Labels are the config's labels.
	Labels map[string]string
	// CABundle is a file on this machine (usually CABundlePath) installed at
	// CABundlePath in the image; empty installs none.
	CABundle string
	// Arch is the image's architecture; empty means runtime.GOARCH. The OS
	// is always linux.
	Arch string
}

// File is a regular file in the image.
type File struct {
	// Path is absolute and clean, e.g. "/manager". Missing parent
	// directories are created with mode 0755.
	Path string
	// Content is the file's content, used when Source is empty.
	Content []byte
	// Source is a file on this machine whose content is read at Build.
	Source string
	// Mode holds permission bits and optionally fs.ModeSetuid, fs.ModeSetgid
	// or fs.ModeSticky. Zero means the Source file's permissions, or 0644
	// for Content.
	Mode os.FileMode
}

// Image is a built image and the reference it is tagged with.
type Image struct {
	Ref name.Reference
	v1.Image
}

// Build builds the image described by s. The layer is built in memory.
func Build(s Spec) (Image, error) {
	ref, err := name.ParseReference(s.Name)
	if err != nil {
		return Image{}, fmt.Errorf("parsing image name %q: %w", s.Name, err)
	}
	entries, err := baseEntries(s.CABundle)
	if err != nil {
		return Image{}, err
	}
	for _, f := range s.Files {
		if err := entries.addFile(f); err != nil {
			return Image{}, err
		}
	}
	var layerTar bytes.Buffer
	if err := entries.writeTar(&layerTar); err != nil {
		return Image{}, fmt.Errorf("writing the layer: %w", err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar.Bytes())), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression), tarball.WithCompressedCaching)
	if err != nil {
		return Image{}, fmt.Errorf("making the layer: %w", err)
	}

	img, err := mutate.ConfigFile(mutate.MediaType(empty.Image, types.OCIManifestSchema1), configFile(s))
	if err != nil {
		return Image{}, fmt.Errorf("setting the image config: %w", err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: Epoch}, CreatedBy: "ociimage"},
	})
	if err != nil {
		return Image{}, fmt.Errorf("adding the layer: %w", err)
	}
	return Image{Ref: ref, Image: img}, nil
}

func configFile(s Spec) *v1.ConfigFile {
	arch := s.Arch
	if arch == "" {
		arch = runtime.GOARCH
	}
	env := []string{"PATH=" + DefaultPath}
	if s.CABundle != "" {
		env = append(env, "SSL_CERT_FILE="+CABundlePath)
	}
	env = mergeEnv(env, s.Env)
	workingDir := s.WorkingDir
	if workingDir == "" {
		workingDir = "/"
	}
	return &v1.ConfigFile{
		Architecture: arch,
		OS:           "linux",
		Created:      v1.Time{Time: Epoch},
		Config: v1.Config{
			User:       s.User,
			Entrypoint: s.Entrypoint,
			Cmd:        s.Args,
			Env:        env,
			WorkingDir: workingDir,
			Labels:     s.Labels,
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
}

// mergeEnv returns base with each entry of extra replacing the base entry of
// the same key, or appended.
func mergeEnv(base, extra []string) []string {
	out := append([]string(nil), base...)
	for _, e := range extra {
		key, _, _ := strings.Cut(e, "=")
		replaced := false
		for i, b := range out {
			if k, _, _ := strings.Cut(b, "="); k == key {
				out[i], replaced = e, true
				break
			}
		}
		if !replaced {
			out = append(out, e)
		}
	}
	return out
}

// WriteArchive writes images to path as one docker-archive tarball, each
// tagged with its Ref. The file appears only once complete.
func WriteArchive(path string, images ...Image) error {
	if len(images) == 0 {
		return errors.New("writing an image archive: no images")
	}
	refs := make(map[name.Reference]v1.Image, len(images))
	seen := make(map[string]bool, len(images))
	for _, img := range images {
		if seen[img.Ref.Name()] {
			return fmt.Errorf("writing an image archive: %s given twice", img.Ref.Name())
		}
		seen[img.Ref.Name()] = true
		refs[img.Ref] = img.Image
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing an image archive: %w", err)
	}
	tmp := path + ".tmp"
	if err := tarball.MultiRefWriteToFile(tmp, refs); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing image archive %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing image archive %s: %w", path, err)
	}
	return nil
}

// Push pushes img to the registry reference ref, authenticating with the
// default keychain (the Docker config and its credential helpers). opts come
// after, so they can replace the authentication or the transport.
func Push(ctx context.Context, ref string, img v1.Image, opts ...remote.Option) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("parsing image reference %q: %w", ref, err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	if err := remote.Write(r, img, opts...); err != nil {
		return fmt.Errorf("pushing image %s: %w", r.Name(), err)
	}
	return nil
}
