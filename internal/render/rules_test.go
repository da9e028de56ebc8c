package render

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestRuleFileGolden writes the rule file for mode Managed (and
// ScrapeConfig) to a golden file, which promtool checks and unit-tests.
func TestRuleFileGolden(t *testing.T) {
	got, err := RuleFile()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "antrea-rules.yaml", got)
}

// TestPromtoolRules checks the rules with a real promtool and runs their
// unit tests (testdata/rules_test.yaml) on synthetic series.
func TestPromtoolRules(t *testing.T) {
	promtool := os.Getenv("PROMTOOL")
	if promtool == "" {
		t.Fatal("PROMTOOL is not set: run the tests through 'make test', which builds promtool into bin/")
	}
	rules := filepath.Join("testdata", "golden", "antrea-rules.yaml")
	if out, err := exec.Command(promtool, "check", "rules", rules).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	out, err := exec.Command(promtool, "test", "rules", filepath.Join("testdata", "rules_test.yaml")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	t.Logf("promtool test rules:\n%s", out)
}
