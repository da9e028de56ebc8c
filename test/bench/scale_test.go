//go:build envtest

package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

// BenchmarkPrometheusScale's settings (doc.go).
const (
	// scaleAgents is how many simulated agents every configuration scrapes.
	scaleAgents = 1000
	// scaleInterval is the scrape (and rule evaluation) interval.
	scaleInterval = 10 * time.Second
	// settleScrapes: a configuration has settled once every target's last
	// settleScrapes scrapes succeeded and none of them added a series.
	settleScrapes = 3
	// settleTimeout bounds the wait for that.
	settleTimeout = 3 * time.Minute
	// reviewCacheTTL: each simulated server reviews the scraping token and
	// its access once for the whole run (see doc.go).
	reviewCacheTTL = 15 * time.Minute
	// minServedPerAgent: an agent's scrape must be the realistic body
	// (about 1,037 samples), not Antrea's families alone.
	minServedPerAgent = 1000

	// The goals, as shares of the guide's figures.
	maxEssentialSeriesRatio = 0.2
	maxEssentialRSSRatio    = 0.3

	// pprofDirEnv, when set, names a folder where each configuration's
	// heap profile (taken by the forced GC) is written.
	pprofDirEnv = "BENCH_PPROF_DIR"
)

// scrapeConfig is one configuration the benchmark runs Prometheus on.
type scrapeConfig struct {
	name string
	// yaml is a runnable prometheus.yml.
	yaml string
	// keepsAll: the configuration keeps every series an agent serves.
	keepsAll bool
}

// scrapeRun is what one configuration measured, once settled.
type scrapeRun struct {
	name string
	// headSeries is prometheus_tsdb_head_series.
	headSeries float64
	// served and kept are the samples of one agent's scrape before and
	// after metric relabelling (scrape_samples_scraped and
	// scrape_samples_post_metric_relabeling), the same for every agent.
	served, kept float64
	// rss is VmRSS after a forced GC less the heap the GC freed and the Go
	// runtime still holds (doc.go); rawRSS is VmRSS at that moment, and
	// liveHeap the Go heap then.
	rss, rawRSS, liveHeap uint64
	settled, took         time.Duration
}

func (r scrapeRun) seriesPerAgent() float64 { return r.headSeries / scaleAgents }

// BenchmarkPrometheusScale runs a real Prometheus on three configurations
// against the same 1,000 simulated Antrea agents, one after another, each
// in a fresh TSDB, and compares the series it stores and the memory it
// needs (doc.go). Run it once: -benchtime=1x.
func BenchmarkPrometheusScale(b *testing.B) {
	if err := fixtures.RequireEnv("make bench", "KUBEBUILDER_ASSETS", "KUBE_CONTROLLER_MANAGER", "PROMETHEUS"); err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	start := time.Now()
	progress := func(s string) { fmt.Fprintf(os.Stderr, "==> [%s] %s\n", time.Since(start).Round(time.Second), s) }
	configs := scaleConfigs(b, ctx, progress)
	progress(fmt.Sprintf("World ready: %d agents serving the realistic body", scaleAgents))

	runs := map[string]scrapeRun{}
	for _, c := range configs {
		progress(fmt.Sprintf("Configuration %s: a fresh Prometheus scraping %d agents every %s", c.name, scaleAgents, scaleInterval))
		r, err := runScrape(ctx, c, progress)
		if err != nil {
			b.Fatalf("configuration %s: %v", c.name, err)
		}
		b.Logf("%-9s %7.1f series/agent (head %.0f; an agent's scrape: %.0f samples served, %.0f kept), RSS %.1f MiB (VmRSS %.1f MiB, live heap %.1f MiB), settled after %s, took %s",
			r.name, r.seriesPerAgent(), r.headSeries, r.served, r.kept, mib64(r.rss), mib64(r.rawRSS), mib64(r.liveHeap), r.settled.Round(time.Second), r.took.Round(time.Second))
		runs[c.name] = r
	}
	e, a, g := runs["essential"], runs["all"], runs["guide"]
	ratio := func(x, y float64) float64 { return x / y }
	seriesE, rssE := ratio(e.seriesPerAgent(), g.seriesPerAgent()), ratio(float64(e.rss), float64(g.rss))
	seriesA, rssA := ratio(a.seriesPerAgent(), g.seriesPerAgent()), ratio(float64(a.rss), float64(g.rss))
	for _, r := range []scrapeRun{e, a, g} {
		b.ReportMetric(r.seriesPerAgent(), r.name+"-series/agent")
		b.ReportMetric(mib64(r.rss), r.name+"-rss-MiB")
	}
	b.ReportMetric(seriesE, "essential/guide-series")
	b.ReportMetric(rssE, "essential/guide-rss")
	b.ReportMetric(seriesA, "all/guide-series")
	b.ReportMetric(rssA, "all/guide-rss")
	b.Logf("Essential/guide: series per agent %.3f (goal <= %.2f), RSS %.3f (goal <= %.2f); live heap %.3f, VmRSS %.3f",
		seriesE, maxEssentialSeriesRatio, rssE, maxEssentialRSSRatio, ratio(float64(e.liveHeap), float64(g.liveHeap)), ratio(float64(e.rawRSS), float64(g.rawRSS)))
	b.Logf("All/guide: series per agent %.3f, RSS %.3f; live heap %.3f, VmRSS %.3f",
		seriesA, rssA, ratio(float64(a.liveHeap), float64(g.liveHeap)), ratio(float64(a.rawRSS), float64(g.rawRSS)))
	b.Logf("total %s", time.Since(start).Round(time.Second))
	var missed []string
	if seriesE > maxEssentialSeriesRatio {
		missed = append(missed, fmt.Sprintf("Essential stores %.3f of the guide's series per agent (goal <= %.2f)", seriesE, maxEssentialSeriesRatio))
	}
	if rssE > maxEssentialRSSRatio {
		missed = append(missed, fmt.Sprintf("Prometheus on Essential needs %.3f of the guide's RSS: %.1f MiB against %.1f MiB (goal <= %.2f)",
			rssE, mib64(e.rss), mib64(g.rss), maxEssentialRSSRatio))
	}
	if len(missed) > 0 {
		b.Fatalf("goals missed at %d agents: %s", scaleAgents, strings.Join(missed, "; "))
	}
}

// scaleConfigs starts the world (a real API server, the operator in mode
// Managed, the simulated Antrea) and returns the three configurations:
// the operator's with profile Essential (its default), the operator's
// with profile All, and the guide's jobs.
func scaleConfigs(b *testing.B, ctx context.Context, progress func(string)) []scrapeConfig {
	b.Helper()
	mw, err := fixtures.StartManagedWorld(ctx, fixtures.ManagedWorldOptions{
		WorldOptions: fixtures.WorldOptions{
			CRDDir:         filepath.Join("..", "..", "config", "crd", "bases"),
			PrometheusBin:  os.Getenv("PROMETHEUS"),
			Agents:         scaleAgents,
			ReviewCacheTTL: reviewCacheTTL,
			ScrapeInterval: scaleInterval.String(),
			// Its checks go to the managed Prometheus's URL, where nothing
			// runs here: the measured processes listen on ports of their own.
			HealthInterval: "1h",
			Progress:       progress,
		},
		Namespace:       "monitoring",
		DeferPrometheus: true,
	})
	if mw != nil {
		b.Cleanup(mw.Stop)
	}
	if err != nil {
		b.Fatalf("starting the world: %v", err)
	}
	progress("Waiting for the operator's rollout of Antrea (metrics turned on) to replace every pod")
	if err := waitRolledOut(ctx, mw.Client, scaleAgents+1); err != nil {
		b.Fatal(err)
	}
	progress(fmt.Sprintf("Creating the cluster's own workloads: %d pods a Node behind Services", workloadPodsPerNode))
	n := createWorkloads(b, ctx, mw.Config, scaleAgents)
	progress(fmt.Sprintf("%d workload pods running", n))
	am, err := mw.GetMonitoring(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if am.Spec.Prometheus.Series.Profile != monitoringv1alpha1.SeriesEssential {
		b.Fatalf("the AntreaMonitoring's series profile is %q, want the default %q", am.Spec.Prometheus.Series.Profile, monitoringv1alpha1.SeriesEssential)
	}
	essential := mw.Runnable
	progress("Setting spec.prometheus.series.profile to All and waiting for the operator's new prometheus.yml")
	am.Spec.Prometheus.Series.Profile = monitoringv1alpha1.SeriesAll
	if err := fixtures.UpdateSpec(ctx, mw.Client, am); err != nil {
		b.Fatal(err)
	}
	if err := mw.Redeliver(ctx, func(cfg string) bool { return !strings.Contains(cfg, "metric_relabel_configs") }); err != nil {
		b.Fatal(err)
	}
	// The guide's Prometheus runs as the managed one's ServiceAccount: its
	// ClusterRole grants what the guide's does (nodes, services,
	// endpoints, pods; GET /metrics).
	guide, err := fixtures.ManagedRunnableConfig(fixtures.GuidePrometheusConfig(fixtures.WorldAntreaNamespace, scaleInterval.String()), mw.Config.Host, mw.Mounts)
	if err != nil {
		b.Fatal(err)
	}
	return []scrapeConfig{{name: "essential", yaml: essential}, {name: "all", yaml: mw.Runnable, keepsAll: true}, {name: "guide", yaml: guide, keepsAll: true}}
}

// waitRolledOut waits until want Antrea pods carry their workload
// template's config hash: the operator's rollout, which turned their
// metrics on, is over.
func waitRolledOut(ctx context.Context, c client.Client, want int) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var ds appsv1.DaemonSet
		var dep appsv1.Deployment
		if err := c.Get(ctx, types.NamespacedName{Namespace: fixtures.WorldAntreaNamespace, Name: "antrea-agent"}, &ds); err != nil {
			return err
		}
		if err := c.Get(ctx, types.NamespacedName{Namespace: fixtures.WorldAntreaNamespace, Name: "antrea-controller"}, &dep); err != nil {
			return err
		}
		hash := map[string]string{fixtures.ComponentAgent: ds.Spec.Template.Annotations[monitoringv1alpha1.ConfigHashAnnotation],
			fixtures.ComponentController: dep.Spec.Template.Annotations[monitoringv1alpha1.ConfigHashAnnotation]}
		// Metadata only: the annotations are all it needs of 1,001 pods.
		pods := &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PodList"}}
		if err := c.List(ctx, pods, client.InNamespace(fixtures.WorldAntreaNamespace), client.MatchingLabels{"app": "antrea"}); err != nil {
			return err
		}
		done := 0
		for _, p := range pods.Items {
			if h := hash[p.Labels["component"]]; h != "" && p.Annotations[monitoringv1alpha1.ConfigHashAnnotation] == h {
				done++
			}
		}
		if done == want && len(pods.Items) == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d Antrea pods rolled out after 5 minutes (want %d)", done, len(pods.Items), want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// runScrape runs a Prometheus on c in a fresh TSDB until it settled,
// measures it, checks what it scraped, and stops it.
func runScrape(ctx context.Context, c scrapeConfig, progress func(string)) (r scrapeRun, err error) {
	r.name = c.name
	t0 := time.Now()
	dir, err := os.MkdirTemp("", "prometheus-scale-"+c.name+"-")
	if err != nil {
		return r, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	file, err := fixtures.WriteFile(dir, "prometheus.yml", c.yaml)
	if err != nil {
		return r, err
	}
	port, err := fixtures.FreePort()
	if err != nil {
		return r, err
	}
	p := &fixtures.Prometheus{Bin: os.Getenv("PROMETHEUS"), Dir: dir, ConfigFile: file, Port: port}
	if err := p.Start(ctx); err != nil {
		return r, err
	}
	defer func() {
		p.Stop()
		if err != nil {
			err = fmt.Errorf("%w\nPrometheus's log:\n%s", err, tail(p.Logs.String(), 40))
		}
	}()
	c0, err := promapi.NewClient(promapi.Config{Address: p.URL()})
	if err != nil {
		return r, err
	}
	api := promv1.NewAPI(c0)

	if err := waitSettled(ctx, api, scaleAgents+1); err != nil {
		return r, err
	}
	r.settled = time.Since(t0)
	progress(fmt.Sprintf("%s: settled after %s", c.name, r.settled.Round(time.Second)))
	before, err := selfMetrics(ctx, p.URL())
	if err != nil {
		return r, err
	}
	if r.rss, r.rawRSS, r.liveHeap, err = settledRSS(ctx, p, c.name); err != nil {
		return r, err
	}
	after, err := selfMetrics(ctx, p.URL())
	if err != nil {
		return r, err
	}
	r.headSeries = after["prometheus_tsdb_head_series"]
	if h := before["prometheus_tsdb_head_series"]; h != r.headSeries {
		return r, fmt.Errorf("the head changed from %.0f to %.0f series while it was measured: not settled", h, r.headSeries)
	}
	if err := checkScraped(ctx, api, c, &r); err != nil {
		return r, err
	}
	r.took = time.Since(t0)
	return r, nil
}

// waitSettled waits until each of the targets' last settleScrapes scrapes
// succeeded, and the last one of each added no series: the head holds
// every series the configuration keeps, and no more will come.
func waitSettled(ctx context.Context, api promv1.API, targets int) error {
	// A window a little longer than settleScrapes intervals holds the last
	// settleScrapes scrapes of each target.
	window := model.Duration(time.Duration(settleScrapes)*scaleInterval + scaleInterval/2)
	upQuery := fmt.Sprintf("count(sum_over_time(up[%s]) >= %d)", window, settleScrapes)
	deadline := time.Now().Add(settleTimeout)
	for {
		up, err := scalar(ctx, api, upQuery)
		if err != nil {
			return err
		}
		added := -1.0
		if int(up) == targets {
			if added, err = scalar(ctx, api, "sum(scrape_series_added)"); err != nil {
				return err
			}
			if added == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not settled after %s: %.0f of %d targets scraped %d times in a row, last scrapes adding %.0f series", settleTimeout, up, targets, settleScrapes, added)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// settledRSS forces a garbage collection in Prometheus (its heap profile
// handler runs runtime.GC first) and reads, right after it, its VmRSS and
// Go heap: rss is VmRSS less the heap the collection left free that the Go
// runtime has not yet returned to the kernel (heap idle minus released),
// the resident memory of what Prometheus holds, whenever its last GC ran
// and however high its heap went before (doc.go).
func settledRSS(ctx context.Context, p *fixtures.Prometheus, name string) (rss, raw, live uint64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL()+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return 0, 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("forcing a GC: %w", err)
	}
	profile, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("forcing a GC: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, 0, fmt.Errorf("forcing a GC: HTTP %d", resp.StatusCode)
	}
	raw = procStatus(p.Pid(), "VmRSS")
	m, err := selfMetrics(ctx, p.URL())
	if err != nil {
		return 0, 0, 0, err
	}
	if raw == 0 {
		return 0, 0, 0, errors.New("no VmRSS for the Prometheus process")
	}
	free := m["go_memstats_heap_idle_bytes"] - m["go_memstats_heap_released_bytes"]
	rss = raw - min(uint64(max(free, 0)), raw)
	if dir := os.Getenv(pprofDirEnv); dir != "" {
		if _, err := fixtures.WriteFile(dir, "prometheus-"+name+".heap.pb.gz", string(profile)); err != nil {
			return 0, 0, 0, err
		}
	}
	return rss, raw, uint64(m["go_memstats_heap_alloc_bytes"]), nil
}

// checkScraped checks that every target is up, that each agent served the
// realistic body and how much of it the configuration kept, the same for
// every agent.
func checkScraped(ctx context.Context, api promv1.API, c scrapeConfig, r *scrapeRun) error {
	for job, want := range map[string]int{render.AgentsJob: scaleAgents, render.ControllersJob: 1} {
		up, err := scalar(ctx, api, fmt.Sprintf("count(up{job=%q} == 1)", job))
		if err != nil {
			return err
		}
		if int(up) != want {
			return fmt.Errorf("%.0f targets of job %s up, want %d", up, job, want)
		}
	}
	var err error
	if r.served, err = sameForEveryAgent(ctx, api, "scrape_samples_scraped"); err != nil {
		return err
	}
	if r.kept, err = sameForEveryAgent(ctx, api, "scrape_samples_post_metric_relabeling"); err != nil {
		return err
	}
	switch {
	case r.served < minServedPerAgent:
		return fmt.Errorf("an agent's scrape served %.0f samples, not the realistic body (at least %d)", r.served, minServedPerAgent)
	case c.keepsAll && r.kept != r.served:
		return fmt.Errorf("keeps %.0f of the %.0f samples an agent serves, not every one", r.kept, r.served)
	case !c.keepsAll && r.kept >= r.served:
		return fmt.Errorf("keeps all %.0f samples an agent serves: no series profile applied", r.served)
	}
	return nil
}

// sameForEveryAgent is metric's value for the agents' job, which must be
// the same for every agent.
func sameForEveryAgent(ctx context.Context, api promv1.API, metric string) (float64, error) {
	sel := fmt.Sprintf("%s{job=%q}", metric, render.AgentsJob)
	lo, err := scalar(ctx, api, "min("+sel+")")
	if err != nil {
		return 0, err
	}
	hi, err := scalar(ctx, api, "max("+sel+")")
	if err != nil {
		return 0, err
	}
	if lo != hi {
		return 0, fmt.Errorf("%s differs between agents: %.0f to %.0f", metric, lo, hi)
	}
	return lo, nil
}

// scalar runs an instant query that returns at most one sample (none: 0).
func scalar(ctx context.Context, api promv1.API, query string) (float64, error) {
	res, _, err := api.Query(ctx, query, time.Time{})
	if err != nil {
		return 0, fmt.Errorf("query %s: %w", query, err)
	}
	vec, ok := res.(model.Vector)
	if !ok || len(vec) > 1 {
		return 0, fmt.Errorf("query %s: want at most one sample, got %s", query, res)
	}
	if len(vec) == 0 {
		return 0, nil
	}
	return float64(vec[0].Value), nil
}

// selfMetrics reads Prometheus's own unlabelled samples from its /metrics
// (none of the configurations scrapes Prometheus itself).
func selfMetrics(ctx context.Context, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// procStatus is a /proc/<pid>/status field in bytes (VmRSS, VmHWM), 0
// when unknown.
func procStatus(pid int, field string) uint64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

func mib64(n uint64) float64 { return float64(n) / (1 << 20) }

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
