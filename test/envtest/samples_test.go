//go:build envtest

package envtest

import (
	"context"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

var _ = Describe("config/samples", func() {
	It("are accepted by the API server (server-side dry run)", func() {
		files, err := filepath.Glob(filepath.Join("..", "..", "config", "samples", "monitoring_*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())
		for _, f := range files {
			raw, err := os.ReadFile(f)
			Expect(err).NotTo(HaveOccurred())
			var am monitoringv1alpha1.AntreaMonitoring
			Expect(yaml.UnmarshalStrict(raw, &am)).To(Succeed(), f)
			Expect(k8sClient.Create(context.Background(), &am, client.DryRunAll)).To(Succeed(), f)
		}
	})
})
