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

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
)

// generated are the series Prometheus itself writes for every target: all
// gauges.
var generated = []string{
	"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
	"scrape_series_added", "scrape_timeout_seconds", "scrape_sample_limit", "scrape_body_size_bytes",
}

// processFamilies are the process and Go runtime families Antrea serves
// (client_golang's collectors) that the default series profile keeps;
// process_cpu_seconds_total is the only counter among them.
var processFamilies = monitoringv1alpha1.EssentialProcessFamilies

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
	if name == "" || slices.Contains(generated, name) || slices.Contains(processFamilies, name) {
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
	if slices.Contains(generated, name) || slices.Contains(processFamilies, name) {
		return name != "process_cpu_seconds_total"
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

// MetricNames returns the metric names expr selects, sorted, each once.
func MetricNames(expr string) ([]string, error) {
	e, err := parse(expr)
	if err != nil {
		return nil, err
	}
	out := selectorNames(e)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// UnguardedDivisions reports every division of expr by a vector that can
// be 0, where 0/0 gives NaN (a gap in a graph at best, a rule that never
// fires at worst). A denominator is guarded when it is filtered with
// "> 0" (not "> bool 0"), a count() (never 0: absent instead), or a
// number other than 0.
func UnguardedDivisions(expr string) []error {
	e, err := parse(expr)
	if err != nil {
		return []error{err}
	}
	var errs []error
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if b, ok := n.(*parser.BinaryExpr); ok && b.Op == parser.DIV && !guarded(b.RHS) {
			errs = append(errs, fmt.Errorf("%s divides by %s, which can be 0: filter it with \"> 0\"", b, b.RHS))
		}
		return nil
	})
	return errs
}

func guarded(e parser.Expr) bool {
	switch e := unparen(e).(type) {
	case *parser.NumberLiteral:
		return e.Val != 0
	case *parser.AggregateExpr:
		return e.Op == parser.COUNT
	case *parser.BinaryExpr:
		if e.Op == parser.GTR && !e.ReturnBool {
			n, ok := e.RHS.(*parser.NumberLiteral)
			return ok && n.Val >= 0
		}
		return false
	default:
		return false
	}
}

// Unbounded reports a query whose result can hold one series per value
// of label (one line per Node, for label instance): its outermost vector
// is not an aggregation without that label, or topk/bottomk/limitk of at
// most max series. A number and vector() are bounded; an operation with a
// number is bounded when its vector is, "or" when both sides are, and
// another operation between vectors when one side is.
func Unbounded(expr, label string, max float64) error {
	e, err := parse(expr)
	if err != nil {
		return err
	}
	if !bounded(e, label, max) {
		return fmt.Errorf("%s can return a series per %s: aggregate it (sum, count, quantile, max) or keep the top %v with topk", expr, label, max)
	}
	return nil
}

func bounded(e parser.Expr, label string, max float64) bool {
	switch e := unparen(e).(type) {
	case *parser.NumberLiteral, *parser.StringLiteral:
		return true
	case *parser.AggregateExpr:
		switch e.Op {
		case parser.TOPK, parser.BOTTOMK, parser.LIMITK:
			n, ok := e.Param.(*parser.NumberLiteral)
			return ok && n.Val <= max
		}
		return !e.Without && !slices.Contains(e.Grouping, label)
	case *parser.BinaryExpr:
		return boundedBinary(e, bounded(e.LHS, label, max), bounded(e.RHS, label, max))
	case *parser.Call:
		return e.Func.Name == "vector" || e.Func.Name == "scalar"
	default:
		return false
	}
}

func unparen(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// boundedBinary says whether e is bounded, its sides being l and r.
func boundedBinary(e *parser.BinaryExpr, l, r bool) bool {
	switch {
	case e.LHS.Type() == parser.ValueTypeScalar:
		return r
	case e.RHS.Type() == parser.ValueTypeScalar:
		return l
	case e.Op == parser.LOR:
		return l && r
	case e.VectorMatching != nil && e.VectorMatching.Card == parser.CardManyToOne:
		return l // group_left: the left side's series
	case e.VectorMatching != nil && e.VectorMatching.Card == parser.CardOneToMany:
		return r
	default: // one-to-one: at most the series of either side
		return l || r
	}
}
