//go:build envtest

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

const (
	// maxRatio is the goal: loaded memory at most 1.05 times the baseline.
	maxRatio = 1.05

	antreaNamespace = "kube-system"
	promNamespace   = "prometheus"
	promSA          = "prometheus"
	monitoringName  = "antrea"

	// The child process's settings (see doc.go).
	childKubeconfigEnv = "BENCH_OPERATOR_KUBECONFIG"
	childGenerationEnv = "BENCH_OPERATOR_GENERATION"
	childReconcilesEnv = "BENCH_OPERATOR_RECONCILES"
	childResultPrefix  = "BENCH-OPERATOR-MEMSTATS "

	// creators is how many goroutines create the unrelated objects.
	creators = 16
	// objectDataSize is the payload of each unrelated object.
	objectDataSize = 1024
)

// TestMain turns the test binary into the measured operator when the
// benchmark re-executes it (see doc.go); otherwise it runs the benchmarks.
func TestMain(m *testing.M) {
	if kubeconfig := os.Getenv(childKubeconfigEnv); kubeconfig != "" {
		os.Exit(runOperator(kubeconfig))
	}
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	os.Exit(m.Run())
}

// memStats is what one operator process reports.
type memStats struct {
	HeapInuse   uint64 `json:"heapInuse"`
	HeapAlloc   uint64 `json:"heapAlloc"`
	HeapObjects uint64 `json:"heapObjects"`
	RSS         uint64 `json:"rss"`
	// Cached counts the objects each informer holds, by kind.
	Cached map[string]int `json:"cached"`
	// Ready is how long the manager took to sync and reconcile.
	Ready time.Duration `json:"ready"`
	// Reconciles are the forced reconciles' times in seconds
	// (controller_runtime_reconcile_time_seconds), OtherReconciles how
	// many more ran meanwhile and Requests the API requests the operator
	// made meanwhile by method, the bumps left out (forceReconciles).
	Reconciles      []float64          `json:"reconciles,omitempty"`
	OtherReconciles int                `json:"otherReconciles,omitempty"`
	Requests        map[string]float64 `json:"requests,omitempty"`
}

func BenchmarkOperatorMemory(b *testing.B) {
	if err := fixtures.RequireEnv("make bench", "KUBEBUILDER_ASSETS"); err != nil {
		b.Fatal(err)
	}
	b.Run("unrelated-20000", func(b *testing.B) {
		benchMemory(b, "20,000 ConfigMaps and Secrets (1 KiB each) in 20 other namespaces", createUnrelated(20000, 20))
	})
	b.Run("antrea-namespace-configmaps-2000", func(b *testing.B) {
		benchMemory(b, "2,000 ConfigMaps (1 KiB each, without app=antrea) in "+antreaNamespace, createAntreaNamespaceConfigMaps(2000))
	})
}

// creator creates the unrelated objects with an uncached client.
type creator func(ctx context.Context, cs kubernetes.Interface) (int, error)

func benchMemory(b *testing.B, what string, create creator) {
	ctx := b.Context()
	start := time.Now()
	cfg, kubeconfig, c := startControlPlane(b)
	am := setupWorld(b, ctx, c)
	b.Logf("control plane, simulated Antrea and AntreaMonitoring %s (mode ScrapeConfig) ready in %s", monitoringName, time.Since(start).Round(time.Millisecond))

	repeats := positiveEnv(b, "BENCH_REPEATS", 3)
	// The operator's one-time work (Antrea's metrics, the delivered jobs,
	// the ClusterRoles), so every measured run reconciles the same way.
	warm := runChild(b, ctx, c, am, kubeconfig, 0)
	b.Logf("warm-up operator: ready in %s, cached %v", warm.Ready.Round(time.Millisecond), warm.Cached)

	baseline, _ := measure(b, ctx, c, am, kubeconfig, "baseline (empty cluster)", repeats, 0)

	cs := bulkClient(b, cfg)
	t0 := time.Now()
	n, err := create(ctx, cs)
	if err != nil {
		b.Fatalf("creating the unrelated objects: %v", err)
	}
	b.Logf("created %d objects (%s) in %s", n, what, time.Since(t0).Round(time.Millisecond))

	var loaded memStats
	for i := 0; i < b.N; i++ { // -benchtime=1x: once; more iterations keep the worst
		l, _ := measure(b, ctx, c, am, kubeconfig, "loaded ("+what+")", repeats, 0)
		if i == 0 || l.HeapAlloc > loaded.HeapAlloc {
			loaded = l
		}
	}

	// The goal is on the live heap (HeapAlloc after GC): what the cache
	// holds. HeapInuse also counts the spans each P keeps cached and partly
	// empty spans, which vary by about ±10% between runs caching the same
	// objects (doc.go), so it is reported but not checked.
	x := float64(loaded.HeapAlloc) / float64(baseline.HeapAlloc)
	xInuse := float64(loaded.HeapInuse) / float64(baseline.HeapInuse)
	b.ReportMetric(x, "x-memory")
	b.ReportMetric(float64(baseline.HeapAlloc), "baseline-heapalloc-B")
	b.ReportMetric(float64(loaded.HeapAlloc), "loaded-heapalloc-B")
	b.ReportMetric(xInuse, "x-heapinuse")
	b.ReportMetric(float64(baseline.HeapInuse), "baseline-heapinuse-B")
	b.ReportMetric(float64(loaded.HeapInuse), "loaded-heapinuse-B")
	b.ReportMetric(float64(n), "objects")
	b.Logf("live heap (HeapAlloc after GC): baseline %s, loaded %s: %.4fx (goal <= %.2fx)", mib(baseline.HeapAlloc), mib(loaded.HeapAlloc), x, maxRatio)
	b.Logf("HeapInuse (information): baseline %s, loaded %s: %.4fx", mib(baseline.HeapInuse), mib(loaded.HeapInuse), xInuse)
	b.Logf("RSS (information): baseline %s, loaded %s; total run %s", mib(baseline.RSS), mib(loaded.RSS), time.Since(start).Round(time.Second))
	if x > maxRatio {
		b.Fatalf("the operator's memory grew with %s: live heap %.4fx the empty cluster's (%s against %s; goal <= %.2fx); cached objects by kind: baseline %v, loaded %v",
			what, x, mib(loaded.HeapAlloc), mib(baseline.HeapAlloc), maxRatio, baseline.Cached, loaded.Cached)
	}
}

// startControlPlane starts kube-apiserver and etcd with the operator's CRDs
// and those in crdDirs, and returns their config, a kubeconfig file for the
// operator processes and an uncached client.
func startControlPlane(b *testing.B, crdDirs ...string) (*rest.Config, string, client.Client) {
	b.Helper()
	env := &envtest.Environment{CRDDirectoryPaths: append([]string{filepath.Join("..", "..", "config", "crd", "bases")}, crdDirs...), ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		b.Fatalf("starting kube-apiserver and etcd (KUBEBUILDER_ASSETS, set by 'make bench'): %v", err)
	}
	b.Cleanup(func() {
		if err := env.Stop(); err != nil {
			b.Errorf("stopping the control plane: %v", err)
		}
	})
	kubeconfig := filepath.Join(b.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		b.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		b.Fatal(err)
	}
	return cfg, kubeconfig, c
}

// setupWorld creates the simulated Antrea, the namespace and ServiceAccount
// of a plain Prometheus, and the AntreaMonitoring.
func setupWorld(b *testing.B, ctx context.Context, c client.Client) *monitoringv1alpha1.AntreaMonitoring {
	b.Helper()
	if err := fixtures.Antrea(ctx, c, antreaNamespace, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff); err != nil {
		b.Fatal(err)
	}
	if err := c.Create(ctx, fixtures.Namespace(promNamespace)); err != nil {
		b.Fatal(err)
	}
	if err := c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: promNamespace, Name: promSA}}); err != nil {
		b.Fatal(err)
	}
	am := &monitoringv1alpha1.AntreaMonitoring{
		ObjectMeta: metav1.ObjectMeta{Name: monitoringName},
		Spec: monitoringv1alpha1.AntreaMonitoringSpec{
			Antrea: monitoringv1alpha1.AntreaSpec{Namespace: antreaNamespace},
			Prometheus: monitoringv1alpha1.PrometheusSpec{
				Mode:           monitoringv1alpha1.ModeScrapeConfig,
				ScrapeInterval: "30s",
				URL:            "http://prometheus.prometheus.svc:9090",
				ScrapeConfig: &monitoringv1alpha1.ScrapeConfigTarget{Namespace: promNamespace,
					ServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: promNamespace, Name: promSA}},
			},
			// No Prometheus runs here.
			HealthCheck: monitoringv1alpha1.HealthCheckSpec{Enabled: ptr.To(false)},
		},
	}
	if err := c.Create(ctx, am); err != nil {
		b.Fatal(err)
	}
	return am
}

// measure runs the operator repeats times, each process forcing as many
// reconciles as reconciles says after its memory is read, and returns the
// median of each memory figure and every run.
func measure(b *testing.B, ctx context.Context, c client.Client, am *monitoringv1alpha1.AntreaMonitoring, kubeconfig, label string, repeats, reconciles int) (memStats, []memStats) {
	b.Helper()
	runs := make([]memStats, 0, repeats)
	for range repeats {
		s := runChild(b, ctx, c, am, kubeconfig, reconciles)
		b.Logf("%s: HeapInuse %s, HeapAlloc %s (%d objects), RSS %s, ready in %s, cached %v",
			label, mib(s.HeapInuse), mib(s.HeapAlloc), s.HeapObjects, mib(s.RSS), s.Ready.Round(time.Millisecond), s.Cached)
		if reconciles > 0 {
			b.Logf("%s: %d forced reconciles: median %s (min %s, max %s), %d other reconciles meanwhile, API requests %v",
				label, len(s.Reconciles), seconds(median(s.Reconciles)), seconds(slices.Min(s.Reconciles)), seconds(slices.Max(s.Reconciles)), s.OtherReconciles, s.Requests)
		}
		runs = append(runs, s)
	}
	medianOf := func(f func(memStats) uint64) uint64 {
		v := make([]uint64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return memStats{
		HeapInuse:   medianOf(func(s memStats) uint64 { return s.HeapInuse }),
		HeapAlloc:   medianOf(func(s memStats) uint64 { return s.HeapAlloc }),
		HeapObjects: medianOf(func(s memStats) uint64 { return s.HeapObjects }),
		RSS:         medianOf(func(s memStats) uint64 { return s.RSS }),
		Cached:      runs[len(runs)-1].Cached,
	}, runs
}

// runChild bumps the AntreaMonitoring's generation (so the child must
// reconcile it), then runs one operator process, which forces as many
// reconciles as reconciles says after reading its memory, and returns its
// figures.
func runChild(b *testing.B, ctx context.Context, c client.Client, am *monitoringv1alpha1.AntreaMonitoring, kubeconfig string, reconciles int) memStats {
	b.Helper()
	if am.Spec.Prometheus.ScrapeInterval == "30s" {
		am.Spec.Prometheus.ScrapeInterval = "31s"
	} else {
		am.Spec.Prometheus.ScrapeInterval = "30s"
	}
	if err := fixtures.UpdateSpec(ctx, c, am); err != nil {
		b.Fatal(err)
	}
	var fresh monitoringv1alpha1.AntreaMonitoring
	if err := c.Get(ctx, client.ObjectKeyFromObject(am), &fresh); err != nil {
		b.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childKubeconfigEnv+"="+kubeconfig, childGenerationEnv+"="+strconv.FormatInt(fresh.Generation, 10),
		childReconcilesEnv+"="+strconv.Itoa(reconciles))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("operator process: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	for line := range strings.Lines(stdout.String()) {
		if rest, ok := strings.CutPrefix(line, childResultPrefix); ok {
			var s memStats
			if err := json.Unmarshal([]byte(rest), &s); err != nil {
				b.Fatal(err)
			}
			return s
		}
	}
	b.Fatalf("operator process reported nothing\nstderr:\n%s\nstdout:\n%s", stderr.String(), stdout.String())
	return memStats{}
}

// runOperator is the measured operator process: the real manager, as main
// builds it, until it has reconciled the AntreaMonitoring; then its memory.
func runOperator(kubeconfig string) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "operator process: "+format+"\n", args...)
		return 1
	}
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	want, err := strconv.ParseInt(os.Getenv(childGenerationEnv), 10, 64)
	if err != nil {
		return fail("%s: %v", childGenerationEnv, err)
	}
	reconciles, err := strconv.Atoi(os.Getenv(childReconcilesEnv))
	if err != nil {
		return fail("%s: %v", childReconcilesEnv, err)
	}
	// As main: ctrl.GetConfig reads KUBECONFIG.
	if err := os.Setenv("KUBECONFIG", kubeconfig); err != nil {
		return fail("%v", err)
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fail("config: %v", err)
	}
	start := time.Now()
	mgr, _, err := manager.New(cfg, manager.Options{MetricsAddr: "0", ProbeAddr: "0", AntreaNamespaces: []string{antreaNamespace}})
	if err != nil {
		return fail("manager: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return fail("the cache did not sync")
	}
	key := types.NamespacedName{Name: monitoringName}
	for {
		var am monitoringv1alpha1.AntreaMonitoring
		err := mgr.GetClient().Get(ctx, key, &am)
		if err == nil && am.Generation >= want && am.Status.ObservedGeneration == am.Generation {
			break
		}
		select {
		case <-ctx.Done():
			return fail("AntreaMonitoring %s not reconciled (generation %d, observed %d, get: %v)", monitoringName, am.Generation, am.Status.ObservedGeneration, err)
		case err := <-done:
			return fail("the manager stopped: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	ready := time.Since(start)
	// Let the follow-up reconciles (its own writes coming back) finish.
	time.Sleep(2 * time.Second)
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return fail("the cache did not sync")
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := memStats{HeapInuse: ms.HeapInuse, HeapAlloc: ms.HeapAlloc, HeapObjects: ms.HeapObjects, RSS: rss(), Ready: ready}
	if err := writeHeapProfile(); err != nil {
		return fail("heap profile: %v", err)
	}
	if reconciles > 0 {
		stop, err := startCPUProfile()
		if err != nil {
			return fail("CPU profile: %v", err)
		}
		if s.Reconciles, s.OtherReconciles, s.Requests, err = forceReconciles(ctx, mgr.GetClient(), reconciles); err != nil {
			return fail("forcing reconciles: %v", err)
		}
		if err := stop(); err != nil {
			return fail("CPU profile: %v", err)
		}
	}
	// After the measurement: what each informer holds (listing a kind the
	// operator had not read starts its informer, which no longer matters).
	s.Cached = cachedCounts(ctx, mgr.GetCache())
	cancel()
	if err := <-done; err != nil {
		return fail("the manager stopped: %v", err)
	}
	out, err := json.Marshal(s)
	if err != nil {
		return fail("%v", err)
	}
	fmt.Println(childResultPrefix + string(out))
	return 0
}

// cachedCounts counts the cached objects of every kind the operator caches
// (prometheus-operator's kinds have no CRD here).
func cachedCounts(ctx context.Context, r client.Reader) map[string]int {
	lists := map[string]client.ObjectList{}
	for _, k := range render.Kinds {
		if !k.PrometheusOperator {
			lists[k.GVK.Kind] = k.NewList()
		}
	}
	for kind, l := range map[string]client.ObjectList{
		"Namespace": &corev1.NamespaceList{}, "AntreaMonitoring": &monitoringv1alpha1.AntreaMonitoringList{},
		"Pod": &corev1.PodList{}, "DaemonSet": &appsv1.DaemonSetList{},
	} {
		lists[kind] = l
	}
	counts := map[string]int{}
	for kind, l := range lists {
		if err := r.List(ctx, l); err != nil {
			counts[kind] = -1
			continue
		}
		counts[kind] = meta.LenList(l)
	}
	return counts
}

// rss is the process's resident set (VmRSS), 0 when unknown.
func rss() uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// bulkClient is a typed client for creating many objects fast: protobuf,
// no client-side rate limit.
func bulkClient(b *testing.B, cfg *rest.Config) kubernetes.Interface {
	b.Helper()
	bulk := rest.CopyConfig(cfg)
	bulk.QPS, bulk.Burst = -1, 0
	bulk.ContentType = "application/vnd.kubernetes.protobuf"
	cs, err := kubernetes.NewForConfig(bulk)
	if err != nil {
		b.Fatal(err)
	}
	return cs
}

// payload is objectDataSize bytes of text.
var payload = strings.Repeat("0123456789abcdef", objectDataSize/16)

var unrelatedLabels = map[string]string{"app": "unrelated", "tier": "bench"}

// createUnrelated creates n objects, ConfigMaps and Secrets alternately,
// spread over that many namespaces of their own.
func createUnrelated(n, namespaces int) creator {
	return func(ctx context.Context, cs kubernetes.Interface) (int, error) {
		for i := range namespaces {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("unrelated-%02d", i)}}
			if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
				return 0, err
			}
		}
		return n, parallel(ctx, n, func(i int) error {
			ns, name := fmt.Sprintf("unrelated-%02d", i%namespaces), fmt.Sprintf("unrelated-%05d", i)
			om := metav1.ObjectMeta{Namespace: ns, Name: name, Labels: unrelatedLabels}
			if i%2 == 0 {
				_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: om, Data: map[string]string{"data": payload}}, metav1.CreateOptions{})
				return err
			}
			_, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: om, Data: map[string][]byte{"data": []byte(payload)}}, metav1.CreateOptions{})
			return err
		})
	}
}

// createAntreaNamespaceConfigMaps creates n ConfigMaps without app=antrea
// in the Antrea namespace.
func createAntreaNamespaceConfigMaps(n int) creator {
	return func(ctx context.Context, cs kubernetes.Interface) (int, error) {
		return n, parallel(ctx, n, func(i int) error {
			cm := &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: antreaNamespace, Name: fmt.Sprintf("unrelated-%05d", i), Labels: unrelatedLabels},
				Data:       map[string]string{"data": payload},
			}
			_, err := cs.CoreV1().ConfigMaps(antreaNamespace).Create(ctx, cm, metav1.CreateOptions{})
			return err
		})
	}
}

// parallel runs f(0..n-1) on creators goroutines; the first error wins.
func parallel(ctx context.Context, n int, f func(int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range creators {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					cancel(fmt.Errorf("object %d: %w", i, err))
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

func mib(n uint64) string { return fmt.Sprintf("%.2f MiB (%d B)", float64(n)/(1<<20), n) }
