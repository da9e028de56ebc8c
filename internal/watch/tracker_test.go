package watch

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// fakeController records the sources it is asked to watch, failing with
// err while it is set. Its other methods are not implemented (nil).
type fakeController struct {
	controller.Controller
	watched []source.Source
	err     error
}

func (c *fakeController) Watch(src source.Source) error {
	c.watched = append(c.watched, src)
	return c.err
}

// fakeCache is a cache that can only be compared.
type fakeCache struct {
	cache.Cache
	name string
}

// fakeManager hands out its cache and counts the requests. Its other
// methods are not implemented (nil): calling one panics.
type fakeManager struct {
	manager.Manager
	cache    cache.Cache
	getCache int
}

func (m *fakeManager) GetCache() cache.Cache {
	m.getCache++
	return m.cache
}

// established is a CRD condition that records what it is asked.
type established struct {
	crds  map[string]bool
	asked []string
}

func (e *established) is(crd string) bool {
	e.asked = append(e.asked, crd)
	return e.crds[crd]
}

// field is the exported field name of the source source.Kind builds (a
// type of an internal package).
func field(t *testing.T, src source.Source, name string) any {
	t.Helper()
	v := reflect.ValueOf(src)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		t.Fatalf("source %T is not a pointer to a struct", src)
	}
	f := v.Elem().FieldByName(name)
	if !f.IsValid() {
		t.Fatalf("source %T has no field %s", src, name)
	}
	return f.Interface()
}

func testContext() context.Context {
	return logf.IntoContext(context.Background(), zap.New(zap.WriteTo(io.Discard)))
}

func newTestTracker() (*Tracker, *fakeManager, *fakeController) {
	mgr := &fakeManager{cache: &fakeCache{name: "manager's"}}
	ctrl := &fakeController{}
	return NewTracker(mgr, ctrl, nil), mgr, ctrl
}

func podWatch(crd string) Watch {
	return Watch{CRD: crd, Object: &corev1.Pod{}, Handler: &handler.EnqueueRequestForObject{}}
}

func TestTrackerNilAndZero(t *testing.T) {
	ctx := testContext()
	for name, tr := range map[string]*Tracker{
		"nil":                        nil,
		"zero":                       {},
		"without a controller (nil)": NewTracker(&fakeManager{cache: &fakeCache{}}, nil, nil),
	} {
		t.Run(name, func(t *testing.T) {
			est := &established{crds: map[string]bool{"a.example.com": true}}
			if err := tr.Ensure(ctx, est.is, podWatch("a.example.com")); err != nil {
				t.Errorf("Ensure: %v, want nil", err)
			}
			if len(est.asked) != 0 {
				t.Errorf("asked whether %q are established, want no question", est.asked)
			}
			if c := tr.Cache("x"); c != nil {
				t.Errorf("Cache(x) = %v, want nil", c)
			}
		})
	}
}

func TestTrackerEnsureNotEstablished(t *testing.T) {
	tr, mgr, ctrl := newTestTracker()
	est := &established{}
	if err := tr.Ensure(testContext(), est.is, podWatch("a.example.com")); err != nil {
		t.Fatal(err)
	}
	if len(ctrl.watched) != 0 || mgr.getCache != 0 {
		t.Errorf("%d watches, %d caches asked for, want none", len(ctrl.watched), mgr.getCache)
	}
	if want := []string{"a.example.com"}; !reflect.DeepEqual(est.asked, want) {
		t.Errorf("asked %q, want %q", est.asked, want)
	}
}

func TestTrackerEnsureOnce(t *testing.T) {
	ctx := testContext()
	tr, mgr, ctrl := newTestTracker()
	est := &established{crds: map[string]bool{"a.example.com": true}}
	obj := &corev1.Pod{}
	h := &handler.EnqueueRequestForObject{}
	p := predicate.GenerationChangedPredicate{}
	w := Watch{CRD: "a.example.com", Object: obj, Handler: h, Predicates: []predicate.Predicate{p}}
	if err := tr.Ensure(ctx, est.is, w); err != nil {
		t.Fatal(err)
	}
	if len(ctrl.watched) != 1 {
		t.Fatalf("%d watches, want 1", len(ctrl.watched))
	}
	src := ctrl.watched[0]
	if got := field(t, src, "Cache"); got != mgr.cache {
		t.Errorf("watch reads from %v, want the manager's cache %v", got, mgr.cache)
	}
	if got := field(t, src, "Type"); got != client.Object(obj) {
		t.Errorf("watch of %v, want the Watch's object", got)
	}
	if got := field(t, src, "Handler"); got != handler.EventHandler(h) {
		t.Errorf("watch handler %v, want the Watch's", got)
	}
	if got := field(t, src, "Predicates"); !reflect.DeepEqual(got, []predicate.Predicate{p}) {
		t.Errorf("watch predicates %v, want the Watch's", got)
	}

	// Again: no second watch, not even a question.
	est.asked = nil
	if err := tr.Ensure(ctx, est.is, w); err != nil {
		t.Fatal(err)
	}
	if len(ctrl.watched) != 1 || mgr.getCache != 1 {
		t.Errorf("after a second Ensure: %d watches, %d caches asked for, want 1 and 1", len(ctrl.watched), mgr.getCache)
	}
	if len(est.asked) != 0 {
		t.Errorf("asked whether %q are established for a watched CRD", est.asked)
	}
	if c := tr.Cache("x"); c != nil {
		t.Errorf("Cache(x) = %v, want nil: no watch named it", c)
	}
}

// A CRD established later is watched by the Ensure that sees it
// established.
func TestTrackerEnsureLater(t *testing.T) {
	ctx := testContext()
	tr, _, ctrl := newTestTracker()
	est := &established{crds: map[string]bool{}}
	if err := tr.Ensure(ctx, est.is, podWatch("a.example.com")); err != nil {
		t.Fatal(err)
	}
	if len(ctrl.watched) != 0 {
		t.Fatalf("%d watches before the CRD is established, want 0", len(ctrl.watched))
	}
	est.crds["a.example.com"] = true
	if err := tr.Ensure(ctx, est.is, podWatch("a.example.com")); err != nil {
		t.Fatal(err)
	}
	if len(ctrl.watched) != 1 {
		t.Errorf("%d watches once the CRD is established, want 1", len(ctrl.watched))
	}
}

func TestTrackerEnsureSeveral(t *testing.T) {
	ctx := testContext()
	tr, _, ctrl := newTestTracker()
	est := &established{crds: map[string]bool{"a.example.com": true, "b.example.com": true}}
	a, b := podWatch("a.example.com"), podWatch("b.example.com")
	c := podWatch("c.example.com") // not established
	if err := tr.Ensure(ctx, est.is, a, b, c, a); err != nil {
		t.Fatal(err)
	}
	if len(ctrl.watched) != 2 {
		t.Fatalf("%d watches, want 2 (a and b, a once)", len(ctrl.watched))
	}
	if field(t, ctrl.watched[0], "Type") != a.Object || field(t, ctrl.watched[1], "Type") != b.Object {
		t.Errorf("watched %v, %v, want a's object then b's", field(t, ctrl.watched[0], "Type"), field(t, ctrl.watched[1], "Type"))
	}
	if err := tr.Ensure(ctx, est.is, a, b, c); err != nil {
		t.Fatal(err)
	}
	if len(ctrl.watched) != 2 {
		t.Errorf("%d watches after a second Ensure, want still 2", len(ctrl.watched))
	}
}

func TestTrackerEnsureWatchFails(t *testing.T) {
	ctx := testContext()
	tr, _, ctrl := newTestTracker()
	est := &established{crds: map[string]bool{"a.example.com": true, "b.example.com": true}}
	boom := errors.New("boom")
	ctrl.err = boom
	err := tr.Ensure(ctx, est.is, podWatch("a.example.com"), podWatch("b.example.com"))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "a.example.com") {
		t.Fatalf("Ensure: %v, want an error wrapping %v naming a.example.com", err, boom)
	}
	if len(ctrl.watched) != 1 {
		t.Fatalf("%d watches tried, want 1 (stops at the failure)", len(ctrl.watched))
	}

	// Not marked watched: tried again, with the one after it.
	ctrl.err = nil
	if err := tr.Ensure(ctx, est.is, podWatch("a.example.com"), podWatch("b.example.com")); err != nil {
		t.Fatal(err)
	}
	if len(ctrl.watched) != 3 {
		t.Fatalf("%d watches tried, want 3 (a retried, then b)", len(ctrl.watched))
	}
	if err := tr.Ensure(ctx, est.is, podWatch("a.example.com"), podWatch("b.example.com")); err != nil {
		t.Fatal(err)
	}
	if len(ctrl.watched) != 3 {
		t.Errorf("%d watches tried after success, want still 3", len(ctrl.watched))
	}
}
