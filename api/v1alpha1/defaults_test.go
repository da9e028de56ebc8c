package v1alpha1

import (
	"os"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestDefaultsMatchTheCRD holds the CRD's +kubebuilder:default markers (as
// controller-gen wrote them into the CRD) to the exported defaults the code
// applies, and the duration settings to their parsed values.
func TestDefaultsMatchTheCRD(t *testing.T) {
	raw, err := os.ReadFile("../../config/crd/bases/monitoring.antrea.io_antreamonitorings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	for path, want := range map[string]string{
		"antrea.namespace":             DefaultAntreaNamespace,
		"prometheus.mode":              string(DefaultMode),
		"prometheus.scrapeInterval":    string(DefaultScrapeIntervalSetting),
		"healthCheck.interval":         string(DefaultHealthCheckIntervalSetting),
		"prometheus.managed.namespace": DefaultManagedNamespace,
		"prometheus.managed.image":     DefaultPrometheusImage,
		"prometheus.managed.retention": string(DefaultRetentionSetting),
	} {
		s := spec
		for _, field := range strings.Split(path, ".") {
			s = s.Properties[field]
		}
		if s.Default == nil {
			t.Errorf("spec.%s has no default in the CRD, want %q", path, want)
			continue
		}
		if got := strings.Trim(string(s.Default.Raw), `"`); got != want {
			t.Errorf("spec.%s defaults to %q in the CRD, the code to %q", path, got, want)
		}
	}
	for _, d := range []struct {
		setting Duration
		want    any
	}{{DefaultScrapeIntervalSetting, DefaultScrapeInterval}, {DefaultHealthCheckIntervalSetting, DefaultHealthCheckInterval}, {DefaultRetentionSetting, DefaultRetention}} {
		if got, err := d.setting.Duration(); err != nil || any(got) != d.want {
			t.Errorf("%q parses to %v (%v), want %v", d.setting, got, err, d.want)
		}
	}
}
