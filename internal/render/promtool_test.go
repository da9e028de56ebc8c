//go:build promtool

package render

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
)

// The tests here run a real promtool (build tag promtool: `make
// test-promtool` builds it with hack/tools.sh and sets PROMTOOL). Without
// PROMTOOL they fail, never skip.

// promtoolBin is $PROMTOOL, or the test fails naming the make target.
func promtoolBin(t *testing.T) string {
	t.Helper()
	promtool := os.Getenv("PROMTOOL")
	if promtool == "" {
		t.Fatal("PROMTOOL is not set: run 'make test-promtool', which builds promtool (hack/tools.sh promtool) and sets it")
	}
	if _, err := os.Stat(promtool); err != nil {
		t.Fatalf("PROMTOOL=%s: %v: run 'make test-promtool', which builds promtool (hack/tools.sh promtool) and sets it", promtool, err)
	}
	return promtool
}

// TestPromtoolCheckConfig runs a real promtool over every golden Prometheus
// configuration.
func TestPromtoolCheckConfig(t *testing.T) {
	promtool := promtoolBin(t)
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.prometheus.yml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("expected golden Prometheus configs for managed, managed-pvc and scrapeconfig, got %v (%v)", files, err)
	}
	for _, f := range files {
		args := []string{"check", "config", "--syntax-only", f}
		if strings.Contains(filepath.Base(f), "agent") { // agent mode refuses rule_files and alerting
			args = append(args, "--agent")
		}
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool check config %s: %v\n%s", f, err, out)
		}
	}
	// promtool must be able to fail: a broken job is refused.
	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("scrape_configs:\n- job_name: x\n  scrape_intervall: 30s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", "--syntax-only", bad).CombinedOutput(); err == nil {
		t.Errorf("promtool accepted an invalid config:\n%s", out)
	}
}

// TestPromtoolScrapeConfigFile: the ScrapeConfig mode's ConfigMap key made
// for scrape_config_files is a file a real promtool takes there, the files
// it names in place (as the mounted ConfigMap and token give them); the bare
// list of the additionalScrapeConfigs key is refused there (the docs once
// said it could be listed).
func TestPromtoolScrapeConfigFile(t *testing.T) {
	promtool := promtoolBin(t)
	i := slices.IndexFunc(goldenCases, func(c struct {
		name string
		in   Input
	}) bool {
		return c.name == "scrapeconfig"
	})
	r, err := Render(goldenCases[i].in)
	if err != nil {
		t.Fatal(err)
	}
	var cm map[string]string
	for _, o := range r.Objects {
		if c, ok := o.(*corev1.ConfigMap); ok {
			cm = c.Data
		}
	}
	dir := t.TempDir()
	mounted := strings.NewReplacer(ScrapeConfigMountPath, dir, ServiceAccountTokenFile, filepath.Join(dir, "token"))
	for name, content := range map[string]string{AntreaCAKey: cm[AntreaCAKey], "token": "t"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check := func(key string) ([]byte, error) {
		file := filepath.Join(dir, key)
		if err := os.WriteFile(file, []byte(mounted.Replace(cm[key])), 0o600); err != nil {
			t.Fatal(err)
		}
		main := filepath.Join(dir, "prometheus-"+key)
		if err := os.WriteFile(main, []byte("scrape_config_files:\n- "+file+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return exec.Command(promtool, "check", "config", main).CombinedOutput()
	}
	if out, err := check(ScrapeConfigFileKey); err != nil {
		t.Errorf("scrape_config_files listing key %s: %v\n%s", ScrapeConfigFileKey, err, out)
	}
	if out, err := check(ScrapeConfigsKey); err == nil {
		t.Errorf("scrape_config_files took key %s, a bare list:\n%s", ScrapeConfigsKey, out)
	} else {
		t.Logf("key %s refused, as it must be: %s", ScrapeConfigsKey, out)
	}
}

// TestPromtoolRules checks each golden rule file with a real promtool and
// runs every unit test file (testdata/rules*_test.yaml) on synthetic series.
// Each alert of antrea-rules-all.yaml must be tested both firing and not.
func TestPromtoolRules(t *testing.T) {
	promtool := promtoolBin(t)
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
