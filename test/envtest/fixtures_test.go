package envtest

import (
	"context"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// The project's own Antrea-like confs (shaped like Antrea's, written here).
const (
	agentConfOff = `# Antrea agent configuration (test fixture).
featureGates:
  # Load-balancing of Services inside the agent.
  AntreaProxy: true
  Egress: false

# Name of the OpenVSwitch bridge.
ovsBridge: br-int

# Port of the agent's API server.
apiPort: 10350

# Serve Prometheus metrics on the API server.
enablePrometheusMetrics: false

antreaProxy:
  proxyAll: false
`
	agentConfOn = `# Antrea agent configuration (test fixture).
featureGates:
  # Load-balancing of Services inside the agent.
  AntreaProxy: true
  Egress: false

# Name of the OpenVSwitch bridge.
ovsBridge: br-int

# Port of the agent's API server.
apiPort: 10350

# Serve Prometheus metrics on the API server.
enablePrometheusMetrics: true

antreaProxy:
  proxyAll: false
`
	controllerConfOff = "# Antrea controller configuration (test fixture).\r\n" +
		"apiPort: 10349\r\n" +
		"enablePrometheusMetrics: false   # switched off by the admin\r\n" +
		"selfSignedCert: true\r\n"
	controllerConfOn = "# Antrea controller configuration (test fixture).\r\n" +
		"apiPort: 10349\r\n" +
		"enablePrometheusMetrics: true   # switched off by the admin\r\n" +
		"selfSignedCert: true\r\n"
	// Antrea up to v1.6 ships the setting commented out: its default, true.
	agentConfCommented = "apiPort: 10350\n\n# Serve Prometheus metrics.\n#enablePrometheusMetrics: true\n"
	// A conf that is not valid YAML.
	agentConfBroken = "featureGates:\n  AntreaProxy: true\n apiPort: [10350\n"
)

const (
	agentKey      = "antrea-agent.conf"
	controllerKey = "antrea-controller.conf"
	hashKey       = "monitoring.antrea.io/config-hash"
)

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func configMap(ns, name, agentConf, controllerConf string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "antrea"}},
		Data: map[string]string{
			agentKey:              agentConf,
			controllerKey:         controllerConf,
			"antrea-cni.conflist": `{"cniVersion": "0.3.0", "name": "antrea"}`,
		},
	}
}

func podTemplate(component, configMapName string, env ...corev1.EnvVar) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "antrea", "component": component}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: component, Image: "antrea/antrea-agent-ubuntu:test", Env: env}},
			Volumes: []corev1.Volume{{Name: "antrea-config", VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: configMapName}}}}},
		},
	}
}

func agentDaemonSet(ns, name, configMapName string) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "antrea", "component": "antrea-agent"}},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "antrea", "component": "antrea-agent"}},
			Template: podTemplate("antrea-agent", configMapName),
		},
	}
}

func controllerDeployment(ns, configMapName string, withEnv bool) *appsv1.Deployment {
	var env []corev1.EnvVar
	if withEnv {
		env = []corev1.EnvVar{{Name: "ANTREA_CONFIG_MAP_NAME", Value: configMapName}}
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "antrea-controller", Labels: map[string]string{"app": "antrea", "component": "antrea-controller"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "antrea", "component": "antrea-controller"}},
			Template: podTemplate("antrea-controller", configMapName, env...),
		},
	}
}

// antrea creates a whole simulated Antrea in ns: its ConfigMap and workloads.
func antrea(ctx context.Context, ns, cmName, agentConf, controllerConf string) {
	if agentConf != "" || controllerConf != "" {
		Expect(k8sClient.Create(ctx, configMap(ns, cmName, agentConf, controllerConf))).To(Succeed())
	}
	Expect(k8sClient.Create(ctx, agentDaemonSet(ns, "antrea-agent", cmName))).To(Succeed())
	Expect(k8sClient.Create(ctx, controllerDeployment(ns, cmName, true))).To(Succeed())
}

func monitoring(name, antreaNamespace string, mutate ...func(*monitoringv1alpha1.AntreaMonitoring)) *monitoringv1alpha1.AntreaMonitoring {
	am := &monitoringv1alpha1.AntreaMonitoring{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       monitoringv1alpha1.AntreaMonitoringSpec{Antrea: monitoringv1alpha1.AntreaSpec{Namespace: antreaNamespace}},
	}
	for _, m := range mutate {
		m(am)
	}
	return am
}

func getCM(g Gomega, ctx context.Context, ns, name string) *corev1.ConfigMap {
	var cm corev1.ConfigMap
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &cm)).To(Succeed())
	return &cm
}

func getAM(g Gomega, ctx context.Context, name string) *monitoringv1alpha1.AntreaMonitoring {
	var am monitoringv1alpha1.AntreaMonitoring
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, &am)).To(Succeed())
	return &am
}

// expectCondition asserts a condition's status and reason, and that it and
// the status were computed for the object's current generation.
func expectCondition(g Gomega, am *monitoringv1alpha1.AntreaMonitoring, condType string, status metav1.ConditionStatus, reason string) *metav1.Condition {
	c := meta.FindStatusCondition(am.Status.Conditions, condType)
	g.Expect(c).NotTo(BeNil(), "condition %s missing", condType)
	g.Expect(c.Status).To(Equal(status), "condition %s: %s", condType, c.Message)
	g.Expect(c.Reason).To(Equal(reason), "condition %s: %s", condType, c.Message)
	g.Expect(c.ObservedGeneration).To(Equal(am.Generation))
	return c
}

func templateHash(g Gomega, ctx context.Context, ns string, ds bool, name string) string {
	if ds {
		var d appsv1.DaemonSet
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &d)).To(Succeed())
		return d.Spec.Template.Annotations[hashKey]
	}
	var d appsv1.Deployment
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &d)).To(Succeed())
	return d.Spec.Template.Annotations[hashKey]
}
