package render

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog/promqlcheck"
)

// grafanaDashboard is the part of Grafana's dashboard model the tests read.
type grafanaDashboard struct {
	Panels []struct {
		Type, Title, Description string
		Datasource               struct{ Type, UID string }
		Targets                  []struct{ Expr, LegendFormat string }
	}
	Templating struct {
		List []struct{ Name, Type, Query, Regex, AllValue string }
	}
}

func parseDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	var d grafanaDashboard
	if err := json.Unmarshal([]byte(DashboardJSON()), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDashboardPanels: the rows in order; every panel describes itself,
// reads the chosen Prometheus and has a query.
func TestDashboardPanels(t *testing.T) {
	d := parseDashboard(t)
	var rows []string
	panels := 0
	for _, p := range d.Panels {
		if p.Type == "row" {
			rows = append(rows, p.Title)
			continue
		}
		panels++
		if p.Description == "" {
			t.Errorf("panel %q has no description", p.Title)
		}
		if p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q reads datasource %q, not the dashboard's variable", p.Title, p.Datasource.UID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
	want := []string{"Fleet", "Agents", "OVS", "Conntrack", "Controller", "AntreaProxy", "Scrape health", "Resources"}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("dashboard rows (-want +got):\n%s", diff)
	}
	if panels < 30 {
		t.Errorf("the dashboard has %d panels, want at least 30", panels)
	}
}

// TestDashboardFleetViews: no query draws a line per Node: each is a sum,
// a count, quantiles, or the top 10 (5,000 lines at 5,000 Nodes otherwise).
func TestDashboardFleetViews(t *testing.T) {
	for _, p := range parseDashboard(t).Panels {
		for _, tg := range p.Targets {
			if err := promqlcheck.Unbounded(tg.Expr, "instance", 10); err != nil {
				t.Errorf("panel %q: %v", p.Title, err)
			}
		}
	}
}

// selectorRe finds a metric name and its matchers in a query.
// (a quoted value may hold braces: ${node:regex}).
var selectorRe = regexp.MustCompile(`\b([a-z_:][a-z0-9_:]*)\{((?:[^{}"]|"[^"]*")*)\}`)

// TestDashboardVariables: the variables cluster, job and node exist, and
// every selector of every query honours them: the cluster always, the
// Node on agents' series, the job on the scrape-health series.
func TestDashboardVariables(t *testing.T) {
	d := parseDashboard(t)
	var names []string
	for _, v := range d.Templating.List {
		names = append(names, v.Name)
	}
	if diff := cmp.Diff([]string{"datasource", "cluster", "job", "node"}, names); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
	agents := `job="` + AgentsJob + `"`
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			names, err := promqlcheck.MetricNames(tg.Expr)
			if err != nil {
				t.Fatal(err)
			}
			selectors := selectorRe.FindAllStringSubmatch(tg.Expr, -1)
			if len(selectors) < len(names) {
				t.Errorf("panel %q: %s selects a metric without matchers", p.Title, tg.Expr)
			}
			for _, s := range selectors {
				m := s[2]
				switch {
				case !strings.Contains(m, `cluster=~"$cluster"`):
					t.Errorf("panel %q: %s ignores $cluster", p.Title, s[0])
				case strings.Contains(m, agents) && !strings.Contains(m, `instance=~"${node:regex};.*"`):
					t.Errorf("panel %q: %s ignores $node", p.Title, s[0])
				case !strings.Contains(m, "job="):
					t.Errorf("panel %q: %s reads every job", p.Title, s[0])
				}
			}
		}
	}
}

// TestDashboardReadsWhatEssentialKeeps: with the default series profile,
// no panel is empty for lack of a family: every family a query reads is
// one the profile keeps, or a series Prometheus writes itself.
func TestDashboardReadsWhatEssentialKeeps(t *testing.T) {
	essential := SeriesFor(monitoringv1alpha1.SeriesSpec{})
	scrape := regexp.MustCompile(`^(up|scrape_[a-z_]+)$`)
	for _, p := range parseDashboard(t).Panels {
		for _, tg := range p.Targets {
			families, err := promqlcheck.FamiliesIn(tg.Expr)
			if err != nil {
				t.Fatal(err)
			}
			names, _ := promqlcheck.MetricNames(tg.Expr)
			for _, n := range names {
				if scrape.MatchString(n) || slices.Contains(monitoringv1alpha1.EssentialProcessFamilies, n) {
					families = append(families, n)
				}
			}
			if len(families) == 0 {
				t.Errorf("panel %q: %s reads nothing known", p.Title, tg.Expr)
			}
			for _, f := range families {
				if !scrape.MatchString(f) && !essential.Keeps(f) {
					t.Errorf("panel %q reads %s, which profile Essential drops", p.Title, f)
				}
			}
		}
	}
}

// TestDashboardCovers: the rows cover agents, OVS, conntrack, the
// controller, AntreaProxy, the scrape and Antrea's own resources; at
// least 25 Antrea families are read.
func TestDashboardCovers(t *testing.T) {
	used := map[string]bool{}
	for _, p := range parseDashboard(t).Panels {
		for _, tg := range p.Targets {
			families, err := promqlcheck.FamiliesIn(tg.Expr)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range families {
				used[f] = true
			}
		}
	}
	if len(used) < 25 {
		t.Errorf("the dashboard reads %d Antrea families, want at least 25", len(used))
	}
}
