package render

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
)

// OwnerLabel names the AntreaMonitoring an object belongs to; pruning lists by it.
const OwnerLabel = "monitoring.antrea.io/antreamonitoring"

// ConfigHashAnnotation on the managed Prometheus's pod template holds the
// hash of its prometheus.yml: a changed config rolls Prometheus out.
const ConfigHashAnnotation = monitoringv1alpha1.ConfigHashAnnotation

// Keys and names of the delivered objects.
const (
	ScrapeConfigsKey = "antrea-scrape-configs.yaml"
	// ScrapeConfigFileKey holds the same jobs under scrape_configs:, the
	// shape of a file Prometheus's scrape_config_files (2.43+) lists.
	ScrapeConfigFileKey  = "antrea-scrape-config-file.yaml"
	PrometheusConfigKey  = "prometheus.yml"
	PrometheusPort       = 9090
	TokenKey             = "token"
	prometheusConfigPath = "/etc/prometheus"
	prometheusDataPath   = "/prometheus"
	// AntreaCAKey holds the copy of antrea-ca's ca.crt in the ConfigMap
	// (and Secret) the operator delivers to a Prometheus it does not
	// configure itself (modes Managed and ScrapeConfig).
	AntreaCAKey = "antrea-ca.crt"
	// AntreaCAConfigMapKey is the key of Antrea's ConfigMap antrea-ca, and
	// of the copy the operator puts next to prometheus-operator monitors.
	AntreaCAConfigMapKey = "ca.crt"
	// AntreaCAConfigMap is where antrea-controller publishes its CA.
	AntreaCAConfigMap = "antrea-ca"
	// ScrapeConfigMountPath is where mode ScrapeConfig's controller job
	// expects ConfigMap (or Secret) <name>-scrape-configs to be mounted in
	// the user's Prometheus: its ca_file is <this>/antrea-ca.crt.
	ScrapeConfigMountPath = "/etc/prometheus/antrea-monitoring"
)

// Input is everything the Prometheus side is rendered from.
type Input struct {
	Owner           Owner
	AntreaNamespace string
	ScrapeInterval  string
	// Mode is the resolved mode (never Auto).
	Mode monitoringv1alpha1.PrometheusMode
	// Prometheus, Managed, ScrapeConfig and PrometheusOperator are the
	// mode's Target (see Input.For).
	// Prometheus is what status.prometheus reports: the managed Deployment,
	// or the prometheus-operator Prometheus.
	Prometheus *monitoringv1alpha1.ObjectReference
	// Managed holds the managed Prometheus's settings, defaults applied.
	Managed monitoringv1alpha1.ManagedPrometheus
	// ScrapeConfig is where a plain Prometheus gets its jobs.
	ScrapeConfig monitoringv1alpha1.ScrapeConfigTarget
	// PrometheusOperator holds what the prometheus-operator mode needs.
	PrometheusOperator PrometheusOperatorInput
	// ControllerCA is ca.crt of ConfigMap antrea-ca (PEM), with which the
	// controller job verifies antrea-controller's certificate; empty when
	// InsecureSkipVerify.
	ControllerCA string
	// InsecureSkipVerify scrapes the controller without verifying TLS.
	InsecureSkipVerify bool
	// AgentAPIPort is the port agents whose container declares none (the
	// Windows agents) are scraped on: the apiPort their AntreaAgentInfo
	// reports (DefaultAgentAPIPort when 0).
	AgentAPIPort int32
	// Antrea is the running Antrea (version and features), which decides
	// the alerting rules shipped: a rule is left out when this Antrea does
	// not serve its families or they cannot move. The zero value is an
	// Antrea of unknown version with default features.
	Antrea catalog.Antrea
	// Series is which families a scrape keeps (every mode).
	Series Series
	// Alerts ships the alerting rules.
	Alerts bool
	// Dashboard ships the Grafana dashboard, in DashboardNamespace (the
	// mode's namespace when empty).
	Dashboard          bool
	DashboardNamespace string
	// DashboardLabels and DashboardAnnotations go on the dashboard's
	// ConfigMap (DefaultDashboardLabels when DashboardLabels is empty).
	DashboardLabels, DashboardAnnotations map[string]string
	// GrafanaOperator also ships the dashboard as a GrafanaDashboard, when
	// grafana-operator's CRD is served (GrafanaDashboardServed).
	GrafanaOperator        *monitoringv1alpha1.GrafanaOperatorDashboard
	GrafanaDashboardServed bool
}

// PrometheusOperatorInput is the prometheus-operator side of Input.
type PrometheusOperatorInput struct {
	// Namespace of the monitors.
	Namespace string
	// Labels the monitors carry.
	Labels map[string]string
	// UseScrapeConfig renders ScrapeConfig objects instead of monitors.
	UseScrapeConfig bool
	// Prometheus is the collector chosen: a Prometheus or a PrometheusAgent.
	Prometheus promop.Ref
	// PrometheusServiceAccount is the ServiceAccount the collector runs as.
	PrometheusServiceAccount monitoringv1alpha1.ObjectReference
	// Shards is the Prometheus's number of shards (each scrapes a part).
	Shards int32
	// PortName is the name of the web port of the Prometheus's pods.
	PortName string
	// ListenLocal: the Prometheus listens on localhost only.
	ListenLocal bool
	// EndpointSlice: the installed CRD of the controllers job's object
	// (ServiceMonitor, or ScrapeConfig) takes discovery role EndpointSlice.
	EndpointSlice bool
}

// Names of the objects rendered for an AntreaMonitoring.
type Names struct{ owner string }

// NamesFor returns the names used for an AntreaMonitoring's objects.
func NamesFor(owner string) Names      { return Names{owner: owner} }
func (n Names) Prometheus() string     { return n.owner + "-prometheus" }
func (n Names) PrometheusData() string { return n.owner + "-prometheus-data" }

// PrometheusBinding and PrometheusAntreaBinding name ClusterRoleBindings,
// which are cluster-wide: the prefix keeps them from colliding with a
// user's own bindings.
func (n Names) PrometheusBinding() string { return "antrea-monitoring:" + n.owner + ":prometheus" }
func (n Names) PrometheusAntreaBinding() string {
	return "antrea-monitoring:" + n.owner + ":prometheus-antrea"
}

func (n Names) ScrapeConfigs() string      { return n.owner + "-scrape-configs" }
func (n Names) MetricsReader() string      { return n.owner + "-metrics-reader" }
func (n Names) MetricsReaderToken() string { return n.owner + "-metrics-reader-token" }
func (n Names) Rules() string              { return n.owner + "-antrea-rules" }
func (n Names) AntreaCA() string           { return n.owner + "-antrea-ca" }
func (n Names) Dashboard() string          { return n.owner + "-grafana-dashboard" }
func (n Names) ControllerMonitor() string  { return n.owner + "-controllers" }
func (n Names) AgentMonitor() string       { return n.owner + "-agents" }
func (n Names) ManagedPrometheusSelector() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": n.owner}
}

// ManagedPrometheusPodLabels are the managed Prometheus's pod labels: its
// selector and the operator's labels, so the operator's cache holds its
// pods (PrometheusReady reports what they say).
func (n Names) ManagedPrometheusPodLabels() map[string]string {
	l := n.ManagedPrometheusSelector()
	l[ManagedByLabel], l[OwnerLabel] = ManagedByValue, n.owner
	return l
}

// MonitorLabels are the labels of the monitors of an AntreaMonitoring:
// the user's, the operator's, and the owner label.
func MonitorLabels(owner string, user map[string]string) map[string]string {
	return mergeLabels(user, Labels(), map[string]string{OwnerLabel: owner})
}

func mergeLabels(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

func meta(name, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace}
}

// ownedBy makes an object owned by the (cluster-scoped) AntreaMonitoring,
// so the garbage collector removes it with its owner.
func ownedBy(o Owner) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, UID: o.UID,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
}

func binding(name, role string, subjects ...monitoringv1alpha1.ObjectReference) *rbacv1.ClusterRoleBinding {
	b := &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
	}
	for _, s := range subjects {
		b.Subjects = append(b.Subjects, rbacv1.Subject{Kind: "ServiceAccount", Namespace: s.Namespace, Name: s.Name})
	}
	return b
}

// DashboardKey is the dashboard's key in its ConfigMap.
const DashboardKey = "antrea.json"

// DefaultDashboardLabels select the dashboard for Grafana's sidecar, as
// kube-prometheus-stack configures it by default.
var DefaultDashboardLabels = map[string]string{"grafana_dashboard": "1"}

// SidecarLabels are the labels the dashboard's ConfigMap carries for
// Grafana's sidecar: DashboardLabels, or DefaultDashboardLabels.
func (in Input) SidecarLabels() map[string]string {
	if len(in.DashboardLabels) == 0 {
		return DefaultDashboardLabels
	}
	return in.DashboardLabels
}

// dashboards are the dashboard's ConfigMap in ns, labelled and annotated
// for Grafana's sidecar, and its GrafanaDashboard when asked for and
// grafana-operator's CRD is served.
func dashboards(in Input, ns string) []client.Object {
	name := NamesFor(in.Owner.Name).Dashboard()
	out := []client.Object{&corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: maps.Clone(in.SidecarLabels()), Annotations: maps.Clone(in.DashboardAnnotations)},
		Data:       map[string]string{DashboardKey: DashboardJSON()},
	}}
	if g := in.GrafanaOperator; g != nil && in.GrafanaDashboardServed {
		out = append(out, &grafana.GrafanaDashboard{
			TypeMeta:   metav1.TypeMeta{APIVersion: grafana.SchemeGroupVersion.String(), Kind: "GrafanaDashboard"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: grafana.GrafanaDashboardSpec{InstanceSelector: g.InstanceSelector.DeepCopy(), Folder: g.Folder,
				AllowCrossNamespaceImport: ptr.To(g.AllowCrossNamespaceImport), JSON: DashboardJSON()},
		})
	}
	return out
}

// agentPort is AgentAPIPort, defaulted.
func (in Input) agentPort() int32 {
	if in.AgentAPIPort == 0 {
		return DefaultAgentAPIPort
	}
	return in.AgentAPIPort
}
