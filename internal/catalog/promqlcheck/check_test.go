package promqlcheck

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckReports: each rule, on an expression that breaks it.
func TestCheckReports(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		want       []string // a part of each error, in order
	}{
		{"rate over a gauge", "rate(antrea_agent_denied_connection_count[5m])",
			[]string{"rate() over antrea_agent_denied_connection_count, a gauge"}},
		{"rate over a gauge in a sum", "sum by (instance) (rate(antrea_agent_denied_connection_count[$__rate_interval]))",
			[]string{"rate() over antrea_agent_denied_connection_count"}},
		{"increase over a gauge", "increase(antrea_proxy_total_services_installed[1h])",
			[]string{"increase() over antrea_proxy_total_services_installed"}},
		{"irate over a queue length", "irate(antrea_controller_length_network_policy_queue[5m])",
			[]string{"irate() over antrea_controller_length_network_policy_queue"}},
		{"resets over up", "resets(up[1h])", []string{"resets() over up"}},
		{"rate over a gauge in a subquery", "rate(max(antrea_agent_local_pod_count)[10m:1m])",
			[]string{"rate() over antrea_agent_local_pod_count"}},
		{"misspelt family", "antrea_agent_local_pods_count", []string{"antrea_agent_local_pods_count is neither an Antrea metric"}},
		{"misspelt in a matcher", `{__name__="antrea_agent_ovs_flows_count"}`, []string{"antrea_agent_ovs_flows_count is neither"}},
		{"not Antrea's", "node_nf_conntrack_entries / node_nf_conntrack_entries_limit",
			[]string{"node_nf_conntrack_entries is neither", "node_nf_conntrack_entries_limit is neither"}},
		{"_sum of a gauge", "antrea_agent_local_pod_count_sum", []string{"antrea_agent_local_pod_count_sum does not exist: antrea_agent_local_pod_count is a gauge"}},
		{"_bucket of a counter", "antrea_agent_ovs_flow_ops_error_count_bucket", []string{"antrea_agent_ovs_flow_ops_error_count is a counter"}},
		{"_total on a counter", "rate(antrea_proxy_total_services_updates_total[5m])", []string{"antrea_proxy_total_services_updates_total is neither"}},
		{"bare histogram", "rate(antrea_proxy_sync_proxy_rules_duration_seconds[5m])",
			[]string{"antrea_proxy_sync_proxy_rules_duration_seconds is a histogram"}},
		{"histogram_quantile over a counter", "histogram_quantile(0.9, rate(antrea_agent_ovs_flow_ops_count[5m]))",
			[]string{"histogram_quantile() over antrea_agent_ovs_flow_ops_count, which is no histogram's _bucket"}},
		{"histogram_quantile over _sum", "histogram_quantile(0.9, sum by (le) (rate(antrea_proxy_sync_proxy_rules_duration_seconds_sum[5m])))",
			[]string{"histogram_quantile() over antrea_proxy_sync_proxy_rules_duration_seconds_sum"}},
		{"never exported", "rate(antrea_controller_eip_status_updates[5m])", []string{"antrea_controller_eip_status_updates is defined in Antrea's code but never exported"}},
		{"parse error", "rate(antrea_agent_ovs_flow_ops_count[5m]", []string{"parsing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := Check(tc.expr)
			if len(errs) != len(tc.want) {
				t.Fatalf("Check(%q) = %v, want %d errors", tc.expr, errs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i], w)
				}
			}
		})
	}
}

// TestCheckAccepts: expressions that use the metrics right.
func TestCheckAccepts(t *testing.T) {
	for _, expr := range []string{
		"antrea_agent_denied_connection_count",
		"max_over_time(antrea_agent_denied_connection_count[1h])",
		"avg_over_time(antrea_controller_length_network_policy_queue[$__interval])",
		"rate(antrea_agent_ovs_flow_ops_count[5m])",
		// A counter named *_count, exported without _total.
		"sum by (instance, operation) (rate(antrea_agent_ovs_flow_ops_error_count[5m])) > 0",
		"rate(antrea_controller_network_policy_processed[5m])",
		// The meter and the reconnection gauges are cumulative.
		"sum by (instance) (rate(antrea_agent_ovs_meter_packet_dropped_count[5m]))",
		"increase(antrea_agent_flow_collector_reconnection_count[1h])",
		"histogram_quantile(0.99, sum by (le) (rate(antrea_proxy_sync_proxy_rules_duration_seconds_bucket[$__rate_interval])))",
		"rate(antrea_controller_network_policy_sync_duration_milliseconds_sum[10m]) / (rate(antrea_controller_network_policy_sync_duration_milliseconds_count[10m]) > 0)",
		// Families only some releases have.
		"rate(antrea_controller_anp_status_updates[5m]) or rate(antrea_controller_annp_status_updates[5m])",
		"increase(antrea_agent_fqdn_cache_eviction_count[10m])",
		"antrea_node_ipam_controller_cidrset_usage_cidrs > 0.9",
		"rate(antrea_node_ipam_controller_cidrset_cidrs_allocations_total[1h])",
		"up{job=\"antrea-agents\"} == 0",
		"absent(up{job=\"$job\"} == 1)",
		"scrape_duration_seconds{job=~\"${job:regex}\"}",
		`count({__name__=~"antrea_.+"})`,
	} {
		if errs := Check(expr); len(errs) != 0 {
			t.Errorf("Check(%q) = %v, want none", expr, errs)
		}
	}
}

func TestFamiliesIn(t *testing.T) {
	got, err := FamiliesIn("rate(antrea_controller_network_policy_sync_duration_milliseconds_sum[10m]) / " +
		"rate(antrea_controller_network_policy_sync_duration_milliseconds_count[10m]) + on() group_left up + antrea_agent_local_pod_count_sum")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"antrea_agent_local_pod_count", "antrea_controller_network_policy_sync_duration_milliseconds"}, got); diff != "" {
		t.Errorf("FamiliesIn (-want +got):\n%s", diff)
	}
}

// TestParserNotInOperator: the operator's binary does not link the PromQL
// parser (only tests import this package).
func TestParserNotInOperator(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Dir = "../../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	if !strings.Contains(string(out), "github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render\n") {
		t.Fatalf("go list -deps . did not list the operator's packages:\n%s", out)
	}
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "github.com/prometheus/prometheus/") || strings.HasSuffix(line, "/promqlcheck\n") {
			t.Errorf("the operator links %s", strings.TrimSpace(line))
		}
	}
}

// TestUnguardedDivisions: a denominator that can be 0 is reported; "> 0",
// count() and a non-zero number guard it.
func TestUnguardedDivisions(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want int
	}{
		{"rate(antrea_proxy_sync_proxy_rules_duration_seconds_sum[5m]) / rate(antrea_proxy_sync_proxy_rules_duration_seconds_count[5m])", 1},
		{"sum(rate(a_sum[5m])) / sum(rate(a_count[5m])) / b", 2},
		{"antrea_agent_conntrack_total_connection_count / antrea_agent_conntrack_max_connection_count > 0.9", 1},
		{"x / (y > bool 0)", 1},
		{"x / (y > -1)", 1},
		{"x / 0", 1},
		{"rate(a_sum[5m]) / (rate(a_count[5m]) > 0)", 0},
		{"antrea_agent_conntrack_total_connection_count / (antrea_agent_conntrack_max_connection_count > 0) > 0.9", 0},
		{"count by (job) (up == 0) / count by (job) (up) >= 0.5", 0},
		{"x / 1000", 0},
		{"x * y", 0},
	} {
		if got := UnguardedDivisions(tc.expr); len(got) != tc.want {
			t.Errorf("%s: %d unguarded division(s) %v, want %d", tc.expr, len(got), got, tc.want)
		}
	}
}

// TestUnbounded: a query returns a bounded number of series when its
// outermost vector is aggregated away from the label or cut with topk.
func TestUnbounded(t *testing.T) {
	for _, tc := range []struct {
		expr string
		ok   bool
	}{
		{"antrea_agent_local_pod_count", false},
		{"sum by (instance) (rate(x[5m]))", false},
		{"sum without (job) (x)", false},
		{"rate(x[5m]) / (rate(y[5m]) > 0)", false},
		{"topk(50, x)", false},
		{"count(x > 0.9) or x", false},
		{"topk(10, x)", true},
		{"topk(10, sum by (instance) (rate(x[5m])))", true},
		{"sum(x)", true},
		{"quantile(0.9, x)", true},
		{"sum by (job) (up)", true},
		{"count(x > 0.9) or vector(0)", true},
		{"sum(rate(a[5m])) / (sum(rate(b[5m])) > 0)", true},
		{"x / on() group_left sum(x)", false},
		{"sum(x) / on() group_right x", false},
		{"x / on() sum(x)", true},
	} {
		if err := Unbounded(tc.expr, "instance", 10); (err == nil) != tc.ok {
			t.Errorf("%s: Unbounded = %v, want bounded %v", tc.expr, err, tc.ok)
		}
	}
}
