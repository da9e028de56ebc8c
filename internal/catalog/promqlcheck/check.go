// Package promqlcheck checks PromQL expressions (alerting rules, dashboard
// panels) against Antrea's metric catalog, with the Prometheus project's
// own parser. It is a package of its own so that only tests link the
// parser, not the operator.
package promqlcheck

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
)

// generated are the series Prometheus itself writes for every target: all
// gauges.
var generated = []string{
	"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
	"scrape_series_added", "scrape_timeout_seconds", "scrape_sample_limit", "scrape_body_size_bytes",
}

// counterFuncs are the functions that only make sense on a series that only
// grows between resets.
var counterFuncs = []string{"rate", "irate", "increase", "resets"}

// Check parses expr and reports every way it misuses Antrea's metrics:
//   - a metric name that is neither a series of a catalog family nor one
//     Prometheus writes (up, scrape_*); a family some releases lack is fine;
//   - a family that is never exported;
//   - a _bucket, _sum or _count series of a family whose type has none, and
//     a histogram's bare family name (no series has it);
//   - rate(), irate(), increase() or resets() over a gauge that is not
//     Cumulative (the *_over_time functions are for gauges and are fine);
//   - histogram_quantile() over anything but a histogram's _bucket series.
//
// Grafana's variables ($__rate_interval, $__interval, $job, ${var}, …) are
// replaced by plausible values before parsing.
func Check(expr string) []error {
	e, err := parse(expr)
	if err != nil {
		return []error{err}
	}
	var errs []error
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			if err := checkName(metricName(n)); err != nil {
				errs = append(errs, err)
			}
		case *parser.Call:
			errs = append(errs, checkCall(n)...)
		}
		return nil
	})
	return errs
}

// FamiliesIn returns the names of the catalog families expr selects, sorted,
// each once (its series map to their family).
func FamiliesIn(expr string) ([]string, error) {
	e, err := parse(expr)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range selectorNames(e) {
		if f, ok := lookup(n); ok && !slices.Contains(out, f.Name) {
			out = append(out, f.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

func parse(expr string) (parser.Expr, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(substitute(expr))
	if err != nil {
		return nil, fmt.Errorf("parsing %q: %w", expr, err)
	}
	return e, nil
}

var grafanaVariable = regexp.MustCompile(`\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]`)

// substitute replaces Grafana's variables: a duration for its interval
// variables, a number for the ones in seconds or milliseconds, a word for
// the others (used in label values).
func substitute(expr string) string {
	return grafanaVariable.ReplaceAllStringFunc(expr, func(m string) string {
		sub := grafanaVariable.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		switch {
		case strings.HasPrefix(name, "__") && (strings.HasSuffix(name, "_ms") || strings.HasSuffix(name, "_s")):
			return "300"
		case strings.HasPrefix(name, "__"):
			return "5m"
		default:
			return "var"
		}
	})
}

// metricName is a selector's metric name, or "" when it has no __name__
// equality matcher.
func metricName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

func selectorNames(e parser.Node) []string {
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			if name := metricName(vs); name != "" {
				out = append(out, name)
			}
		}
		return nil
	})
	return out
}

// lookup is catalog.Lookup, also taking a series name with a suffix its
// family's type lacks to that family (for the error).
func lookup(name string) (catalog.Family, bool) {
	if f, ok := catalog.Lookup(name); ok {
		return f, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f, ok := catalog.Lookup(base); ok {
				return f, true
			}
		}
	}
	return catalog.Family{}, false
}

func checkName(name string) error {
	if name == "" || slices.Contains(generated, name) {
		return nil
	}
	f, ok := lookup(name)
	switch {
	case !ok:
		return fmt.Errorf("%s is neither an Antrea metric nor a series Prometheus writes", name)
	case f.NeverExported:
		return fmt.Errorf("%s is defined in Antrea's code but never exported: it matches nothing", name)
	case f.Name != name && !slices.Contains(f.SeriesNames(), name):
		return fmt.Errorf("%s does not exist: %s is a %s, whose series are %s", name, f.Name, f.Type, strings.Join(f.SeriesNames(), ", "))
	case f.Type == catalog.Histogram && name == f.Name:
		return fmt.Errorf("%s is a histogram: no series has its bare name; use %s", name, strings.Join(f.SeriesNames(), ", "))
	}
	return nil
}

func checkCall(c *parser.Call) []error {
	var errs []error
	switch {
	case slices.Contains(counterFuncs, c.Func.Name) && len(c.Args) == 1:
		for _, name := range selectorNames(c.Args[0]) {
			if isGauge(name) {
				errs = append(errs, fmt.Errorf("%s() over %s, a gauge whose values go up and down: show the gauge itself, "+
					"or use a *_over_time function", c.Func.Name, name))
			}
		}
	case c.Func.Name == "histogram_quantile" && len(c.Args) == 2:
		for _, name := range selectorNames(c.Args[1]) {
			if f, ok := catalog.Lookup(name); !ok || f.Type != catalog.Histogram || name != f.Name+"_bucket" {
				errs = append(errs, fmt.Errorf("histogram_quantile() over %s, which is no histogram's _bucket series", name))
			}
		}
	}
	return errs
}

// isGauge says whether a known series goes up and down: a gauge that is not
// Cumulative, a summary's quantiles, or a series Prometheus writes.
func isGauge(name string) bool {
	if slices.Contains(generated, name) {
		return true
	}
	f, ok := catalog.Lookup(name)
	switch {
	case !ok:
		return false // reported as unknown already
	case f.Type == catalog.Gauge:
		return !f.Cumulative
	case f.Type == catalog.Summary:
		return name == f.Name
	default:
		return false
	}
}
