package render

import (
	"slices"
	"strings"
	"testing"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
)

// CRDs of a release older than a field the operator would write block
// mode PrometheusOperator before anything is applied, naming the CRD, its
// release, the field and the minimum; what the option does not write is
// not held against the release; an unreadable release is not judged.
func TestTooOld(t *testing.T) {
	monitorsAM := &monitoringv1alpha1.AntreaMonitoring{}
	scAM := &monitoringv1alpha1.AntreaMonitoring{}
	scAM.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{UseScrapeConfig: true}
	limited := monitorsAM.DeepCopy()
	limited.Spec.Prometheus.Series.SampleLimit = 5000
	all := func(v string) map[string]string {
		return map[string]string{ServiceMonitorCRD: v, PodMonitorCRD: v, ScrapeConfigCRD: v}
	}
	for _, tc := range []struct {
		name     string
		am       *monitoringv1alpha1.AntreaMonitoring
		versions map[string]string
		want     []string
	}{
		{"the oldest supported", scAM, all(MinimumPrometheusOperator), nil},
		{"monitors on v0.50.0", monitorsAM, all("0.50.0"), nil},
		{"monitors on v0.45.0", monitorsAM, all("0.45.0"), []string{
			"CRD servicemonitors.monitoring.coreos.com is prometheus-operator 0.45.0, and ServiceMonitor spec.endpoints[].authorization needs 0.50.0 or later",
			"CRD podmonitors.monitoring.coreos.com is prometheus-operator 0.45.0, and PodMonitor spec.podMetricsEndpoints[].authorization needs 0.50.0 or later"}},
		{"ScrapeConfig objects on v0.74.0", scAM, all("0.74.0"), []string{
			"CRD scrapeconfigs.monitoring.coreos.com is prometheus-operator 0.74.0, and ScrapeConfig spec.jobName needs 0.75.0 or later"}},
		{"a sample limit on v0.23.0, with the rest too old too", limited, map[string]string{ServiceMonitorCRD: "0.23.0"}, []string{
			"CRD servicemonitors.monitoring.coreos.com is prometheus-operator 0.23.0, and ServiceMonitor spec.sampleLimit needs 0.24.0 or later",
			"CRD servicemonitors.monitoring.coreos.com is prometheus-operator 0.23.0, and ServiceMonitor spec.endpoints[].tlsConfig.ca.configMap needs 0.35.0 or later",
			"CRD servicemonitors.monitoring.coreos.com is prometheus-operator 0.23.0, and ServiceMonitor spec.endpoints[].authorization needs 0.50.0 or later"}},
		{"no release said", monitorsAM, map[string]string{ServiceMonitorCRD: "", PodMonitorCRD: "main"}, nil},
	} {
		if got := TooOld(tc.am, tc.versions); !slices.Equal(got, tc.want) {
			t.Errorf("%s: TooOld() =\n%s\nwant\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}

	cluster := &observed.Cluster{Namespaces: map[string]*corev1.Namespace{"kps": {ObjectMeta: metav1.ObjectMeta{Name: "kps"}}}}
	cluster.PrometheusOperator.Served = true
	cluster.PrometheusOperator.Versions = all("0.45.0")
	cluster.PrometheusOperator.Prometheuses = []promv1.Prometheus{{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "kps"}}}
	_, v := Modes[monitoringv1alpha1.ModePrometheusOperator].Plan(monitorsAM, cluster)
	if v == nil || v.Reason != monitoringv1alpha1.ReasonPrometheusOperatorTooOld || !strings.Contains(v.Message, "the oldest supported is v0.75.0); nothing was applied") {
		t.Errorf("Plan on v0.45.0 CRDs: %+v, want blocked with PrometheusOperatorTooOld", v)
	}
}
