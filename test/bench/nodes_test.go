//go:build envtest

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

const (
	// smallNodes and defaultLargeNodes are the two clusters compared
	// (BENCH_NODES sets the larger).
	smallNodes        = 3
	defaultLargeNodes = 5000
	// maxReconcileRatio is the goal: one reconcile at largeNodes takes at
	// most 10 times one at smallNodes.
	maxReconcileRatio = 10.0
	// heartbeatPeriod is how often each agent rewrites its AntreaAgentInfo,
	// as Antrea's agents do.
	heartbeatPeriod = time.Minute
	// heartbeaters is how many goroutines send the heartbeats.
	heartbeaters = 4
	// agentAPIPort is the port every agent reports (Antrea's default).
	agentAPIPort = 10350
	// reconcileAnnotation is the annotation bumped to force a reconcile.
	reconcileAnnotation = "bench.monitoring.antrea.io/reconcile"
	// reconcileController is the controller's name in controller-runtime's
	// metrics.
	reconcileController = "antreamonitoring"
	// profileDirEnv names a folder where each operator process writes a
	// heap profile when its memory is read and a CPU profile of its forced
	// reconciles (for looking into a failure; unset: none).
	profileDirEnv = "BENCH_PROFILE_DIR"
)

func BenchmarkOperatorNodes(b *testing.B) {
	if err := fixtures.RequireEnv("make bench", "KUBEBUILDER_ASSETS"); err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	start := time.Now()
	cfg, kubeconfig, c := startControlPlane(b, fixtures.AntreaCRDDir())
	am := setupWorld(b, ctx, c)
	bulk := bulkCRClient(b, cfg)
	aci := fixtures.AntreaControllerInfo(fixtures.DefaultAntreaVersion, antreaNamespace, fixtures.ControllerPodName, "node-0", 10349)
	if err := bulk.Create(ctx, aci); err != nil {
		b.Fatal(err)
	}
	b.Logf("control plane, simulated Antrea and AntreaMonitoring %s (mode ScrapeConfig) ready in %s", monitoringName, time.Since(start).Round(time.Millisecond))

	repeats := positiveEnv(b, "BENCH_REPEATS", 3)
	reconciles := positiveEnv(b, "BENCH_RECONCILES", 20)
	largeNodes := positiveEnv(b, "BENCH_NODES", defaultLargeNodes)
	// The operator's one-time work: it enables Antrea's metrics and rolls
	// the agents' DaemonSet out (the config hash in its pod template), which
	// the pods are then made from.
	warm := runChild(b, ctx, c, am, kubeconfig, 0)
	b.Logf("warm-up operator: ready in %s, cached %v", warm.Ready.Round(time.Millisecond), warm.Cached)

	f, err := newSimFleet(ctx, bulk)
	if err != nil {
		b.Fatal(err)
	}
	hb := startHeartbeats(bulk, f)
	b.Cleanup(hb.stop)

	phase := func(nodes int) (memStats, []float64, []memStats) {
		t0 := time.Now()
		if err := f.grow(ctx, nodes); err != nil {
			b.Fatalf("growing the fleet to %d Nodes: %v", nodes, err)
		}
		b.Logf("%d Nodes: agent pods, AntreaAgentInfo objects and DaemonSet status ready in %s", nodes, time.Since(t0).Round(time.Millisecond))
		beats := hb.sent.Load()
		t0 = time.Now()
		label := fmt.Sprintf("%d Nodes", nodes)
		mem, runs := measure(b, ctx, c, am, kubeconfig, label, repeats, reconciles)
		rate := float64(hb.sent.Load()-beats) / time.Since(t0).Seconds()
		b.Logf("%s: %.1f heartbeats/s during the measurement (%d agents every %s: %.1f/s)", label, rate, nodes, heartbeatPeriod, float64(nodes)/heartbeatPeriod.Seconds())
		if err := hb.err(); err != nil {
			b.Fatalf("heartbeats: %v", err)
		}
		var times []float64
		for _, r := range runs {
			times = append(times, r.Reconciles...)
		}
		return mem, times, runs
	}
	small, smallTimes, _ := phase(smallNodes)
	large, largeTimes, largeRuns := phase(largeNodes)
	hb.stop()

	report := func(name string, small, large float64) float64 {
		x := large / small
		b.ReportMetric(small, fmt.Sprintf("nodes-%d-%s", smallNodes, name))
		b.ReportMetric(large, fmt.Sprintf("nodes-%d-%s", largeNodes, name))
		b.ReportMetric(x, "x-"+name)
		return x
	}
	xAlloc := report("heapalloc-B", float64(small.HeapAlloc), float64(large.HeapAlloc))
	xInuse := report("heapinuse-B", float64(small.HeapInuse), float64(large.HeapInuse))
	xRSS := report("rss-B", float64(small.RSS), float64(large.RSS))
	smallMedian, largeMedian := median(smallTimes), median(largeTimes)
	xReconcile := report("reconcile-s", smallMedian, largeMedian)
	b.ReportMetric(float64(largeNodes), "nodes")

	b.Logf("memory at %d Nodes against %d: live heap (HeapAlloc after GC) %s against %s: %.2fx; HeapInuse %s against %s: %.2fx; RSS %s against %s: %.2fx (no goal; per Node: %.0f B live heap)",
		largeNodes, smallNodes, mib(large.HeapAlloc), mib(small.HeapAlloc), xAlloc, mib(large.HeapInuse), mib(small.HeapInuse), xInuse,
		mib(large.RSS), mib(small.RSS), xRSS, (float64(large.HeapAlloc)-float64(small.HeapAlloc))/float64(largeNodes-smallNodes))
	b.Logf("one reconcile at %d Nodes against %d: median %s of %d against %s of %d: %.2fx (goal <= %.0fx); total run %s",
		largeNodes, smallNodes, seconds(largeMedian), len(largeTimes), seconds(smallMedian), len(smallTimes), xReconcile, maxReconcileRatio, time.Since(start).Round(time.Second))
	b.Logf("reconcile times (information): %d Nodes min %s, p90 %s; %d Nodes min %s, p90 %s",
		smallNodes, seconds(slices.Min(smallTimes)), seconds(quantile(smallTimes, 0.9)), largeNodes, seconds(slices.Min(largeTimes)), seconds(quantile(largeTimes, 0.9)))
	// An unchanged world makes no API call (see scope in controllers):
	// reported, not checked here (the envtest suite checks it).
	var requests float64
	for _, r := range largeRuns {
		for _, n := range r.Requests {
			requests += n
		}
		if r.OtherReconciles > 0 || len(r.Requests) > 0 {
			b.Logf("at %d Nodes the forced reconciles were not alone or not free: %d other reconciles, API requests %v", largeNodes, r.OtherReconciles, r.Requests)
		}
	}
	b.ReportMetric(requests/float64(len(largeTimes)), fmt.Sprintf("nodes-%d-requests/reconcile", largeNodes))
	if xReconcile > maxReconcileRatio {
		b.Fatalf("one reconcile at %d Nodes takes %.2fx one at %d (median %s against %s; goal <= %.0fx)",
			largeNodes, xReconcile, smallNodes, seconds(largeMedian), seconds(smallMedian), maxReconcileRatio)
	}
}

// positiveEnv is the positive number in environment variable name, def
// when unset.
func positiveEnv(b *testing.B, name string, def int) int {
	b.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// bulkCRClient is an uncached client for creating and updating many
// objects fast: no client-side rate limit (protobuf for built-in kinds,
// as controller-runtime's client does by default).
func bulkCRClient(b *testing.B, cfg *rest.Config) client.Client {
	b.Helper()
	bulk := rest.CopyConfig(cfg)
	bulk.QPS, bulk.Burst = -1, 0
	c, err := client.New(bulk, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// simFleet is the simulated Antrea's agents, one per Node: running pods
// made by the antrea-agent DaemonSet from its template as it is after the
// operator's rollout, and the AntreaAgentInfo each agent publishes.
type simFleet struct {
	c  client.Client
	ds *appsv1.DaemonSet
	// nodes is how many agents exist (node-0 to node-<nodes-1>).
	nodes atomic.Int64
}

func newSimFleet(ctx context.Context, c client.Client) (*simFleet, error) {
	f := &simFleet{c: c, ds: &appsv1.DaemonSet{}}
	if err := c.Get(ctx, types.NamespacedName{Namespace: antreaNamespace, Name: "antrea-agent"}, f.ds); err != nil {
		return nil, err
	}
	if f.ds.Spec.Template.Annotations[monitoringv1alpha1.ConfigHashAnnotation] == "" {
		return nil, fmt.Errorf("DaemonSet %s/antrea-agent was not rolled out: its pod template has no %s", antreaNamespace, monitoringv1alpha1.ConfigHashAnnotation)
	}
	// The controller's pod, from its Deployment's template.
	var dep appsv1.Deployment
	if err := c.Get(ctx, types.NamespacedName{Namespace: antreaNamespace, Name: "antrea-controller"}, &dep); err != nil {
		return nil, err
	}
	return f, fixtures.CreateRunning(ctx, c, fixtures.DeploymentPod(&dep, 10349))
}

// grow adds agents up to n (parallel creators), then reports them in the
// DaemonSet's status, as its controller would, and starts their heartbeats.
func (f *simFleet) grow(ctx context.Context, n int) error {
	from := int(f.nodes.Load())
	err := parallel(ctx, n-from, func(k int) error {
		i := from + k
		if err := fixtures.CreateRunning(ctx, f.c, fixtures.DaemonSetPod(f.ds, i, agentAPIPort)); err != nil {
			return err
		}
		info := fixtures.AntreaAgentInfo(fmt.Sprintf("node-%d", i), fixtures.DefaultAntreaVersion, antreaNamespace, fixtures.AgentPodName(i), agentAPIPort, []byte(agentCA))
		maps.Copy(info.Object, fixtures.AgentStatus(i, time.Now(), 0))
		return f.c.Create(ctx, info)
	})
	if err != nil {
		return err
	}
	ds := f.ds.DeepCopy()
	n32 := int32(n)
	ds.Status = appsv1.DaemonSetStatus{ObservedGeneration: ds.Generation, DesiredNumberScheduled: n32, CurrentNumberScheduled: n32,
		UpdatedNumberScheduled: n32, NumberReady: n32, NumberAvailable: n32}
	if err := f.c.Status().Patch(ctx, ds, client.MergeFrom(f.ds)); err != nil {
		return fmt.Errorf("reporting %d agents in the DaemonSet's status: %w", n, err)
	}
	f.ds = ds
	f.nodes.Store(int64(n))
	return nil
}

// agentCA stands for the PEM each agent reports (apiCABundle): agents
// sign their own certificates, so every one differs in a real cluster; the
// size is what matters here.
var agentCA = "-----BEGIN CERTIFICATE-----\n" + payload + "\n-----END CERTIFICATE-----\n"

// heartbeats rewrites each agent's AntreaAgentInfo once per
// heartbeatPeriod, spread evenly over it, as Antrea's agents do (a JSON
// merge patch of fixtures.AgentStatus at the time of the beat).
type heartbeats struct {
	sent    atomic.Int64
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	lastErr error
}

func startHeartbeats(c client.Client, f *simFleet) *heartbeats {
	h := &heartbeats{}
	// Cancelling stops the schedule; a beat under way is finished.
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	due := make(chan int, heartbeaters)
	for range heartbeaters {
		h.wg.Go(func() {
			for i := range due {
				if err := beat(c, i, int(h.sent.Load())); err != nil {
					h.mu.Lock()
					h.lastErr = fmt.Errorf("agent on node-%d: %w", i, err)
					h.mu.Unlock()
				}
				h.sent.Add(1)
			}
		})
	}
	h.wg.Go(func() {
		defer close(due)
		// Agent i beats at i/n of each period (n agents): when n grows the
		// round starts over with the new spread.
		for ctx.Err() == nil {
			n := int(f.nodes.Load())
			if n == 0 {
				sleep(ctx, 100*time.Millisecond)
				continue
			}
			round := time.Now()
			grown := func() bool { return int(f.nodes.Load()) != n }
			for i := 0; i < n && ctx.Err() == nil && !grown(); i++ {
				if sleepUntil(ctx, round.Add(heartbeatPeriod*time.Duration(i)/time.Duration(n)), grown) {
					select {
					case due <- i:
					case <-ctx.Done():
					}
				}
			}
			sleepUntil(ctx, round.Add(heartbeatPeriod), grown)
		}
	})
	return h
}

// sleepUntil sleeps until t and says true, or returns false as soon as ctx
// is done or stop says so (checked every 100 ms).
func sleepUntil(ctx context.Context, t time.Time, stop func() bool) bool {
	for d := time.Until(t); d > 0; d = time.Until(t) {
		if ctx.Err() != nil || stop() {
			return false
		}
		sleep(ctx, min(d, 100*time.Millisecond))
	}
	return ctx.Err() == nil && !stop()
}

// beat sends one heartbeat of the agent on node-<i>.
func beat(c client.Client, i, seq int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	patch, err := json.Marshal(fixtures.AgentStatus(i, time.Now(), seq))
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("crd.antrea.io/v1beta1")
	u.SetKind("AntreaAgentInfo")
	u.SetName(fmt.Sprintf("node-%d", i))
	return c.Patch(ctx, u, client.RawPatch(types.MergePatchType, patch))
}

func (h *heartbeats) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastErr
}

// stop ends the heartbeats (again: nothing).
func (h *heartbeats) stop() {
	h.cancel()
	h.wg.Wait()
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// forceReconciles makes the operator reconcile its AntreaMonitoring n
// times, one after the other: it bumps an annotation (the controller's
// predicate passes annotation changes) and waits for the reconcile to end.
// It returns each one's time as controller-runtime measured it around
// Reconcile (controller_runtime_reconcile_time_seconds: its sum grows by
// exactly that time), how many other reconciles ran meanwhile, and the API
// requests the operator made meanwhile (rest_client_requests_total by
// method), its bumps left out: an unchanged world makes none.
func forceReconciles(ctx context.Context, c client.Client, n int) ([]float64, int, map[string]float64, error) {
	before := requestCounts()
	var times []float64
	other := 0
	for i := range n {
		count0, sum0 := reconcileTime()
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, reconcileAnnotation, fmt.Sprintf("%d-%d", time.Now().UnixNano(), i))
		am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: monitoringName}}
		if err := c.Patch(ctx, am, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			return nil, 0, nil, err
		}
		deadline := time.Now().Add(time.Minute)
		for {
			if count, _ := reconcileTime(); count > count0 {
				break
			}
			if time.Now().After(deadline) {
				return nil, 0, nil, fmt.Errorf("reconcile %d did not run within a minute of its bump", i)
			}
			// Not faster: a Gather reads /proc and costs the operator CPU.
			sleep(ctx, 20*time.Millisecond)
		}
		// Anything the reconcile set off (nothing, in an unchanged world).
		sleep(ctx, 100*time.Millisecond)
		count1, sum1 := reconcileTime()
		times = append(times, (sum1-sum0)/float64(count1-count0))
		other += int(count1-count0) - 1
	}
	requests := map[string]float64{}
	for method, v := range requestCounts() {
		if method == "PATCH" {
			v -= float64(n)
		}
		if d := v - before[method]; d > 0 {
			requests[method] = d
		}
	}
	return times, other, requests, nil
}

// reconcileTime is the controller's controller_runtime_reconcile_time_seconds
// histogram: how many reconciles it observed and their total time.
func reconcileTime() (uint64, float64) {
	var count uint64
	var sum float64
	families, _ := crmetrics.Registry.Gather()
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_time_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == reconcileController {
					count += m.GetHistogram().GetSampleCount()
					sum += m.GetHistogram().GetSampleSum()
				}
			}
		}
	}
	return count, sum
}

// requestCounts is the process's API requests by method
// (rest_client_requests_total, which controller-runtime registers).
func requestCounts() map[string]float64 {
	out := map[string]float64{}
	families, _ := crmetrics.Registry.Gather()
	for _, f := range families {
		if f.GetName() != "rest_client_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "method" {
					out[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// median is the middle value (the upper one of an even count).
func median(v []float64) float64 { return quantile(v, 0.5) }

// quantile is the value at q (0 to 1) of v sorted, without interpolation.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

// writeHeapProfile writes the process's heap profile into the folder
// profileDirEnv names, if any.
func writeHeapProfile() error {
	out, err := createProfile("heap")
	if out == nil || err != nil {
		return err
	}
	return errors.Join(pprof.WriteHeapProfile(out), out.Close())
}

// startCPUProfile profiles the process's CPU into the folder profileDirEnv
// names, if any, until stop.
func startCPUProfile() (stop func() error, err error) {
	out, err := createProfile("cpu-reconciles")
	if out == nil || err != nil {
		return func() error { return nil }, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		return nil, errors.Join(err, out.Close())
	}
	return func() error {
		pprof.StopCPUProfile()
		return out.Close()
	}, nil
}

// createProfile creates <kind>-<pid>.pprof in the folder profileDirEnv
// names; nil when it names none.
func createProfile(kind string) (*os.File, error) {
	dir := os.Getenv(profileDirEnv)
	if dir == "" {
		return nil, nil
	}
	return os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", kind, os.Getpid())))
}
