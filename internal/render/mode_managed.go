package render

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/shorthash"
)

// PrometheusUser is the user (and group) the managed Prometheus runs as:
// nobody, as the Prometheus image's own USER.
const PrometheusUser int64 = 65534

// managedMode runs a Prometheus of the operator's own (mode Managed).
type managedMode struct{}

// Plan applies the API's defaults to spec.prometheus.managed; the mode
// creates its namespace, so nothing blocks it.
func (managedMode) Plan(am *monitoringv1alpha1.AntreaMonitoring, _ *observed.Cluster) (Target, *Verdict) {
	m := ManagedDefaults(am.Spec.Prometheus.Managed)
	return Target{Managed: m, Prometheus: &monitoringv1alpha1.ObjectReference{Namespace: m.Namespace, Name: NamesFor(am.Name).Prometheus()}, PrometheusKind: "Deployment"}, nil
}

// Render renders the managed Prometheus: ServiceAccount, binding,
// configuration, Deployment, Service and, when asked for, a PVC.
func (managedMode) Render(in Input) (Rendered, error) {
	objs, err := managed(in, WithSeries(ScrapeJobs(in.AntreaNamespace, in.ScrapeInterval, caFile(in, prometheusConfigPath+"/"+AntreaCAKey), in.agentPort()), in.Series))
	if err != nil {
		return Rendered{}, err
	}
	ns, name := in.Managed.Namespace, NamesFor(in.Owner.Name).Prometheus()
	return Rendered{
		Objects:    objs,
		Namespaces: []string{ns},
		Namespace:  ns,
		Pools:      antreaPools,
		ScrapeAs:   monitoringv1alpha1.ObjectReference{Namespace: ns, Name: name},
		Endpoint:   Endpoint{Namespace: ns, Service: name, Port: PrometheusPort, PortName: "web", Agent: in.Managed.Agent},
	}, nil
}

// Verdicts are the scrape configuration's and the managed Prometheus's
// readiness (see managedReady).
func (managedMode) Verdicts(in Input, _ Rendered, c *observed.Cluster) Verdicts {
	ref := types.NamespacedName{Namespace: in.Managed.Namespace, Name: NamesFor(in.Owner.Name).Prometheus()}
	ready := managedReady(ref, c.Deployments[ref], c.ManagedPods, in.Managed.Image)
	return Verdicts{
		Scrape:          scrapeApplied(fmt.Sprintf("Prometheus %s/%s is configured with jobs %s and %s.", ref.Namespace, ref.Name, ControllersJob, AgentsJob)),
		PrometheusReady: &ready,
	}
}

// ManagedDefaults applies the API defaults to a possibly absent spec.prometheus.managed.
func ManagedDefaults(m *monitoringv1alpha1.ManagedPrometheus) monitoringv1alpha1.ManagedPrometheus {
	var out monitoringv1alpha1.ManagedPrometheus
	if m != nil {
		out = *m.DeepCopy()
	}
	out.Namespace = defaultString(out.Namespace, monitoringv1alpha1.DefaultManagedNamespace)
	out.Image = defaultString(out.Image, monitoringv1alpha1.DefaultPrometheusImage)
	out.Retention = cmp.Or(out.Retention, monitoringv1alpha1.DefaultRetentionSetting)
	return out
}

// caFile is the controller job's ca_file: path, where the mode delivers
// the copy of antrea-ca, or none when verification is off.
func caFile(in Input, path string) string {
	if in.InsecureSkipVerify {
		return ""
	}
	return path
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// managed renders a Prometheus of the operator's own.
func managed(in Input, jobs []ScrapeJob) ([]client.Object, error) {
	m := in.Managed
	n := NamesFor(in.Owner.Name)
	data := map[string]string{}
	var ruleFiles []string
	if in.Alerts {
		rules, err := RuleFile(in.Antrea)
		if err != nil {
			return nil, err
		}
		data[RulesKey] = rules
		if !m.Agent { // an agent evaluates no rule: they stay here for the remote store's ruler
			ruleFiles = []string{prometheusConfigPath + "/" + RulesKey}
		}
	}
	var external map[string]string
	for k, v := range m.ExternalLabels {
		if external == nil {
			external = map[string]string{}
		}
		external[k] = string(v)
	}
	cfg, err := marshal(PrometheusConfig{
		Global:        GlobalConfig{ScrapeInterval: in.ScrapeInterval, EvaluationInterval: in.ScrapeInterval, ExternalLabels: external},
		RuleFiles:     ruleFiles,
		ScrapeConfigs: jobs,
		RemoteWrite:   remoteWrite(m.RemoteWrite),
		Alerting:      alerting(m.Alerting),
	})
	if err != nil {
		return nil, err
	}
	data[PrometheusConfigKey] = cfg
	// Not in the config hash: Prometheus re-reads a changed ca_file at the
	// next connection, and the kubelet updates the mounted key in place.
	if in.ControllerCA != "" {
		data[AntreaCAKey] = in.ControllerCA
	}
	sa := monitoringv1alpha1.ObjectReference{Namespace: m.Namespace, Name: n.Prometheus()}
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
	objs = append(objs, managedDeployment(in, n, shorthash.Of(cfg+data[RulesKey]), volume), &corev1.Service{
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
	// The kubelet probes on a ticker of the probe's period and skips ticks
	// before the initial delay: readiness with a 5 s delay and a 10 s
	// period made a Prometheus that serves after 1 s Ready after 11 s (seen
	// on a real node). /-/ready answers 503 until the TSDB is open, so
	// readiness needs no delay; prometheus-operator probes it every 5 s.
	probe := func(path string, delay, period int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("web")}},
			InitialDelaySeconds: delay, PeriodSeconds: period}
	}
	secretVolumes, secretMounts := mountedSecrets(m)
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
					Labels:      n.ManagedPrometheusPodLabels(),
					Annotations: map[string]string{ConfigHashAnnotation: configHash},
				},
				Spec: corev1.PodSpec{
					ServiceAccountName: n.Prometheus(),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(PrometheusUser), RunAsGroup: ptr.To(PrometheusUser), FSGroup: ptr.To(PrometheusUser),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  "prometheus",
						Image: m.Image,
						Args:  prometheusArgs(m),
						Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: PrometheusPort, Protocol: corev1.ProtocolTCP}},
						// A crash keeps its last log lines as the termination
						// message, which PrometheusReady quotes.
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
						ReadinessProbe:           probe("/-/ready", 0, 5),
						LivenessProbe:            probe("/-/healthy", 30, 10),
						Resources:                resources,
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: append([]corev1.VolumeMount{
							{Name: "config", MountPath: prometheusConfigPath, ReadOnly: true},
							{Name: "data", MountPath: prometheusDataPath},
						}, secretMounts...),
					}},
					InitContainers: chownData(m),
					Volumes: append([]corev1.Volume{
						{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: n.Prometheus()}}}},
						{Name: "data", VolumeSource: data},
					}, secretVolumes...),
				},
			},
		},
	}
}

// prometheusArgs are the Prometheus container's flags: a server with its
// TSDB and retention, or an agent with its WAL only (agent mode refuses the
// TSDB flags; Prometheus 3 turns it on with --agent, 2.x with
// --enable-feature=agent).
func prometheusArgs(m monitoringv1alpha1.ManagedPrometheus) []string {
	args := []string{"--config.file=" + prometheusConfigPath + "/" + PrometheusConfigKey}
	if !m.Agent {
		return append(args, "--storage.tsdb.path="+prometheusDataPath, "--storage.tsdb.retention.time="+string(m.Retention))
	}
	flag := "--agent"
	if imageMajor(m.Image) == 2 {
		flag = "--enable-feature=agent"
	}
	return append(args, flag, "--storage.agent.path="+prometheusDataPath)
}

// imageMajor is the major version an image's tag names (v2.46.0: 2), 0
// when the tag names none (latest, a digest): then the current major's
// flags are used.
func imageMajor(image string) int {
	ref := image
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return 0
	}
	tag := strings.TrimPrefix(ref[i+1:], "v")
	major, _, _ := strings.Cut(tag, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return n
}

// chownData is the init container that gives the claim's files to
// Prometheus's user when the volume ignores fsGroup (hostPath, local, some
// NFS and CSI drivers): the Prometheus image's busybox chown, as root with
// only the capabilities chown -R needs. None without a claim (an emptyDir
// honours fsGroup) or with storage.initChownData false.
func chownData(m monitoringv1alpha1.ManagedPrometheus) []corev1.Container {
	if !m.Storage.ChownData() {
		return nil
	}
	return []corev1.Container{{
		Name:                     "init-chown-data",
		Image:                    m.Image,
		Command:                  []string{"chown", "-R", fmt.Sprintf("%d:%d", PrometheusUser, PrometheusUser), prometheusDataPath},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsUser: ptr.To[int64](0), RunAsGroup: ptr.To[int64](0), RunAsNonRoot: ptr.To(false),
			AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"CHOWN", "DAC_READ_SEARCH"}},
		},
		VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: prometheusDataPath}},
	}}
}
