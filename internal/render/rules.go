package render

import (
	"fmt"
	"regexp"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
)

// RulesKey is the rule file's key in the delivered ConfigMaps.
const RulesKey = "antrea-rules.yaml"

// alertRule is a shipped alert with the Antrea families its expression
// reads: it is shipped only when all of them are Live for the running
// Antrea (served, and able to move), so no rule refers to a family that
// Antrea lacks or can only evaluate to nothing or NaN. content_test.go
// checks that needs lists exactly the families of the expression.
type alertRule struct {
	promv1.Rule
	needs []string
}

// alertRules are every alert the operator knows, in the order shipped
// (docs/alerts.md describes each).
func alertRules() []alertRule {
	agents, controllers := fmt.Sprintf("job=%q", AgentsJob), fmt.Sprintf("job=%q", ControllersJob)
	both := fmt.Sprintf("job=~%q", regexp.QuoteMeta(AgentsJob)+"|"+regexp.QuoteMeta(ControllersJob))
	rule := func(alert, expr, forDur, severity, summary, description string, needs ...string) alertRule {
		r := promv1.Rule{
			Alert: alert, Expr: intstr.FromString(expr),
			Labels:      map[string]string{"severity": severity},
			Annotations: map[string]string{"summary": summary, "description": description},
		}
		if forDur != "" {
			r.For = ptr.To(promv1.Duration(forDur))
		}
		return alertRule{Rule: r, needs: needs}
	}
	return []alertRule{
		rule("AntreaAgentDown", fmt.Sprintf("up{%s} == 0", agents), "5m", "warning",
			"Antrea agent {{ $labels.instance }} is down",
			"Prometheus has failed to scrape the Antrea agent {{ $labels.instance }} for 5 minutes: the Node's Pod networking may be unmanaged."),
		rule("AntreaControllerDown", fmt.Sprintf("absent(up{%s} == 1)", controllers), "5m", "critical",
			"The Antrea controller is down",
			"No Antrea controller has been scraped successfully for 5 minutes: NetworkPolicies are not computed or distributed."),
		rule("AntreaOVSFlowOperationErrors", "sum by (instance, operation) (rate(antrea_agent_ovs_flow_ops_error_count[5m])) > 0", "10m", "warning",
			"OVS flow {{ $labels.operation }} operations fail on {{ $labels.instance }}",
			"The Antrea agent {{ $labels.instance }} reports {{ $value | humanize }} failed OVS flow {{ $labels.operation }} operations per second for 10 minutes.",
			"antrea_agent_ovs_flow_ops_error_count"),
		rule("AntreaConntrackTableNearlyFull",
			fmt.Sprintf("%s > %v", conntrackUsage(""), conntrackNearlyFull), "10m", "warning",
			"The conntrack table on {{ $labels.instance }} is {{ $value | humanizePercentage }} full",
			"New connections on {{ $labels.instance }} will be dropped when the conntrack table is full.",
			"antrea_agent_conntrack_total_connection_count", "antrea_agent_conntrack_max_connection_count"),
		// The histogram is fed whole milliseconds into default buckets
		// (0.005 to 10), so only _sum / _count is usable; the guard keeps a
		// controller without syncs from evaluating 0/0.
		rule("AntreaNetworkPolicySyncSlow",
			"rate(antrea_controller_network_policy_sync_duration_milliseconds_sum[10m]) / (rate(antrea_controller_network_policy_sync_duration_milliseconds_count[10m]) > 0) > 1000",
			"15m", "warning",
			"Antrea's NetworkPolicy sync is slow",
			"Syncing an internal NetworkPolicy takes {{ $value | humanize }} ms on average on {{ $labels.instance }}.",
			"antrea_controller_network_policy_sync_duration_milliseconds"),
		// v2.5.3, v2.6.3, v2.7.0 and later, with AntreaPolicy on.
		rule("AntreaFQDNCacheEvictions",
			"sum by (job, instance, reason) (increase(antrea_agent_fqdn_cache_eviction_count[10m])) > 0", "", "warning",
			"The Antrea agent {{ $labels.instance }} evicts FQDN cache entries ({{ $labels.reason }})",
			"The agent {{ $labels.instance }} evicted about {{ $value | humanize }} domain names from its FQDN cache in 10 minutes: "+
				"FQDN policy rules stop matching an evicted name until a selected Pod resolves it again.",
			"antrea_agent_fqdn_cache_eviction_count"),
		// Only with NodeIPAM; a fraction from 0 to 1, one series per
		// cluster CIDR once a Node CIDR is allocated.
		rule("AntreaNodeIPAMCIDRsNearlyExhausted",
			"antrea_node_ipam_controller_cidrset_usage_cidrs > 0.9", "15m", "warning",
			"Node Pod CIDRs of {{ $labels.clusterCIDR }} are {{ $value | humanizePercentage }} allocated",
			"Antrea's NodeIPAM has allocated {{ $value | humanizePercentage }} of the Node Pod CIDRs of cluster CIDR {{ $labels.clusterCIDR }}: "+
				"new Nodes get no Pod CIDR once it is exhausted.",
			"antrea_node_ipam_controller_cidrset_usage_cidrs"),
		rule("AntreaMetricsScrapeFailing",
			fmt.Sprintf("(count by (job) (up{%[1]s} == 0) / count by (job) (up{%[1]s}) >= 0.5) or absent(up{%[2]s}) or absent(up{%[3]s})", both, agents, controllers),
			"10m", "critical",
			"Prometheus cannot scrape Antrea ({{ $labels.job }})",
			"Half or more of the job's targets fail, or the job has no target at all: check the AntreaMonitoring's TargetsHealthy condition and status.targets."),
	}
}

// conntrackUsage is the fraction of a Node's conntrack table in use, of
// the series that selector (a "{...}" of matchers, or "") picks. The two
// gauges move only while the flow exporter polls conntrack, and the
// maximum is 0 until the first poll: the guard keeps that from 0/0. The
// rule and the dashboard read it alike.
func conntrackUsage(selector string) string {
	return "antrea_agent_conntrack_total_connection_count" + selector + " / (antrea_agent_conntrack_max_connection_count" + selector + " > 0)"
}

// conntrackNearlyFull is the usage AntreaConntrackTableNearlyFull fires
// above, and the dashboard counts Nodes above.
const conntrackNearlyFull = 0.9

// AlertRules are the alerts shipped for Antrea a: its components down, the
// scrape failing, OVS flow operation errors, NetworkPolicy sync slow, and,
// when a serves them and they can move, the conntrack table near its
// maximum (FlowExporter), FQDN cache evictions (v2.5.3+, AntreaPolicy) and
// Node Pod CIDRs near exhaustion (NodeIPAM). Every mode labels Antrea's
// series with the jobs of Antrea's guide (antrea-controllers and
// antrea-agents), so one set of rules serves all.
func AlertRules(a catalog.Antrea) []promv1.RuleGroup {
	g := promv1.RuleGroup{Name: "antrea"}
	for _, r := range alertRules() {
		if live(a, r.needs) {
			g.Rules = append(g.Rules, r.Rule)
		}
	}
	return []promv1.RuleGroup{g}
}

func live(a catalog.Antrea, families []string) bool {
	for _, f := range families {
		if !a.Live(f) {
			return false
		}
	}
	return true
}

// RuleFile renders AlertRules(a) as a Prometheus rule file.
func RuleFile(a catalog.Antrea) (string, error) {
	b, err := sigsyaml.Marshal(map[string]any{"groups": AlertRules(a)})
	return string(b), err
}
