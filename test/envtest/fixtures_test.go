//go:build envtest

package envtest

import (
	"context"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// Short names for the fixtures the specs use most.
const (
	agentKey      = fixtures.AgentKey
	controllerKey = fixtures.ControllerKey
	hashKey       = fixtures.HashKey
)

func antrea(ctx context.Context, ns, cmName, agentConf, controllerConf string) {
	Expect(fixtures.Antrea(ctx, k8sClient, ns, cmName, agentConf, controllerConf)).To(Succeed())
}

func monitoring(name, antreaNamespace string, mutate ...func(*monitoringv1alpha1.AntreaMonitoring)) *monitoringv1alpha1.AntreaMonitoring {
	// No Prometheus runs in this suite (the end-to-end suite has one): the
	// health check is off unless a spec turns it on.
	am := &monitoringv1alpha1.AntreaMonitoring{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: monitoringv1alpha1.AntreaMonitoringSpec{
			Antrea:      monitoringv1alpha1.AntreaSpec{Namespace: antreaNamespace},
			HealthCheck: monitoringv1alpha1.HealthCheckSpec{Enabled: ptr.To(false)},
		},
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

func clientKey(name string) types.NamespacedName { return types.NamespacedName{Name: name} }

// markAvailable plays the Deployment controller envtest lacks: it reports a
// Deployment Available through the status subresource.
func markAvailable(g Gomega, ctx context.Context, ns, name string) {
	var d appsv1.Deployment
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &d)).To(Succeed())
	d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UpdatedReplicas = 1, 1, 1, 1
	d.Status.ObservedGeneration = d.Generation
	d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue,
		Reason: "MinimumReplicasAvailable", LastUpdateTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
	g.Expect(k8sClient.Status().Update(ctx, &d)).To(Succeed())
}

// updateSpec writes am's spec, retrying on conflicts with the operator's
// own writes (its finalizer, its status).
func updateSpec(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring) {
	Expect(fixtures.UpdateSpec(ctx, k8sClient, am)).To(Succeed())
}

// managedIn makes an AntreaMonitoring run a managed Prometheus in ns, with
// a PersistentVolumeClaim of storage when it is not empty.
func managedIn(ns, storage string) func(*monitoringv1alpha1.AntreaMonitoring) {
	return func(am *monitoringv1alpha1.AntreaMonitoring) {
		am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeManaged
		am.Spec.Prometheus.Managed = &monitoringv1alpha1.ManagedPrometheus{Namespace: ns}
		if storage != "" {
			am.Spec.Prometheus.Managed.Storage = &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse(storage)}
		}
	}
}

// withDashboard turns the Grafana dashboard on.
func withDashboard(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Dashboard.Enabled = true }

// managedRenderInput is the render input of a live AntreaMonitoring in mode
// Managed (defaults applied by the API server).
func managedRenderInput(am *monitoringv1alpha1.AntreaMonitoring) render.Input {
	in := renderInput(am, monitoringv1alpha1.ModeManaged)
	in.Dashboard = am.Spec.Dashboard.Enabled
	in.Managed = *am.Spec.Prometheus.Managed
	return in
}

// scrapeConfigTo makes an AntreaMonitoring deliver scrape jobs to ns, for a
// Prometheus running as ServiceAccount ns/sa.
func scrapeConfigTo(ns, sa string) func(*monitoringv1alpha1.AntreaMonitoring) {
	return func(am *monitoringv1alpha1.AntreaMonitoring) {
		am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeScrapeConfig
		am.Spec.Prometheus.ScrapeConfig = &monitoringv1alpha1.ScrapeConfigTarget{Namespace: ns,
			ServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: ns, Name: sa}}
	}
}
