// Command image builds the operator's container image without a container
// engine (internal/ociimage): a static binary on what
// gcr.io/distroless/static:nonroot provides, written as a docker-archive
// tarball, and optionally imported into containerd or pushed. `make image`,
// `make image-load` and `make image-push` run it:
//
//	go run ./hack/image -o bin/image/antrea-monitoring-operator.tar \
//	  -name localhost/antrea-monitoring-operator:dev -binary bin/manager-linux \
//	  -path /manager -user 65532:65532 [-load /run/containerd/containerd.sock] [-push REF]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/ociimage"
)

type options struct {
	out, name, binary, path, user, arch, caBundle, load, push string
}

func main() {
	var o options
	flag.StringVar(&o.out, "o", "", "docker-archive tarball to write (required)")
	flag.StringVar(&o.name, "name", "", "image reference the archive tags the image with (required)")
	flag.StringVar(&o.binary, "binary", "", "static linux binary to put in the image (required)")
	flag.StringVar(&o.path, "path", "/manager", "path of the binary in the image, and the entrypoint")
	flag.StringVar(&o.user, "user", "65532:65532", "user the image runs as")
	flag.StringVar(&o.arch, "arch", runtime.GOARCH, "architecture of the binary")
	flag.StringVar(&o.caBundle, "ca-bundle", ociimage.CABundlePath, "CA bundle on this machine to install in the image; empty installs none")
	flag.StringVar(&o.load, "load", "", "containerd socket: import the archive into its k8s.io namespace with ctr")
	flag.StringVar(&o.push, "push", "", "registry reference to push the image to")
	flag.Parse()
	if flag.NArg() != 0 || o.out == "" || o.name == "" || o.binary == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	img, err := ociimage.Build(ociimage.Spec{
		Name:       o.name,
		Files:      []ociimage.File{{Path: o.path, Source: o.binary, Mode: 0o755}},
		Entrypoint: []string{o.path},
		User:       o.user,
		CABundle:   o.caBundle,
		Arch:       o.arch,
	})
	if err != nil {
		return err
	}
	if err := ociimage.WriteArchive(o.out, img); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	configDigest, err := img.ConfigName()
	if err != nil {
		return err
	}
	st, err := os.Stat(o.out)
	if err != nil {
		return err
	}
	fmt.Printf("Wrote %s: %s (linux/%s, image ID %s, %.1f MiB)\n", o.out, o.name, o.arch, configDigest, float64(st.Size())/(1<<20))

	if o.load != "" {
		if err := load(ctx, o.load, o.out); err != nil {
			return err
		}
		fmt.Printf("Imported %s into containerd %s (namespace k8s.io)\n", o.name, o.load)
	}
	if o.push != "" {
		if err := ociimage.Push(ctx, o.push, img); err != nil {
			return err
		}
		fmt.Printf("Pushed %s@%s\n", o.push, digest)
	}
	return nil
}

// load imports the archive into containerd's k8s.io namespace, where the
// kubelet's CRI looks for images.
func load(ctx context.Context, socket, archive string) error {
	if _, err := exec.LookPath("ctr"); err != nil {
		return errors.New("importing into containerd: ctr not found in PATH (Debian and Ubuntu ship it in the containerd package)")
	}
	cmd := exec.CommandContext(ctx, "ctr", "--address", socket, "-n", "k8s.io", "images", "import", "--all-platforms", archive)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("importing %s into containerd %s: %s: %w", archive, socket, cmd, err)
	}
	return nil
}
