package render

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// Mode is one kind of Prometheus setup. Everything the operator knows about
// a mode lives in the type implementing it (one file each) and its line in
// Modes; the controller only gathers, calls these, applies and prunes.
// Implementations are pure: no client, clock or randomness.
type Mode interface {
	// Plan checks the mode's preconditions against the gathered cluster
	// state and fills the mode's part of in. A returned condition
	// (ScrapeConfigured, False) blocks the apply: the objects of the mode
	// in place stay as they are.
	Plan(am *monitoringv1alpha1.AntreaMonitoring, c *Cluster, in *Input) *metav1.Condition
	// Render returns the mode's objects and what the controller needs to
	// know about them.
	Render(in Input) (Rendered, error)
	// Conditions are the mode's conditions once its objects are applied:
	// ScrapeConfigured, and any condition of its own (PrometheusReady).
	Conditions(in Input, r Rendered, c *Cluster) []metav1.Condition
}

// Modes is the registry of modes (Auto is resolved before it is used).
var Modes = map[monitoringv1alpha1.PrometheusMode]Mode{
	monitoringv1alpha1.ModeManaged:            managedMode{},
	monitoringv1alpha1.ModeScrapeConfig:       scrapeConfigMode{},
	monitoringv1alpha1.ModePrometheusOperator: prometheusOperatorMode{},
}

// Rendered is a mode's render: the objects to create (Tigera's "objects to
// create") and the kinds to search for objects to delete, with what the
// controller needs to check and report on them.
type Rendered struct {
	// Objects the mode wants, labelled and owned.
	Objects []client.Object
	// Prune are the kinds whose objects of this AntreaMonitoring that are
	// not in Objects must go: what this mode's siblings (or an earlier
	// render) may have left behind.
	Prune []Kind
	// Namespaces the objects need, created when missing (never deleted).
	Namespaces []string
	// Namespace is the mode's own namespace (the dashboard's default).
	Namespace string
	// Pools are the mode's scrape pools, as Prometheus names them.
	Pools []Pool
	// ScrapeAs is the ServiceAccount whose token Prometheus scrapes Antrea
	// with (what must be allowed to get /metrics).
	ScrapeAs monitoringv1alpha1.ObjectReference
	// Selected are the objects (of Objects) a prometheus-operator
	// Prometheus must select.
	Selected []client.Object
	// Endpoint is where the mode's Prometheus serves its HTTP API.
	Endpoint Endpoint
}

// Pool is one scrape pool and the Antrea component it scrapes.
type Pool struct {
	Name string
	// Component is antrea-controller or antrea-agent (the pods' component label).
	Component string
}

// The components of Antrea, as their pods' component label says.
const (
	ComponentController = "antrea-controller"
	ComponentAgent      = "antrea-agent"
)

// antreaPools are the pools of the jobs of Antrea's guide.
var antreaPools = []Pool{{Name: ControllersJob, Component: ComponentController}, {Name: AgentsJob, Component: ComponentAgent}}

// Endpoint is a Prometheus to query for scrape health: a Service, or the
// pods of a prometheus-operator Prometheus (one per shard).
type Endpoint struct {
	// PrometheusObject, in mode PrometheusOperator, is the Prometheus
	// object in Namespace whose pods answer (every shard is asked).
	PrometheusObject string
	// Shards of that Prometheus: every one is asked.
	Shards             int32
	Namespace, Service string
	Port               int32
	// PortName is the Service port's name (for the API server's proxy),
	// or the web port's name on the pods of PrometheusObject.
	PortName string
	// Unknown, when the mode cannot know where Prometheus is, says what the
	// user must set (spec.prometheus.url).
	Unknown string
}

// Cluster is the state of the cluster the modes plan with, gathered by the
// controller from its cache (no client here).
type Cluster struct {
	// Namespaces by name.
	Namespaces map[string]*corev1.Namespace
	// ServiceAccounts that exist, of those the spec names.
	ServiceAccounts map[types.NamespacedName]bool
	// PrometheusOperator is what the cluster says about prometheus-operator.
	PrometheusOperator PrometheusOperatorState
	// Deployments of the operator's own, by namespace and name.
	Deployments map[types.NamespacedName]*appsv1.Deployment
	// ManagedPods are the managed Prometheus's pods (mode Managed).
	ManagedPods []corev1.Pod
	// AntreaCA is ConfigMap antrea-ca of the Antrea namespace (nil when
	// missing).
	AntreaCA *corev1.ConfigMap
	// AgentAPIPort is the apiPort the Windows agents report (0: unknown).
	AgentAPIPort int32
}

// ControllerCA returns the CA the controller job verifies with (antrea-ca's
// ca.crt), or ScrapeConfigured False when it is missing or holds no
// certificate: rendering the job without it would break the controller's
// scrape (or, in mode PrometheusOperator, have the monitor rejected).
func ControllerCA(cm *corev1.ConfigMap, antreaNamespace string) (string, *metav1.Condition) {
	const fix = "antrea-controller publishes it at start-up and when it rotates its certificate; set spec.antrea.insecureSkipVerify: true to scrape the controller without verification (insecure)"
	if cm == nil {
		return "", scrapeBlocked(monitoringv1alpha1.ReasonAntreaCANotFound, fmt.Sprintf(
			"ConfigMap %s/%s, whose key %s the controller job verifies antrea-controller's certificate with, does not exist: %s.", antreaNamespace, AntreaCAConfigMap, AntreaCAConfigMapKey, fix))
	}
	pemData := cm.Data[AntreaCAConfigMapKey]
	if !holdsCertificate(pemData) {
		return "", scrapeBlocked(monitoringv1alpha1.ReasonAntreaCANotFound, fmt.Sprintf(
			"Key %s of ConfigMap %s/%s holds no PEM certificate, so the controller job could not verify antrea-controller: %s.", AntreaCAConfigMapKey, antreaNamespace, AntreaCAConfigMap, fix))
	}
	return pemData, nil
}

// holdsCertificate says whether s has at least one PEM certificate that parses.
func holdsCertificate(s string) bool {
	rest := []byte(s)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(b.Bytes); err == nil {
				return true
			}
		}
	}
}

// PrometheusOperatorState is what the cluster says about prometheus-operator.
type PrometheusOperatorState struct {
	// Served: the Prometheus kind is served and its objects are watched.
	Served bool
	// Prometheuses are the Prometheus objects.
	Prometheuses []promv1.Prometheus
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

// Rejection is an InvalidConfiguration event of prometheus-operator about
// an object it left out of a Prometheus's configuration.
type Rejection struct {
	// Prometheus is the Prometheus the object was rejected for.
	Prometheus monitoringv1alpha1.ObjectReference
	// Message is the event's note.
	Message string
}

// ObjectKey names an object as Kind/namespace/name.
func ObjectKey(o client.Object) string {
	return Key(o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName())
}

// Key is ObjectKey for an object whose TypeMeta is empty (a list's items).
func Key(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

// Serves says whether objects of a kind can be read and written.
func (s PrometheusOperatorState) Serves(k Kind) bool {
	return !k.PrometheusOperator || (s.Served && s.Established[k.CRD])
}

// Prometheus renders the objects of in.Mode (see Render).
func Prometheus(in Input) ([]client.Object, error) {
	r, err := Render(in)
	return r.Objects, err
}

// Render renders in.Mode: the mode's objects, and the dashboard when asked
// for. Every object carries the operator's labels and OwnerLabel, and an
// ownerReference to the AntreaMonitoring unless its kind is retained.
func Render(in Input) (Rendered, error) {
	mode, ok := Modes[in.Mode]
	if !ok {
		return Rendered{}, fmt.Errorf("cannot render mode %q", in.Mode)
	}
	r, err := mode.Render(in)
	if err != nil {
		return Rendered{}, fmt.Errorf("rendering mode %s: %w", in.Mode, err)
	}
	if in.Dashboard {
		ns := in.DashboardNamespace
		if ns == "" {
			ns = r.Namespace
		}
		r.Objects = append(r.Objects, dashboard(in.Owner.Name, ns))
	}
	for _, o := range r.Objects {
		o.SetLabels(MonitorLabels(in.Owner.Name, o.GetLabels()))
		if k, _ := KindFor(o.GetObjectKind().GroupVersionKind()); !k.Retained {
			o.SetOwnerReferences(ownedBy(in.Owner))
		}
	}
	r.Prune = prunedKinds()
	return r, nil
}

// prunedKinds are the kinds any mode may create per AntreaMonitoring and
// that are pruned: a mode switch leaves the previous mode's objects behind.
func prunedKinds() []Kind {
	var out []Kind
	for _, k := range Kinds {
		if k.Pruned {
			out = append(out, k)
		}
	}
	return out
}

// scrapeApplied is ScrapeConfigured True with a message.
func scrapeApplied(message string) metav1.Condition {
	return metav1.Condition{Type: monitoringv1alpha1.ConditionScrapeConfigured, Status: metav1.ConditionTrue,
		Reason: monitoringv1alpha1.ReasonScrapeApplied, Message: message}
}

// scrapeBlocked is ScrapeConfigured False with a reason and message.
func scrapeBlocked(reason, message string) *metav1.Condition {
	return &metav1.Condition{Type: monitoringv1alpha1.ConditionScrapeConfigured, Status: metav1.ConditionFalse,
		Reason: reason, Message: message}
}
