package bench

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health/healthtest"
)

const (
	// benchTargets is the size of the decoded pool: 50,000 agents.
	benchTargets = 50000
	// maxAllocPerBody bounds what one decode may allocate, as a share of
	// the answer's size (see doc.go).
	maxAllocPerBody = 0.25
	// maxRetainedPerTarget bounds what the report keeps per target: its
	// instance name and its entry in PoolReport.Instances.
	maxRetainedPerTarget = 256
)

// BenchmarkTargets decodes one scrape pool of 50,000 Antrea agents with
// Client.Targets from an httptest server (doc.go).
func BenchmarkTargets(b *testing.B) {
	a := healthtest.AgentTargets(benchTargets)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(a.Body)))
		_, _ = w.Write(a.Body)
	}))
	b.Cleanup(srv.Close)
	c := &health.Client{HTTP: srv.Client(), BaseURL: srv.URL}
	body := float64(len(a.Body))

	// One decode outside the timed loop: right answer, bounded memory.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := c.Targets(b.Context(), healthtest.AgentPool)
	if err != nil {
		b.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	allocated := float64(after.TotalAlloc - before.TotalAlloc)
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	if h := r.Health; int(h.Up) != a.Up || int(h.Down) != a.Down || int(h.Unknown) != a.Unknown || len(r.Instances) != benchTargets || r.NeverScraped != a.NeverScraped {
		b.Fatalf("Targets() = %+v with %d instances, want %d up, %d down, %d unknown, %d never scraped, %d instances",
			h, len(r.Instances), a.Up, a.Down, a.Unknown, a.NeverScraped, benchTargets)
	}
	runtime.KeepAlive(r)
	b.Logf("answer: %d targets, %.1f MiB (%.0f B per target)", benchTargets, body/(1<<20), body/benchTargets)
	b.Logf("one decode allocated %.1f MiB in all (%.3f of the answer; goal <= %.2f), the report retains %.2f MiB (%.0f B per target; goal <= %d)",
		allocated/(1<<20), allocated/body, maxAllocPerBody, retained/(1<<20), retained/benchTargets, maxRetainedPerTarget)
	if allocated > maxAllocPerBody*body {
		b.Errorf("decoding %.1f MiB allocated %.1f MiB: over %.2f of the answer, so the answer is held, not streamed", body/(1<<20), allocated/(1<<20), maxAllocPerBody)
	}
	if retained > maxRetainedPerTarget*benchTargets {
		b.Errorf("the report retains %.0f B per target, over %d", retained/benchTargets, maxRetainedPerTarget)
	}

	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Targets(b.Context(), healthtest.AgentPool); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	n := float64(b.N) * benchTargets
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns-per-target")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "bytes-per-target")
	b.ReportMetric(body/benchTargets, "body-bytes-per-target")
	b.ReportMetric(allocated/body, "alloc-per-body")
	b.ReportMetric(retained, "retained-B")
}
