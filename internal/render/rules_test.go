package render

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
)

var (
	v2_7_0 = version.MustParseSemantic("2.7.0")
	// allOn is an Antrea that serves every family and lets all move: every
	// rule is rendered for it.
	allOn = catalog.Antrea{Version: v2_7_0, Features: catalog.Features{
		Known: true, AntreaProxy: true, FlowExporter: true, FlowExporterGate: true, NodeIPAM: true, AntreaPolicy: true,
	}}
)

// ruleGoldens are the rendered rule files kept as golden files, each
// checked by promtool and unit-tested by testdata/rules*_test.yaml.
var ruleGoldens = []struct {
	file   string
	antrea catalog.Antrea
}{
	// What every mode renders while the running Antrea is not known.
	{"antrea-rules.yaml", catalog.Antrea{}},
	// A default v2.7.0: no flow exporter, so no conntrack alert.
	{"antrea-rules-v2.7.0.yaml", catalog.Antrea{Version: v2_7_0}},
	// Every rule.
	{"antrea-rules-all.yaml", allOn},
}

// TestRuleFileGolden writes the rule files to golden files, which promtool
// checks and unit-tests (TestPromtoolRules).
func TestRuleFileGolden(t *testing.T) {
	for _, g := range ruleGoldens {
		got, err := RuleFile(g.antrea)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, g.file, got)
	}
}

// TestAlertRulesGating: which alerts each Antrea gets.
func TestAlertRulesGating(t *testing.T) {
	base := []string{"AntreaAgentDown", "AntreaControllerDown", "AntreaOVSFlowOperationErrors", "AntreaNetworkPolicySyncSlow", "AntreaMetricsScrapeFailing"}
	with := func(extra ...string) []string {
		var out []string
		for _, r := range alertRules() { // shipped order
			if slices.Contains(base, r.Alert) || slices.Contains(extra, r.Alert) {
				out = append(out, r.Alert)
			}
		}
		return out
	}
	fe := catalog.Features{Known: true, AntreaProxy: true, AntreaPolicy: true, FlowExporter: true, FlowExporterGate: true}
	for _, tc := range []struct {
		name   string
		antrea catalog.Antrea
		want   []string
	}{
		{"zero value: unknown version, defaults", catalog.Antrea{}, with()},
		{"unknown version, FlowExporter on", catalog.Antrea{Features: fe}, with("AntreaConntrackTableNearlyFull")},
		{"v1.12.0 defaults", catalog.Antrea{Version: version.MustParseSemantic("1.12.0")}, with()},
		{"v2.6.0, FlowExporter on", catalog.Antrea{Version: version.MustParseSemantic("2.6.0"), Features: fe}, with("AntreaConntrackTableNearlyFull")},
		{"v2.6.0, gate on, flowExporter.enable false", catalog.Antrea{Version: version.MustParseSemantic("2.6.0"),
			Features: catalog.Features{Known: true, AntreaProxy: true, AntreaPolicy: true, FlowExporterGate: true}}, with()},
		{"v2.6.3 defaults", catalog.Antrea{Version: version.MustParseSemantic("2.6.3")}, with("AntreaFQDNCacheEvictions")},
		{"v2.7.0 defaults", catalog.Antrea{Version: v2_7_0}, with("AntreaFQDNCacheEvictions")},
		{"v2.7.0, AntreaPolicy off", catalog.Antrea{Version: v2_7_0, Features: catalog.Features{Known: true, AntreaProxy: true}}, with()},
		{"v2.7.0, AntreaProxy off", catalog.Antrea{Version: v2_7_0, Features: catalog.Features{Known: true, AntreaPolicy: true}},
			with("AntreaFQDNCacheEvictions")},
		{"v2.7.0, NodeIPAM on", catalog.Antrea{Version: v2_7_0, Features: catalog.Features{Known: true, AntreaProxy: true, AntreaPolicy: true, NodeIPAM: true}},
			with("AntreaFQDNCacheEvictions", "AntreaNodeIPAMCIDRsNearlyExhausted")},
		{"all on", allOn, with("AntreaConntrackTableNearlyFull", "AntreaFQDNCacheEvictions", "AntreaNodeIPAMCIDRsNearlyExhausted")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups := AlertRules(tc.antrea)
			if len(groups) != 1 {
				t.Fatalf("%d rule groups, want 1", len(groups))
			}
			var got []string
			for _, r := range groups[0].Rules {
				got = append(got, r.Alert)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}
