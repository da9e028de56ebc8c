package render

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	grafana "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"k8s.io/utils/ptr"
)

// The dashboard is built for a fleet: every panel is a fleet view (a sum,
// a count of Nodes in trouble, the top 10 Nodes, or quantiles across
// Nodes), so it draws a handful of lines at 5,000 Nodes, not one per
// Node. Variables narrow it to clusters (the cluster label a remote store
// or externalLabels adds), Nodes and jobs. Every division whose
// denominator can be 0 is guarded with "> 0", as the rules are.

// Selectors the panels share: the agents and the controllers of the
// chosen clusters (and Nodes), and the chosen jobs. An agent's instance is
// "<node>;<pod>" in every mode; the node variable holds node names.
var (
	agentSel      = fmt.Sprintf(`job=%q, cluster=~"$cluster", instance=~"${node:regex};.*"`, AgentsJob)
	controllerSel = fmt.Sprintf(`job=%q, cluster=~"$cluster"`, ControllersJob)
	jobSel        = `job=~"$job", cluster=~"$cluster"`
	bothJobs      = AgentsJob + "|" + ControllersJob
)

// sel fills a query's {A} (agents), {C} (controllers) and {J} (the chosen
// jobs) with their selectors.
func sel(q string) string {
	return strings.NewReplacer("{A}", "{"+agentSel+"}", "{A,", "{"+agentSel+",", "{C}", "{"+controllerSel+"}", "{J}", "{"+jobSel+"}").Replace(q)
}

// query is one target: a PromQL expression and its legend.
type query struct{ expr, legend string }

func q(expr, legend string) query { return query{sel(expr), legend} }

func targets(qs []query) []cog.Builder[variants.Dataquery] {
	var out []cog.Builder[variants.Dataquery]
	for i, x := range qs {
		out = append(out, prometheus.NewDataqueryBuilder().Expr(x.expr).LegendFormat(x.legend).RefId(string(rune('A'+i))))
	}
	return out
}

var datasource = common.DataSourceRef{Type: ptr.To("prometheus"), Uid: ptr.To("${datasource}")}

// graph is a time series panel.
func graph(title, description, unit string, qs ...query) cog.Builder[grafana.Panel] {
	return timeseries.NewPanelBuilder().Title(title).Description(description).Unit(unit).Datasource(datasource).
		Span(8).Height(8).Targets(targets(qs)).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom))
}

// single is a stat panel with its counts alone.
func single(title, description string, qs ...query) cog.Builder[grafana.Panel] {
	return stat.NewPanelBuilder().Title(title).Description(description).Unit("none").Datasource(datasource).
		Span(4).Height(4).Targets(targets(qs)).GraphMode(common.BigValueGraphModeNone).ColorMode(common.BigValueColorModeValue).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

// quantiles are the maximum, the 90th percentile, the median and the
// minimum of expr across the series it returns (Nodes, for agents).
func quantiles(expr string) []query {
	return []query{q("max("+expr+")", "max"), q("quantile(0.9, "+expr+")", "p90"), q("quantile(0.5, "+expr+")", "median"), q("min("+expr+")", "min")}
}

// top10 are the 10 Nodes (instances) with the highest expr.
func top10(expr string) query { return q("topk(10, "+expr+")", "{{instance}}") }

// variable is a query variable over label values, All by default.
func variable(name, label, description, query, regex, allValue string) cog.Builder[grafana.VariableModel] {
	return grafana.NewQueryVariableBuilder(name).Label(label).Description(description).Datasource(datasource).
		Query(grafana.StringOrMap{String: ptr.To(query)}).Definition(query).Regex(regex).
		Refresh(grafana.VariableRefreshOnTimeRangeChanged).Sort(grafana.VariableSortAlphabeticalAsc).
		Multi(true).IncludeAll(true).AllValue(allValue).Current(grafana.VariableOption{Text: grafana.StringOrArrayOfString{String: ptr.To("All")}, Value: grafana.StringOrArrayOfString{String: ptr.To("$__all")}})
}

// dashboardRow is a row of the dashboard and its panels.
type dashboardRow struct {
	title  string
	panels []cog.Builder[grafana.Panel]
}

// dashboardRows are the dashboard's rows, in order.
func dashboardRows() []dashboardRow {
	connUsage := conntrackUsage("{A}")
	flowErrors := "sum by (instance) (rate(antrea_agent_ovs_flow_ops_error_count{A}[$__rate_interval]))"
	return []dashboardRow{
		{"Fleet", []cog.Builder[grafana.Panel]{
			single("Agents up", "Antrea agents Prometheus scraped successfully at the last scrape, of the agents it discovered (one per Node).",
				q("sum(up{A})", "up"), q("count(up{A})", "discovered")),
			single("Agents down", "Agents whose last scrape failed: their Nodes' Pod networking may be unmanaged (alert AntreaAgentDown after 5 minutes).",
				q("count(up{A} == 0) or vector(0)", "down")),
			single("Controllers up", "Antrea controllers scraped successfully at the last scrape; 0 means NetworkPolicies are not computed (alert AntreaControllerDown).",
				q("sum(up{C}) or vector(0)", "up")),
			single("Nodes with conntrack > 90%", "Nodes whose conntrack table is more than 90% full (the threshold of alert AntreaConntrackTableNearlyFull); needs the FlowExporter feature.",
				q(fmt.Sprintf("count(%s > %v) or vector(0)", connUsage, conntrackNearlyFull), "Nodes")),
			single("Nodes with OVS flow errors", "Nodes where OVS flow operations failed during the last rate interval (alert AntreaOVSFlowOperationErrors).",
				q("count("+flowErrors+" > 0) or vector(0)", "Nodes")),
			single("Local Pods", "Pods on the chosen Nodes whose networking Antrea manages.",
				q("sum(antrea_agent_local_pod_count{A})", "Pods")),
		}},
		{"Agents", []cog.Builder[grafana.Panel]{
			graph("Local Pods across Nodes", "Pods per Node across the chosen Nodes: maximum, 90th percentile, median and minimum.", "none",
				quantiles("antrea_agent_local_pod_count{A}")...),
			graph("Local Pods, top 10 Nodes", "The 10 Nodes with the most Pods whose networking Antrea manages.", "none",
				top10("antrea_agent_local_pod_count{A}")),
			graph("NetworkPolicy rules across Nodes", "Ingress plus egress NetworkPolicy rules installed per Node: maximum, 90th percentile, median and minimum.", "none",
				quantiles("(antrea_agent_ingress_networkpolicy_rule_count{A} + antrea_agent_egress_networkpolicy_rule_count{A})")...),
			graph("NetworkPolicies, top 10 Nodes", "The 10 Nodes with the most NetworkPolicies applied to their Pods.", "none",
				top10("antrea_agent_networkpolicy_count{A}")),
			graph("Denied connections tracked, top 10 Nodes", "Connections denied by NetworkPolicies that the flow exporter tracks, on the 10 Nodes with the most (FlowExporter).", "none",
				top10("sum by (instance) (antrea_agent_denied_connection_count{A})")),
			graph("Flow exporter reconnections, top 10 Nodes", "Reconnections of the flow exporter to its collector in the last hour, on the 10 Nodes with the most: a collector that is down or unreachable (FlowExporter).", "none",
				top10("sum by (instance) (increase(antrea_agent_flow_collector_reconnection_count{A}[1h]))")),
		}},
		{"OVS", []cog.Builder[grafana.Panel]{
			graph("OVS flows across Nodes", "OpenFlow flows installed per Node: maximum, 90th percentile, median and minimum.", "none",
				quantiles("antrea_agent_ovs_total_flow_count{A}")...),
			graph("OVS flows, top 10 Nodes", "The 10 Nodes with the most OpenFlow flows installed.", "none",
				top10("antrea_agent_ovs_total_flow_count{A}")),
			graph("OVS flows per table, top 10 tables", "OpenFlow flows summed over the chosen Nodes, for the 10 tables holding the most (Antrea before v1.6 reports table ids, not names).", "none",
				q("topk(10, sum by (table_name) (antrea_agent_ovs_flow_count{A, table_name!=\"\"}) or sum by (table_id) (antrea_agent_ovs_flow_count{A, table_name=\"\"}))", "{{table_name}}{{table_id}}")),
			graph("OVS flow operations", "OpenFlow add, modify and delete operations per second over the chosen Nodes, and those that failed.", "ops",
				q("sum by (operation) (rate(antrea_agent_ovs_flow_ops_count{A}[$__rate_interval]))", "{{operation}}"),
				q("sum by (operation) (rate(antrea_agent_ovs_flow_ops_error_count{A}[$__rate_interval]))", "{{operation}} errors")),
			graph("OVS flow operation latency (mean)", "Mean latency of an OpenFlow operation over the chosen Nodes; empty while no operation ran (the denominator is guarded, as in the rules).", "ms",
				q("sum by (operation) (rate(antrea_agent_ovs_flow_ops_latency_milliseconds_sum{A}[$__rate_interval])) / (sum by (operation) (rate(antrea_agent_ovs_flow_ops_latency_milliseconds_count{A}[$__rate_interval])) > 0)", "{{operation}}")),
			graph("Packets dropped by OVS meters, top 10 Nodes", "Packets per second dropped by OVS meters (rate limits on packet-in and NetworkPolicy logging), on the 10 Nodes dropping the most.", "pps",
				top10("sum by (instance) (rate(antrea_agent_ovs_meter_packet_dropped_count{A}[$__rate_interval]))")),
		}},
		{"Conntrack", []cog.Builder[grafana.Panel]{
			graph("Conntrack table usage across Nodes", "Fraction of each Node's conntrack table in use: maximum, 90th percentile and median; Nodes whose maximum is not known yet are left out (FlowExporter).", "percentunit",
				quantiles(connUsage)[:3]...),
			graph("Conntrack table usage, top 10 Nodes", "The 10 Nodes whose conntrack table is the fullest; new connections are dropped on a full table (FlowExporter).", "percentunit",
				top10(connUsage)),
			graph("Connections", "Connections tracked over the chosen Nodes, those in Antrea's zone, and the sum of the tables' maximums (FlowExporter).", "none",
				q("sum(antrea_agent_conntrack_total_connection_count{A})", "total"),
				q("sum(antrea_agent_conntrack_antrea_connection_count{A})", "Antrea zone"),
				q("sum(antrea_agent_conntrack_max_connection_count{A})", "maximum")),
		}},
		{"Controller", []cog.Builder[grafana.Panel]{
			graph("Work queues", "Items waiting in the controller's queues: a queue that keeps growing means the controller cannot keep up.", "none",
				q("sum(antrea_controller_length_network_policy_queue{C})", "network policies"),
				q("sum(antrea_controller_length_address_group_queue{C})", "address groups"),
				q("sum(antrea_controller_length_applied_to_group_queue{C})", "applied-to groups")),
			graph("Processed per second", "Internal NetworkPolicies, address groups and applied-to groups the controller processes per second.", "ops",
				q("sum(rate(antrea_controller_network_policy_processed{C}[$__rate_interval]))", "network policies"),
				q("sum(rate(antrea_controller_address_group_processed{C}[$__rate_interval]))", "address groups"),
				q("sum(rate(antrea_controller_applied_to_group_processed{C}[$__rate_interval]))", "applied-to groups")),
			graph("Sync duration (mean)", "Mean time to sync an item of each queue; empty while nothing syncs (the denominator is guarded, as in rule AntreaNetworkPolicySyncSlow).", "ms",
				q("sum(rate(antrea_controller_network_policy_sync_duration_milliseconds_sum{C}[$__rate_interval])) / (sum(rate(antrea_controller_network_policy_sync_duration_milliseconds_count{C}[$__rate_interval])) > 0)", "network policies"),
				q("sum(rate(antrea_controller_address_group_sync_duration_milliseconds_sum{C}[$__rate_interval])) / (sum(rate(antrea_controller_address_group_sync_duration_milliseconds_count{C}[$__rate_interval])) > 0)", "address groups"),
				q("sum(rate(antrea_controller_applied_to_group_sync_duration_milliseconds_sum{C}[$__rate_interval])) / (sum(rate(antrea_controller_applied_to_group_sync_duration_milliseconds_count{C}[$__rate_interval])) > 0)", "applied-to groups")),
			graph("Policy status updates", "Status updates of Antrea-native policies per second (AntreaPolicy); the Antrea NetworkPolicy series was renamed in v1.13.", "ops",
				q("sum(rate(antrea_controller_acnp_status_updates{C}[$__rate_interval]))", "ClusterNetworkPolicy"),
				q("sum(rate(antrea_controller_annp_status_updates{C}[$__rate_interval])) or sum(rate(antrea_controller_anp_status_updates{C}[$__rate_interval]))", "Antrea NetworkPolicy")),
		}},
		{"AntreaProxy", []cog.Builder[grafana.Panel]{
			graph("Services installed across Nodes", "Services AntreaProxy installed per Node: maximum, median and minimum; a Node below the others lags behind (AntreaProxy).", "none",
				q("max(antrea_proxy_total_services_installed{A})", "max"), q("quantile(0.5, antrea_proxy_total_services_installed{A})", "median"), q("min(antrea_proxy_total_services_installed{A})", "min")),
			graph("Endpoints installed across Nodes", "Endpoints AntreaProxy installed per Node: maximum, median and minimum (AntreaProxy).", "none",
				q("max(antrea_proxy_total_endpoints_installed{A})", "max"), q("quantile(0.5, antrea_proxy_total_endpoints_installed{A})", "median"), q("min(antrea_proxy_total_endpoints_installed{A})", "min")),
			graph("Proxy rules sync duration (mean), top 10 Nodes", "Mean time to sync the proxy rules on the 10 slowest Nodes; empty while no sync ran (guarded denominator).", "s",
				top10("rate(antrea_proxy_sync_proxy_rules_duration_seconds_sum{A}[$__rate_interval]) / (rate(antrea_proxy_sync_proxy_rules_duration_seconds_count{A}[$__rate_interval]) > 0)")),
			graph("Updates received", "Service and Endpoints updates AntreaProxy receives per second over the chosen Nodes.", "ops",
				q("sum(rate(antrea_proxy_total_services_updates{A}[$__rate_interval]))", "services"),
				q("sum(rate(antrea_proxy_total_endpoints_updates{A}[$__rate_interval]))", "endpoints")),
		}},
		{"Scrape health", []cog.Builder[grafana.Panel]{
			graph("Targets up", "Targets of each chosen job scraped successfully, and targets discovered; a gap between the two lines is targets down.", "none",
				q("sum by (job) (up{J})", "{{job}} up"), q("count by (job) (up{J})", "{{job}} discovered")),
			graph("Scrape duration", "Time a scrape takes, slowest target and 90th percentile per job; near the scrape timeout, scrapes start failing.", "s",
				q("max by (job) (scrape_duration_seconds{J})", "{{job}} max"), q("quantile by (job) (0.9, scrape_duration_seconds{J})", "{{job}} p90")),
			graph("Samples per scrape", "Samples a target serves and those kept after the series profile's relabelling, per job (the largest target); the difference is what the profile drops.", "none",
				q("max by (job) (scrape_samples_scraped{J})", "{{job}} served"), q("max by (job) (scrape_samples_post_metric_relabeling{J})", "{{job}} kept")),
			graph("New series per scrape", "Series appearing for the first time, summed per job: steady churn raises Prometheus's memory.", "none",
				q("sum by (job) (scrape_series_added{J})", "{{job}}")),
		}},
		{"Resources", []cog.Builder[grafana.Panel]{
			graph("Memory of the agents", "Resident memory of the agents: maximum, 90th percentile and median across the chosen Nodes.", "bytes",
				quantiles("process_resident_memory_bytes{A}")[:3]...),
			graph("CPU of the agents", "CPU used by the agents: maximum, 90th percentile and median across the chosen Nodes.", "cores",
				quantiles("rate(process_cpu_seconds_total{A}[$__rate_interval])")[:3]...),
			graph("Memory and CPU of the controller", "Resident memory and CPU of the Antrea controller.", "bytes",
				q("max(process_resident_memory_bytes{C})", "memory"), q("max(rate(process_cpu_seconds_total{C}[$__rate_interval]))", "CPU (cores)")),
			single("Agents restarted in the last hour", "Agents whose process started again in the last hour.",
				q("count(changes(process_start_time_seconds{A}[1h]) > 0) or vector(0)", "restarted")),
		}},
	}
}

// buildDashboard builds the dashboard with Grafana's foundation SDK.
func buildDashboard() (string, error) {
	// The classic dashboard model, which Grafana's sidecar and
	// grafana-operator's spec.json import into any Grafana; the SDK's
	// dashboardv2 is Grafana 12's new API only.
	//nolint:staticcheck // deprecated in favour of dashboardv2 (see above)
	b := grafana.NewDashboardBuilder("Antrea").
		Uid("antrea-overview").Tags([]string{"antrea", "cni"}).
		Description("Antrea's agents, controller, OVS, conntrack and AntreaProxy across a fleet, with the scrape's health (made by antrea-monitoring-operator).").
		Timezone(common.TimeZoneBrowser).Time("now-1h", "now").Refresh("1m").Editable().Tooltip(grafana.DashboardCursorSyncCrosshair).
		WithVariable(grafana.NewDatasourceVariableBuilder("datasource").Label("Prometheus").Type("prometheus")).
		WithVariable(variable("cluster", "Cluster", "The cluster label a remote store or the Prometheus's externalLabels adds; All matches series without it.",
			fmt.Sprintf(`label_values(up{job=~%q}, cluster)`, bothJobs), "", ".*")).
		WithVariable(variable("job", "Job", "The scrape jobs of the scrape-health and resource panels.",
			fmt.Sprintf(`label_values(up{job=~%q, cluster=~"$cluster"}, job)`, bothJobs), "", bothJobs)).
		WithVariable(variable("node", "Node", "Nodes of the agent panels (an agent's instance label is <node>;<pod>).",
			fmt.Sprintf(`label_values(up{job=%q, cluster=~"$cluster"}, instance)`, AgentsJob), "/^([^;]+);/", ".*"))
	for _, r := range dashboardRows() {
		b = b.WithRow(grafana.NewRowBuilder(r.title))
		for _, p := range r.panels {
			b = b.WithPanel(p)
		}
	}
	d, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("building the dashboard: %w", err)
	}
	out, err := json.MarshalIndent(d, "", "  ")
	return string(out) + "\n", err
}

var dashboardOnce = sync.OnceValues(buildDashboard)

// DashboardJSON is the Grafana dashboard (see dashboardRows). It panics if
// the dashboard cannot be built, which TestDashboard rules out.
func DashboardJSON() string {
	s, err := dashboardOnce()
	if err != nil {
		panic(err)
	}
	return s
}
