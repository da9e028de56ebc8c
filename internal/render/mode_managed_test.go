package render

import (
	"slices"
	"testing"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// TestPrometheusArgs: a server keeps its TSDB and retention; an agent has
// only its WAL, switched on by the flag of the image's major version.
func TestPrometheusArgs(t *testing.T) {
	for _, tc := range []struct {
		image string
		agent bool
		want  []string
	}{
		{"quay.io/prometheus/prometheus:v2.46.0", false, []string{"--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.time=15d"}},
		{"quay.io/prometheus/prometheus:v2.46.0", true, []string{"--enable-feature=agent", "--storage.agent.path=/prometheus"}},
		{"quay.io/prometheus/prometheus:v3.16.0", true, []string{"--agent", "--storage.agent.path=/prometheus"}},
		{"registry.local:5000/prometheus:2.53.1@sha256:0123456789abcdef0123456789abcdef", true, []string{"--enable-feature=agent", "--storage.agent.path=/prometheus"}},
		{"registry.local:5000/prometheus", true, []string{"--agent", "--storage.agent.path=/prometheus"}},
		{"prom/prometheus:latest", true, []string{"--agent", "--storage.agent.path=/prometheus"}},
	} {
		got := prometheusArgs(monitoringv1alpha1.ManagedPrometheus{Image: tc.image, Agent: tc.agent, Retention: "15d"})
		want := slices.Concat([]string{"--config.file=/etc/prometheus/prometheus.yml"}, tc.want)
		if !slices.Equal(got, want) {
			t.Errorf("%s (agent %v): %q, want %q", tc.image, tc.agent, got, want)
		}
	}
}
