package ssa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// world is an API server (controller-runtime's fake client, which runs the
// API server's field manager with the builtin and the CRD type converters,
// so it applies and records managedFields as kube-apiserver does) and an
// Applier on it whose writes and log lines are recorded.
type world struct {
	t      *testing.T
	ctx    context.Context
	server client.WithWatch
	a      *Applier
	writes []string
	logs   []string
	// stale: the cache (Applier.Client's reads) misses every object.
	stale bool
}

func newWorld(t *testing.T) *world {
	w := &world{t: t}
	w.ctx = logf.IntoContext(context.Background(), logr.New(logSink{&w.logs}))
	w.server = fake.NewClientBuilder().WithScheme(testScheme).WithTypeConverters(builtinTypes, crdTypes).WithReturnManagedFields().Build()
	cache := interceptor.NewClient(w.server, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if w.stale {
				return apierrors.NewNotFound(schemaGR(obj), key.Name)
			}
			return c.Get(ctx, key, obj, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			w.writes = append(w.writes, "create "+w.ref(obj))
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			w.writes = append(w.writes, "update "+w.ref(obj))
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			w.writes = append(w.writes, fmt.Sprintf("patch %s %s", w.ref(obj), patch.Type()))
			return c.Patch(ctx, obj, patch, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			o := &client.DeleteOptions{}
			o.ApplyOptions(opts)
			precondition := "none"
			if o.Preconditions != nil && o.Preconditions.UID != nil {
				precondition = "another UID"
				if live := w.get(obj); live != nil && *o.Preconditions.UID == live.GetUID() {
					precondition = "the live object's UID"
				}
			}
			w.writes = append(w.writes, fmt.Sprintf("delete %s, precondition %s", w.ref(obj), precondition))
			return c.Delete(ctx, obj, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			o := &client.ApplyOptions{}
			o.ApplyOptions(opts)
			raw, err := json.Marshal(obj)
			if err != nil {
				return err
			}
			var body struct {
				APIVersion, Kind string
				Metadata         struct{ Namespace, Name, ResourceVersion string }
				Status           any
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				return err
			}
			write := fmt.Sprintf("apply %s %s as %s, force %v, resourceVersion %q", body.Kind,
				klog.KRef(body.Metadata.Namespace, body.Metadata.Name), o.FieldManager, o.Force != nil && *o.Force, body.Metadata.ResourceVersion)
			if slices.Contains(o.DryRun, metav1.DryRunAll) {
				// The fake stores a dry-run apply (its Apply drops DryRun on
				// the way to its patch): answered as an API server that
				// accepts it, storing nothing.
				w.writes = append(w.writes, write+", dry run")
				return nil
			}
			w.writes = append(w.writes, write)
			if err := c.Apply(ctx, obj, opts...); err != nil || body.Status != nil {
				return err
			}
			return unrecordStatus(ctx, c, schema.FromAPIVersionAndKind(body.APIVersion, body.Kind),
				client.ObjectKey{Namespace: body.Metadata.Namespace, Name: body.Metadata.Name}, o.FieldManager)
		},
	})
	w.a = &Applier{Client: cache, APIReader: w.server, Scheme: testScheme, FieldOwner: fieldOwner, OwnerLabel: render.OwnerLabel}
	return w
}

// unrecordStatus makes the fake record an apply as kube-apiserver does.
// The fake turns the apply body into the typed object before its field
// manager sees it, so a kind with a status struct (Deployment, Service,
// PersistentVolumeClaim) gets its empty status recorded as applied
// ("f:status":{}), which the body did not hold; kube-apiserver records the
// body as sent (checked on kube-apiserver v1.37.2 with every rendered
// object). The entry is corrected by a JSON patch, as heal writes one.
func unrecordStatus(ctx context.Context, c client.Client, gvk schema.GroupVersionKind, key client.ObjectKey, manager string) error {
	o, err := testScheme.New(gvk)
	if err != nil {
		return err
	}
	live := o.(client.Object)
	if err := c.Get(ctx, key, live); err != nil {
		return err
	}
	for i, mf := range live.GetManagedFields() {
		var fields map[string]any
		if mf.Manager != manager || mf.Operation != metav1.ManagedFieldsOperationApply || json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields) != nil ||
			!cmp.Equal(fields["f:status"], map[string]any{}) {
			continue
		}
		delete(fields, "f:status")
		patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": fmt.Sprintf("/metadata/managedFields/%d/fieldsV1", i), "value": fields}})
		if err != nil {
			return err
		}
		return c.Patch(ctx, live, client.RawPatch(types.JSONPatchType, patch))
	}
	return nil
}

func schemaGR(obj client.Object) schema.GroupResource {
	gvk, _ := apiutil.GVKForObject(obj, testScheme)
	return schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}
}

// ref is "Kind namespace/name".
func (w *world) ref(obj client.Object) string {
	gvk, err := apiutil.GVKForObject(obj, testScheme)
	if err != nil {
		w.t.Fatal(err)
	}
	return gvk.Kind + " " + klog.KObj(obj).String()
}

// get is the server's copy of obj, nil when there is none.
func (w *world) get(obj client.Object) client.Object {
	w.t.Helper()
	live := obj.DeepCopyObject().(client.Object)
	if err := w.server.Get(w.ctx, client.ObjectKeyFromObject(obj), live); apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		w.t.Fatal(err)
	}
	return live
}

// settle applies obj as the operator does and forgets the writes and logs.
func (w *world) settle(obj client.Object) {
	w.t.Helper()
	if err := w.a.Apply(w.ctx, obj.DeepCopyObject().(client.Object), managedBy); err != nil {
		w.t.Fatal(err)
	}
	w.writes, w.logs = nil, nil
}

// edit is an update by another field manager of the server's copy of obj.
func (w *world) edit(obj client.Object, manager string, change func(client.Object)) {
	w.t.Helper()
	live := w.get(obj)
	change(live)
	if err := w.server.Update(w.ctx, live, client.FieldOwner(manager)); err != nil {
		w.t.Fatal(err)
	}
}

// entries are the operations of the operator's managedFields entries.
func entries(obj client.Object) []string {
	var out []string
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == fieldOwner {
			out = append(out, string(mf.Operation))
		}
	}
	return out
}

// managedBy is the ownership of the objects all AntreaMonitorings share
// (the controller's sharedOwnership); every rendered object carries it.
func managedBy(o client.Object) bool {
	return o.GetLabels()[render.ManagedByLabel] == render.ManagedByValue
}

// logSink records log lines as "message [key value ...]".
type logSink struct{ lines *[]string }

func (s logSink) Init(logr.RuntimeInfo)          {}
func (s logSink) Enabled(int) bool               { return true }
func (s logSink) WithValues(...any) logr.LogSink { return s }
func (s logSink) WithName(string) logr.LogSink   { return s }
func (s logSink) Info(_ int, msg string, kv ...any) {
	*s.lines = append(*s.lines, fmt.Sprintf("%s %v", msg, kv))
}
func (s logSink) Error(err error, msg string, kv ...any) {
	*s.lines = append(*s.lines, fmt.Sprintf("%s: %v %v", msg, err, kv))
}

const onlyCreates = `, force true, resourceVersion "9223372036854775807"`

// TestApplyEveryRenderedObject: every object the real render makes, of
// every kind, is created by one apply that only creates, as the operator's
// field manager, forcing; applied again it makes no API call at all, the
// stored managedFields holding the render.
func TestApplyEveryRenderedObject(t *testing.T) {
	for _, obj := range rendered(t) {
		w := newWorld(t)
		ref := w.ref(obj)
		if err := w.a.Apply(w.ctx, obj, managedBy); err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		want := []string{"apply " + ref + " as " + fieldOwner + onlyCreates}
		if diff := cmp.Diff(want, w.writes); diff != "" {
			t.Errorf("%s: first Apply's writes (-want +got):\n%s", ref, diff)
		}
		wantLogs := []string{fmt.Sprintf("Created object [kind %s object %s]", obj.GetObjectKind().GroupVersionKind().Kind, klog.KObj(obj))}
		if diff := cmp.Diff(wantLogs, w.logs); diff != "" {
			t.Errorf("%s: first Apply's logs (-want +got):\n%s", ref, diff)
		}
		if live := w.get(obj); live == nil || !slices.Equal(entries(live), []string{"Apply"}) {
			t.Fatalf("%s: not created by the operator's apply alone", ref)
		}
		w.writes, w.logs = nil, nil
		if err := w.a.Apply(w.ctx, obj, managedBy); err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if len(w.writes)+len(w.logs) != 0 {
			t.Errorf("%s: applied again unchanged, it wrote %q and logged %q", ref, w.writes, w.logs)
		}
	}
}

func configMap(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "monitoring", Name: "cm", Labels: render.Labels()}, Data: data}
}

func clusterRoleBinding(role string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: "crb", Labels: render.Labels()},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "monitoring", Name: "prometheus"}}}
}

// withStaleUpdateEntry gives the server's copy of obj what earlier releases
// left (a create, then an apply): an Update entry of the operator's own
// beside its Apply entry, owning the same fields.
func (w *world) withStaleUpdateEntry(obj client.Object) {
	w.t.Helper()
	live := w.get(obj)
	mfs := live.GetManagedFields()
	var update metav1.ManagedFieldsEntry
	for _, mf := range mfs {
		if mf.Manager == fieldOwner && mf.Operation == metav1.ManagedFieldsOperationApply {
			update = *mf.DeepCopy()
		}
	}
	update.Operation = metav1.ManagedFieldsOperationUpdate
	live.SetManagedFields(append(mfs, update))
	if err := w.server.Update(w.ctx, live); err != nil {
		w.t.Fatal(err)
	}
	if got := entries(w.get(obj)); !slices.Equal(got, []string{"Apply", "Update"}) {
		w.t.Fatalf("the operator's entries are %v, want a stale Update beside the Apply", got)
	}
}

// TestApply: Apply's API calls and log lines in each situation, and the
// object it leaves.
func TestApply(t *testing.T) {
	two := configMap(map[string]string{"a": "1", "b": "2"})
	one := configMap(map[string]string{"a": "1"})
	const applyCM = "apply ConfigMap monitoring/cm as " + fieldOwner
	foreign := func(w *world) {
		cm := configMap(map[string]string{"a": "theirs"})
		cm.Labels = nil
		if err := w.server.Create(w.ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	notOwned := &NotOwnedError{Kind: "ConfigMap", Namespace: "monitoring", Name: "cm", Label: render.OwnerLabel}
	for _, tc := range []struct {
		name   string
		setup  func(*world)
		obj    client.Object
		writes []string
		logs   []string
		err    *NotOwnedError
		// then checks the server's copy of obj.
		then func(*testing.T, client.Object)
	}{
		{name: "missing: one apply that only creates", obj: one,
			writes: []string{applyCM + onlyCreates}, logs: []string{"Created object [kind ConfigMap object monitoring/cm]"}},
		{name: "holds the render: no call", setup: func(w *world) { w.settle(one) }, obj: one},
		{name: "another manager added a field: no call", obj: one, setup: func(w *world) {
			w.settle(one)
			w.edit(one, "kubectl-edit", func(o client.Object) { o.SetAnnotations(map[string]string{"note": "theirs"}) })
		}, then: func(t *testing.T, o client.Object) {
			if o.GetAnnotations()["note"] != "theirs" {
				t.Errorf("annotations %v: the other manager's field is gone", o.GetAnnotations())
			}
		}},
		{name: "another manager edited an owned field: one forced apply", obj: one, setup: func(w *world) {
			w.settle(one)
			w.edit(one, "kubectl-edit", func(o client.Object) { o.(*corev1.ConfigMap).Data["a"] = "edited" })
		}, writes: []string{applyCM + `, force true, resourceVersion ""`}, logs: []string{"Applied object [kind ConfigMap object monitoring/cm]"},
			then: func(t *testing.T, o client.Object) {
				if got := o.(*corev1.ConfigMap).Data; !cmp.Equal(got, one.Data) {
					t.Errorf("data %v, want %v", got, one.Data)
				}
			}},
		{name: "the render dropped a field: one apply removes it", setup: func(w *world) { w.settle(two) }, obj: one,
			writes: []string{applyCM + `, force true, resourceVersion ""`}, logs: []string{"Applied object [kind ConfigMap object monitoring/cm]"},
			then: func(t *testing.T, o client.Object) {
				if got := o.(*corev1.ConfigMap).Data; !cmp.Equal(got, one.Data) {
					t.Errorf("data %v, want %v", got, one.Data)
				}
			}},
		{name: "not the operator's: no write", setup: foreign, obj: one, err: notOwned,
			then: func(t *testing.T, o client.Object) {
				if o.GetLabels() != nil || o.(*corev1.ConfigMap).Data["a"] != "theirs" {
					t.Errorf("changed: %v %v", o.GetLabels(), o.(*corev1.ConfigMap).Data)
				}
			}},
		{name: "not the operator's, missing from the cache: only the apply that only creates, refused", obj: one, err: notOwned,
			setup:  func(w *world) { foreign(w); w.stale = true },
			writes: []string{applyCM + onlyCreates},
			then: func(t *testing.T, o client.Object) {
				if o.GetLabels() != nil || o.(*corev1.ConfigMap).Data["a"] != "theirs" || len(entries(o)) != 0 {
					t.Errorf("changed: %v %v %v", o.GetLabels(), o.(*corev1.ConfigMap).Data, o.GetManagedFields())
				}
			}},
		// The refused create's precondition stays out of the render that is
		// then compared: an object that holds the render is not applied again.
		{name: "the operator's, missing from a stale cache: read from the API server, and left as it is", obj: one,
			setup:  func(w *world) { w.settle(one); w.stale = true },
			writes: []string{applyCM + onlyCreates}},
		{name: "ClusterRoleBinding whose roleRef changed: deleted (its UID the precondition), then created",
			setup: func(w *world) { w.settle(clusterRoleBinding("old")) }, obj: clusterRoleBinding("new"),
			writes: []string{"delete ClusterRoleBinding crb, precondition the live object's UID",
				"apply ClusterRoleBinding crb as " + fieldOwner + onlyCreates},
			logs: []string{"Created object [kind ClusterRoleBinding object crb]"},
			then: func(t *testing.T, o client.Object) {
				if got := o.(*rbacv1.ClusterRoleBinding).RoleRef.Name; got != "new" {
					t.Errorf("roleRef %s, want new", got)
				}
			}},
		{name: "ClusterRoleBinding whose subjects changed: applied in place", setup: func(w *world) { w.settle(clusterRoleBinding("old")) },
			obj:    func() client.Object { b := clusterRoleBinding("old"); b.Subjects[0].Name = "other"; return b }(),
			writes: []string{"apply ClusterRoleBinding crb as " + fieldOwner + `, force true, resourceVersion ""`},
			logs:   []string{"Applied object [kind ClusterRoleBinding object crb]"}},
		{name: "a stale Update entry of the operator's own: healed by one JSON patch", obj: one,
			setup:  func(w *world) { w.settle(one); w.withStaleUpdateEntry(one) },
			writes: []string{"patch ConfigMap monitoring/cm application/json-patch+json"},
			logs:   []string{"Healed object: its fields are owned by the operator's apply alone [kind ConfigMap object monitoring/cm]"},
			then: func(t *testing.T, o client.Object) {
				if got := entries(o); !slices.Equal(got, []string{"Apply"}) {
					t.Errorf("the operator's entries are %v, want its Apply alone", got)
				}
			}},
		{name: "healed, a field the render dropped goes", obj: one,
			setup:  func(w *world) { w.settle(two); w.withStaleUpdateEntry(two) },
			writes: []string{"patch ConfigMap monitoring/cm application/json-patch+json", applyCM + `, force true, resourceVersion ""`},
			logs: []string{"Healed object: its fields are owned by the operator's apply alone [kind ConfigMap object monitoring/cm]",
				"Applied object [kind ConfigMap object monitoring/cm]"},
			then: func(t *testing.T, o client.Object) {
				if got := o.(*corev1.ConfigMap).Data; !cmp.Equal(got, one.Data) || !slices.Equal(entries(o), []string{"Apply"}) {
					t.Errorf("data %v, entries %v; want %v, Apply", got, entries(o), one.Data)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.setup != nil {
				tc.setup(w)
			}
			err := w.a.Apply(w.ctx, tc.obj.DeepCopyObject().(client.Object), managedBy)
			var notOwned *NotOwnedError
			switch {
			case tc.err == nil && err != nil:
				t.Fatal(err)
			case tc.err != nil && (!errors.As(err, &notOwned) || *notOwned != *tc.err):
				t.Fatalf("error %#v, want %#v", err, tc.err)
			}
			if diff := cmp.Diff(tc.writes, w.writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.logs, w.logs); diff != "" {
				t.Errorf("logs (-want +got):\n%s", diff)
			}
			if tc.then != nil {
				tc.then(t, w.get(tc.obj))
			}
		})
	}
}

// TestApplyAllStopsAtFirstError: an object that is not the operator's stops
// the batch before the next one is written.
func TestApplyAllStopsAtFirstError(t *testing.T) {
	w := newWorld(t)
	theirs := configMap(nil)
	theirs.Labels = nil
	if err := w.server.Create(w.ctx, theirs); err != nil {
		t.Fatal(err)
	}
	err := w.a.ApplyAll(w.ctx, []client.Object{configMap(map[string]string{"a": "1"}), clusterRoleBinding("r")}, managedBy)
	var notOwned *NotOwnedError
	if !errors.As(err, &notOwned) || len(w.writes) != 0 || w.get(clusterRoleBinding("r")) != nil {
		t.Errorf("error %v, writes %q: want a NotOwnedError and no write", err, w.writes)
	}
}

// TestDryRun: DryRun tries, as a dry run, the apply Apply would make, and
// makes no call where Apply would not apply; it stores and logs nothing.
func TestDryRun(t *testing.T) {
	two := configMap(map[string]string{"a": "1", "b": "2"})
	one := configMap(map[string]string{"a": "1"})
	const applyCM = "apply ConfigMap monitoring/cm as " + fieldOwner
	for _, tc := range []struct {
		name   string
		setup  func(*world)
		obj    client.Object
		writes []string
	}{
		{name: "missing: the apply that only creates, dry run", obj: one, writes: []string{applyCM + onlyCreates + ", dry run"}},
		{name: "missing from a stale cache: the same", obj: one, setup: func(w *world) { w.settle(one); w.stale = true },
			writes: []string{applyCM + onlyCreates + ", dry run"}},
		{name: "holds the render: no call", setup: func(w *world) { w.settle(one) }, obj: one},
		{name: "the render dropped a field: the forced apply, dry run", setup: func(w *world) { w.settle(two) }, obj: one,
			writes: []string{applyCM + `, force true, resourceVersion "", dry run`}},
		{name: "not the operator's: no call (Apply reports it)", obj: one, setup: func(w *world) {
			cm := configMap(map[string]string{"a": "theirs"})
			cm.Labels = nil
			if err := w.server.Create(w.ctx, cm); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "ClusterRoleBinding whose roleRef changed: no call (Apply creates it again)",
			setup: func(w *world) { w.settle(clusterRoleBinding("old")) }, obj: clusterRoleBinding("new")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.setup != nil {
				tc.setup(w)
			}
			before := w.get(tc.obj)
			if err := w.a.DryRun(w.ctx, []client.Object{tc.obj.DeepCopyObject().(client.Object)}, managedBy); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.writes, w.writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if len(w.logs) != 0 {
				t.Errorf("logged %q", w.logs)
			}
			w.stale = false
			if after := w.get(tc.obj); !cmp.Equal(before, after) {
				t.Errorf("the dry run changed the object: %s", cmp.Diff(before, after))
			}
		})
	}
}

// TestNotOwnedErrorText: the message users read in the status is today's.
func TestNotOwnedErrorText(t *testing.T) {
	err := &NotOwnedError{Kind: "ConfigMap", Namespace: "monitoring", Name: "antrea-prometheus", Label: render.OwnerLabel}
	want := "ConfigMap monitoring/antrea-prometheus exists and was not created by the operator (no label monitoring.antrea.io/antreamonitoring); the operator does not change or delete it: rename or remove it"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}
