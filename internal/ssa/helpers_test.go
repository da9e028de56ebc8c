package ssa

import (
	"strings"
	"testing"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	generatedopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/managedfields/managedfieldstest"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// fieldOwner is the operator's field manager (controllers.FieldOwner).
const fieldOwner = "antrea-monitoring-operator"

// testScheme is the operator's scheme for the kinds it creates: client-go's
// kinds and prometheus-operator's monitoring.coreos.com v1 and v1alpha1.
var testScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(promv1.AddToScheme(s))
	utilruntime.Must(promv1alpha1.AddToScheme(s))
	utilruntime.Must(grafana.AddToScheme(s))
	return s
}()

// rendered is what the real render makes in every mode (Managed with a
// claim, ScrapeConfig, PrometheusOperator with monitors and with
// ScrapeConfig objects), alerts and dashboard on, and the shared
// ClusterRoles: typed objects with their TypeMeta, as Apply gets them.
func rendered(t *testing.T) []client.Object {
	t.Helper()
	owner := render.Owner{APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring", Name: "antrea", UID: types.UID("6d1f4a52-0000-4000-8000-000000000001")}
	cluster := &observed.Cluster{
		Namespaces:      map[string]*corev1.Namespace{},
		ServiceAccounts: map[types.NamespacedName]bool{{Namespace: "prom", Name: "prometheus"}: true},
		PrometheusOperator: observed.PrometheusOperator{Served: true, Established: map[string]bool{},
			Versions:     map[string]string{render.ServiceMonitorCRD: "0.93.1", render.ScrapeConfigCRD: "0.93.1"},
			Prometheuses: []promv1.Prometheus{{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "kps"}}}},
	}
	for _, n := range []string{"prom", "kps", "monitoring"} {
		cluster.Namespaces[n] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}
	}
	specs := map[string]monitoringv1alpha1.PrometheusSpec{
		"managed": {Mode: monitoringv1alpha1.ModeManaged, Managed: &monitoringv1alpha1.ManagedPrometheus{
			Storage: &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse("20Gi")}}},
		"scrapeconfig": {Mode: monitoringv1alpha1.ModeScrapeConfig, ScrapeConfig: &monitoringv1alpha1.ScrapeConfigTarget{
			Namespace: "prom", ServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "prom", Name: "prometheus"}}},
		"monitors": {Mode: monitoringv1alpha1.ModePrometheusOperator, PrometheusOperator: &monitoringv1alpha1.PrometheusOperatorTarget{
			Labels: map[string]monitoringv1alpha1.LabelValue{"release": "kps"}}},
		"scrapeconfig objects": {Mode: monitoringv1alpha1.ModePrometheusOperator, PrometheusOperator: &monitoringv1alpha1.PrometheusOperatorTarget{
			UseScrapeConfig: true}},
	}
	var out []client.Object
	for _, name := range []string{"managed", "scrapeconfig", "monitors", "scrapeconfig objects"} {
		am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: owner.Name, UID: owner.UID}}
		am.Spec.Prometheus = specs[name]
		target, blocked := render.Modes[specs[name].Mode].Plan(am, cluster)
		if blocked != nil {
			t.Fatalf("%s: Plan blocked: %+v", name, blocked)
		}
		in := render.Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "30s", Mode: specs[name].Mode,
			ControllerCA: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", Alerts: true, Dashboard: true,
			GrafanaOperator:        &monitoringv1alpha1.GrafanaOperatorDashboard{InstanceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"dashboards": "grafana"}}},
			GrafanaDashboardServed: true}.For(target)
		r, err := render.Render(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, r.Objects...)
	}
	return append(out, render.ClusterRoles([]render.Owner{owner})...)
}

// crdTypes is the type converter the API server builds from
// prometheus-operator's CRDs (v0.93.1, whose schema the operator's tests
// install), reduced to what decides managedFields: the API server's
// ObjectMeta, and under spec the CRDs' defaults (objects and maps granular,
// lists atomic, which the deduced schema gives an unknown field) except
// where a CRD says otherwise outside an atomic list, as listed in
// crdExceptions. With it, managedfieldstest records the FieldsV1 a real API
// server records for these kinds, e.g. a ServiceMonitor's spec.selector (a
// LabelSelector, x-kubernetes-map-type: atomic) as one leaf "f:selector":{}:
// for every object of rendered, its Apply entry was checked to equal the
// one kube-apiserver v1.37.2 (envtest, with those CRDs) records.
var crdTypes = func() managedfields.TypeConverter {
	ref := func(name string) spec.Ref { return spec.MustCreateRef("#/definitions/" + name) }
	models := map[string]*spec.Schema{}
	for name, def := range generatedopenapi.GetOpenAPIDefinitions(ref) {
		models[name] = &def.Schema
	}
	for _, gvk := range []schema.GroupVersionKind{
		promv1.SchemeGroupVersion.WithKind("ServiceMonitor"), promv1.SchemeGroupVersion.WithKind("PodMonitor"),
		promv1.SchemeGroupVersion.WithKind("PrometheusRule"), promv1alpha1.SchemeGroupVersion.WithKind("ScrapeConfig"),
		grafana.SchemeGroupVersion.WithKind("GrafanaDashboard"),
	} {
		s := &spec.Schema{}
		s.Type = spec.StringOrArray{"object"}
		s.Extensions = spec.Extensions{"x-kubernetes-group-version-kind": []any{
			map[string]any{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind}}}
		s.Properties = map[string]spec.Schema{
			"apiVersion": *spec.StringProperty(),
			"kind":       *spec.StringProperty(),
			"metadata":   *spec.RefSchema("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
			"spec":       unknownFields(),
			"status":     unknownFields(),
		}
		for path, ext := range crdExceptions[gvk.Kind] {
			at := s.Properties["spec"]
			setAt(&at, strings.Split(path, "."), ext)
			s.Properties["spec"] = at
		}
		models[gvk.Group+"."+gvk.Version+"."+gvk.Kind] = s
	}
	tc, err := managedfields.NewTypeConverter(models, false)
	utilruntime.Must(err)
	return tc
}()

// crdExceptions are, by kind, the fields under spec (dotted paths) that
// prometheus-operator v0.93.1's CRDs declare otherwise than a CRD's
// defaults, outside atomic lists (inside one nothing is tracked apart). They
// were listed from the generated CRDs (hack/tools.sh
// prometheus-operator-crds) by walking each schema. namespaceSelector is
// declared (through matchNames, atomic as by default) because the API server
// records a "." for an object the schema does not declare, and the CRD
// declares it.
var crdExceptions = map[string]map[string]spec.Schema{
	"ServiceMonitor": {"selector": atomicMap(), "scrapeProtocols": setList(), "namespaceSelector.matchNames": atomicList()},
	"PodMonitor":     {"selector": atomicMap(), "scrapeProtocols": setList(), "namespaceSelector.matchNames": atomicList()},
	"PrometheusRule": {"groups": mapList("name")},
	// grafana-operator's instanceSelector is a LabelSelector (the fixture
	// CRD test/fixtures/crds/grafana declares it so).
	"GrafanaDashboard": {"instanceSelector": atomicMap()},
	"ScrapeConfig": {
		"authorization.credentials": atomicMap(), "basicAuth.password": atomicMap(), "basicAuth.username": atomicMap(),
		"oauth2.clientId.configMap": atomicMap(), "oauth2.clientId.secret": atomicMap(), "oauth2.clientSecret": atomicMap(),
		"oauth2.proxyConnectHeader": atomicMap(), "oauth2.tlsConfig.ca.configMap": atomicMap(), "oauth2.tlsConfig.ca.secret": atomicMap(),
		"oauth2.tlsConfig.cert.configMap": atomicMap(), "oauth2.tlsConfig.cert.secret": atomicMap(), "oauth2.tlsConfig.keySecret": atomicMap(),
		"params": atomicMap(), "proxyConnectHeader": atomicMap(), "scrapeProtocols": setList(),
		"tlsConfig.ca.configMap": atomicMap(), "tlsConfig.ca.secret": atomicMap(), "tlsConfig.cert.configMap": atomicMap(),
		"tlsConfig.cert.secret": atomicMap(), "tlsConfig.keySecret": atomicMap(),
	},
}

// unknownFields is an object whose fields are not declared: each is
// deduced (maps granular, lists atomic).
func unknownFields() spec.Schema {
	s := spec.Schema{}
	s.Type = spec.StringOrArray{"object"}
	s.Extensions = spec.Extensions{"x-kubernetes-preserve-unknown-fields": true}
	return s
}

func atomicMap() spec.Schema {
	s := unknownFields()
	s.Extensions["x-kubernetes-map-type"] = "atomic"
	return s
}

func atomicList() spec.Schema {
	s := spec.Schema{}
	s.Type = spec.StringOrArray{"array"}
	s.Items = &spec.SchemaOrArray{Schema: spec.StringProperty()}
	return s
}

func setList() spec.Schema {
	s := spec.Schema{}
	s.Type = spec.StringOrArray{"array"}
	s.Items = &spec.SchemaOrArray{Schema: spec.StringProperty()}
	s.Extensions = spec.Extensions{"x-kubernetes-list-type": "set"}
	return s
}

func mapList(keys ...string) spec.Schema {
	item := unknownFields()
	item.Properties = map[string]spec.Schema{}
	for _, k := range keys {
		item.Properties[k] = *spec.StringProperty()
	}
	s := spec.Schema{}
	s.Type = spec.StringOrArray{"array"}
	s.Items = &spec.SchemaOrArray{Schema: &item}
	s.Extensions = spec.Extensions{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": keys}
	return s
}

// setAt puts leaf at path under s, declaring the objects on the way.
func setAt(s *spec.Schema, path []string, leaf spec.Schema) {
	if s.Properties == nil {
		s.Properties = map[string]spec.Schema{}
	}
	if len(path) == 1 {
		s.Properties[path[0]] = leaf
		return
	}
	child, ok := s.Properties[path[0]]
	if !ok {
		child = unknownFields()
	}
	setAt(&child, path[1:], leaf)
	s.Properties[path[0]] = child
}

// serverTypes is the type converter the API server uses for gvk: the
// builtin schema for Kubernetes' kinds, the CRD's for the others.
func serverTypes(gvk schema.GroupVersionKind) managedfields.TypeConverter {
	if builtin(gvk) {
		return builtinTypes
	}
	return crdTypes
}

// server plays the API server's field manager for one object.
type server struct {
	t   *testing.T
	gvk schema.GroupVersionKind
	fm  managedfieldstest.TestFieldManager
}

// newServer is a server with no object of kind gvk yet.
func newServer(t *testing.T, gvk schema.GroupVersionKind) *server {
	return &server{t: t, gvk: gvk, fm: managedfieldstest.NewTestFieldManager(serverTypes(gvk), gvk)}
}

// applied is a server holding obj as the operator's apply made it.
func applied(t *testing.T, obj client.Object) *server {
	t.Helper()
	s := newServer(t, obj.GetObjectKind().GroupVersionKind())
	desired, err := Content(obj)
	if err != nil {
		t.Fatal(err)
	}
	s.apply(desired, fieldOwner)
	return s
}

// apply server-side applies content as manager, forcing.
func (s *server) apply(content map[string]any, manager string) {
	s.t.Helper()
	if err := s.fm.Apply(&unstructured.Unstructured{Object: runtime.DeepCopyJSON(content)}, manager, true); err != nil {
		s.t.Fatalf("apply by %s: %v", manager, err)
	}
}

// update is an update (a PUT) by manager of the live object as edit
// changes it.
func (s *server) update(manager string, edit func(map[string]any)) {
	s.t.Helper()
	u := s.fm.Live().(*unstructured.Unstructured).DeepCopy()
	edit(u.Object)
	if err := s.fm.Update(u, manager); err != nil {
		s.t.Fatalf("update by %s: %v", manager, err)
	}
}

// live is the live object, typed as a cache holds it.
func (s *server) live() client.Object {
	s.t.Helper()
	obj, err := testScheme.New(s.gvk)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(s.fm.Live().(*unstructured.Unstructured).Object, obj); err != nil {
		s.t.Fatal(err)
	}
	return obj.(client.Object)
}

// fieldsV1 is the operator's Apply entry, as JSON.
func (s *server) fieldsV1() string {
	for _, mf := range s.fm.ManagedFields() {
		if mf.Manager == fieldOwner && mf.Operation == metav1.ManagedFieldsOperationApply {
			return mf.FieldsV1.GetRawString()
		}
	}
	return ""
}
