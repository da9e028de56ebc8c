package render

import (
	"fmt"
	"slices"
	"strings"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/utils/ptr"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// Series is which families a scrape of Antrea keeps (spec.prometheus.series,
// its default applied): every mode renders it as metric relabelling, and the
// status expects only the families it keeps.
type Series struct {
	spec monitoringv1alpha1.SeriesSpec
}

// SeriesFor applies the default profile (Essential) to spec.
func SeriesFor(spec monitoringv1alpha1.SeriesSpec) Series {
	if spec.Profile == "" {
		spec.Profile = monitoringv1alpha1.SeriesEssential
	}
	return Series{spec: spec}
}

// antreaFamilies matches Antrea's own families (antrea_agent_*,
// antrea_controller_*, antrea_proxy_*, antrea_node_ipam_controller_*).
const antreaFamilies = "antrea_.+"

// familySuffixes are the series names a histogram or summary family adds.
const familySuffixes = "(?:_bucket|_sum|_count)?"

// Keeps says whether a scrape keeps family name.
func (s Series) Keeps(name string) bool {
	if slices.Contains(s.spec.Drop, monitoringv1alpha1.MetricName(name)) {
		return false
	}
	return s.spec.Profile == monitoringv1alpha1.SeriesAll || strings.HasPrefix(name, "antrea_") ||
		slices.Contains(monitoringv1alpha1.EssentialProcessFamilies, name) || slices.Contains(s.spec.Keep, monitoringv1alpha1.MetricName(name))
}

// Relabelings are the metric_relabel_configs that keep the profile's
// families: first the drop list, then (unless the profile keeps all) one
// keep rule. Each rule matches a family's name with its _bucket, _sum and
// _count series.
func (s Series) Relabelings() []Relabel {
	var out []Relabel
	if len(s.spec.Drop) > 0 {
		out = append(out, Relabel{SourceLabels: []string{"__name__"}, Action: "drop", Regex: names(s.spec.Drop)})
	}
	if s.spec.Profile != monitoringv1alpha1.SeriesAll {
		kept := slices.Concat(metricNames(monitoringv1alpha1.EssentialProcessFamilies), s.spec.Keep)
		out = append(out, Relabel{SourceLabels: []string{"__name__"}, Action: "keep", Regex: antreaFamilies + "|" + names(kept)})
	}
	return out
}

// SampleLimit is the scrape's sample limit (0: none).
func (s Series) SampleLimit() int32 { return s.spec.SampleLimit }

// String is what status.seriesProfile says, for example
// "Essential, +2 kept, -1 dropped".
func (s Series) String() string {
	out := string(s.spec.Profile)
	if n := len(s.spec.Keep); n > 0 && s.spec.Profile != monitoringv1alpha1.SeriesAll {
		out += fmt.Sprintf(", +%d kept", n)
	}
	if n := len(s.spec.Drop); n > 0 {
		out += fmt.Sprintf(", -%d dropped", n)
	}
	return out
}

// promOpRelabelings are Relabelings as prometheus-operator's type.
func (s Series) promOpRelabelings() []promv1.RelabelConfig {
	var out []promv1.RelabelConfig
	for _, r := range s.Relabelings() {
		out = append(out, promv1.RelabelConfig{SourceLabels: []promv1.LabelName{"__name__"}, Action: r.Action, Regex: r.Regex})
	}
	return out
}

// promOpSampleLimit is SampleLimit as prometheus-operator's field (nil: none).
func (s Series) promOpSampleLimit() *int64 {
	if s.spec.SampleLimit <= 0 {
		return nil
	}
	return ptr.To(int64(s.spec.SampleLimit))
}

// names is a regular expression matching each family, with its series.
func names(families []monitoringv1alpha1.MetricName) string {
	quoted := make([]string, 0, len(families))
	for _, f := range families {
		quoted = append(quoted, string(f)) // a MetricName holds no regexp metacharacter
	}
	return "(?:" + strings.Join(quoted, "|") + ")" + familySuffixes
}

func metricNames(ss []string) []monitoringv1alpha1.MetricName {
	out := make([]monitoringv1alpha1.MetricName, 0, len(ss))
	for _, s := range ss {
		out = append(out, monitoringv1alpha1.MetricName(s))
	}
	return out
}
