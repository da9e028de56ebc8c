package render

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// FieldMinimum is a field the operator writes on a prometheus-operator
// object, and the first prometheus-operator release whose CRD takes it
// (from its CHANGELOG and CRD history; see docs/modes/prometheus-operator.md).
type FieldMinimum struct {
	Kind, CRD, Field string
	Min              string
	// When says whether the operator writes it for this spec.
	When func(*monitoringv1alpha1.AntreaMonitoring) bool
}

// MinimumPrometheusOperator is the oldest prometheus-operator release the
// operator supports: every field below, in every option.
const MinimumPrometheusOperator = "0.75.0"

func monitors(am *monitoringv1alpha1.AntreaMonitoring) bool {
	t := am.Spec.Prometheus.PrometheusOperator
	return t == nil || !t.UseScrapeConfig
}
func scrapeConfigs(am *monitoringv1alpha1.AntreaMonitoring) bool { return !monitors(am) }
func verified(am *monitoringv1alpha1.AntreaMonitoring) bool {
	return monitors(am) && !am.Spec.Antrea.InsecureSkipVerify
}
func sampleLimited(am *monitoringv1alpha1.AntreaMonitoring) bool {
	return monitors(am) && am.Spec.Prometheus.Series.SampleLimit > 0
}

// FieldMinimums are the fields whose minimum is above prometheus-operator
// v0.20 (the PrometheusRule, and what the monitors have always had).
var FieldMinimums = []FieldMinimum{
	{"ServiceMonitor", ServiceMonitorCRD, "spec.sampleLimit", "0.24.0", sampleLimited},
	{"ServiceMonitor", ServiceMonitorCRD, "spec.endpoints[].tlsConfig.ca.configMap", "0.35.0", verified},
	{"ServiceMonitor", ServiceMonitorCRD, "spec.endpoints[].authorization", "0.50.0", monitors},
	{"PodMonitor", PodMonitorCRD, "spec.podMetricsEndpoints[].tlsConfig", "0.43.0", monitors},
	{"PodMonitor", PodMonitorCRD, "spec.podMetricsEndpoints[].authorization", "0.50.0", monitors},
	{"ScrapeConfig", ScrapeConfigCRD, "spec.authorization", "0.66.0", scrapeConfigs},
	{"ScrapeConfig", ScrapeConfigCRD, "spec.scheme, spec.tlsConfig, spec.scrapeInterval", "0.67.0", scrapeConfigs},
	{"ScrapeConfig", ScrapeConfigCRD, "spec.metricRelabelings", "0.68.0", scrapeConfigs},
	{"ScrapeConfig", ScrapeConfigCRD, "spec.kubernetesSDConfigs[].selectors", "0.69.0", scrapeConfigs},
	{"ScrapeConfig", ScrapeConfigCRD, "spec.kubernetesSDConfigs[].role Pod and Endpoints", "0.70.0", scrapeConfigs},
	{"ScrapeConfig", ScrapeConfigCRD, "spec.kubernetesSDConfigs[].namespaces", "0.71.0", scrapeConfigs},
	{"ScrapeConfig", ScrapeConfigCRD, "spec.jobName", "0.75.0", scrapeConfigs},
}

// ReleaseUnknown says whether a CRD's release (its
// operator.prometheus.io/version) is missing or unreadable: TooOld cannot
// judge such a CRD, and only the API server can say what it lacks.
func ReleaseUnknown(release string) bool {
	_, err := version.ParseGeneric(release)
	return err != nil
}

// TooOld lists, one line each, the fields am would have written that the
// installed CRDs (versions: their operator.prometheus.io/version, by CRD
// name) are too old for. A CRD without a readable version is not judged:
// its apply error, if any, says it (the controller tries such objects by a
// server-side dry run before applying anything).
func TooOld(am *monitoringv1alpha1.AntreaMonitoring, versions map[string]string) []string {
	var out []string
	for _, f := range FieldMinimums {
		if ReleaseUnknown(versions[f.CRD]) || !f.When(am) || version.MustParseGeneric(versions[f.CRD]).AtLeast(version.MustParseGeneric(f.Min)) {
			continue
		}
		out = append(out, fmt.Sprintf("CRD %s is prometheus-operator %s, and %s %s needs %s or later", f.CRD, versions[f.CRD], f.Kind, f.Field, f.Min))
	}
	return out
}

// tooOldVerdict is ScrapeConfigured False for CRDs too old: nothing is applied.
func tooOldVerdict(lines []string) *Verdict {
	return scrapeBlocked(monitoringv1alpha1.ReasonPrometheusOperatorTooOld, fmt.Sprintf(
		"prometheus-operator's CRDs are too old for what the operator writes: %s. Upgrade prometheus-operator and its CRDs (the oldest supported is v%s); nothing was applied.",
		strings.Join(lines, "; "), MinimumPrometheusOperator))
}
