// Package observed holds the state of the cluster as the controller read it
// (from its cache) for one reconcile: what the modes plan with. It has no
// client and does nothing: the controller fills it, the render package
// reads it.
package observed

import (
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
)

// Cluster is the state of the cluster the modes plan with.
type Cluster struct {
	// Namespaces by name.
	Namespaces map[string]*corev1.Namespace
	// ServiceAccounts that exist, of those the spec names.
	ServiceAccounts map[types.NamespacedName]bool
	// PrometheusOperator is what the cluster says about prometheus-operator.
	PrometheusOperator PrometheusOperator
	// Deployments of the operator's own, by namespace and name.
	Deployments map[types.NamespacedName]*appsv1.Deployment
	// ManagedPods are the managed Prometheus's pods (mode Managed).
	ManagedPods []corev1.Pod
	// AntreaCA is ConfigMap antrea-ca of the Antrea namespace (nil when
	// missing).
	AntreaCA *corev1.ConfigMap
	// AgentAPIPort is the apiPort the Windows agents report (0: unknown).
	AgentAPIPort int32
	// Established are the CRDs of other projects whose kinds the operator
	// writes (grafana-operator's GrafanaDashboard) that are established,
	// by name.
	Established map[string]bool
	// GrafanaDashboards are the operator's GrafanaDashboard objects, by
	// namespace and name.
	GrafanaDashboards map[types.NamespacedName]*grafana.GrafanaDashboard
	// Scrapers are the other collectors that already scrape the cluster:
	// prometheus-operator's PrometheusAgent objects and VictoriaMetrics'
	// VMAgent objects.
	Scrapers []Scraper
}

// Scraper is a collector object of another kind than Prometheus.
type Scraper struct {
	// Kind is PrometheusAgent or VMAgent.
	Kind            string
	Namespace, Name string
}

func (s Scraper) String() string { return s.Kind + " " + s.Namespace + "/" + s.Name }

// PrometheusOperator is what the cluster says about prometheus-operator.
type PrometheusOperator struct {
	// Served: the Prometheus kind is served and its objects are watched.
	Served bool
	// Prometheuses are the Prometheus objects.
	Prometheuses []promv1.Prometheus
	// Agents are the PrometheusAgent objects (none while their CRD is not
	// established).
	Agents []promv1alpha1.PrometheusAgent
	// Established are prometheus-operator's CRDs (by name) that are established.
	Established map[string]bool
	// Versions are the established CRDs' prometheus-operator release (their
	// promop.VersionAnnotation), by name.
	Versions map[string]string
	// Pending: a CRD is established but its kind is not discoverable yet.
	Pending bool
	// Bindings are prometheus-operator's verdicts on the operator's
	// monitors, rules and ScrapeConfig objects (their status.bindings, with
	// the StatusForConfigurationResources feature gate), by ObjectKey.
	Bindings map[string][]promv1.WorkloadBinding
	// Rejections are prometheus-operator's verdicts where it writes no
	// status.bindings (the feature gate off), by ObjectKey: its
	// InvalidConfiguration events, each confirmed by the object's absence
	// from that Prometheus's generated configuration.
	Rejections map[string][]Rejection
}

// ServesCRD says whether the objects of prometheus-operator's CRD crd can
// be read and written: the Prometheus kind is served and crd is established.
func (s PrometheusOperator) ServesCRD(crd string) bool {
	return s.Served && s.Established[crd]
}

// Rejection is an InvalidConfiguration event of prometheus-operator about
// an object it left out of a Prometheus's configuration.
type Rejection struct {
	// Kind is the kind of collector the object was rejected for: Prometheus
	// or PrometheusAgent.
	Kind string
	// Prometheus is the collector the object was rejected for.
	Prometheus monitoringv1alpha1.ObjectReference
	// Message is the event's note.
	Message string
}

// ObjectKey names an object as Kind/namespace/name: the key of Bindings
// and Rejections.
func ObjectKey(o client.Object) string {
	return Key(o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName())
}

// Key is ObjectKey for an object whose TypeMeta is empty (a list's items).
func Key(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }
