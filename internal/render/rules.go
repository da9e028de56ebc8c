package render

import (
	"fmt"
	"regexp"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	sigsyaml "sigs.k8s.io/yaml"
)

// RulesKey is the rule file's key in the delivered ConfigMaps.
const RulesKey = "antrea-rules.yaml"

// AlertRules are the alerts shipped with the monitoring: Antrea's
// components down, OVS flow operation errors rising, the conntrack table
// near its maximum, network policy sync slow, and the scrape itself failing.
// Every mode labels Antrea's series with the jobs of Antrea's guide
// (antrea-controllers and antrea-agents), so one set of rules serves all.
func AlertRules() []promv1.RuleGroup {
	agents, controllers := fmt.Sprintf("job=%q", AgentsJob), fmt.Sprintf("job=%q", ControllersJob)
	both := fmt.Sprintf("job=~%q", regexp.QuoteMeta(AgentsJob)+"|"+regexp.QuoteMeta(ControllersJob))
	rule := func(alert, expr, forDur, severity, summary, description string) promv1.Rule {
		return promv1.Rule{
			Alert: alert, Expr: intstr.FromString(expr), For: ptr.To(promv1.Duration(forDur)),
			Labels:      map[string]string{"severity": severity},
			Annotations: map[string]string{"summary": summary, "description": description},
		}
	}
	return []promv1.RuleGroup{{
		Name: "antrea",
		Rules: []promv1.Rule{
			rule("AntreaAgentDown", fmt.Sprintf("up{%s} == 0", agents), "5m", "warning",
				"Antrea agent {{ $labels.instance }} is down",
				"Prometheus has failed to scrape the Antrea agent {{ $labels.instance }} for 5 minutes: the Node's Pod networking may be unmanaged."),
			rule("AntreaControllerDown", fmt.Sprintf("absent(up{%s} == 1)", controllers), "5m", "critical",
				"The Antrea controller is down",
				"No Antrea controller has been scraped successfully for 5 minutes: NetworkPolicies are not computed or distributed."),
			rule("AntreaOVSFlowOperationErrors", "sum by (instance, operation) (rate(antrea_agent_ovs_flow_ops_error_count[5m])) > 0", "10m", "warning",
				"OVS flow {{ $labels.operation }} operations fail on {{ $labels.instance }}",
				"The Antrea agent {{ $labels.instance }} reports {{ $value | humanize }} failed OVS flow {{ $labels.operation }} operations per second for 10 minutes."),
			rule("AntreaConntrackTableNearlyFull",
				"antrea_agent_conntrack_total_connection_count / antrea_agent_conntrack_max_connection_count > 0.9", "10m", "warning",
				"The conntrack table on {{ $labels.instance }} is {{ $value | humanizePercentage }} full",
				"New connections on {{ $labels.instance }} will be dropped when the conntrack table is full."),
			rule("AntreaNetworkPolicySyncSlow",
				"rate(antrea_controller_network_policy_sync_duration_milliseconds_sum[10m]) / rate(antrea_controller_network_policy_sync_duration_milliseconds_count[10m]) > 1000", "15m", "warning",
				"Antrea's NetworkPolicy sync is slow",
				"Syncing an internal NetworkPolicy takes {{ $value | humanize }} ms on average on {{ $labels.instance }}."),
			rule("AntreaMetricsScrapeFailing",
				fmt.Sprintf("(count by (job) (up{%[1]s} == 0) / count by (job) (up{%[1]s}) >= 0.5) or absent(up{%[2]s}) or absent(up{%[3]s})", both, agents, controllers),
				"10m", "critical",
				"Prometheus cannot scrape Antrea ({{ $labels.job }})",
				"Half or more of the job's targets fail, or the job has no target at all: check the AntreaMonitoring's TargetsHealthy condition and status.targets."),
		},
	}}
}

// RuleFile renders the alerts as a Prometheus rule file.
func RuleFile() (string, error) {
	b, err := sigsyaml.Marshal(map[string]any{"groups": AlertRules()})
	return string(b), err
}
