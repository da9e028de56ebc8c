package promop

import (
	"bytes"
	"compress/gzip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The job names prometheus-operator v0.93 generates (promcfg.go):
// serviceMonitor/<ns>/<name>/<i>, podMonitor/<ns>/<name>/<i> and
// scrapeConfig/<ns>/<name>; another object's job, or one whose name only
// starts the same, is not the object's.
func TestJobOf(t *testing.T) {
	for _, tc := range []struct {
		job, kind, ns, name string
		want                bool
	}{
		{"podMonitor/monitoring/antrea-agents/0", "PodMonitor", "monitoring", "antrea-agents", true},
		{"serviceMonitor/monitoring/antrea-controllers/1", "ServiceMonitor", "monitoring", "antrea-controllers", true},
		{"scrapeConfig/monitoring/antrea-agents", "ScrapeConfig", "monitoring", "antrea-agents", true},
		{"podMonitor/monitoring/antrea-agents-old/0", "PodMonitor", "monitoring", "antrea-agents", false},
		{"scrapeConfig/monitoring/antrea-agents-old", "ScrapeConfig", "monitoring", "antrea-agents", false},
		{"serviceMonitor/monitoring/antrea-agents/0", "PodMonitor", "monitoring", "antrea-agents", false},
		{"podMonitor/other/antrea-agents/0", "PodMonitor", "monitoring", "antrea-agents", false},
		{"antrea-agents", "PrometheusRule", "monitoring", "antrea-agents", false},
	} {
		if got := JobOf(tc.job, tc.kind, tc.ns, tc.name); got != tc.want {
			t.Errorf("JobOf(%q, %s %s/%s) = %v, want %v", tc.job, tc.kind, tc.ns, tc.name, got, tc.want)
		}
	}
}

func TestGeneratedJobs(t *testing.T) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte("global:\n  scrape_interval: 30s\nscrape_configs:\n- job_name: podMonitor/monitoring/antrea-agents/0\n  honor_labels: false\n- job_name: scrapeConfig/monitoring/x\n"))
	_ = w.Close()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "monitoring", Name: Ref{Kind: PrometheusKind, Name: "k8s"}.ConfigSecret()}, Data: map[string][]byte{ConfigSecretKey: gz.Bytes()}}
	jobs, err := GeneratedJobs(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"podMonitor/monitoring/antrea-agents/0", "scrapeConfig/monitoring/x"}; !slices.Equal(jobs, want) {
		t.Errorf("jobs %q, want %q", jobs, want)
	}
	if _, err := GeneratedJobs(&corev1.Secret{ObjectMeta: s.ObjectMeta}); err == nil {
		t.Error("a Secret without prometheus.yaml.gz: no error")
	}
	if _, err := GeneratedJobs(&corev1.Secret{ObjectMeta: s.ObjectMeta, Data: map[string][]byte{ConfigSecretKey: []byte("not gzip")}}); err == nil {
		t.Error("a prometheus.yaml.gz that is not gzip: no error")
	}
}
