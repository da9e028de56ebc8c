//go:build incluster

// Package incluster runs the operator the way users run it, on a real node
// (test/node): the chart installed with Helm, the operator and the managed
// Prometheus as real pods started by a kubelet from their images, and the
// simulated Antrea rolled out for real by the DaemonSet and Deployment
// controllers. The suite runs in network, mount and PID namespaces of its
// own, and fails if the machine's routes, firewall, mounts, cgroups or
// sysctls differ afterwards.
package incluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/node"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/nodeworld"
)

var (
	world  *node.Node
	images *nodeworld.Images
)

func TestMain(m *testing.M) {
	if !node.Inside() {
		// Binaries and images are built on the machine's side, where the
		// Go module proxy is reachable; the isolated suite imports them.
		dir, err := os.MkdirTemp("", "amo-incluster-images-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		built, err := nodeworld.BuildImages(dir)
		if err != nil {
			_ = os.RemoveAll(dir)
			fmt.Fprintf(os.Stderr, "building the in-cluster images: %v\n", err)
			os.Exit(1)
		}
		_ = os.Setenv(nodeworld.EnvImages, built.Encode())
		code := node.Isolate(m.Run)
		_ = os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestInCluster(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "In cluster, on a real node")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	var err error
	images, err = nodeworld.DecodeImages(os.Getenv(nodeworld.EnvImages))
	Expect(err).NotTo(HaveOccurred())
	Expect(images.PrometheusOperator).NotTo(BeEmpty(), "PROMETHEUS_OPERATOR and PROMETHEUS_CONFIG_RELOADER name prometheus-operator's binaries (make test-incluster builds them with hack/tools.sh)")
	start := time.Now()
	world, err = node.Start(context.Background(), node.Options{
		CRDDirs:    []string{filepath.Join("..", "..", "config", "crd", "bases"), nodeworld.AntreaCRDDir()},
		Images:     images.Archives(),
		PauseImage: images.Pause,
		Progress:   func(s string) { GinkgoWriter.Println("==> " + s) },
	})
	Expect(err).NotTo(HaveOccurred())
	AddReportEntry("node start", fmt.Sprintf("%.1fs: %v", time.Since(start).Seconds(), world.Timings))
})

var _ = AfterSuite(func() {
	world.Stop()
})
