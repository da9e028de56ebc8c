package render

import (
	"regexp"
	"testing"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// TestSeries: the relabelling Prometheus applies keeps exactly what Keeps
// says, series by series (a histogram's _bucket, _sum and _count with its
// family), for the default profile, All, and keep and drop lists.
func TestSeries(t *testing.T) {
	series := []string{
		"antrea_agent_local_pod_count", "antrea_controller_network_policy_sync_duration_milliseconds_bucket",
		"antrea_proxy_total_services_installed", "antrea_node_ipam_controller_cidrset_usage_cidrs",
		"process_resident_memory_bytes", "process_cpu_seconds_total", "go_goroutines",
		"go_gc_duration_seconds", "go_gc_duration_seconds_count", "go_memstats_heap_inuse_bytes",
		"apiserver_request_total", "apiserver_request_duration_seconds_bucket", "workqueue_depth", "workqueue_depth_other",
		"workqueue_queue_duration_seconds_bucket", "rest_client_requests_total", "antrea_agent_ovs_flow_count",
	}
	for _, tc := range []struct {
		name   string
		spec   monitoringv1alpha1.SeriesSpec
		kept   []string
		status string
	}{
		{"default: Essential", monitoringv1alpha1.SeriesSpec{}, []string{
			"antrea_agent_local_pod_count", "antrea_controller_network_policy_sync_duration_milliseconds_bucket", "antrea_proxy_total_services_installed",
			"antrea_node_ipam_controller_cidrset_usage_cidrs", "process_resident_memory_bytes", "process_cpu_seconds_total", "go_goroutines", "antrea_agent_ovs_flow_count"},
			"Essential"},
		{"Essential, keep and drop", monitoringv1alpha1.SeriesSpec{Keep: []monitoringv1alpha1.MetricName{"workqueue_depth", "workqueue_queue_duration_seconds"},
			Drop: []monitoringv1alpha1.MetricName{"antrea_agent_ovs_flow_count", "go_goroutines"}}, []string{
			"antrea_agent_local_pod_count", "antrea_controller_network_policy_sync_duration_milliseconds_bucket", "antrea_proxy_total_services_installed",
			"antrea_node_ipam_controller_cidrset_usage_cidrs", "process_resident_memory_bytes", "process_cpu_seconds_total",
			"workqueue_depth", "workqueue_queue_duration_seconds_bucket"},
			"Essential, +2 kept, -2 dropped"},
		{"All, drop", monitoringv1alpha1.SeriesSpec{Profile: monitoringv1alpha1.SeriesAll, Drop: []monitoringv1alpha1.MetricName{"go_gc_duration_seconds", "apiserver_request_duration_seconds"}}, []string{
			"antrea_agent_local_pod_count", "antrea_controller_network_policy_sync_duration_milliseconds_bucket", "antrea_proxy_total_services_installed",
			"antrea_node_ipam_controller_cidrset_usage_cidrs", "process_resident_memory_bytes", "process_cpu_seconds_total", "go_goroutines",
			"go_memstats_heap_inuse_bytes", "apiserver_request_total", "workqueue_depth", "workqueue_depth_other",
			"workqueue_queue_duration_seconds_bucket", "rest_client_requests_total", "antrea_agent_ovs_flow_count"},
			"All, -2 dropped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := SeriesFor(tc.spec)
			want := map[string]bool{}
			for _, k := range tc.kept {
				want[k] = true
			}
			for _, name := range series {
				if got := relabelKeeps(t, s.Relabelings(), name); got != want[name] {
					t.Errorf("the relabelling keeps %s: %v, want %v", name, got, want[name])
				}
			}
			// Keeps answers for families (as the status expects them).
			for _, family := range []string{"antrea_agent_local_pod_count", "go_goroutines", "workqueue_depth", "antrea_agent_ovs_flow_count", "apiserver_request_total"} {
				if s.Keeps(family) != want[family] {
					t.Errorf("Keeps(%s) = %v, want %v", family, s.Keeps(family), want[family])
				}
			}
			if s.String() != tc.status {
				t.Errorf("status %q, want %q", s.String(), tc.status)
			}
		})
	}
}

// relabelKeeps applies keep and drop rules on __name__ as Prometheus does
// (anchored RE2).
func relabelKeeps(t *testing.T, rules []Relabel, name string) bool {
	t.Helper()
	for _, r := range rules {
		re, err := regexp.Compile("^(?:" + r.Regex + ")$")
		if err != nil {
			t.Fatal(err)
		}
		switch r.Action {
		case "keep":
			if !re.MatchString(name) {
				return false
			}
		case "drop":
			if re.MatchString(name) {
				return false
			}
		default:
			t.Fatalf("unexpected action %q", r.Action)
		}
	}
	return true
}
