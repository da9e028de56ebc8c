package render

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog/promqlcheck"
)

// TestRuleExpressions checks every rule's expression against Antrea's
// metric catalog (promqlcheck: existing families and series, no rate() of a
// gauge, histogram_quantile() over _bucket only, ...).
func TestRuleExpressions(t *testing.T) {
	groups := AlertRules(allOn)
	if got, want := len(groups[0].Rules), len(alertRules()); got != want {
		t.Fatalf("allOn renders %d of the %d rules: the check would miss some", got, want)
	}
	for _, r := range groups[0].Rules {
		for _, err := range append(promqlcheck.Check(r.Expr.String()), promqlcheck.UnguardedDivisions(r.Expr.String())...) {
			t.Errorf("rule %s: %v", r.Alert, err)
		}
	}
}

// TestRuleNeeds: a rule's needs are exactly the families its expression
// reads, so gating on them is gating on what the rule queries.
func TestRuleNeeds(t *testing.T) {
	for _, r := range alertRules() {
		got, err := promqlcheck.FamiliesIn(r.Expr.String())
		if err != nil {
			t.Fatalf("rule %s: %v", r.Alert, err)
		}
		want := slices.Sorted(slices.Values(r.needs))
		if diff := cmp.Diff(want, got, cmpEmpty); diff != "" {
			t.Errorf("rule %s: families read (-needs +expression):\n%s", r.Alert, diff)
		}
	}
}

// cmpEmpty makes nil and empty slices equal.
var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })

// TestRulesReadOnlyLiveFamilies: for any Antrea, every family a shipped
// rule reads is served by that Antrea and can move.
func TestRulesReadOnlyLiveFamilies(t *testing.T) {
	var antreas []catalog.Antrea
	versions := []*version.Version{nil}
	for _, r := range []string{"1.6.0", "1.12.0", "1.13.0", "2.5.0", "2.5.3", "2.6.0", "2.6.3", "2.7.0", "2.8.0"} {
		versions = append(versions, version.MustParseSemantic(r))
	}
	for _, v := range versions {
		antreas = append(antreas, catalog.Antrea{Version: v})
		for bits := range 1 << 4 {
			f := catalog.Features{Known: true, AntreaProxy: bits&1 != 0, FlowExporter: bits&2 != 0, NodeIPAM: bits&4 != 0, AntreaPolicy: bits&8 != 0}
			f.FlowExporterGate = f.FlowExporter
			antreas = append(antreas, catalog.Antrea{Version: v, Features: f})
		}
	}
	for _, a := range antreas {
		for _, r := range AlertRules(a)[0].Rules {
			families, err := promqlcheck.FamiliesIn(r.Expr.String())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range families {
				if !a.Live(f) {
					t.Errorf("version %v, features %+v: rule %s reads %s, which is not live", a.Version, a.Features, r.Alert, f)
				}
			}
		}
	}
}

// TestDashboardExpressions checks every query of the dashboard, in panels
// and in panels nested in rows, against Antrea's metric catalog, and that
// its divisions are guarded against 0/0 as the rules' are.
func TestDashboardExpressions(t *testing.T) {
	var d map[string]any
	if err := json.Unmarshal([]byte(DashboardJSON()), &d); err != nil {
		t.Fatal(err)
	}
	exprs := map[string][]string{} // panel title -> queries
	var walk func(panels any, where string)
	walk = func(panels any, where string) {
		list, ok := panels.([]any)
		if !ok && panels != nil {
			t.Fatalf("%s: panels is a %T", where, panels)
		}
		for i, p := range list {
			panel, ok := p.(map[string]any)
			if !ok {
				t.Fatalf("%s: panel %d is a %T", where, i, p)
			}
			title := fmt.Sprint(panel["title"])
			if where != "" {
				title = where + "/" + title
			}
			targets, _ := panel["targets"].([]any)
			for _, tg := range targets {
				if expr, ok := tg.(map[string]any)["expr"].(string); ok {
					exprs[title] = append(exprs[title], expr)
				}
			}
			walk(panel["panels"], title)
		}
	}
	walk(d["panels"], "")
	n := 0
	for title, es := range exprs {
		for _, e := range es {
			n++
			for _, err := range append(promqlcheck.Check(e), promqlcheck.UnguardedDivisions(e)...) {
				t.Errorf("panel %s: %v", title, err)
			}
		}
	}
	if n < 25 {
		t.Errorf("found %d queries in the dashboard, want at least 25: the walk misses panels", n)
	}
}
