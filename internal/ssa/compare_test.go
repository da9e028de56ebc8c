package ssa

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// TestOwnedFieldsEqualEveryKind holds OwnedFieldsEqual to its contract for
// every kind the operator creates (render.Kinds, so a kind added later must
// be rendered here too): a rendered object of the kind is applied on an API
// server's field manager (the builtin schema, or the CRD's), and one field
// the operator owns, the deepest (outside metadata when there is one), is
// edited, removed, or dropped from the render.
func TestOwnedFieldsEqualEveryKind(t *testing.T) {
	objs := rendered(t)
	for _, k := range render.Kinds {
		i := slices.IndexFunc(objs, func(o client.Object) bool { return o.GetObjectKind().GroupVersionKind() == k.GVK })
		if i < 0 {
			t.Errorf("no render makes a %s: render one in rendered", k.GVK.Kind)
			continue
		}
		obj := objs[i]
		t.Run(k.GVK.Kind, func(t *testing.T) {
			desired, err := Content(obj)
			if err != nil {
				t.Fatal(err)
			}
			leaf := ownedLeaf(t, applied(t, obj))
			t.Logf("%s %s: the owned field changed is %s", k.GVK.Kind, obj.GetName(), leaf)
			numbers := 0
			for _, tc := range []struct {
				name string
				// change changes the server, or returns what the render wants instead of desired.
				change func(*server) map[string]any
				want   bool
			}{
				{"unchanged", nil, true},
				{"another manager edits the field", func(s *server) map[string]any {
					s.update("kubectl-edit", func(u map[string]any) { m, f := parentOf(t, u, leaf); m[f] = edited(m[f]) })
					return nil
				}, false},
				{"another writer removes the field", func(s *server) map[string]any {
					s.update("kubectl-edit", func(u map[string]any) { m, f := parentOf(t, u, leaf); delete(m, f) })
					return nil
				}, false},
				{"another manager adds a field the operator does not own", func(s *server) map[string]any {
					s.update("kubectl-annotate", func(u map[string]any) {
						_ = unstructured.SetNestedField(u, "theirs", "metadata", "annotations", "example.com/note")
					})
					return nil
				}, true},
				{"the render drops the field", func(*server) map[string]any {
					d := runtime.DeepCopyJSON(desired)
					m, f := parentOf(t, d, leaf)
					delete(m, f)
					return d
				}, false},
				{"the render's numbers are float64 (decoded JSON), the live object's int64", func(*server) map[string]any {
					var d map[string]any
					raw, _ := json.Marshal(desired)
					_ = json.Unmarshal(raw, &d)
					numbers = countNumbers(d)
					return d
				}, true},
			} {
				s := applied(t, obj)
				want := desired
				if tc.change != nil {
					if d := tc.change(s); d != nil {
						want = d
					}
				}
				got, err := OwnedFieldsEqual(s.live(), k.GVK, want, fieldOwner)
				if err != nil || got != tc.want {
					t.Errorf("%s: OwnedFieldsEqual = %v, %v; want %v", tc.name, got, err, tc.want)
				}
			}
			if numbers == 0 {
				t.Logf("%s renders no number: the float64 case compares no number", k.GVK.Kind)
			}
		})
	}
}

// ownedLeaf picks the field the test changes: the deepest leaf of the
// operator's managed fields ending in a field name (not a list key's),
// outside metadata when there is one.
func ownedLeaf(t *testing.T, s *server) fieldpath.Path {
	t.Helper()
	set := &fieldpath.Set{}
	if err := set.FromJSON(strings.NewReader(s.fieldsV1())); err != nil {
		t.Fatal(err)
	}
	var best fieldpath.Path
	score := 0
	set.Leaves().Iterate(func(p fieldpath.Path) {
		last := p[len(p)-1]
		if last.FieldName == nil || len(p) > 1 && p[len(p)-2].Key != nil &&
			slices.ContainsFunc(*p[len(p)-2].Key, func(f value.Field) bool { return f.Name == *last.FieldName }) {
			return
		}
		n := len(p)
		if *p[0].FieldName != "metadata" {
			n += 100
		}
		if n > score {
			best, score = p.Copy(), n
		}
	})
	if best == nil {
		t.Fatalf("no owned field in %s", s.fieldsV1())
	}
	return best
}

// parentOf is the object holding the last field of p in u, and its name.
func parentOf(t *testing.T, u map[string]any, p fieldpath.Path) (map[string]any, string) {
	t.Helper()
	var cur any = u
	for _, pe := range p[:len(p)-1] {
		switch {
		case pe.FieldName != nil:
			m, _ := cur.(map[string]any)
			cur = m[*pe.FieldName]
		case pe.Key != nil:
			l, _ := cur.([]any)
			i := slices.IndexFunc(l, func(e any) bool {
				m, _ := e.(map[string]any)
				return !slices.ContainsFunc(*pe.Key, func(f value.Field) bool { return !value.Equals(value.NewValueInterface(m[f.Name]), f.Value) })
			})
			if i < 0 {
				t.Fatalf("no %s in %v", pe, l)
			}
			cur = l[i]
		default:
			t.Fatalf("path %s: only field names and list keys are followed", p)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("%s: no object holds its last field", p)
	}
	return m, *p[len(p)-1].FieldName
}

// edited is v changed, keeping its type (base64 data and quantities stay
// such).
func edited(v any) any {
	switch t := v.(type) {
	case string:
		if q, err := resource.ParseQuantity(t); err == nil {
			q.Add(q)
			return q.String()
		}
		if b, err := base64.StdEncoding.DecodeString(t); err == nil { // a Secret's data
			return base64.StdEncoding.EncodeToString(append(b, "-edited"...))
		}
		return t + "-edited"
	case int64:
		return t + 1
	case float64:
		return t + 1
	case bool:
		return !t
	case []any:
		return append(slices.Clone(t), runtime.DeepCopyJSONValue(t[len(t)-1]))
	case map[string]any:
		m := runtime.DeepCopyJSON(t)
		k := slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})[0]
		m[k] = edited(m[k])
		return m
	}
	panic("cannot edit a " + string(must(json.Marshal(v))))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func countNumbers(v any) int {
	switch t := v.(type) {
	case float64, int64:
		return 1
	case []any:
		n := 0
		for _, e := range t {
			n += countNumbers(e)
		}
		return n
	case map[string]any:
		n := 0
		for _, e := range t {
			n += countNumbers(e)
		}
		return n
	}
	return 0
}

// serviceMonitor is a ServiceMonitor like the rendered one.
func serviceMonitor() *promv1.ServiceMonitor {
	return &promv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "ServiceMonitor"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "antrea-controllers", Labels: map[string]string{"release": "kps"}},
		Spec: promv1.ServiceMonitorSpec{
			Selector:          metav1.LabelSelector{MatchLabels: map[string]string{"app": "antrea"}},
			NamespaceSelector: promv1.NamespaceSelector{MatchNames: []string{"kube-system"}},
			Endpoints:         []promv1.Endpoint{{TargetPort: ptr.To(intstr.FromString("api")), Scheme: ptr.To(promv1.SchemeHTTPS)}},
		},
	}
}

// serverFieldsV1 is what kube-apiserver v1.37.2, serving prometheus-operator
// v0.93.1's ServiceMonitor CRD, records for the operator's apply of
// serviceMonitor(): spec.selector, a LabelSelector the CRD declares
// x-kubernetes-map-type: atomic, is one leaf, owned as a whole (written
// from the entry the real server recorded for the rendered ServiceMonitor).
const serverFieldsV1 = `{"f:metadata":{"f:labels":{"f:release":{}}},"f:spec":{"f:endpoints":{},"f:namespaceSelector":{"f:matchNames":{}},"f:selector":{}}}`

// TestAtomicMapOwnedWhole: a ServiceMonitor's spec.selector is atomic on the
// API server, so the operator's Apply entry names it as one leaf, not its
// labels. OwnedFieldsEqual reads CRD kinds with the deduced schema, whose
// maps are granular: ExtractItems alone returns that leaf empty, so every
// ServiceMonitor would look changed and be applied at every reconcile;
// fillLeaves copies the leaf's whole live value. Any change another writer
// makes to the selector (a value, an added label) moves the whole atomic
// map to that writer: the operator's entry loses spec.selector, the
// comparison misses it and the next apply forces the whole selector back
// (dropping the added label). Should the entry still name the selector
// while the live value differs, the copied live value differs from the
// render too.
func TestAtomicMapOwnedWhole(t *testing.T) {
	sm := serviceMonitor()
	gvk := sm.GroupVersionKind()
	if got, want := fieldSet(t, applied(t, sm).fieldsV1()), fieldSet(t, serverFieldsV1); !got.Equals(want) {
		t.Fatalf("the simulated API server recorded %s, kube-apiserver %s", applied(t, sm).fieldsV1(), serverFieldsV1)
	}
	desired, err := Content(sm)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		live func(*server) client.Object
		want bool
		// owned: the operator's entry still names spec.selector.
		owned bool
	}{
		{"the same selector", (*server).live, true, true},
		{"a label value changed by another manager", func(s *server) client.Object {
			s.update("kubectl-edit", func(u map[string]any) {
				_ = unstructured.SetNestedField(u, "other", "spec", "selector", "matchLabels", "app")
			})
			return s.live()
		}, false, false},
		{"a label added by another manager", func(s *server) client.Object {
			s.update("kubectl-edit", func(u map[string]any) {
				_ = unstructured.SetNestedField(u, "x", "spec", "selector", "matchLabels", "team")
			})
			return s.live()
		}, false, false},
		{"a label value differs while the entry still names the selector", func(s *server) client.Object {
			live := s.live().(*promv1.ServiceMonitor)
			live.Spec.Selector.MatchLabels["app"] = "other"
			return live
		}, false, true},
	} {
		s := applied(t, sm)
		live := tc.live(s)
		got, err := OwnedFieldsEqual(live, gvk, desired, fieldOwner)
		if err != nil || got != tc.want {
			t.Errorf("%s: OwnedFieldsEqual = %v, %v; want %v", tc.name, got, err, tc.want)
		}
		if owned := ownedSet(t, live).Has(fieldpath.MakePathOrDie("spec", "selector")); owned != tc.owned {
			t.Errorf("%s: the operator's entry names spec.selector: %v, want %v", tc.name, owned, tc.owned)
		}
	}

	// Without fillLeaves the deduced schema extracts the owned selector empty.
	live := applied(t, sm).live()
	set := ownedSet(t, live)
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live)
	if err != nil {
		t.Fatal(err)
	}
	tv, err := deducedTypes.ObjectToTyped(&unstructured.Unstructured{Object: u})
	if err != nil {
		t.Fatal(err)
	}
	extracted := tv.ExtractItems(set.Leaves()).AsValue().Unstructured().(map[string]any)
	if sel, _, _ := unstructured.NestedFieldNoCopy(extracted, "spec", "selector"); sel != nil {
		t.Errorf("the deduced schema extracted the owned selector as %v: fillLeaves may no longer be needed", sel)
	}
	fillLeaves(extracted, u, set)
	sel, _, _ := unstructured.NestedFieldNoCopy(extracted, "spec", "selector")
	if want := map[string]any{"matchLabels": map[string]any{"app": "antrea"}}; !cmp.Equal(sel, want) {
		t.Errorf("fillLeaves: selector %v, want %v", sel, want)
	}
}

// TestForeignListElement documents a limit of the deduced schema, today's
// behaviour rather than a wish: prometheus-operator's CRDs declare a
// PrometheusRule's spec.groups a list map keyed by name, so another manager
// may add a group the operator does not own; the deduced schema reads every
// list as atomic, so the owned groups are extracted with the other's, and
// the rule is applied again at every reconcile (the apply cannot remove a
// group it does not own; seen on kube-apiserver v1.37.2). A builtin list map,
// a Service's ports, is read by its schema: another manager's port is not
// the operator's concern.
func TestForeignListElement(t *testing.T) {
	rule := &promv1.PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "antrea-antrea-rules", Labels: render.Labels()},
		Spec:       promv1.PrometheusRuleSpec{Groups: []promv1.RuleGroup{{Name: "antrea", Rules: []promv1.Rule{{Alert: "AntreaDown", Expr: intstr.FromString("up == 0")}}}}},
	}
	service := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "monitoring", Name: "antrea-prometheus", Labels: render.Labels()},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "web", Port: 9090, Protocol: corev1.ProtocolTCP}}},
	}
	for _, tc := range []struct {
		obj   client.Object
		list  []string
		other map[string]any
		want  bool
	}{
		{rule, []string{"spec", "groups"}, map[string]any{"name": "theirs", "rules": []any{map[string]any{"record": "x", "expr": "up"}}}, false},
		{service, []string{"spec", "ports"}, map[string]any{"name": "theirs", "port": int64(9091), "protocol": "TCP"}, true},
	} {
		s := applied(t, tc.obj)
		s.update("kubectl-edit", func(u map[string]any) {
			l, _, _ := unstructured.NestedSlice(u, tc.list...)
			_ = unstructured.SetNestedSlice(u, append(l, tc.other), tc.list...)
		})
		if strings.Contains(s.fieldsV1(), "theirs") {
			t.Fatalf("the operator owns the other's element: %s", s.fieldsV1())
		}
		desired, err := Content(tc.obj)
		if err != nil {
			t.Fatal(err)
		}
		kind := tc.obj.GetObjectKind().GroupVersionKind()
		if got, err := OwnedFieldsEqual(s.live(), kind, desired, fieldOwner); err != nil || got != tc.want {
			t.Errorf("%s with another manager's element in %s: OwnedFieldsEqual = %v, %v; want %v", kind.Kind, strings.Join(tc.list, "."), got, err, tc.want)
		}
	}
}

// TestNoApplyEntry: without the operator's Apply entry (an object another
// manager applied, or managedFields wiped) nothing is owned, so the object
// is applied.
func TestNoApplyEntry(t *testing.T) {
	sm := serviceMonitor()
	desired, err := Content(sm)
	if err != nil {
		t.Fatal(err)
	}
	for name, live := range map[string]func() client.Object{
		"another manager's apply": func() client.Object {
			s := newServer(t, sm.GroupVersionKind())
			s.apply(desired, "helm")
			return s.live()
		},
		"managedFields wiped": func() client.Object {
			live := applied(t, sm).live()
			live.SetManagedFields(nil)
			return live
		},
	} {
		if got, err := OwnedFieldsEqual(live(), sm.GroupVersionKind(), desired, fieldOwner); err != nil || got {
			t.Errorf("%s: OwnedFieldsEqual = %v, %v; want false", name, got, err)
		}
	}
}

// TestBuiltinFromGVK: the schema is chosen from the kind (client-go's scheme
// knows it, or it is a CRD's), as render.Kind.CRD says.
func TestBuiltinFromGVK(t *testing.T) {
	for _, k := range render.Kinds {
		if builtin(k.GVK) == (k.CRD != "") {
			t.Errorf("%s: builtin %v, CRD %q", k.GVK, builtin(k.GVK), k.CRD)
		}
	}
}

// TestContent: the apply body leaves out status and every null (a null
// would remove a field), such as a fresh object's creationTimestamp, at any
// depth, lists of objects included.
func TestContent(t *testing.T) {
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "monitoring", Name: "p"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{}}}}}},
		Status: appsv1.DeploymentStatus{Replicas: 1},
	}
	got, err := Content(d)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"namespace": "monitoring", "name": "p"},
		"spec": map[string]any{"selector": nil, "strategy": map[string]any{}, "template": map[string]any{
			"metadata": map[string]any{},
			"spec":     map[string]any{"containers": []any{map[string]any{"name": "c", "resources": map[string]any{}}}},
		}},
	}
	delete(want["spec"].(map[string]any), "selector")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Content (-want +got):\n%s", diff)
	}
}

func fieldSet(t *testing.T, fieldsV1 string) *fieldpath.Set {
	t.Helper()
	set := &fieldpath.Set{}
	if err := set.FromJSON(strings.NewReader(fieldsV1)); err != nil {
		t.Fatal(err)
	}
	return set
}

// ownedSet is the field set of the operator's Apply entry of live.
func ownedSet(t *testing.T, live client.Object) *fieldpath.Set {
	t.Helper()
	for _, mf := range live.GetManagedFields() {
		if mf.Manager == fieldOwner && mf.Operation == metav1.ManagedFieldsOperationApply {
			return fieldSet(t, mf.FieldsV1.GetRawString())
		}
	}
	return &fieldpath.Set{}
}
