package controllers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// BenchmarkHealthCheck is one scrape-health check at fleet sizes: Prometheus
// answering for n agents (all up) and one controller, judged against a
// fleet of n agent pods, then asked for the metric families. It reports the
// check's time and memory per Node.
func BenchmarkHealthCheck(b *testing.B) {
	for _, n := range []int{3, 1000, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			srv := fleetPrometheus(n)
			defer srv.Close()
			am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "a", UID: "u"}}
			am.Spec.Prometheus.URL = srv.URL
			am.Spec.HealthCheck = monitoringv1alpha1.HealthCheckSpec{Enabled: ptr.To(true), Interval: "5m"}
			f := fleet{namespace: "kube-system", running: map[string][]*corev1.Pod{}, desired: map[string]int32{render.ComponentAgent: int32(n), render.ComponentController: 1}}
			for i := range n {
				f.running[render.ComponentAgent] = append(f.running[render.ComponentAgent], runningPod(fmt.Sprintf("antrea-agent-%d", i), fmt.Sprintf("node-%d", i), render.ComponentAgent, nil))
			}
			f.running[render.ComponentController] = []*corev1.Pod{runningPod("antrea-controller-x", "node-0", render.ComponentController, nil)}
			prom := prometheusResult{pools: []render.Pool{{Name: render.ControllersJob, Component: render.ComponentController}, {Name: render.AgentsJob, Component: render.ComponentAgent}}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := &AntreaMonitoringReconciler{} // no remembered check: every loop asks
				res := r.checkHealth(context.Background(), &scope{am: am, fleet: f, now: time.Now(), status: &monitoringv1alpha1.AntreaMonitoringStatus{}, decided: decided{prometheus: prom}})
				if res.condition == nil || res.condition.Reason != monitoringv1alpha1.ReasonTargetsUp {
					b.Fatalf("check: %+v", res.condition)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n+1), "ns/node")
		})
	}
}

// fleetPrometheus answers /api/v1/targets with n agents and one controller,
// all up, and the families query with none.
func fleetPrometheus(n int) *httptest.Server {
	now := time.Now().UTC().Format(time.RFC3339)
	target := func(instance, pool string) string {
		return fmt.Sprintf(`{"discoveredLabels":{"__address__":"10.0.0.1:10350"},"labels":{"instance":%q,"job":%q},"scrapePool":%q,"scrapeUrl":"https://10.0.0.1:10350/metrics","health":"up","lastError":"","lastScrape":%q,"lastScrapeDuration":0.01}`,
			instance, pool, pool, now)
	}
	var agents []string
	for i := range n {
		agents = append(agents, target(fmt.Sprintf("node-%d;antrea-agent-%d", i, i), render.AgentsJob))
	}
	bodies := map[string]string{
		render.AgentsJob:      `{"status":"success","data":{"activeTargets":[` + strings.Join(agents, ",") + `],"droppedTargets":[]}}`,
		render.ControllersJob: `{"status":"success","data":{"activeTargets":[` + target("node-0;antrea-controller-x", render.ControllersJob) + `],"droppedTargets":[]}}`,
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/query" {
			_, _ = fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
			return
		}
		_, _ = fmt.Fprint(w, bodies[r.URL.Query().Get("scrapePool")])
	}))
}
