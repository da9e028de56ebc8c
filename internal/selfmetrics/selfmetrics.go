// Package selfmetrics exports the operator's own view of each
// AntreaMonitoring as metrics, on the operator's metrics endpoint
// (controller-runtime's registry): whether monitoring of Antrea works can
// then be alerted on from a Prometheus that scrapes the operator, even when
// Antrea's own scrape is what is broken.
package selfmetrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

var (
	conditions = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "antreamonitoring_status_condition",
		Help: "1 for each condition of an AntreaMonitoring, labelled with its type, status (True, False, Unknown) and reason.",
	}, []string{"name", "type", "status", "reason"})
	targets = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "antreamonitoring_targets",
		Help: "Scrape targets of an AntreaMonitoring's pool, as its last health check saw them: state up, down or unknown (not scraped yet), and expected (what Antrea runs).",
	}, []string{"name", "pool", "state"})
	info = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "antreamonitoring_info",
		Help: "1 for each AntreaMonitoring, labelled with its resolved mode, the Antrea version it found and its series profile.",
	}, []string{"name", "mode", "antrea_version", "series_profile"})
)

func init() {
	metrics.Registry.MustRegister(conditions, targets, info)
}

// Record replaces what is exported for AntreaMonitoring name with its
// status; expected is how many targets each pool should have, by pool.
func Record(name string, st *monitoringv1alpha1.AntreaMonitoringStatus, expected map[string]int) {
	Forget(name)
	for _, c := range st.Conditions {
		conditions.WithLabelValues(name, c.Type, string(c.Status), c.Reason).Set(1)
	}
	for _, t := range st.Targets {
		targets.WithLabelValues(name, t.ScrapePool, "up").Set(float64(t.Up))
		targets.WithLabelValues(name, t.ScrapePool, "down").Set(float64(t.Down))
		targets.WithLabelValues(name, t.ScrapePool, "unknown").Set(float64(t.Unknown))
	}
	for pool, n := range expected {
		targets.WithLabelValues(name, pool, "expected").Set(float64(n))
	}
	info.WithLabelValues(name, string(st.Mode), st.AntreaVersion, st.SeriesProfile).Set(1)
}

// Forget drops every series of AntreaMonitoring name (it is gone).
func Forget(name string) {
	for _, v := range []*prometheus.GaugeVec{conditions, targets, info} {
		v.DeletePartialMatch(prometheus.Labels{"name": name})
	}
}
