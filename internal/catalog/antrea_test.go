package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	conntrack5 = []string{
		"antrea_agent_conntrack_antrea_connection_count", "antrea_agent_conntrack_max_connection_count",
		"antrea_agent_conntrack_total_connection_count", "antrea_agent_denied_connection_count",
		"antrea_agent_flow_collector_reconnection_count",
	}
	conntrack6 = []string{
		"antrea_agent_conntrack_antrea_connection_count", "antrea_agent_conntrack_max_connection_count",
		"antrea_agent_conntrack_poll_cycle_duration_seconds", "antrea_agent_conntrack_total_connection_count",
		"antrea_agent_denied_connection_count", "antrea_agent_flow_collector_reconnection_count",
	}
)

func TestDormant(t *testing.T) {
	known := func(mod func(*Features)) Features {
		f := Features{Known: true, AntreaProxy: true, AntreaPolicy: true}
		mod(&f)
		return f
	}
	type group struct {
		condition Condition
		families  []string
		message   string // a part of it
	}
	for _, tc := range []struct {
		name string
		a    Antrea
		want []group
	}{
		{"zero value", Antrea{}, []group{{FlowExporter, conntrack5, "feature gate FlowExporter is off"}}},
		{"v1.12.0 defaults", Antrea{Version: v("1.12.0")}, []group{{FlowExporter, conntrack5, "feature gate FlowExporter is off"}}},
		{"v2.7.0 defaults", Antrea{Version: v("2.7.0")}, []group{{FlowExporter, conntrack6, "feature gate FlowExporter is off"}}},
		{"v2.5.0, gate on, switch off", Antrea{Version: v("2.5.0"), Features: known(func(f *Features) { f.FlowExporterGate = true })},
			[]group{{FlowExporter, conntrack6, "flowExporter.enable is false"}}},
		{"v2.6.0, gate on, switch off", Antrea{Version: v("2.6.0"), Features: known(func(f *Features) { f.FlowExporterGate = true })},
			[]group{{FlowExporter, conntrack6, "FlowExporterDestination"}}},
		{"v2.7.0, FlowExporter on", Antrea{Version: v("2.7.0"), Features: known(func(f *Features) { f.FlowExporter, f.FlowExporterGate = true, true })}, nil},
		{"v2.7.0, AntreaPolicy off", Antrea{Version: v("2.7.0"), Features: known(func(f *Features) { f.AntreaPolicy = false })},
			[]group{
				{FlowExporter, conntrack6, "FlowExporter is off"},
				{AntreaPolicy, []string{"antrea_agent_fqdn_cache_eviction_count", "antrea_agent_fqdn_cache_size",
					"antrea_controller_acnp_status_updates", "antrea_controller_annp_status_updates"}, "AntreaPolicy is off"},
			}},
		{"v1.12.0, AntreaPolicy off", Antrea{Version: v("1.12.0"), Features: known(func(f *Features) { f.AntreaPolicy = false })},
			[]group{
				{FlowExporter, conntrack5, "FlowExporter is off"},
				{AntreaPolicy, []string{"antrea_controller_acnp_status_updates", "antrea_controller_anp_status_updates"}, "AntreaPolicy is off"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.a.Dormant()
			if len(got) != len(tc.want) {
				t.Fatalf("Dormant() = %+v, want %d groups", got, len(tc.want))
			}
			for i, w := range tc.want {
				if got[i].Condition != w.condition {
					t.Errorf("group %d: condition %s, want %s", i, got[i].Condition, w.condition)
				}
				if diff := cmp.Diff(w.families, got[i].Families); diff != "" {
					t.Errorf("group %d: families (-want +got):\n%s", i, diff)
				}
				if !strings.Contains(got[i].Message, w.message) {
					t.Errorf("group %d: message %q lacks %q", i, got[i].Message, w.message)
				}
			}
		})
	}
}

func TestServesAndLive(t *testing.T) {
	fe := Features{Known: true, AntreaProxy: true, AntreaPolicy: true, FlowExporter: true, FlowExporterGate: true}
	noProxy := Features{Known: true, AntreaPolicy: true}
	ipam := Features{Known: true, AntreaProxy: true, AntreaPolicy: true, NodeIPAM: true}
	for _, tc := range []struct {
		name         string
		a            Antrea
		family       string
		serves, live bool
	}{
		{"conntrack, FE off", Antrea{Version: v("2.7.0")}, "antrea_agent_conntrack_max_connection_count", true, false},
		{"conntrack, FE on", Antrea{Version: v("2.7.0"), Features: fe}, "antrea_agent_conntrack_max_connection_count", true, true},
		{"conntrack, zero value", Antrea{}, "antrea_agent_conntrack_total_connection_count", true, false},
		{"poll histogram bucket, v2.4", Antrea{Version: v("2.4.1"), Features: fe}, "antrea_agent_conntrack_poll_cycle_duration_seconds_bucket", false, false},
		{"poll histogram bucket, v2.5", Antrea{Version: v("2.5.0"), Features: fe}, "antrea_agent_conntrack_poll_cycle_duration_seconds_bucket", true, true},
		{"proxy, default", Antrea{Version: v("1.12.0")}, "antrea_proxy_total_services_installed", true, true},
		{"proxy, AntreaProxy off", Antrea{Version: v("2.7.0"), Features: noProxy}, "antrea_proxy_total_services_installed", false, false},
		{"proxy histogram, AntreaProxy off", Antrea{Features: noProxy}, "antrea_proxy_sync_proxy_rules_duration_seconds_count", false, false},
		{"fqdn, v2.7.0", Antrea{Version: v("2.7.0")}, "antrea_agent_fqdn_cache_eviction_count", true, true},
		{"fqdn, v2.6.0", Antrea{Version: v("2.6.0")}, "antrea_agent_fqdn_cache_eviction_count", false, false},
		{"fqdn, unknown version", Antrea{}, "antrea_agent_fqdn_cache_size", false, false},
		{"fqdn, AntreaPolicy off", Antrea{Version: v("2.7.0"), Features: Features{Known: true, AntreaProxy: true}}, "antrea_agent_fqdn_cache_size", true, false},
		{"anp, v1.12", Antrea{Version: v("1.12.0")}, "antrea_controller_anp_status_updates", true, true},
		{"annp, v1.12", Antrea{Version: v("1.12.0")}, "antrea_controller_annp_status_updates", false, false},
		{"meter, v1.12", Antrea{Version: v("1.12.0")}, "antrea_agent_ovs_meter_packet_dropped_count", false, false},
		{"meter, v1.13.0", Antrea{Version: v("1.13.0")}, "antrea_agent_ovs_meter_packet_dropped_count", true, true},
		{"node IPAM, default", Antrea{Version: v("2.7.0")}, "antrea_node_ipam_controller_cidrset_usage_cidrs", false, false},
		{"node IPAM, on", Antrea{Version: v("2.7.0"), Features: ipam}, "antrea_node_ipam_controller_cidrset_usage_cidrs", true, true},
		{"node IPAM, on, unknown version", Antrea{Features: ipam}, "antrea_node_ipam_controller_cidrset_allocation_tries_per_request_bucket", true, true},
		{"never exported", Antrea{Version: v("2.7.0")}, "antrea_controller_eg_status_updates", false, false},
		{"misspelt", Antrea{Version: v("2.7.0")}, "antrea_agent_local_pods_count", false, false},
		{"suffix the type lacks", Antrea{Version: v("2.7.0")}, "antrea_agent_local_pod_count_sum", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Serves(tc.family); got != tc.serves {
				t.Errorf("Serves(%s) = %v, want %v", tc.family, got, tc.serves)
			}
			if got := tc.a.Live(tc.family); got != tc.live {
				t.Errorf("Live(%s) = %v, want %v", tc.family, got, tc.live)
			}
		})
	}
}

// TestExpectedSeriesOnUse: families without series up front are served but
// not expected.
func TestExpectedSeriesOnUse(t *testing.T) {
	ipam := Antrea{Version: v("2.7.0"), Features: Features{Known: true, AntreaProxy: true, AntreaPolicy: true, NodeIPAM: true}}
	served, expected := names(ipam.Served()), names(ipam.Expected())
	var onlyServed []string
	for _, n := range served {
		if !strings.Contains(strings.Join(expected, " ")+" ", n+" ") {
			onlyServed = append(onlyServed, n)
		}
	}
	if diff := cmp.Diff([]string{
		"antrea_node_ipam_controller_cidrset_allocation_tries_per_request", "antrea_node_ipam_controller_cidrset_cidrs_allocations_total",
		"antrea_node_ipam_controller_cidrset_cidrs_releases_total", "antrea_node_ipam_controller_cidrset_usage_cidrs",
	}, onlyServed); diff != "" {
		t.Errorf("served but not expected with NodeIPAM on (-want +got):\n%s", diff)
	}
	for _, r := range []string{"1.13.0", "1.13.1"} {
		a := Antrea{Version: v(r)}
		meterExpected := strings.Contains(strings.Join(names(a.Expected()), " "), "antrea_agent_ovs_meter_packet_dropped_count")
		if want := r != "1.13.0"; meterExpected != want {
			t.Errorf("v%s: meter expected = %v, want %v", r, meterExpected, want)
		}
	}
}

// TestZeroFeaturesAreDefaults: an Antrea whose features were not read
// behaves as one with its version's defaults.
func TestZeroFeaturesAreDefaults(t *testing.T) {
	for _, r := range []string{"1.6.0", "1.12.0", "2.7.0"} {
		zero, def := Antrea{Version: v(r)}, Antrea{Version: v(r), Features: DefaultFeatures(v(r))}
		if diff := cmp.Diff(names(def.Expected()), names(zero.Expected())); diff != "" {
			t.Errorf("v%s: Expected() differs (-defaults +zero):\n%s", r, diff)
		}
		if diff := cmp.Diff(def.Dormant(), zero.Dormant()); diff != "" {
			t.Errorf("v%s: Dormant() differs (-defaults +zero):\n%s", r, diff)
		}
	}
}
