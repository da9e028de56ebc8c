package render

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"maps"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// OwnerLabel names the AntreaMonitoring an object belongs to; pruning lists by it.
const OwnerLabel = "monitoring.antrea.io/antreamonitoring"

// ConfigHashAnnotation on the managed Prometheus's pod template holds the
// hash of its prometheus.yml: a changed config rolls Prometheus out.
const ConfigHashAnnotation = "monitoring.antrea.io/config-hash"

// Keys and names of the delivered objects.
const (
	ScrapeConfigsKey     = "antrea-scrape-configs.yaml"
	PrometheusConfigKey  = "prometheus.yml"
	PrometheusPort       = 9090
	TokenKey             = "token"
	prometheusConfigPath = "/etc/prometheus"
	prometheusDataPath   = "/prometheus"
)

// Input is everything the Prometheus side is rendered from.
type Input struct {
	Owner           Owner
	AntreaNamespace string
	ScrapeInterval  string
	// Mode is the resolved mode (never Auto).
	Mode v1alpha1.PrometheusMode
	// Managed holds the managed Prometheus's settings, defaults applied.
	Managed v1alpha1.ManagedPrometheus
	// ScrapeConfig is where a plain Prometheus gets its jobs.
	ScrapeConfig v1alpha1.ScrapeConfigTarget
	// PrometheusOperator holds what the prometheus-operator mode needs.
	PrometheusOperator PrometheusOperatorInput
	// Alerts ships the alerting rules.
	Alerts bool
	// Dashboard ships the Grafana dashboard, in DashboardNamespace (the
	// mode's namespace when empty).
	Dashboard          bool
	DashboardNamespace string
}

// PrometheusOperatorInput is the prometheus-operator side of Input.
type PrometheusOperatorInput struct {
	// Namespace of the monitors.
	Namespace string
	// Labels the monitors carry.
	Labels map[string]string
	// UseScrapeConfig renders ScrapeConfig objects instead of monitors.
	UseScrapeConfig bool
	// PrometheusServiceAccount is the ServiceAccount the Prometheus runs as.
	PrometheusServiceAccount v1alpha1.ObjectReference
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
func (n Names) Dashboard() string          { return n.owner + "-grafana-dashboard" }
func (n Names) ControllerMonitor() string  { return n.owner + "-controllers" }
func (n Names) AgentMonitor() string       { return n.owner + "-agents" }
func (n Names) ManagedPrometheusSelector() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": n.owner}
}

// Prometheus renders the objects the mode wants. Every object carries the
// operator's labels and OwnerLabel; the controller prunes the labelled
// objects that are not in the result.
func Prometheus(in Input) ([]client.Object, error) {
	jobs := ScrapeJobs(in.AntreaNamespace, in.ScrapeInterval)
	var objs []client.Object
	var err error
	switch in.Mode {
	case v1alpha1.ModeManaged:
		objs, err = managed(in, jobs)
	case v1alpha1.ModeScrapeConfig:
		objs, err = scrapeConfigDelivery(in, jobs)
	case v1alpha1.ModePrometheusOperator:
		objs = prometheusOperator(in)
	default:
		return nil, fmt.Errorf("cannot render mode %q", in.Mode)
	}
	if err != nil {
		return nil, err
	}
	if in.Dashboard {
		objs = append(objs, dashboard(in))
	}
	for _, o := range objs {
		o.SetLabels(MonitorLabels(in.Owner.Name, o.GetLabels()))
		if k, _ := KindFor(o.GetObjectKind().GroupVersionKind()); !k.Retained {
			o.SetOwnerReferences(ownedBy(in.Owner))
		}
	}
	return objs, nil
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

func binding(name, role string, subjects ...v1alpha1.ObjectReference) *rbacv1.ClusterRoleBinding {
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

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// managed renders a Prometheus of the operator's own.
func managed(in Input, jobs []ScrapeJob) ([]client.Object, error) {
	m := in.Managed
	n := NamesFor(in.Owner.Name)
	data := map[string]string{}
	var ruleFiles []string
	if in.Alerts {
		rules, err := RuleFile(RuleJobsFor(in))
		if err != nil {
			return nil, err
		}
		data[RulesKey] = rules
		ruleFiles = []string{prometheusConfigPath + "/" + RulesKey}
	}
	cfg, err := marshal(PrometheusConfig{
		Global:        GlobalConfig{ScrapeInterval: in.ScrapeInterval, EvaluationInterval: in.ScrapeInterval},
		RuleFiles:     ruleFiles,
		ScrapeConfigs: jobs,
	})
	if err != nil {
		return nil, err
	}
	data[PrometheusConfigKey] = cfg
	sa := v1alpha1.ObjectReference{Namespace: m.Namespace, Name: n.Prometheus()}
	objs := []client.Object{
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta(sa.Name, sa.Namespace)},
		binding(n.PrometheusBinding(), PrometheusClusterRole, sa),
		&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta(n.Prometheus(), m.Namespace),
			Data: data},
	}
	volume := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	if m.Storage != nil {
		pvc := &corev1.PersistentVolumeClaim{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
			ObjectMeta: meta(n.PrometheusData(), m.Namespace),
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: m.Storage.Size}},
			},
		}
		if m.Storage.StorageClassName != "" {
			pvc.Spec.StorageClassName = ptr.To(m.Storage.StorageClassName)
		}
		objs = append(objs, pvc)
		volume = corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: pvc.Name}}
	}
	objs = append(objs, managedDeployment(in, n, hash(cfg+data[RulesKey]), volume), &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(n.Prometheus(), m.Namespace),
		Spec: corev1.ServiceSpec{
			Selector: n.ManagedPrometheusSelector(),
			Ports:    []corev1.ServicePort{{Name: "web", Port: PrometheusPort, TargetPort: intstr.FromString("web"), Protocol: corev1.ProtocolTCP}},
		},
	})
	return objs, nil
}

func managedDeployment(in Input, n Names, configHash string, data corev1.VolumeSource) *appsv1.Deployment {
	m := in.Managed
	var resources corev1.ResourceRequirements
	if m.Resources != nil {
		resources = *m.Resources
	} else {
		resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
		}
	}
	probe := func(path string, delay int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("web")}},
			InitialDelaySeconds: delay, PeriodSeconds: 10}
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(n.Prometheus(), m.Namespace),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			// One writer of the TSDB at a time (a PVC is ReadWriteOnce).
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Selector: &metav1.LabelSelector{MatchLabels: n.ManagedPrometheusSelector()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      n.ManagedPrometheusSelector(),
					Annotations: map[string]string{ConfigHashAnnotation: configHash},
				},
				Spec: corev1.PodSpec{
					ServiceAccountName: n.Prometheus(),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65534), RunAsGroup: ptr.To[int64](65534), FSGroup: ptr.To[int64](65534),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  "prometheus",
						Image: m.Image,
						Args: []string{
							"--config.file=" + prometheusConfigPath + "/" + PrometheusConfigKey,
							"--storage.tsdb.path=" + prometheusDataPath,
							"--storage.tsdb.retention.time=" + string(m.Retention),
						},
						Ports:          []corev1.ContainerPort{{Name: "web", ContainerPort: PrometheusPort, Protocol: corev1.ProtocolTCP}},
						ReadinessProbe: probe("/-/ready", 5),
						LivenessProbe:  probe("/-/healthy", 30),
						Resources:      resources,
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "config", MountPath: prometheusConfigPath, ReadOnly: true},
							{Name: "data", MountPath: prometheusDataPath},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: n.Prometheus()}}}},
						{Name: "data", VolumeSource: data},
					},
				},
			},
		},
	}
}

// scrapeConfigDelivery hands the jobs to a plain Prometheus: a Secret (the
// additionalScrapeConfigs format) and a ConfigMap with the same key, and the
// ClusterRoles bound to its ServiceAccount.
func scrapeConfigDelivery(in Input, jobs []ScrapeJob) ([]client.Object, error) {
	n := NamesFor(in.Owner.Name)
	out, err := ScrapeJobsYAML(jobs)
	if err != nil {
		return nil, err
	}
	t := in.ScrapeConfig
	cmData := map[string]string{ScrapeConfigsKey: out}
	if in.Alerts {
		rules, err := RuleFile(RuleJobsFor(in))
		if err != nil {
			return nil, err
		}
		cmData[RulesKey] = rules
	}
	return []client.Object{
		&corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: meta(n.ScrapeConfigs(), t.Namespace),
			Type: corev1.SecretTypeOpaque, Data: map[string][]byte{ScrapeConfigsKey: []byte(out)}},
		&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta(n.ScrapeConfigs(), t.Namespace),
			Data: cmData},
		binding(n.PrometheusBinding(), PrometheusClusterRole, t.ServiceAccount),
		binding(n.PrometheusAntreaBinding(), PrometheusAntreaClusterRole, t.ServiceAccount),
	}, nil
}

// prometheusOperator renders monitors (or ScrapeConfig objects) equivalent
// to the scrape jobs. prometheus-operator mounts no token file for
// PodMonitors, so the bearer token comes from a ServiceAccount token Secret
// of a metrics-reader ServiceAccount the operator creates beside them.
func prometheusOperator(in Input) []client.Object {
	p := in.PrometheusOperator
	n := NamesFor(in.Owner.Name)
	reader := v1alpha1.ObjectReference{Namespace: p.Namespace, Name: n.MetricsReader()}
	objs := []client.Object{
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta(reader.Name, reader.Namespace)},
		&corev1.Secret{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: n.MetricsReaderToken(), Namespace: p.Namespace,
				Annotations: map[string]string{corev1.ServiceAccountNameKey: reader.Name}},
			Type: corev1.SecretTypeServiceAccountToken,
		},
		binding(n.PrometheusAntreaBinding(), PrometheusAntreaClusterRole, reader, p.PrometheusServiceAccount),
	}
	if in.Alerts {
		objs = append(objs, &monitoringv1.PrometheusRule{
			TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule"},
			ObjectMeta: metav1.ObjectMeta{Name: n.Rules(), Namespace: p.Namespace, Labels: maps.Clone(p.Labels)},
			Spec:       monitoringv1.PrometheusRuleSpec{Groups: AlertRules(RuleJobsFor(in))},
		})
	}
	auth := &monitoringv1.SafeAuthorization{Type: "Bearer", Credentials: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: n.MetricsReaderToken()}, Key: TokenKey}}
	tls := &monitoringv1.SafeTLSConfig{InsecureSkipVerify: ptr.To(true)}
	keep := func(container string) monitoringv1.RelabelConfig {
		return monitoringv1.RelabelConfig{SourceLabels: []monitoringv1.LabelName{"__meta_kubernetes_namespace", "__meta_kubernetes_pod_container_name"},
			Action: "keep", Regex: in.AntreaNamespace + ";" + container}
	}
	instance := monitoringv1.RelabelConfig{SourceLabels: []monitoringv1.LabelName{"__meta_kubernetes_pod_node_name", "__meta_kubernetes_pod_name"},
		Separator: ptr.To(";"), TargetLabel: "instance", Action: "replace"}
	if p.UseScrapeConfig {
		return append(objs, scrapeConfigObjects(in, n, auth, tls, keep, instance)...)
	}
	interval := monitoringv1.Duration(in.ScrapeInterval)
	return append(objs,
		&monitoringv1.ServiceMonitor{
			TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "ServiceMonitor"},
			ObjectMeta: metav1.ObjectMeta{Name: n.ControllerMonitor(), Namespace: p.Namespace, Labels: maps.Clone(p.Labels)},
			Spec: monitoringv1.ServiceMonitorSpec{
				// Service antrea carries only app=antrea, and its port has no name.
				Selector:          metav1.LabelSelector{MatchLabels: map[string]string{"app": "antrea"}},
				NamespaceSelector: monitoringv1.NamespaceSelector{MatchNames: []string{in.AntreaNamespace}},
				Endpoints: []monitoringv1.Endpoint{{
					TargetPort:     ptr.To(intstr.FromString("api")),
					Scheme:         ptr.To(monitoringv1.SchemeHTTPS),
					Interval:       interval,
					RelabelConfigs: []monitoringv1.RelabelConfig{keep("antrea-controller"), instance},
					HTTPConfigWithProxyAndTLSFiles: monitoringv1.HTTPConfigWithProxyAndTLSFiles{HTTPConfigWithTLSFiles: monitoringv1.HTTPConfigWithTLSFiles{
						HTTPConfigWithoutTLS: monitoringv1.HTTPConfigWithoutTLS{Authorization: auth},
						TLSConfig:            &monitoringv1.TLSConfig{SafeTLSConfig: *tls},
					}},
				}},
			},
		},
		&monitoringv1.PodMonitor{
			TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PodMonitor"},
			ObjectMeta: metav1.ObjectMeta{Name: n.AgentMonitor(), Namespace: p.Namespace, Labels: maps.Clone(p.Labels)},
			Spec: monitoringv1.PodMonitorSpec{
				Selector:          metav1.LabelSelector{MatchLabels: map[string]string{"app": "antrea", "component": "antrea-agent"}},
				NamespaceSelector: monitoringv1.NamespaceSelector{MatchNames: []string{in.AntreaNamespace}},
				PodMetricsEndpoints: []monitoringv1.PodMetricsEndpoint{{
					Port:           ptr.To("api"),
					Scheme:         ptr.To(monitoringv1.SchemeHTTPS),
					Interval:       interval,
					RelabelConfigs: []monitoringv1.RelabelConfig{keep("antrea-agent"), instance},
					HTTPConfigWithProxy: monitoringv1.HTTPConfigWithProxy{HTTPConfig: monitoringv1.HTTPConfig{
						HTTPConfigWithoutTLS: monitoringv1.HTTPConfigWithoutTLS{Authorization: auth},
						TLSConfig:            tls,
					}},
				}},
			},
		},
	)
}

// scrapeConfigObjects are the ScrapeConfig (monitoring.coreos.com/v1alpha1)
// equivalents of the two jobs.
func scrapeConfigObjects(in Input, n Names, auth *monitoringv1.SafeAuthorization, tls *monitoringv1.SafeTLSConfig,
	keep func(string) monitoringv1.RelabelConfig, instance monitoringv1.RelabelConfig) []client.Object {
	p := in.PrometheusOperator
	sc := func(name, job string, role monitoringv1alpha1.KubernetesRole, selector, container string) *monitoringv1alpha1.ScrapeConfig {
		return &monitoringv1alpha1.ScrapeConfig{
			TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1alpha1", Kind: "ScrapeConfig"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace, Labels: maps.Clone(p.Labels)},
			Spec: monitoringv1alpha1.ScrapeConfigSpec{
				JobName: ptr.To(job),
				KubernetesSDConfigs: []monitoringv1alpha1.KubernetesSDConfig{{
					Role:       role,
					Namespaces: &monitoringv1alpha1.NamespaceDiscovery{Names: []string{in.AntreaNamespace}},
					Selectors:  []monitoringv1alpha1.K8SSelectorConfig{{Role: role, Label: ptr.To(selector)}},
				}},
				ScrapeInterval: ptr.To(monitoringv1.Duration(in.ScrapeInterval)),
				Scheme:         ptr.To(monitoringv1.SchemeHTTPS),
				Authorization:  auth,
				TLSConfig:      tls,
				RelabelConfigs: []monitoringv1.RelabelConfig{keep(container), instance},
			},
		}
	}
	return []client.Object{
		sc(n.ControllerMonitor(), ControllersJob, monitoringv1alpha1.KubernetesRoleEndpoint, AntreaAppSelector, "antrea-controller"),
		sc(n.AgentMonitor(), AgentsJob, monitoringv1alpha1.KubernetesRolePod, AntreaAgentSelector, "antrea-agent"),
	}
}

// ScrapePools are the names Prometheus gives the operator's scrape pools
// in a mode: the job names for Managed and ScrapeConfig, and
// prometheus-operator's names for its generated jobs.
func ScrapePools(in Input) []string {
	if in.Mode != v1alpha1.ModePrometheusOperator {
		return []string{ControllersJob, AgentsJob}
	}
	n := NamesFor(in.Owner.Name)
	ns := in.PrometheusOperator.Namespace
	if in.PrometheusOperator.UseScrapeConfig {
		return []string{"scrapeConfig/" + ns + "/" + n.ControllerMonitor(), "scrapeConfig/" + ns + "/" + n.AgentMonitor()}
	}
	return []string{"serviceMonitor/" + ns + "/" + n.ControllerMonitor() + "/0", "podMonitor/" + ns + "/" + n.AgentMonitor() + "/0"}
}

//go:embed dashboards/antrea.json
var dashboardJSON string

// DashboardJSON is the Grafana dashboard (agents, controller, AntreaProxy,
// OVS, conntrack).
func DashboardJSON() string { return dashboardJSON }

// DashboardKey is the dashboard's key in its ConfigMap.
const DashboardKey = "antrea.json"

// dashboard is the dashboard's ConfigMap, labelled for Grafana's sidecar.
func dashboard(in Input) client.Object {
	ns := in.DashboardNamespace
	if ns == "" {
		switch in.Mode {
		case v1alpha1.ModeManaged:
			ns = in.Managed.Namespace
		case v1alpha1.ModeScrapeConfig:
			ns = in.ScrapeConfig.Namespace
		default:
			ns = in.PrometheusOperator.Namespace
		}
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: NamesFor(in.Owner.Name).Dashboard(), Namespace: ns, Labels: map[string]string{"grafana_dashboard": "1"}},
		Data:       map[string]string{DashboardKey: dashboardJSON},
	}
}
