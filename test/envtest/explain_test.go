//go:build envtest

package envtest

import (
	"bytes"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	explainv2 "k8s.io/kubectl/pkg/explain/v2"
)

// kubectl explain, run with kubectl's own code against the real API server's
// OpenAPI v3 document of the CRD: every field documents itself.
var _ = Describe("kubectl explain antreamonitoring", func() {
	gvr := schema.GroupVersionResource{Group: "monitoring.antrea.io", Version: "v1alpha1", Resource: "antreamonitorings"}
	explain := func(path string, recursive bool) string {
		dc, err := discovery.NewDiscoveryClientForConfig(cfg)
		Expect(err).NotTo(HaveOccurred())
		var fields []string
		if path != "" {
			fields = strings.Split(path, ".")
		}
		// The API server publishes a new CRD's OpenAPI v3 document a few
		// seconds after the CRD is installed.
		var out bytes.Buffer
		Eventually(func() error {
			out.Reset()
			return explainv2.PrintModelDescription(fields, &out, dc.OpenAPIV3(), gvr, recursive, 0, "plaintext")
		}, timeout, 200*time.Millisecond).Should(Succeed())
		return out.String()
	}

	It("prints the doc comment of spec.prometheus and of its fields", func() {
		out := explain("spec.prometheus", false)
		Expect(out).To(ContainSubstring("prometheus says which Prometheus setup scrapes Antrea."))
		Expect(out).To(ContainSubstring("mode is the kind of Prometheus setup to serve"))
		Expect(out).To(ContainSubstring("scrapeInterval is how often Prometheus scrapes Antrea"))
		Expect(out).To(MatchRegexp(`(?s)url\s+<string>\s+url is where the operator reaches Prometheus's HTTP API`))
	})

	It("documents every field of the spec", func() {
		out := explain("spec", true)
		for _, field := range []string{"antrea", "namespace", "configMapName", "enableMetrics", "restartOnChange", "prometheus", "mode",
			"scrapeInterval", "managed", "image", "retention", "resources", "storage", "size", "storageClassName", "scrapeConfig",
			"serviceAccount", "prometheusOperator", "labels", "useScrapeConfig", "url", "healthCheck", "enabled", "interval", "alerts", "dashboard"} {
			Expect(out).To(MatchRegexp(`(?m)^\s+`+field+`\s+<`), "field %s is not listed", field)
		}
		// Each field of spec.prometheus.managed has its own description.
		for _, field := range []string{"namespace", "image", "retention", "resources", "storage"} {
			Expect(explain("spec.prometheus.managed."+field, false)).To(MatchRegexp(`(?s)DESCRIPTION:\s+\S`), "spec.prometheus.managed.%s has no description", field)
		}
	})
})
