//go:build envtest

package envtest

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// The admission tests build objects in two ways: typed (through
// monitoring(...), as a Go client sends them) and raw (the JSON a kubectl
// user can write, which the typed client cannot: an absent spec, an integer
// quantity, an explicitly empty string where the Go field is omitempty).

// typedAM is an AntreaMonitoring named name, in the suite's usual shape,
// changed by mutate.
func typedAM(name string, mutate func(*monitoringv1alpha1.AntreaMonitoring)) client.Object {
	return monitoring(name, "kube-system", mutate)
}

// invalidAM is a typed object under the name the refused objects use.
func invalidAM(mutate func(*monitoringv1alpha1.AntreaMonitoring)) client.Object {
	return typedAM("invalid-input", mutate)
}

// rawAM is an AntreaMonitoring named name with spec as written (nil: no spec
// at all).
func rawAM(name string, spec map[string]any) client.Object {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": monitoringv1alpha1.GroupVersion.String(),
		"kind":       "AntreaMonitoring",
		"metadata":   map[string]any{"name": name},
	}}
	if spec != nil {
		u.Object["spec"] = spec
	}
	return u
}

// rawInvalidAM is a raw object under the name the refused objects use, with
// the health check off as in monitoring(...).
func rawInvalidAM(spec map[string]any) client.Object {
	spec["healthCheck"] = map[string]any{"enabled": false}
	return rawAM("invalid-input", spec)
}

func withManaged(m monitoringv1alpha1.ManagedPrometheus) func(*monitoringv1alpha1.AntreaMonitoring) {
	return func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Prometheus.Managed = &m }
}

func withStorage(size string) func(*monitoringv1alpha1.AntreaMonitoring) {
	return withManaged(monitoringv1alpha1.ManagedPrometheus{Storage: &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse(size)}})
}

func withScrapeInterval(d string) func(*monitoringv1alpha1.AntreaMonitoring) {
	return func(am *monitoringv1alpha1.AntreaMonitoring) {
		am.Spec.Prometheus.ScrapeInterval = monitoringv1alpha1.Duration(d)
	}
}

func withHealthInterval(d string) func(*monitoringv1alpha1.AntreaMonitoring) {
	return func(am *monitoringv1alpha1.AntreaMonitoring) {
		am.Spec.HealthCheck.Interval = monitoringv1alpha1.Duration(d)
	}
}

func withRetention(d string) func(*monitoringv1alpha1.AntreaMonitoring) {
	return withManaged(monitoringv1alpha1.ManagedPrometheus{Retention: monitoringv1alpha1.Duration(d)})
}

func withImage(ref string) func(*monitoringv1alpha1.AntreaMonitoring) {
	return withManaged(monitoringv1alpha1.ManagedPrometheus{Image: ref})
}

func withResources(r corev1.ResourceRequirements) func(*monitoringv1alpha1.AntreaMonitoring) {
	return withManaged(monitoringv1alpha1.ManagedPrometheus{Resources: &r})
}

func withScrapeConfig(ns string, sa monitoringv1alpha1.ObjectReference) func(*monitoringv1alpha1.AntreaMonitoring) {
	return func(am *monitoringv1alpha1.AntreaMonitoring) {
		am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeScrapeConfig
		am.Spec.Prometheus.ScrapeConfig = &monitoringv1alpha1.ScrapeConfigTarget{Namespace: ns, ServiceAccount: sa}
	}
}

func withPrometheusRef(ref monitoringv1alpha1.ObjectReference) func(*monitoringv1alpha1.AntreaMonitoring) {
	return func(am *monitoringv1alpha1.AntreaMonitoring) {
		am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{Prometheus: &ref}
	}
}

func withURL(u string) func(*monitoringv1alpha1.AntreaMonitoring) {
	return func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Prometheus.URL = u }
}

func namedAM(name string) client.Object { return monitoring(name, "kube-system") }

// testDigest is a digest of the right shape.
var testDigest = "sha256:" + strings.Repeat("0123456789abcdef", 4)

// The messages of the API's rules, as a person reads them.
const (
	msgName           = "metadata.name must be at most 52 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (the operator derives <name>-prometheus from it), for example antrea"
	msgScrapeInterval = "spec.prometheus.scrapeInterval must be a duration from 1s to 1h in units h, m, s and ms, for example 30s or 1m30s"
	msgHealthInterval = "spec.healthCheck.interval must be a duration from 5s to 1h in units h, m, s and ms, for example 30s or 2m"
	msgRetention      = "spec.prometheus.managed.retention must be a duration from 2h to 100y in units y, w, d, h, m, s and ms, for example 15d or 1y"
	msgImage          = "spec.prometheus.managed.image must be an image reference [registry[:port]/]path[:tag][@digest] without spaces, for example quay.io/prometheus/prometheus:v2.46.0"
	msgSize           = "spec.prometheus.managed.storage.size must be a quantity greater than zero, for example 20Gi"
	msgLimits         = "spec.prometheus.managed.resources.limits must not be negative, for example {memory: 4Gi}"
	msgRequests       = "spec.prometheus.managed.resources.requests must not be negative, for example {cpu: 500m, memory: 2Gi}"
	msgClaims         = "spec.prometheus.managed.resources.claims is not supported"
	msgURL            = "spec.prometheus.url must be an http or https URL with a host, for example http://prometheus.monitoring.svc:9090"
)

// shouldMatch is the API server's message for a value its pattern refuses.
func shouldMatch(field string) string { return field + " in body should match" }

// atLeastOneChar is the API server's message for an empty required string.
func atLeastOneChar(field string) string { return field + " in body should be at least 1 chars long" }

// tooLong is the API server's message for a string over its MaxLength.
func tooLong(field string, n int) string {
	return fmt.Sprintf("%s: Too long: may not be more than %d", field, n)
}

var _ = Describe("AntreaMonitoring admission", func() {
	ctx := context.Background()

	DescribeTable("refuses invalid objects with a message that names the field",
		func(obj client.Object, want string) {
			err := k8sClient.Create(ctx, obj)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
			Expect(err.Error()).To(ContainSubstring(want))
			// A rule that fails to evaluate shows CEL's error, not its message.
			Expect(err.Error()).NotTo(ContainSubstring("evaluating rule"))
		},

		// metadata.name: <name>-prometheus names a Service, a DNS-1035 label of at most 63.
		Entry("name with a dot", namedAM("antrea.monitoring"), msgName),
		Entry("name of 70 characters", namedAM(strings.Repeat("a", 70)), msgName),
		Entry("name of 53 characters", namedAM(strings.Repeat("a", 53)), msgName),
		Entry("name starting with a digit", namedAM("1antrea"), msgName),

		// spec.antrea
		Entry("Antrea namespace not a DNS label", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Antrea.Namespace = "Kube_System" }),
			`spec.antrea.namespace: Invalid value: "Kube_System": spec.antrea.namespace in body should match`),
		Entry("Antrea namespace of 64 characters", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Antrea.Namespace = strings.Repeat("a", 64) }),
			tooLong("spec.antrea.namespace", 63)),
		Entry("ConfigMap name not a DNS subdomain", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Antrea.ConfigMapName = "antrea config" }),
			shouldMatch("spec.antrea.configMapName")),
		Entry("ConfigMap name of 254 characters", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Antrea.ConfigMapName = strings.Repeat("a", 254) }),
			tooLong("spec.antrea.configMapName", 253)),

		// spec.prometheus.mode and the settings of each mode
		Entry("unknown mode", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Prometheus.Mode = "Thanos" }),
			`spec.prometheus.mode: Unsupported value: "Thanos": supported values: "Auto", "Managed", "ScrapeConfig", "PrometheusOperator"`),
		Entry("managed settings under mode ScrapeConfig", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			withScrapeConfig("p", monitoringv1alpha1.ObjectReference{Namespace: "p", Name: "p"})(am)
			am.Spec.Prometheus.Managed = &monitoringv1alpha1.ManagedPrometheus{}
		}), "spec.prometheus.managed applies to mode Managed (or Auto) only"),
		Entry("scrapeConfig settings under mode Managed", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			withScrapeConfig("p", monitoringv1alpha1.ObjectReference{Namespace: "p", Name: "p"})(am)
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeManaged
		}), "spec.prometheus.scrapeConfig applies to mode ScrapeConfig only"),
		Entry("prometheusOperator settings under mode Managed", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeManaged
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{}
		}), "spec.prometheus.prometheusOperator applies to mode PrometheusOperator (or Auto) only"),
		Entry("both a Prometheus and a PrometheusAgent to serve", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModePrometheusOperator
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{
				Prometheus:      &monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "k8s"},
				PrometheusAgent: &monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "agent"}}
		}), "spec.prometheus.prometheusOperator: set prometheus or prometheusAgent, not both"),
		Entry("mode ScrapeConfig without its settings", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeScrapeConfig
		}), "mode ScrapeConfig needs spec.prometheus.scrapeConfig"),

		// spec.prometheus.scrapeInterval: 1s to 1h, units h, m, s, ms
		Entry("scrape interval in words", invalidAM(withScrapeInterval("30 seconds")), msgScrapeInterval),
		Entry("scrape interval 0s", invalidAM(withScrapeInterval("0s")), msgScrapeInterval),
		Entry("scrape interval 1ms", invalidAM(withScrapeInterval("1ms")), msgScrapeInterval),
		Entry("scrape interval 999ms, just under 1s", invalidAM(withScrapeInterval("999ms")), msgScrapeInterval),
		Entry("scrape interval 1h1s, just over 1h", invalidAM(withScrapeInterval("1h1s")), msgScrapeInterval),
		Entry("scrape interval 1h0m0s1ms, a millisecond over 1h", invalidAM(withScrapeInterval("1h0m0s1ms")), msgScrapeInterval),
		Entry("scrape interval 300y", invalidAM(withScrapeInterval("300y")), msgScrapeInterval),
		Entry("scrape interval 300000y (Prometheus: duration out of range)", invalidAM(withScrapeInterval("300000y")), msgScrapeInterval),
		Entry("scrape interval in days", invalidAM(withScrapeInterval("1d")), msgScrapeInterval),
		Entry("scrape interval with a fraction", invalidAM(withScrapeInterval("1.5m")), msgScrapeInterval),
		Entry("scrape interval with units out of order", invalidAM(withScrapeInterval("30s1m")), msgScrapeInterval),
		Entry("scrape interval without a unit", invalidAM(withScrapeInterval("30")), msgScrapeInterval),
		Entry("scrape interval with a five-digit hour count", invalidAM(withScrapeInterval("10000h")), msgScrapeInterval),
		Entry("scrape interval empty", rawInvalidAM(map[string]any{"prometheus": map[string]any{"scrapeInterval": ""}}), msgScrapeInterval),
		Entry("scrape interval of 33 characters", invalidAM(withScrapeInterval(strings.Repeat("0", 31)+"1s")), tooLong("spec.prometheus.scrapeInterval", 32)),

		// spec.healthCheck.interval: 5s to 1h, units h, m, s, ms
		Entry("health interval 0s", invalidAM(withHealthInterval("0s")), msgHealthInterval),
		Entry("health interval 1ms", invalidAM(withHealthInterval("1ms")), msgHealthInterval),
		Entry("health interval 4s", invalidAM(withHealthInterval("4s")), msgHealthInterval),
		Entry("health interval 4s999ms, just under 5s", invalidAM(withHealthInterval("4s999ms")), msgHealthInterval),
		Entry("health interval 1h1s, just over 1h", invalidAM(withHealthInterval("1h1s")), msgHealthInterval),
		Entry("health interval 300y (overflowed the operator's parser)", invalidAM(withHealthInterval("300y")), msgHealthInterval),
		Entry("health interval 300000y", invalidAM(withHealthInterval("300000y")), msgHealthInterval),
		Entry("health interval in days", invalidAM(withHealthInterval("1d")), msgHealthInterval),
		Entry("health interval garbage", invalidAM(withHealthInterval("garbage")), msgHealthInterval),

		// spec.prometheus.managed.retention: 2h to 100y, units y, w, d, h, m, s, ms
		Entry("retention in words", invalidAM(withRetention("1 month")), msgRetention),
		Entry("retention 0s", invalidAM(withRetention("0s")), msgRetention),
		Entry("retention 1h", invalidAM(withRetention("1h")), msgRetention),
		Entry("retention 1h59m59s999ms, just under 2h", invalidAM(withRetention("1h59m59s999ms")), msgRetention),
		Entry("retention 100y1ms, just over 100y", invalidAM(withRetention("100y1ms")), msgRetention),
		Entry("retention 5215w, just over 100y", invalidAM(withRetention("5215w")), msgRetention),
		Entry("retention 300y (Prometheus: duration out of range)", invalidAM(withRetention("300y")), msgRetention),
		Entry("retention 300000y", invalidAM(withRetention("300000y")), msgRetention),
		Entry("retention with a fraction", invalidAM(withRetention("1.5d")), msgRetention),
		Entry("retention with units out of order", invalidAM(withRetention("1d1w")), msgRetention),
		Entry("retention with a unit twice", invalidAM(withRetention("1d1d")), msgRetention),
		Entry("retention without a unit", invalidAM(withRetention("15")), msgRetention),
		Entry("retention in months", invalidAM(withRetention("5M")), msgRetention),
		Entry("retention empty", rawInvalidAM(map[string]any{"prometheus": map[string]any{"managed": map[string]any{"retention": ""}}}), msgRetention),

		// spec.prometheus.managed.image: [registry[:port]/]path[:tag][@digest]
		Entry("image with a space", invalidAM(withImage("quay.io/prometheus/prometheus: v2.46.0")), msgImage),
		Entry("image with a leading space", invalidAM(withImage(" quay.io/prometheus/prometheus:v2.46.0")), msgImage),
		Entry("image with an upper-case path", invalidAM(withImage("quay.io/Prometheus/prometheus:v2.46.0")), msgImage),
		Entry("image with an empty tag", invalidAM(withImage("quay.io/prometheus/prometheus:")), msgImage),
		Entry("image with a short digest", invalidAM(withImage("quay.io/prometheus/prometheus@sha256:abc")), msgImage),
		Entry("image as a URL", invalidAM(withImage("https://quay.io/prometheus/prometheus")), msgImage),
		Entry("image empty", rawInvalidAM(map[string]any{"prometheus": map[string]any{"managed": map[string]any{"image": ""}}}),
			atLeastOneChar("spec.prometheus.managed.image")),
		Entry("image of 513 characters", invalidAM(withImage("quay.io/"+strings.Repeat("a", 505))), tooLong("spec.prometheus.managed.image", 512)),

		// spec.prometheus.managed.namespace
		Entry("managed namespace Bad_NS", invalidAM(withManaged(monitoringv1alpha1.ManagedPrometheus{Namespace: "Bad_NS"})),
			shouldMatch("spec.prometheus.managed.namespace")),
		Entry("managed namespace of 64 characters", invalidAM(withManaged(monitoringv1alpha1.ManagedPrometheus{Namespace: strings.Repeat("a", 64)})),
			tooLong("spec.prometheus.managed.namespace", 63)),

		// spec.prometheus.managed.storage
		Entry("storage size 0", invalidAM(withStorage("0")), msgSize),
		Entry("storage size -5Gi", invalidAM(withStorage("-5Gi")), msgSize),
		Entry("storage size as the integer 0", rawInvalidAM(map[string]any{"prometheus": map[string]any{"managed": map[string]any{"storage": map[string]any{"size": 0}}}}), msgSize),
		Entry("storage size as the integer -5", rawInvalidAM(map[string]any{"prometheus": map[string]any{"managed": map[string]any{"storage": map[string]any{"size": -5}}}}), msgSize),
		Entry("storage size not a quantity", rawInvalidAM(map[string]any{"prometheus": map[string]any{"managed": map[string]any{"storage": map[string]any{"size": "20 GB"}}}}), msgSize),
		Entry("storage without a size", rawInvalidAM(map[string]any{"prometheus": map[string]any{"managed": map[string]any{"storage": map[string]any{}}}}),
			"spec.prometheus.managed.storage.size: Required value"),
		Entry("storage class Fast_SSD!", invalidAM(withManaged(monitoringv1alpha1.ManagedPrometheus{Storage: &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse("1Gi"), StorageClassName: "Fast_SSD!"}})),
			shouldMatch("spec.prometheus.managed.storage.storageClassName")),
		Entry("storage class with a space", invalidAM(withManaged(monitoringv1alpha1.ManagedPrometheus{Storage: &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse("1Gi"), StorageClassName: "fast ssd"}})),
			shouldMatch("spec.prometheus.managed.storage.storageClassName")),
		Entry("storage class of 254 characters", invalidAM(withManaged(monitoringv1alpha1.ManagedPrometheus{Storage: &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse("1Gi"), StorageClassName: strings.Repeat("a", 254)}})),
			tooLong("spec.prometheus.managed.storage.storageClassName", 253)),

		// spec.prometheus.managed.resources
		Entry("negative CPU limit", invalidAM(withResources(corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("-1")}})), msgLimits),
		Entry("negative memory limit", invalidAM(withResources(corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("-5Gi")}})), msgLimits),
		Entry("negative memory request", invalidAM(withResources(corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("-1Mi")}})), msgRequests),
		Entry("negative CPU limit as an integer", rawInvalidAM(map[string]any{"prometheus": map[string]any{"managed": map[string]any{"resources": map[string]any{"limits": map[string]any{"cpu": -1}}}}}), msgLimits),
		Entry("resource claims", invalidAM(withResources(corev1.ResourceRequirements{Claims: []corev1.ResourceClaim{{Name: "gpu"}}})), msgClaims),

		// spec.prometheus.scrapeConfig
		Entry("scrapeConfig namespace Bad_NS", invalidAM(withScrapeConfig("Bad_NS", monitoringv1alpha1.ObjectReference{Namespace: "p", Name: "p"})),
			shouldMatch("spec.prometheus.scrapeConfig.namespace")),
		Entry("scrapeConfig namespace empty", invalidAM(withScrapeConfig("", monitoringv1alpha1.ObjectReference{Namespace: "p", Name: "p"})),
			shouldMatch("spec.prometheus.scrapeConfig.namespace")),
		Entry("ServiceAccount name empty", invalidAM(withScrapeConfig("p", monitoringv1alpha1.ObjectReference{Namespace: "p", Name: ""})),
			atLeastOneChar("spec.prometheus.scrapeConfig.serviceAccount.name")),
		Entry("ServiceAccount namespace empty", invalidAM(withScrapeConfig("p", monitoringv1alpha1.ObjectReference{Namespace: "", Name: "p"})),
			atLeastOneChar("spec.prometheus.scrapeConfig.serviceAccount.namespace")),
		Entry("ServiceAccount namespace Bad_NS", invalidAM(withScrapeConfig("p", monitoringv1alpha1.ObjectReference{Namespace: "Bad_NS", Name: "p"})),
			shouldMatch("spec.prometheus.scrapeConfig.serviceAccount.namespace")),
		Entry("ServiceAccount namespace with a dot (a subdomain, not a label)", invalidAM(withScrapeConfig("p", monitoringv1alpha1.ObjectReference{Namespace: "prometheus.server", Name: "p"})),
			shouldMatch("spec.prometheus.scrapeConfig.serviceAccount.namespace")),
		Entry("ServiceAccount name with spaces", invalidAM(withScrapeConfig("p", monitoringv1alpha1.ObjectReference{Namespace: "p", Name: "Prometheus Server"})),
			shouldMatch("spec.prometheus.scrapeConfig.serviceAccount.name")),
		Entry("ServiceAccount name of 254 characters", invalidAM(withScrapeConfig("p", monitoringv1alpha1.ObjectReference{Namespace: "p", Name: strings.Repeat("a", 254)})),
			tooLong("spec.prometheus.scrapeConfig.serviceAccount.name", 253)),
		Entry("ServiceAccount namespace of 64 characters", invalidAM(withScrapeConfig("p", monitoringv1alpha1.ObjectReference{Namespace: strings.Repeat("a", 64), Name: "p"})),
			tooLong("spec.prometheus.scrapeConfig.serviceAccount.namespace", 63)),

		// spec.prometheus.prometheusOperator
		Entry("Prometheus reference name Not A Name", invalidAM(withPrometheusRef(monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "Not A Name"})),
			shouldMatch("spec.prometheus.prometheusOperator.prometheus.name")),
		Entry("Prometheus reference namespace Bad_NS", invalidAM(withPrometheusRef(monitoringv1alpha1.ObjectReference{Namespace: "Bad_NS", Name: "k8s"})),
			shouldMatch("spec.prometheus.prometheusOperator.prometheus.namespace")),
		Entry("Prometheus reference name empty", invalidAM(withPrometheusRef(monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: ""})),
			atLeastOneChar("spec.prometheus.prometheusOperator.prometheus.name")),
		Entry("monitors namespace Bad_NS", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{Namespace: "Bad_NS"}
		}), shouldMatch("spec.prometheus.prometheusOperator.namespace")),
		Entry("invalid label key", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{Labels: map[string]monitoringv1alpha1.LabelValue{"not a key": "x"}}
		}), "every key must be a valid label key"),
		Entry("invalid label value", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{Labels: map[string]monitoringv1alpha1.LabelValue{"release": "kube prometheus"}}
		}), shouldMatch("spec.prometheus.prometheusOperator.labels.release")),
		Entry("label value of 64 characters", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{Labels: map[string]monitoringv1alpha1.LabelValue{"release": monitoringv1alpha1.LabelValue(strings.Repeat("a", 64))}}
		}), tooLong("spec.prometheus.prometheusOperator.labels.release", 63)),
		Entry("17 labels", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			labels := map[string]monitoringv1alpha1.LabelValue{}
			for i := range 17 {
				labels[fmt.Sprintf("l%d", i)] = "x"
			}
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{Labels: labels}
		}), "spec.prometheus.prometheusOperator.labels: Too many: 17: must have at most 16 items"),

		// spec.prometheus.url
		Entry("URL without a scheme", invalidAM(withURL("prometheus.monitoring.svc:9090")), shouldMatch("spec.prometheus.url")),
		Entry("URL with a space", invalidAM(withURL("http://prometheus monitoring:9090")), shouldMatch("spec.prometheus.url")),
		Entry("URL with scheme ftp", invalidAM(withURL("ftp://prometheus.monitoring.svc")), shouldMatch("spec.prometheus.url")),
		Entry("URL that does not parse", invalidAM(withURL("http://[::1")), msgURL),
		Entry("URL of 2049 characters", invalidAM(withURL("http://p/"+strings.Repeat("a", 2040))), tooLong("spec.prometheus.url", 2048)),

		// spec.prometheus.series
		Entry("series profile Minimal", rawInvalidAM(map[string]any{"prometheus": map[string]any{"series": map[string]any{"profile": "Minimal"}}}),
			`spec.prometheus.series.profile: Unsupported value: "Minimal": supported values: "Essential", "All"`),
		Entry("series keep of a name with a dash", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Series.Keep = []monitoringv1alpha1.MetricName{"workqueue-depth"}
		}), shouldMatch("spec.prometheus.series.keep[0]")),
		Entry("series drop of a regular expression", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Series.Drop = []monitoringv1alpha1.MetricName{"go_.*"}
		}), shouldMatch("spec.prometheus.series.drop[0]")),
		Entry("series sampleLimit -1", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Prometheus.Series.SampleLimit = -1 }),
			"spec.prometheus.series.sampleLimit in body should be greater than or equal to 0"),

		// spec.dashboard
		Entry("dashboard namespace Bad_NS", invalidAM(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Dashboard.Namespace = "Bad_NS" }),
			shouldMatch("spec.dashboard.namespace")),
	)

	DescribeTable("admits the valid edge cases",
		func(obj client.Object) {
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			deleteAndWaitGone(ctx, obj.GetName())
		},
		Entry("spec: {}", rawAM("admitted", map[string]any{})),
		Entry("no spec at all", rawAM("admitted", nil)),
		Entry("a name of one letter", namedAM("a")),
		Entry("a name of 52 characters", namedAM("a"+strings.Repeat("0", 51))),
		Entry("scrape interval 1s", typedAM("admitted", withScrapeInterval("1s"))),
		Entry("scrape interval 1000ms", typedAM("admitted", withScrapeInterval("1000ms"))),
		Entry("scrape interval 1h", typedAM("admitted", withScrapeInterval("1h"))),
		Entry("scrape interval 59m59s999ms", typedAM("admitted", withScrapeInterval("59m59s999ms"))),
		Entry("health interval 5s", typedAM("admitted", withHealthInterval("5s"))),
		Entry("health interval 1h", typedAM("admitted", withHealthInterval("1h"))),
		Entry("health interval 3600s", typedAM("admitted", withHealthInterval("3600s"))),
		Entry("retention 2h", typedAM("admitted", withRetention("2h"))),
		Entry("series All with keep, drop and a sample limit", typedAM("admitted", func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Series = monitoringv1alpha1.SeriesSpec{Profile: monitoringv1alpha1.SeriesAll, Keep: []monitoringv1alpha1.MetricName{"workqueue_depth"},
				Drop: []monitoringv1alpha1.MetricName{"go_gc_duration_seconds", "apiserver:request:rate5m"}, SampleLimit: 10000000}
		})),
		Entry("retention 120m", typedAM("admitted", withRetention("120m"))),
		Entry("retention 100y", typedAM("admitted", withRetention("100y"))),
		Entry("retention 5214w", typedAM("admitted", withRetention("5214w"))),
		Entry("retention 3153600000000ms (100y)", typedAM("admitted", withRetention("3153600000000ms"))),
		Entry("retention with every unit", typedAM("admitted", withRetention("1y2w3d4h5m6s7ms"))),
		Entry("storage size 1", typedAM("admitted", withStorage("1"))),
		Entry("storage size as the integer 1", rawAM("admitted", map[string]any{"prometheus": map[string]any{"managed": map[string]any{"storage": map[string]any{"size": 1}}}})),
		Entry("storage class a DNS subdomain", typedAM("admitted", withManaged(monitoringv1alpha1.ManagedPrometheus{Storage: &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse("20Gi"), StorageClassName: "fast-ssd.example.com"}}))),
		Entry("zero resources", typedAM("admitted", withResources(corev1.ResourceRequirements{
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("0")},
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0")},
		}))),
		Entry("image with a registry port, a tag and a digest", typedAM("admitted", withImage("registry.example.com:5000/team/prometheus:v3.16.0@"+testDigest))),
		Entry("image with a digest only", typedAM("admitted", withImage("quay.io/prometheus/prometheus@"+testDigest))),
		Entry("image without a registry or tag", typedAM("admitted", withImage("prometheus"))),
		Entry("references at their longest", typedAM("admitted", withScrapeConfig(strings.Repeat("n", 63), monitoringv1alpha1.ObjectReference{
			Namespace: strings.Repeat("n", 63), Name: strings.Repeat(strings.Repeat("s", 63)+".", 3) + strings.Repeat("s", 61),
		}))),
		Entry("Prometheus reference with a dotted name", typedAM("admitted", withPrometheusRef(monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "kube-prometheus.stack"}))),
		Entry("URL with a port", typedAM("admitted", withURL("http://prometheus.monitoring.svc:9090"))),
		Entry("URL with an IP and a path", typedAM("admitted", withURL("https://10.0.0.1/prometheus"))),
	)

	// Every candidate is dry-run created in each duration field, and the API
	// server's verdict must be Prometheus's (model.ParseDuration, through
	// Duration.Duration) within that field's bounds.
	It("admits exactly the durations Prometheus accepts within each field's bounds", func() {
		var candidates []string
		for _, n := range []string{"0", "1", "4", "5", "30", "59", "60", "90", "99", "100", "101", "119", "120", "999", "1000", "3599", "3600", "3601", "4999", "5000", "7199", "7200", "36500", "5214", "5215", "876000", "3153600000000"} {
			for _, u := range []string{"y", "w", "d", "h", "m", "s", "ms"} {
				candidates = append(candidates, n+u)
			}
		}
		candidates = append(candidates, "0", "1h0m0s", "59m60s", "4s999ms", "4s1000ms", "1h1ms", "59m59s999ms", "1h59m59s999ms", "1h60m",
			"99y52w0d", "99y52w1d", "100y0ms", "1s1m", "1s1s", "1h1h", "0d30s", "1.5s", "1e3ms", "+5s", "-5s", "30 s", "")

		type field struct {
			name   string
			set    func(string) func(*monitoringv1alpha1.AntreaMonitoring)
			lo, hi time.Duration
			others string // the units Prometheus knows that the field does not take
		}
		fields := []field{
			{"spec.prometheus.scrapeInterval", withScrapeInterval, monitoringv1alpha1.MinScrapeInterval, monitoringv1alpha1.MaxScrapeInterval, "ywd"},
			{"spec.healthCheck.interval", withHealthInterval, monitoringv1alpha1.MinHealthCheckInterval, monitoringv1alpha1.MaxHealthCheckInterval, "ywd"},
			{"spec.prometheus.managed.retention", withRetention, monitoringv1alpha1.MinRetention, monitoringv1alpha1.MaxRetention, ""},
		}
		admittedN, refusedN := 0, 0
		for _, f := range fields {
			for _, c := range candidates {
				d, err := monitoringv1alpha1.Duration(c).Duration()
				want := err == nil && d >= f.lo && d <= f.hi && !strings.ContainsAny(c, f.others)
				obj := typedAM("duration-sweep", f.set(c))
				if c == "" { // omitempty would drop it: send it explicitly
					u := rawAM("duration-sweep", map[string]any{"healthCheck": map[string]any{"enabled": false}}).(*unstructured.Unstructured)
					Expect(unstructured.SetNestedField(u.Object, "", strings.Split(f.name, ".")...)).To(Succeed())
					obj = u
				}
				err = k8sClient.Create(ctx, obj, client.DryRunAll)
				if want {
					Expect(err).NotTo(HaveOccurred(), "%s: %q is %v for Prometheus, within [%v, %v]", f.name, c, d, f.lo, f.hi)
					admittedN++
					continue
				}
				Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%s: %q (Prometheus: %v, %v) was not refused: %v", f.name, c, d, err, err)
				Expect(err.Error()).To(ContainSubstring(f.name), "%s: %q", f.name, c)
				Expect(err.Error()).NotTo(ContainSubstring("evaluating rule"), "%s: %q", f.name, c)
				refusedN++
			}
		}
		AddReportEntry("duration sweep", fmt.Sprintf("%d admitted, %d refused", admittedN, refusedN))
		Expect(admittedN).To(BeNumerically(">", 30))
		Expect(refusedN).To(BeNumerically(">", 100))
	})

	It("applies the defaults", func() {
		am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "defaults"}}
		Expect(k8sClient.Create(ctx, am)).To(Succeed())
		Expect(am.Spec.Antrea.Namespace).To(Equal("kube-system"))
		Expect(am.Spec.Antrea.EnableMetrics).To(Equal(ptr.To(true)))
		Expect(am.Spec.Antrea.RestartOnChange).To(Equal(ptr.To(true)))
		Expect(am.Spec.Prometheus.Mode).To(Equal(monitoringv1alpha1.ModeAuto))
		Expect(am.Spec.Prometheus.ScrapeInterval).To(Equal(monitoringv1alpha1.Duration("30s")))
		Expect(am.Spec.HealthCheck.Interval).To(Equal(monitoringv1alpha1.Duration("30s")))
		Expect(am.Spec.HealthCheck.IntervalDuration()).To(Equal(monitoringv1alpha1.DefaultHealthCheckInterval))

		By("refusing a change of the Antrea namespace or ConfigMap with the CEL message")
		// The operator adds its finalizer meanwhile: retry on conflicts only.
		updateErr := func(mutate func(*monitoringv1alpha1.AntreaMonitoring)) func(Gomega) error {
			return func(g Gomega) error {
				am := getAM(g, ctx, "defaults")
				mutate(am)
				err := k8sClient.Update(ctx, am)
				g.Expect(apierrors.IsConflict(err)).To(BeFalse())
				return err
			}
		}
		var err error
		Eventually(func(g Gomega) {
			err = updateErr(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Antrea.Namespace = "antrea" })(g)
		}, timeout, interval).Should(Succeed())
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec.antrea.namespace is immutable: delete this AntreaMonitoring"))
		Eventually(func(g Gomega) {
			err = updateErr(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Antrea.ConfigMapName = "antrea-config-x" })(g)
		}, timeout, interval).Should(Succeed())
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec.antrea.configMapName is immutable"))

		By("refusing an out-of-bounds change on update too")
		Eventually(func(g Gomega) {
			err = updateErr(func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Prometheus.ScrapeInterval = "0s" })(g)
		}, timeout, interval).Should(Succeed())
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring(msgScrapeInterval))
		deleteAndWaitGone(ctx, "defaults")
	})
})
