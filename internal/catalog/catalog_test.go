package catalog

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/version"
)

func v(s string) *version.Version { return version.MustParseSemantic(s) }

func names(fs []Family) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func byPrefix(fs []Family) map[string]int {
	n := map[string]int{}
	for _, f := range fs {
		for _, p := range []string{"antrea_agent_", "antrea_proxy_", "antrea_controller_", "antrea_node_ipam_controller_"} {
			if strings.HasPrefix(f.Name, p) {
				n[p]++
			}
		}
	}
	return n
}

// TestDataLoads: the embedded data parses and passes load's checks.
func TestDataLoads(t *testing.T) {
	c, err := load(familiesYAML)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.families); got != 41 {
		// 34 agent, proxy and controller names in v2.7.0, the old anp name,
		// 4 node IPAM families, 2 never exported.
		t.Errorf("families.yaml has %d families, want 41", got)
	}
	if !slices.IsSortedFunc(Families(), func(a, b Family) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("Families() is not sorted by name")
	}
}

// TestLoadRefusesBadData: each check of load can fail.
func TestLoadRefusesBadData(t *testing.T) {
	const head = "checkpoints: [1.6.0, 2.7.0]\nfamilies:\n"
	ok := "  - {name: antrea_agent_a, component: agent, type: gauge, releases: \">=1.6.0\"}\n"
	if _, err := load([]byte(head + ok)); err != nil {
		t.Fatalf("the base case must load: %v", err)
	}
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown key":        {head + "  - {name: antrea_agent_a, component: agent, type: gauge, releases: \">=1.6.0\", colour: red}\n", "colour"},
		"unknown type":       {head + "  - {name: antrea_agent_a, component: agent, type: meter, releases: \">=1.6.0\"}\n", "unknown type"},
		"unknown component":  {head + "  - {name: antrea_agent_a, component: ovs, type: gauge, releases: \">=1.6.0\"}\n", "unknown component"},
		"bad range":          {head + "  - {name: antrea_agent_a, component: agent, type: gauge, releases: \"~1.6\"}\n", "no comparison"},
		"empty alternative":  {head + "  - {name: antrea_agent_a, component: agent, type: gauge, releases: \">=1.6.0 ||\"}\n", "empty alternative"},
		"range misses all":   {head + "  - {name: antrea_agent_a, component: agent, type: gauge, releases: \"<1.0.0\"}\n", "no checkpoint"},
		"no releases":        {head + "  - {name: antrea_agent_a, component: agent, type: gauge}\n", "unless it is never exported"},
		"duplicate":          {head + ok + ok, "listed twice"},
		"bad movesIf":        {head + "  - {name: antrea_agent_a, component: agent, type: gauge, releases: \">=1.6.0\", movesIf: NodeIPAM}\n", "movesIf"},
		"bad registeredIf":   {head + "  - {name: antrea_agent_a, component: agent, type: gauge, releases: \">=1.6.0\", registeredIf: FlowExporter}\n", "registeredIf"},
		"cumulative counter": {head + "  - {name: antrea_agent_a, component: agent, type: counter, releases: \">=1.6.0\", cumulative: true}\n", "gauges only"},
		"histogram clash": {head + "  - {name: antrea_agent_h, component: agent, type: histogram, releases: \">=1.6.0\"}\n" +
			"  - {name: antrea_agent_h_count, component: agent, type: counter, releases: \">=1.6.0\"}\n", "also a series of antrea_agent_h"},
		"one-way rename": {head + "  - {name: antrea_agent_a, component: agent, type: gauge, releases: \"<2.0.0\", renamedTo: antrea_agent_b}\n" +
			"  - {name: antrea_agent_b, component: agent, type: gauge, releases: \">=2.0.0\"}\n", "not renamed from it"},
		"rename overlaps": {head + "  - {name: antrea_agent_a, component: agent, type: gauge, releases: \">=1.6.0\", renamedTo: antrea_agent_b}\n" +
			"  - {name: antrea_agent_b, component: agent, type: gauge, releases: \">=2.0.0\", renamedFrom: antrea_agent_a}\n", "has both"},
		"not antrea":           {head + "  - {name: up, component: agent, type: gauge, releases: \">=1.6.0\"}\n", "not an Antrea family name"},
		"unsorted checkpoints": {"checkpoints: [2.7.0, 1.6.0]\nfamilies:\n" + ok, "not after"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := load([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestFamiliesPerRelease checks the catalog against Antrea's per-release
// counts (default install: agent switch on, AntreaProxy on, NodeIPAM off):
// served families per prefix, the expected agent families, and the number
// of antrea_* names Antrea's own per-tag documentation lists (agent, proxy
// and controller).
func TestFamiliesPerRelease(t *testing.T) {
	for _, tc := range []struct {
		release                      string
		agent, proxy, controller     int
		expectedAgent, documentedSum int
		statusUpdates                string // anp or annp
	}{
		{"1.6.0", 14, 5, 11, 14, 30, "anp"},
		{"1.9.3", 14, 5, 11, 14, 30, "anp"},
		{"1.11.0", 14, 5, 11, 14, 30, "anp"},
		{"1.12.0", 14, 5, 11, 14, 30, "anp"},
		{"1.12.9", 14, 5, 11, 14, 30, "anp"},
		// v1.13.0: the meter family exists but has no series up front.
		{"1.13.0", 15, 5, 11, 14, 31, "annp"},
		{"1.13.1", 15, 5, 11, 15, 31, "annp"},
		{"1.14.0", 15, 5, 11, 15, 31, "annp"},
		{"2.0.0", 15, 5, 11, 15, 31, "annp"},
		{"2.4.1", 15, 5, 11, 15, 31, "annp"},
		{"2.5.0", 16, 5, 11, 16, 32, "annp"},
		{"2.5.2", 16, 5, 11, 16, 32, "annp"},
		{"2.5.3", 18, 5, 11, 18, 34, "annp"},
		{"2.6.0", 16, 5, 11, 16, 32, "annp"},
		{"2.6.2", 16, 5, 11, 16, 32, "annp"},
		{"2.6.3", 18, 5, 11, 18, 34, "annp"},
		{"2.7.0", 18, 5, 11, 18, 34, "annp"},
	} {
		t.Run(tc.release, func(t *testing.T) {
			a := Antrea{Version: v(tc.release)}
			served, expected := byPrefix(a.Served()), byPrefix(a.Expected())
			want := map[string]int{"antrea_agent_": tc.agent, "antrea_proxy_": tc.proxy, "antrea_controller_": tc.controller}
			if diff := cmp.Diff(want, served); diff != "" {
				t.Errorf("served families per prefix (-want +got):\n%s", diff)
			}
			if expected["antrea_agent_"] != tc.expectedAgent || expected["antrea_proxy_"] != 5 || expected["antrea_controller_"] != 11 {
				t.Errorf("expected families per prefix = %v, want %d agent, 5 proxy, 11 controller", expected, tc.expectedAgent)
			}
			if sum := tc.agent + tc.proxy + tc.controller; sum != tc.documentedSum {
				t.Errorf("Antrea's documentation lists %d names, the table %d", tc.documentedSum, sum)
			}
			if !a.Serves("antrea_controller_"+tc.statusUpdates+"_status_updates") ||
				a.Serves("antrea_controller_"+map[string]string{"anp": "annp", "annp": "anp"}[tc.statusUpdates]+"_status_updates") {
				t.Errorf("the NetworkPolicy status update family is not only %s", tc.statusUpdates)
			}
			if a.Serves("antrea_node_ipam_controller_cidrset_usage_cidrs") {
				t.Errorf("node IPAM families are served by default")
			}
			if n := (Antrea{Version: v(tc.release), Features: Features{Known: true, AntreaProxy: true, AntreaPolicy: true, NodeIPAM: true}}).Served(); byPrefix(n)["antrea_node_ipam_controller_"] != 4 {
				t.Errorf("with NodeIPAM on, %d node IPAM families served, want 4", byPrefix(n)["antrea_node_ipam_controller_"])
			}
		})
	}
}

// TestDefaultSets compares whole sets with Antrea's lists for a default
// install (agent families of v1.6, controller families before and after the
// rename, the five proxy families).
func TestDefaultSets(t *testing.T) {
	ag14 := []string{
		"antrea_agent_conntrack_antrea_connection_count", "antrea_agent_conntrack_max_connection_count",
		"antrea_agent_conntrack_total_connection_count", "antrea_agent_denied_connection_count",
		"antrea_agent_egress_networkpolicy_rule_count", "antrea_agent_flow_collector_reconnection_count",
		"antrea_agent_ingress_networkpolicy_rule_count", "antrea_agent_local_pod_count", "antrea_agent_networkpolicy_count",
		"antrea_agent_ovs_flow_count", "antrea_agent_ovs_flow_ops_count", "antrea_agent_ovs_flow_ops_error_count",
		"antrea_agent_ovs_flow_ops_latency_milliseconds", "antrea_agent_ovs_total_flow_count",
	}
	ct10 := []string{
		"antrea_controller_acnp_status_updates",
		"antrea_controller_address_group_processed", "antrea_controller_address_group_sync_duration_milliseconds",
		"antrea_controller_applied_to_group_processed", "antrea_controller_applied_to_group_sync_duration_milliseconds",
		"antrea_controller_length_address_group_queue", "antrea_controller_length_applied_to_group_queue",
		"antrea_controller_length_network_policy_queue",
		"antrea_controller_network_policy_processed", "antrea_controller_network_policy_sync_duration_milliseconds",
	}
	px5 := []string{
		"antrea_proxy_sync_proxy_rules_duration_seconds", "antrea_proxy_total_endpoints_installed",
		"antrea_proxy_total_endpoints_updates", "antrea_proxy_total_services_installed", "antrea_proxy_total_services_updates",
	}
	sorted := func(ss ...[]string) []string { out := slices.Concat(ss...); slices.Sort(out); return out }
	meter, ctpoll := "antrea_agent_ovs_meter_packet_dropped_count", "antrea_agent_conntrack_poll_cycle_duration_seconds"
	fqdn := []string{"antrea_agent_fqdn_cache_eviction_count", "antrea_agent_fqdn_cache_size"}
	anp, annp := "antrea_controller_anp_status_updates", "antrea_controller_annp_status_updates"
	for _, tc := range []struct {
		name string
		a    Antrea
		want []string
	}{
		{"v1.6.0", Antrea{Version: v("1.6.0")}, sorted(ag14, ct10, px5, []string{anp})},
		{"v1.12.0", Antrea{Version: v("1.12.0")}, sorted(ag14, ct10, px5, []string{anp})},
		{"v1.13.0", Antrea{Version: v("1.13.0")}, sorted(ag14, ct10, px5, []string{annp})},
		{"v2.4.1", Antrea{Version: v("2.4.1")}, sorted(ag14, ct10, px5, []string{annp, meter})},
		{"v2.5.0", Antrea{Version: v("2.5.0")}, sorted(ag14, ct10, px5, []string{annp, meter, ctpoll})},
		{"v2.7.0", Antrea{Version: v("2.7.0")}, sorted(ag14, ct10, px5, []string{annp, meter, ctpoll}, fqdn)},
		{"v2.7.0, AntreaProxy off", Antrea{Version: v("2.7.0"), Features: Features{Known: true, AntreaPolicy: true}},
			sorted(ag14, ct10, []string{annp, meter, ctpoll}, fqdn)},
		// Unknown version: only what every release serves (no anp/annp, no
		// meter, no poll histogram, no FQDN cache).
		{"unknown version", Antrea{}, sorted(ag14, ct10, px5)},
		{"unknown version, AntreaProxy off", Antrea{Features: Features{Known: true}}, sorted(ag14, ct10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, names(tc.a.Expected())); diff != "" {
				t.Errorf("Expected() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTypes(t *testing.T) {
	want := map[string]Type{
		"antrea_agent_denied_connection_count":                             Gauge,
		"antrea_agent_flow_collector_reconnection_count":                   Gauge,
		"antrea_agent_ovs_meter_packet_dropped_count":                      Gauge,
		"antrea_agent_ovs_flow_ops_count":                                  Counter,
		"antrea_agent_fqdn_cache_eviction_count":                           Counter,
		"antrea_proxy_total_services_installed":                            Gauge,
		"antrea_proxy_total_endpoints_updates":                             Counter,
		"antrea_controller_network_policy_processed":                       Counter,
		"antrea_controller_length_network_policy_queue":                    Gauge,
		"antrea_node_ipam_controller_cidrset_usage_cidrs":                  Gauge,
		"antrea_node_ipam_controller_cidrset_cidrs_allocations_total":      Counter,
		"antrea_controller_eg_status_updates":                              Counter,
		"antrea_node_ipam_controller_cidrset_allocation_tries_per_request": Histogram,
	}
	for n, typ := range want {
		if f, ok := Lookup(n); !ok || f.Type != typ {
			t.Errorf("Lookup(%s) = %s, %v; want type %s", n, f.Type, ok, typ)
		}
	}
	var histograms, cumulative []string
	for _, f := range Families() {
		if f.Type == Histogram {
			histograms = append(histograms, f.Name)
		}
		if f.Cumulative {
			cumulative = append(cumulative, f.Name)
		}
		if f.Type == Summary {
			t.Errorf("%s is a summary: none has been since Antrea v0.10.0", f.Name)
		}
	}
	if diff := cmp.Diff([]string{
		"antrea_agent_conntrack_poll_cycle_duration_seconds", "antrea_agent_ovs_flow_ops_latency_milliseconds",
		"antrea_controller_address_group_sync_duration_milliseconds", "antrea_controller_applied_to_group_sync_duration_milliseconds",
		"antrea_controller_network_policy_sync_duration_milliseconds", "antrea_node_ipam_controller_cidrset_allocation_tries_per_request",
		"antrea_proxy_sync_proxy_rules_duration_seconds",
	}, histograms); diff != "" {
		t.Errorf("histograms (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"antrea_agent_flow_collector_reconnection_count", "antrea_agent_ovs_meter_packet_dropped_count"}, cumulative); diff != "" {
		t.Errorf("cumulative gauges (-want +got):\n%s", diff)
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		series, family string // family "" = not found
	}{
		{"antrea_agent_local_pod_count", "antrea_agent_local_pod_count"},
		// A counter whose own name ends in _count.
		{"antrea_agent_ovs_flow_ops_count", "antrea_agent_ovs_flow_ops_count"},
		{"antrea_agent_ovs_flow_ops_latency_milliseconds_bucket", "antrea_agent_ovs_flow_ops_latency_milliseconds"},
		{"antrea_agent_ovs_flow_ops_latency_milliseconds_sum", "antrea_agent_ovs_flow_ops_latency_milliseconds"},
		{"antrea_agent_ovs_flow_ops_latency_milliseconds_count", "antrea_agent_ovs_flow_ops_latency_milliseconds"},
		// The family name of a histogram is found (it names no series).
		{"antrea_proxy_sync_proxy_rules_duration_seconds", "antrea_proxy_sync_proxy_rules_duration_seconds"},
		{"antrea_controller_eip_status_updates", "antrea_controller_eip_status_updates"},
		{"antrea_node_ipam_controller_cidrset_cidrs_releases_total", "antrea_node_ipam_controller_cidrset_cidrs_releases_total"},
		{"antrea_agent_local_pod_count_sum", ""},
		{"antrea_agent_ovs_flow_ops_error_count_bucket", ""},
		{"antrea_agent_denied_connections_count", ""},
		{"antrea_proxy_total_services_updates_total", ""},
		{"up", ""},
	} {
		f, ok := Lookup(tc.series)
		if ok != (tc.family != "") || f.Name != tc.family {
			t.Errorf("Lookup(%s) = %q, %v; want %q", tc.series, f.Name, ok, tc.family)
		}
	}
	if f, _ := Lookup("antrea_controller_eg_status_updates"); !f.NeverExported {
		t.Errorf("antrea_controller_eg_status_updates must be marked never exported")
	}
}

func TestReleases(t *testing.T) {
	for _, tc := range []struct {
		family string
		in     []string
		out    []string
	}{
		{"antrea_controller_anp_status_updates", []string{"1.6.0", "1.12.9"}, []string{"1.13.0", "2.7.0"}},
		{"antrea_controller_annp_status_updates", []string{"1.13.0", "2.8.0"}, []string{"1.12.9"}},
		{"antrea_agent_ovs_meter_packet_dropped_count", []string{"1.13.0", "1.13.1", "2.7.0"}, []string{"1.12.9"}},
		{"antrea_agent_conntrack_poll_cycle_duration_seconds", []string{"2.5.0", "2.7.0"}, []string{"2.4.9"}},
		{"antrea_agent_fqdn_cache_size", []string{"2.5.3", "2.5.9", "2.6.3", "2.7.0", "2.8.0"}, []string{"2.5.2", "2.6.0", "2.6.2", "2.4.0"}},
		{"antrea_agent_fqdn_cache_eviction_count", []string{"2.5.3", "2.6.3", "2.7.0"}, []string{"2.5.2", "2.6.2"}},
		{"antrea_agent_local_pod_count", []string{"1.6.0", "2.7.0", "3.0.0"}, []string{"1.5.0"}},
		{"antrea_controller_eg_status_updates", nil, []string{"1.6.0", "2.7.0"}},
	} {
		f, _ := Lookup(tc.family)
		for _, r := range tc.in {
			if !f.InRelease(v(r)) {
				t.Errorf("%s must be in %s", tc.family, r)
			}
		}
		for _, r := range tc.out {
			if f.InRelease(v(r)) {
				t.Errorf("%s must not be in %s", tc.family, r)
			}
		}
	}
	f, _ := Lookup("antrea_agent_ovs_flow_count")
	if diff := cmp.Diff([]string{"table_id"}, f.LabelsAt(v("1.11.4"))); diff != "" {
		t.Errorf("ovs_flow_count labels at 1.11.4 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"table_id", "table_name"}, f.LabelsAt(v("1.12.0"))); diff != "" {
		t.Errorf("ovs_flow_count labels at 1.12.0 (-want +got):\n%s", diff)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v2.4.1":                 "2.4.1",
		"2.4.1":                  "2.4.1",
		" v1.13.0\n":             "1.13.0",
		"v2.8.0-dev-abc1234":     "2.8.0",
		"v2.7.1-7b323534d.dirty": "2.7.1",
		"UNKNOWN":                "",
		"":                       "",
		"v2.8":                   "",
		"latest":                 "",
	} {
		got := ParseVersion(in)
		if (got == nil) != (want == "") || (got != nil && got.String() != want) {
			t.Errorf("ParseVersion(%q) = %v, want %q", in, got, want)
		}
	}
}
