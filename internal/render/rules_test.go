package render

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
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

// TestPromtoolRules checks each golden rule file with a real promtool and
// runs every unit test file (testdata/rules*_test.yaml) on synthetic series.
// Each alert of antrea-rules-all.yaml must be tested both firing and not.
func TestPromtoolRules(t *testing.T) {
	promtool := os.Getenv("PROMTOOL")
	if promtool == "" {
		t.Fatal("PROMTOOL is not set: run the tests through 'make test', which builds promtool into bin/")
	}
	for _, g := range ruleGoldens {
		rules := filepath.Join("testdata", "golden", g.file)
		if out, err := exec.Command(promtool, "check", "rules", rules).CombinedOutput(); err != nil {
			t.Errorf("promtool check rules %s: %v\n%s", g.file, err, out)
		}
	}
	tests, err := filepath.Glob(filepath.Join("testdata", "rules*_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	fired, quiet := map[string]bool{}, map[string]bool{}
	for _, file := range tests {
		out, err := exec.Command(promtool, "test", "rules", file).CombinedOutput()
		if err != nil {
			t.Errorf("promtool test rules %s: %v\n%s", file, err, out)
		} else {
			t.Logf("promtool test rules %s:\n%s", file, out)
		}
		ut := readRuleTest(t, file)
		for _, rf := range ut.RuleFiles {
			tested[filepath.Base(rf)] = true
		}
		if slices.Contains(ut.RuleFiles, "golden/antrea-rules-all.yaml") {
			for _, tc := range ut.Tests {
				for _, a := range tc.AlertRuleTest {
					if len(a.ExpAlerts) > 0 {
						fired[a.Alertname] = true
					} else {
						quiet[a.Alertname] = true
					}
				}
			}
		}
	}
	for _, g := range ruleGoldens {
		if !tested[g.file] {
			t.Errorf("no testdata/rules*_test.yaml tests golden/%s", g.file)
		}
	}
	for _, r := range alertRules() {
		if !fired[r.Alert] || !quiet[r.Alert] {
			t.Errorf("%s: the tests of antrea-rules-all.yaml must see it fire (%v) and stay quiet (%v)", r.Alert, fired[r.Alert], quiet[r.Alert])
		}
	}
}

// ruleTest is the part of a promtool unit test file TestPromtoolRules reads.
type ruleTest struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func readRuleTest(t *testing.T, file string) ruleTest {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ut ruleTest
	if err := yaml.Unmarshal(b, &ut); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return ut
}
