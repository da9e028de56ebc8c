// Package watch starts watches on kinds that a CRD serves, once that CRD is
// established: a watch on a kind the API server does not serve cannot
// start, and the operator must run (and report) on clusters where Antrea's
// or prometheus-operator's CRDs appear later, or never.
package watch

import (
	"context"
	"fmt"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Watch is one kind to watch once its CRD is established.
type Watch struct {
	// CRD is the name of the CRD serving the kind; each is watched once.
	CRD string
	// Object is an empty object of the kind (unstructured, with its GVK,
	// for a kind the scheme does not know).
	Object client.Object
	// Cache names a cache of the tracker's own to read the kind from,
	// created with CacheOptions and added to the manager the first time it
	// is needed; "" is the manager's cache.
	Cache        string
	CacheOptions cache.Options
	Handler      handler.EventHandler
	Predicates   []predicate.Predicate
}

// Tracker starts each Watch once, with its cache. Its zero value (and a
// nil Tracker) starts nothing: a reconciler not set up with a manager
// (unit tests) reads no dynamic kind.
type Tracker struct {
	mgr        manager.Manager
	controller controller.Controller
	newCache   cache.NewCacheFunc

	mu       sync.Mutex
	caches   map[string]cache.Cache
	watching map[string]bool
}

// NewTracker returns a tracker that adds watches to c, and caches made by
// newCache (cache.New when nil) to mgr.
func NewTracker(mgr manager.Manager, c controller.Controller, newCache cache.NewCacheFunc) *Tracker {
	if newCache == nil {
		newCache = cache.New
	}
	return &Tracker{mgr: mgr, controller: c, newCache: newCache, caches: map[string]cache.Cache{}, watching: map[string]bool{}}
}

// Ensure starts every watch whose CRD is established and not watched yet
// (creating its cache first when it names one). It is cheap once all are
// started: one map lookup each.
func (t *Tracker) Ensure(ctx context.Context, established func(crd string) bool, watches ...Watch) error {
	if t == nil || t.controller == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, w := range watches {
		if t.watching[w.CRD] || !established(w.CRD) {
			continue
		}
		from, err := t.cacheLocked(w)
		if err != nil {
			return err
		}
		if err := t.controller.Watch(source.Kind(from, w.Object, w.Handler, w.Predicates...)); err != nil {
			return fmt.Errorf("watching %s: %w", w.CRD, err)
		}
		t.watching[w.CRD] = true
		logf.FromContext(ctx).Info("Started watching a kind: its CRD is established", "crd", w.CRD)
	}
	return nil
}

// cacheLocked returns the cache w reads from, creating a named one the
// first time.
func (t *Tracker) cacheLocked(w Watch) (cache.Cache, error) {
	if w.Cache == "" {
		return t.mgr.GetCache(), nil
	}
	if c := t.caches[w.Cache]; c != nil {
		return c, nil
	}
	opts := w.CacheOptions
	opts.Scheme, opts.Mapper = t.mgr.GetScheme(), t.mgr.GetRESTMapper()
	c, err := t.newCache(t.mgr.GetConfig(), opts)
	if err != nil {
		return nil, fmt.Errorf("creating the cache of %s: %w", w.Cache, err)
	}
	if err := t.mgr.Add(c); err != nil {
		return nil, fmt.Errorf("starting the cache of %s: %w", w.Cache, err)
	}
	t.caches[w.Cache] = c
	return c, nil
}

// Cache returns the tracker's cache named name, nil until a watch created
// it. The manager starts an added cache in a goroutine of its own: wait for
// its sync (cache.WaitForCacheSync) before the first read.
func (t *Tracker) Cache(name string) cache.Cache {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.caches[name]
}
