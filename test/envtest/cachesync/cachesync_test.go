//go:build envtest

// Package cachesync runs the operator's real manager against a real
// kube-apiserver and etcd (envtest) on a fresh install, where Antrea and
// collectors (prometheus-operator's, VictoriaMetrics') are already there,
// and holds back the caches the operator starts once their CRDs are
// established (Antrea's info objects; Prometheus objects and the other
// collectors'), so that the first reconcile reaches them before the manager
// has started them: the order of issue 20, where the first reconcile on a
// real node logged "the cache is not started" reading AntreaControllerInfo.
// Here that order is certain, not a race the node may or may not lose.
package cachesync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	// The envtest tier runs with -ginkgo.v: its flags must be known here too.
	_ "github.com/onsi/ginkgo/v2"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	crmanager "sigs.k8s.io/controller-runtime/pkg/manager"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

const (
	antreaNamespace = "kube-system"
	antreaVersion   = "v2.7.0"
	// notStarted is what controller-runtime's cache.ErrCacheNotStarted says.
	notStarted = "the cache is not started"
)

// clusters are fresh installs of the operator: what is there when it
// starts, besides Antrea (metrics already on, so nothing is restarted) and
// what antrea-controller reports about itself (AntreaControllerInfo).
var clusters = []struct {
	name string
	// crds are the directories of the CRDs installed besides the
	// operator's and Antrea's.
	crds func() []string
	// objects are the collectors already scraping, in namespace agents.
	objects func() []client.Object
	// scrapers is how the first reconcile's ModeResolved names them.
	scrapers string
}{{
	name:     "prometheus-operator and VictoriaMetrics",
	crds:     func() []string { return []string{os.Getenv("PROMETHEUS_OPERATOR_CRDS"), victoriaMetricsCRDs()} },
	objects:  func() []client.Object { return []client.Object{prometheusAgent(), vmAgent()} },
	scrapers: "PrometheusAgent agents/cluster-agent, VMAgent agents/vmagent",
}, {
	// The collectors' cache is then started by gatherScrapers, for the
	// VMAgent objects alone.
	name:     "VictoriaMetrics alone",
	crds:     func() []string { return []string{victoriaMetricsCRDs()} },
	objects:  func() []client.Object { return []client.Object{vmAgent()} },
	scrapers: "VMAgent agents/vmagent",
}}

// The first reconcile of an AntreaMonitoring on a fresh install starts the
// caches of the kinds whose CRDs are established, two here (Antrea's info
// objects; the collectors': Prometheus, PrometheusAgent and VMAgent
// objects), and reads them at once. The manager starts each in a goroutine
// of its own; here it starts neither before the reconcile has come to it
// (heldCache). The reconcile must wait for them: it does not fail, nothing
// logs "the cache is not started", and the status it writes says what the
// objects say (Antrea's version, the collectors already scraping).
func TestFirstReconcileWaitsForTheCachesItStarts(t *testing.T) {
	if err := fixtures.RequireEnv("make test-envtest", "KUBEBUILDER_ASSETS", "PROMETHEUS_OPERATOR_CRDS"); err != nil {
		t.Fatal(err)
	}
	logf.SetLogger(funcr.New(logs.write, funcr.Options{}))
	for _, cluster := range clusters {
		t.Run(cluster.name, func(t *testing.T) {
			logs.reset()
			first, caches := firstReconcile(t, cluster.crds(), cluster.objects())

			// The test's premise: each cache was held until the reconcile
			// came to it.
			if len(caches) != 2 {
				t.Errorf("%d caches started once their CRD was established, want 2 (Antrea's info objects; the collectors')", len(caches))
			}
			for i, hc := range caches {
				by, started := hc.report()
				if by == "" {
					t.Errorf("cache %d was never reached by a reconcile: the test held nothing back", i+1)
					continue
				}
				t.Logf("cache %d: held until the reconcile's %s; started: %t", i+1, by, started)
			}

			// (i) The first reconcile neither failed nor read a cache not
			// started.
			if lines := logs.containing(notStarted); len(lines) > 0 {
				t.Errorf("the operator logged %q:\n%s", notStarted, strings.Join(lines, "\n"))
			}
			if first.Status.ObservedGeneration != first.Generation {
				t.Errorf("the first reconcile failed: its status has observedGeneration %d, want %d (generation)", first.Status.ObservedGeneration, first.Generation)
			}
			// (ii) It read what is there.
			if first.Status.AntreaVersion != antreaVersion {
				t.Errorf("the first reconcile's status.antreaVersion = %q, want %q (AntreaControllerInfo's)", first.Status.AntreaVersion, antreaVersion)
			}
			mode := meta.FindStatusCondition(first.Status.Conditions, monitoringv1alpha1.ConditionModeResolved)
			switch {
			case mode == nil:
				t.Errorf("the first reconcile's status has no %s condition", monitoringv1alpha1.ConditionModeResolved)
			case mode.Status != metav1.ConditionFalse || mode.Reason != monitoringv1alpha1.ReasonOtherScraperFound ||
				!strings.Contains(mode.Message, cluster.scrapers+" already scraping the cluster"):
				t.Errorf("the first reconcile's %s is %s (%s): %q, want False (%s) naming %s",
					mode.Type, mode.Status, mode.Reason, mode.Message, monitoringv1alpha1.ReasonOtherScraperFound, cluster.scrapers)
			}
			if t.Failed() {
				t.Logf("the operator's log:\n%s", logs)
			}
		})
	}
}

// firstReconcile starts a kube-apiserver and etcd with the operator's,
// Antrea's and crds' CRDs, creates Antrea, its AntreaControllerInfo, the
// objects and an AntreaMonitoring, then runs the operator, wired as main
// wires it but for the caches it starts once a CRD is established (held)
// and its status writes (recorded), until its first reconcile has written
// the status and returned. It returns that status and the caches held.
func firstReconcile(t *testing.T, crds []string, objects []client.Object) (monitoringv1alpha1.AntreaMonitoring, []*heldCache) {
	t.Helper()
	env := &envtest.Environment{
		CRDDirectoryPaths:     append([]string{filepath.Join(repoRoot(), "config", "crd", "bases"), fixtures.AntreaCRDDir()}, crds...),
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver and etcd (KUBEBUILDER_ASSETS): %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	c, err := client.New(cfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := fixtures.Antrea(ctx, c, antreaNamespace, "antrea-config", fixtures.AgentConfOn, fixtures.ControllerConfOn); err != nil {
		t.Fatal(err)
	}
	objects = append([]client.Object{
		fixtures.AntreaControllerInfo(antreaVersion, antreaNamespace, "antrea-controller-1", "node-a", 10349),
		fixtures.Namespace("agents"),
		&monitoringv1alpha1.AntreaMonitoring{
			ObjectMeta: metav1.ObjectMeta{Name: "antrea"},
			Spec: monitoringv1alpha1.AntreaMonitoringSpec{
				Antrea: monitoringv1alpha1.AntreaSpec{Namespace: antreaNamespace},
				// No Prometheus runs here.
				HealthCheck: monitoringv1alpha1.HealthCheckSpec{Enabled: ptr.To(false)},
			},
		},
	}, objects...)
	for _, o := range objects {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	held := &holder{}
	statuses := make(chan monitoringv1alpha1.AntreaMonitoring, 64)
	mgr, _, err := manager.New(cfg, manager.Options{
		MetricsAddr: "0", ProbeAddr: "0",
		AntreaNamespaces: []string{antreaNamespace},
		WrapClient:       func(c client.Client) client.Client { return &statusRecorder{Client: c, written: statuses} },
		NewWatchCache:    held.newCache,
		// A manager for each case, in one process.
		SkipNameValidation: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	mgrCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	// stop stops the manager and waits until it has: its reconciles
	// returned, their errors logged.
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the manager stopped with: %v", err)
		}
	})
	t.Cleanup(stop)

	// The first status written is the first reconcile's: it writes it
	// whether it failed or not, with observedGeneration only when it did
	// not.
	var first monitoringv1alpha1.AntreaMonitoring
	start := time.Now()
	select {
	case first = <-statuses:
	case <-time.After(2 * time.Minute):
		t.Fatalf("no status written within 2m; the operator's log:\n%s", logs)
	}
	t.Logf("the first reconcile wrote its status %s after the manager started", time.Since(start).Round(time.Millisecond))
	stop()
	return first, held.all()
}

func prometheusAgent() client.Object {
	return &promv1alpha1.PrometheusAgent{ObjectMeta: metav1.ObjectMeta{Namespace: "agents", Name: "cluster-agent"}}
}

func vmAgent() client.Object {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "operator.victoriametrics.com", Version: "v1beta1", Kind: "VMAgent"})
	u.SetNamespace("agents")
	u.SetName("vmagent")
	return u
}

// victoriaMetricsCRDs is the directory of VictoriaMetrics' VMAgent CRD.
func victoriaMetricsCRDs() string {
	return filepath.Join(fixtures.AntreaCRDDir(), "victoriametrics")
}

// holder makes the caches the operator starts once a CRD is established
// (manager.Options.NewWatchCache): controller-runtime's own, on the
// envtest API server, each held back (heldCache).
type holder struct {
	mu     sync.Mutex
	caches []*heldCache
}

func (h *holder) newCache(cfg *rest.Config, opts cache.Options) (cache.Cache, error) {
	c, err := cache.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	hc := &heldCache{Cache: c, reached: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.caches = append(h.caches, hc)
	return hc, nil
}

func (h *holder) all() []*heldCache {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*heldCache(nil), h.caches...)
}

// heldCache is a real cache the manager cannot start before a reconcile
// has come to it: its Start waits for the first call a reconcile makes
// (one whose context carries a reconcile ID; the controller's own calls,
// for the watch's event source, do not count). Every such call is served
// first, by the cache not started yet, and only then lets it start; but
// for WaitForCacheSync, which lets it start and then waits. A reconcile
// that reads without waiting thus always reads a cache not started, and
// one that waits always finds it started and synced.
type heldCache struct {
	cache.Cache
	reached chan struct{} // closed by a reconcile's first call

	once    sync.Once
	mu      sync.Mutex
	by      string // the reconcile's first call
	started bool   // Start went past the hold
}

func (h *heldCache) Start(ctx context.Context) error {
	select {
	case <-h.reached:
	case <-ctx.Done():
		return nil
	}
	h.mu.Lock()
	h.started = true
	h.mu.Unlock()
	return h.Cache.Start(ctx)
}

// NeedLeaderElection is the real cache's (the manager runs a cache that
// needs none with its other runnables, not behind the election).
func (h *heldCache) NeedLeaderElection() bool {
	if l, ok := h.Cache.(crmanager.LeaderElectionRunnable); ok {
		return l.NeedLeaderElection()
	}
	return true
}

// reachedBy lets the cache start when ctx is a reconcile's.
func (h *heldCache) reachedBy(ctx context.Context, call string) {
	if controller.ReconcileIDFromContext(ctx) == "" {
		return
	}
	h.once.Do(func() {
		h.mu.Lock()
		h.by = call
		h.mu.Unlock()
		close(h.reached)
	})
}

func (h *heldCache) report() (by string, started bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.by, h.started
}

func (h *heldCache) WaitForCacheSync(ctx context.Context) bool {
	h.reachedBy(ctx, "WaitForCacheSync")
	return h.Cache.WaitForCacheSync(ctx)
}

func (h *heldCache) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	err := h.Cache.Get(ctx, key, obj, opts...)
	h.reachedBy(ctx, "Get of "+kind(obj))
	return err
}

func (h *heldCache) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	err := h.Cache.List(ctx, list, opts...)
	h.reachedBy(ctx, "List of "+kind(list))
	return err
}

func (h *heldCache) GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error) {
	i, err := h.Cache.GetInformer(ctx, obj, opts...)
	h.reachedBy(ctx, "GetInformer of "+kind(obj))
	return i, err
}

func kind(o interface {
	GetObjectKind() schema.ObjectKind
}) string {
	if k := o.GetObjectKind().GroupVersionKind().Kind; k != "" {
		return k
	}
	return fmt.Sprintf("%T", o)
}

// statusRecorder sends every AntreaMonitoring status the reconciler
// writes, in order, to written (dropped when it is full).
type statusRecorder struct {
	client.Client
	written chan<- monitoringv1alpha1.AntreaMonitoring
}

func (c *statusRecorder) Status() client.SubResourceWriter {
	return &statusWriter{SubResourceWriter: c.Client.Status(), written: c.written}
}

type statusWriter struct {
	client.SubResourceWriter
	written chan<- monitoringv1alpha1.AntreaMonitoring
}

func (w *statusWriter) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	err := w.SubResourceWriter.Update(ctx, obj, opts...)
	w.record(err, obj)
	return err
}

func (w *statusWriter) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	err := w.SubResourceWriter.Patch(ctx, obj, patch, opts...)
	w.record(err, obj)
	return err
}

func (w *statusWriter) record(err error, obj client.Object) {
	am, ok := obj.(*monitoringv1alpha1.AntreaMonitoring)
	if err != nil || !ok {
		return
	}
	select {
	case w.written <- *am.DeepCopy():
	default:
	}
}

// logs keeps what the operator logs: controller-runtime's logger, for the
// package (each subtest resets it; they run one after the other).
var logs = &logBuffer{}

// logBuffer keeps every line logged through it (a logr sink, funcr).
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = nil
}

func (b *logBuffer) write(prefix, args string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, strings.TrimSpace(prefix+" "+args))
}

func (b *logBuffer) containing(s string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.lines {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// repoRoot is the repository's root directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}
