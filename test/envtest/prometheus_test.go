//go:build envtest

package envtest

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

// expectLiveMatchesRender compares every object the operator should have
// applied, field by field: each field the render sets must be on the live
// object with the same value (the API server adds defaults of its own).
func expectLiveMatchesRender(g Gomega, ctx context.Context, in render.Input) {
	objs, err := render.Prometheus(in)
	g.Expect(err).NotTo(HaveOccurred())
	for _, want := range objs {
		gvk := want.GetObjectKind().GroupVersionKind()
		live, err := k8sClient.Scheme().New(gvk)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(want), live.(client.Object))).To(Succeed(), "%s %s/%s", gvk.Kind, want.GetNamespace(), want.GetName())
		w, err := runtime.DefaultUnstructuredConverter.ToUnstructured(want)
		g.Expect(err).NotTo(HaveOccurred())
		l, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live)
		g.Expect(err).NotTo(HaveOccurred())
		// A typed Get leaves TypeMeta empty; the API server sets status.
		delete(w, "status")
		delete(w, "apiVersion")
		delete(w, "kind")
		expectSubset(g, gvk.Kind+" "+want.GetName(), w, l)
	}
}

func expectSubset(g Gomega, path string, want, got any) {
	switch w := want.(type) {
	case map[string]any:
		gm, ok := got.(map[string]any)
		g.Expect(ok).To(BeTrue(), "%s: want an object, got %v", path, got)
		for k, v := range w {
			if k == "creationTimestamp" {
				continue
			}
			expectSubset(g, path+"."+k, v, gm[k])
		}
	case []any:
		gl, ok := got.([]any)
		g.Expect(ok).To(BeTrue(), "%s: want a list, got %v", path, got)
		g.Expect(gl).To(HaveLen(len(w)), path)
		for i := range w {
			expectSubset(g, path, w[i], gl[i])
		}
	default:
		g.Expect(got).To(Equal(want), path)
	}
}

func renderInput(am *monitoringv1alpha1.AntreaMonitoring, mode monitoringv1alpha1.PrometheusMode) render.Input {
	return render.Input{
		Owner:           render.Owner{APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring", Name: am.Name, UID: am.UID},
		AntreaNamespace: am.AntreaNamespace(),
		ScrapeInterval:  string(am.Spec.Prometheus.ScrapeInterval),
		Mode:            mode,
		Alerts:          am.AlertsEnabled(),
		ControllerCA:    staticCA(),
	}
}

// staticCA is what the simulated Antrea publishes in antrea-ca.
func staticCA() string {
	ca, err := fixtures.StaticCA()
	Expect(err).NotTo(HaveOccurred())
	return ca
}

func exists(ctx context.Context, obj client.Object, ns, name string) bool {
	err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj)
	Expect(client.IgnoreNotFound(err)).To(Succeed())
	return err == nil
}

var _ = Describe("Prometheus provisioning", func() {
	ctx := context.Background()

	It("runs a managed Prometheus, reports its readiness, rolls it on config changes, and prunes it on a mode switch", func() {
		Expect(k8sClient.Create(ctx, monitoring("managed", "kube-system", managedIn("prom-managed", "5Gi"), withDashboard))).To(Succeed())
		am := getAM(Default, ctx, "managed")
		in := managedRenderInput(am)
		Expect(in.Managed.Image).To(Equal("quay.io/prometheus/prometheus:v2.46.0"), "API default")
		Expect(string(in.Managed.Retention)).To(Equal("15d"), "API default")

		By("creating every object, equal to the render field by field")
		Eventually(func(g Gomega) { expectLiveMatchesRender(g, ctx, in) }, timeout, interval).Should(Succeed())
		var ns corev1.Namespace
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "prom-managed"}, &ns)).To(Succeed())
		var dash corev1.ConfigMap
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "prom-managed", Name: "managed-grafana-dashboard"}, &dash)).To(Succeed())
		Expect(dash.Labels).To(HaveKeyWithValue("grafana_dashboard", "1"))
		Expect(dash.Data["antrea.json"]).To(Equal(render.DashboardJSON()))

		By("reporting PrometheusReady from the Deployment's availability and what its pod says")
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "managed")
			ready := expectCondition(g, got, monitoringv1alpha1.ConditionPrometheusReady, metav1.ConditionFalse, monitoringv1alpha1.ReasonPrometheusStarting)
			g.Expect(ready.Message).To(Equal("Deployment prom-managed/managed-prometheus is starting."))
		}, timeout, interval).Should(Succeed())
		// The pod a kubelet would report (envtest has none): its labels are
		// the Deployment's template's, so the operator's cache holds it.
		var d appsv1.Deployment
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "prom-managed", Name: "managed-prometheus"}, &d)).To(Succeed())
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-managed", Name: "managed-prometheus-x1", Labels: d.Spec.Template.Labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "prometheus", Image: d.Spec.Template.Spec.Containers[0].Image}}}}
		Expect(k8sClient.Create(ctx, pod)).To(Succeed())
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "prometheus", Image: pod.Spec.Containers[0].Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}}}}
		Expect(k8sClient.Status().Update(ctx, pod)).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "managed")
			ready := expectCondition(g, got, monitoringv1alpha1.ConditionPrometheusReady, metav1.ConditionFalse, monitoringv1alpha1.ReasonDeploymentUnavailable)
			g.Expect(ready.Message).To(Equal("Deployment prom-managed/managed-prometheus is not available: container prometheus cannot pull its image (ImagePullBackOff): "+
				"set spec.prometheus.managed.image (quay.io/prometheus/prometheus:v2.46.0) to an image your nodes can pull."), "the condition names the field and value admission cannot check")
			expectCondition(g, got, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
			c := expectCondition(g, got, monitoringv1alpha1.ConditionModeResolved, metav1.ConditionTrue, monitoringv1alpha1.ReasonModeExplicit)
			g.Expect(c.Message).To(Equal("spec.prometheus.mode is Managed."))
			g.Expect(got.Status.Prometheus).To(Equal(&monitoringv1alpha1.ObjectReference{Namespace: "prom-managed", Name: "managed-prometheus"}))
		}, timeout, interval).Should(Succeed())
		Expect(k8sClient.Delete(ctx, pod)).To(Succeed())
		Eventually(func(g Gomega) { markAvailable(g, ctx, "prom-managed", "managed-prometheus") }, timeout, interval).Should(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "managed"), monitoringv1alpha1.ConditionPrometheusReady, metav1.ConditionTrue, monitoringv1alpha1.ReasonDeploymentAvailable)
		}, timeout, interval).Should(Succeed())

		By("rolling Prometheus out when its configuration changes")
		var before appsv1.Deployment
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "prom-managed", Name: "managed-prometheus"}, &before)).To(Succeed())
		am = getAM(Default, ctx, "managed")
		am.Spec.Prometheus.ScrapeInterval = "15s"
		updateSpec(ctx, am)
		in.ScrapeInterval = "15s"
		Eventually(func(g Gomega) {
			expectLiveMatchesRender(g, ctx, in)
			var after appsv1.Deployment
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "prom-managed", Name: "managed-prometheus"}, &after)).To(Succeed())
			g.Expect(after.Spec.Template.Annotations[render.ConfigHashAnnotation]).NotTo(Equal(before.Spec.Template.Annotations[render.ConfigHashAnnotation]))
		}, timeout, interval).Should(Succeed())

		By("pruning the managed objects when the mode changes, keeping the data volume")
		Expect(k8sClient.Create(ctx, fixtures.Namespace("prom-plain"))).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-plain", Name: "prometheus-server"}})).To(Succeed())
		am = getAM(Default, ctx, "managed")
		am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeScrapeConfig
		am.Spec.Prometheus.Managed = nil
		am.Spec.Prometheus.ScrapeConfig = &monitoringv1alpha1.ScrapeConfigTarget{Namespace: "prom-plain",
			ServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "prom-plain", Name: "prometheus-server"}}
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "managed")
			g.Expect(got.Status.Mode).To(Equal(monitoringv1alpha1.ModeScrapeConfig))
			expectCondition(g, got, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
			g.Expect(apimeta.FindStatusCondition(got.Status.Conditions, monitoringv1alpha1.ConditionPrometheusReady)).To(BeNil(), "PrometheusReady belongs to mode Managed")
			for _, obj := range []client.Object{&appsv1.Deployment{}, &corev1.Service{}, &corev1.ConfigMap{}, &corev1.ServiceAccount{}} {
				g.Expect(exists(ctx, obj, "prom-managed", "managed-prometheus")).To(BeFalse(), "%T not pruned", obj)
			}
			g.Expect(exists(ctx, &rbacv1.ClusterRoleBinding{}, "", "antrea-monitoring:managed:prometheus")).To(BeTrue(), "the binding's name is reused by ScrapeConfig mode")
			g.Expect(exists(ctx, &corev1.PersistentVolumeClaim{}, "prom-managed", "managed-prometheus-data")).To(BeTrue(), "data is never pruned")
			g.Expect(exists(ctx, &corev1.ConfigMap{}, "prom-managed", "managed-grafana-dashboard")).To(BeFalse(), "the dashboard follows the mode's namespace")
			g.Expect(exists(ctx, &corev1.ConfigMap{}, "prom-plain", "managed-grafana-dashboard")).To(BeTrue())
		}, timeout, interval).Should(Succeed())
		var crb rbacv1.ClusterRoleBinding
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "antrea-monitoring:managed:prometheus"}, &crb)).To(Succeed())
		Expect(crb.Subjects).To(Equal([]rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "prom-plain", Name: "prometheus-server"}}))
		deleteAndWaitGone(ctx, "managed")
	})

	It("waits without a warning while the managed Prometheus starts, asks it as soon as it is available (through the API server's service proxy), and says when it cannot", func() {
		// An Antrea whose metrics are on, with its CA: only the managed
		// Prometheus keeps it from Ready.
		antrea(ctx, "antrea-probe", "antrea-config", fixtures.AgentConfOn, fixtures.ControllerConfOn)
		Expect(k8sClient.Create(ctx, monitoring("probe", "antrea-probe", func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeManaged
			// An interval longer than the spec: a check that waited for it
			// after the Deployment became available would fail the spec.
			am.Spec.HealthCheck = monitoringv1alpha1.HealthCheckSpec{Enabled: ptr.To(true), Interval: "10m"}
		}))).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "probe")
			expectCondition(g, got, monitoringv1alpha1.ConditionPrometheusReady, metav1.ConditionFalse, monitoringv1alpha1.ReasonPrometheusStarting)
			c := expectCondition(g, got, monitoringv1alpha1.ConditionTargetsHealthy, metav1.ConditionUnknown, monitoringv1alpha1.ReasonPrometheusStarting)
			g.Expect(c.Message).To(Equal("The managed Prometheus is starting; its targets are checked as soon as it is available."))
			expectCondition(g, got, monitoringv1alpha1.ConditionReady, metav1.ConditionFalse, monitoringv1alpha1.ReasonProgressing)
		}, timeout, interval).Should(Succeed())
		warnings := func(g Gomega) []string {
			var events eventsv1.EventList
			g.Expect(k8sClient.List(ctx, &events)).To(Succeed())
			var out []string
			for _, e := range events.Items {
				if e.Regarding.Name == "probe" && e.Regarding.Kind == "AntreaMonitoring" && e.Type == corev1.EventTypeWarning {
					out = append(out, e.Reason+": "+e.Note)
				}
			}
			return out
		}
		Consistently(warnings, 2*time.Second, 200*time.Millisecond).Should(BeEmpty(), "warning events while the managed Prometheus starts")

		By("the Deployment becoming available: asked at once, not after the 10m interval")
		Eventually(func(g Gomega) { markAvailable(g, ctx, "monitoring", "probe-prometheus") }, timeout, interval).Should(Succeed())
		// envtest has no endpoints controller: the Service has no endpoints,
		// and the API server's proxy says so.
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "probe")
			expectCondition(g, got, monitoringv1alpha1.ConditionPrometheusReady, metav1.ConditionTrue, monitoringv1alpha1.ReasonDeploymentAvailable)
			c := expectCondition(g, got, monitoringv1alpha1.ConditionTargetsHealthy, metav1.ConditionUnknown, monitoringv1alpha1.ReasonPrometheusUnreachable)
			g.Expect(c.Message).To(ContainSubstring("/api/v1/targets: HTTP 503"))
			g.Expect(c.Message).To(ContainSubstring(`no endpoints available for service \"probe-prometheus\"`))
			expectCondition(g, got, monitoringv1alpha1.ConditionReady, metav1.ConditionFalse, monitoringv1alpha1.ReasonNotReady)
		}, timeout, interval).Should(Succeed())
		Eventually(warnings, timeout, interval).ShouldNot(BeEmpty(), "a Prometheus that is available but unreachable is a warning")

		By("mode ScrapeConfig without spec.prometheus.url")
		Expect(k8sClient.Create(ctx, fixtures.Namespace("prom-nourl"))).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-nourl", Name: "p"}})).To(Succeed())
		am := getAM(Default, ctx, "probe")
		am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeScrapeConfig
		am.Spec.Prometheus.ScrapeConfig = &monitoringv1alpha1.ScrapeConfigTarget{Namespace: "prom-nourl", ServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "prom-nourl", Name: "p"}}
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "probe"), monitoringv1alpha1.ConditionTargetsHealthy, metav1.ConditionUnknown, monitoringv1alpha1.ReasonPrometheusURLNotSet)
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "probe")
	})

	It("keeps the working mode in place when the new one cannot be applied", func() {
		Expect(k8sClient.Create(ctx, monitoring("halfway", "kube-system", func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeManaged
		}))).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(exists(ctx, &appsv1.Deployment{}, "monitoring", "halfway-prometheus")).To(BeTrue())
		}, timeout, interval).Should(Succeed())
		am := getAM(Default, ctx, "halfway")
		am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeScrapeConfig
		am.Spec.Prometheus.ScrapeConfig = &monitoringv1alpha1.ScrapeConfigTarget{Namespace: "does-not-exist",
			ServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "does-not-exist", Name: "prometheus"}}
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "halfway")
			expectCondition(g, got, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonNamespaceNotFound)
			expectCondition(g, got, monitoringv1alpha1.ConditionReady, metav1.ConditionFalse, monitoringv1alpha1.ReasonNotReady)
		}, timeout, interval).Should(Succeed())
		for _, obj := range []client.Object{&appsv1.Deployment{}, &corev1.Service{}, &corev1.ConfigMap{}, &corev1.ServiceAccount{}} {
			Expect(exists(ctx, obj, "monitoring", "halfway-prometheus")).To(BeTrue(), "%T of the working mode was removed", obj)
		}
		deleteAndWaitGone(ctx, "halfway")
	})

	It("delivers scrape jobs to a plain Prometheus, once its namespace and ServiceAccount exist", func() {
		Expect(k8sClient.Create(ctx, monitoring("plain", "kube-system", scrapeConfigTo("prom-users", "prometheus")))).To(Succeed())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "plain"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonNamespaceNotFound)
			g.Expect(c.Message).To(Equal("Namespace prom-users (spec.prometheus.scrapeConfig.namespace) does not exist."))
		}, timeout, interval).Should(Succeed())
		// The namespace and ServiceAccount appearing wake the operator (watches).
		Expect(k8sClient.Create(ctx, fixtures.Namespace("prom-users"))).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "plain"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonServiceAccountNotFound)
		}, timeout, interval).Should(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-users", Name: "prometheus"}})).To(Succeed())
		am := getAM(Default, ctx, "plain")

		in := renderInput(am, monitoringv1alpha1.ModeScrapeConfig)
		in.ScrapeConfig = *am.Spec.Prometheus.ScrapeConfig
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "plain"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
			expectLiveMatchesRender(g, ctx, in)
		}, timeout, interval).Should(Succeed())
		var secret corev1.Secret
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "prom-users", Name: "plain-scrape-configs"}, &secret)).To(Succeed())
		jobs, err := render.ScrapeJobsYAML(render.WithSeries(render.ScrapeJobs("kube-system", "30s", render.ScrapeConfigMountPath+"/"+render.AntreaCAKey, render.DefaultAgentAPIPort), render.SeriesFor(monitoringv1alpha1.SeriesSpec{})))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(secret.Data["antrea-scrape-configs.yaml"])).To(Equal(jobs))
		for _, name := range []string{"antrea-monitoring:plain:prometheus", "antrea-monitoring:plain:prometheus-antrea"} {
			var crb rbacv1.ClusterRoleBinding
			Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, &crb)).To(Succeed())
			Expect(crb.Subjects).To(Equal([]rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "prom-users", Name: "prometheus"}}))
		}

		By("repairing the delivered objects edited or deleted by hand, then staying quiet")
		expectDriftRepaired(ctx, []driftEdit{
			{&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-users", Name: "plain-scrape-configs"}}, func(o client.Object) {
				o.(*corev1.Secret).Data["antrea-scrape-configs.yaml"] = []byte("[]\n")
			}, nil},
			{&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-users", Name: "plain-scrape-configs"}}, func(o client.Object) {
				delete(o.(*corev1.ConfigMap).Data, "antrea-rules.yaml")
			}, nil},
			{&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "antrea-monitoring:plain:prometheus-antrea"}}, func(o client.Object) {
				o.(*rbacv1.ClusterRoleBinding).Subjects = nil
			}, nil},
		}, func(g Gomega) { expectLiveMatchesRender(g, ctx, in) })
		expectQuietReconciles(ctx, "plain")
		deleteAndWaitGone(ctx, "plain")
	})

	It("verifies the controller with antrea-ca: waits for it, follows its rotation, and drops it when verification is off", func() {
		const antreaNS, promNS = "antrea-rotate", "prom-rotate"
		Expect(k8sClient.Create(ctx, fixtures.Namespace(promNS))).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: promNS, Name: "prometheus"}})).To(Succeed())
		Expect(k8sClient.Create(ctx, monitoring("rotate", antreaNS, scrapeConfigTo(promNS, "prometheus")))).To(Succeed())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "rotate"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonAntreaCANotFound)
			g.Expect(c.Message).To(HavePrefix("ConfigMap antrea-rotate/antrea-ca, whose key ca.crt the controller job verifies antrea-controller's certificate with, does not exist"))
			g.Expect(c.Message).To(ContainSubstring("spec.antrea.insecureSkipVerify: true"))
		}, timeout, interval).Should(Succeed())
		Expect(exists(ctx, &corev1.ConfigMap{}, promNS, "rotate-scrape-configs")).To(BeFalse(), "nothing is delivered without the CA")

		delivered := func(g Gomega) (ca string, controller map[string]any) {
			var cm corev1.ConfigMap
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: promNS, Name: "rotate-scrape-configs"}, &cm)).To(Succeed())
			var jobs []map[string]any
			g.Expect(yaml.Unmarshal([]byte(cm.Data[render.ScrapeConfigsKey]), &jobs)).To(Succeed())
			for _, j := range jobs {
				if j["job_name"] == render.ControllersJob {
					controller, _ = j["tls_config"].(map[string]any)
				}
			}
			return cm.Data[render.AntreaCAKey], controller
		}
		first, err := fixtures.NewCA("first")
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, fixtures.CAConfigMapWith(antreaNS, first))).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "rotate"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
			ca, tls := delivered(g)
			g.Expect(ca).To(Equal(first))
			g.Expect(tls).To(Equal(map[string]any{"ca_file": "/etc/prometheus/antrea-monitoring/antrea-ca.crt", "server_name": "antrea.antrea-rotate.svc"}))
		}, timeout, interval).Should(Succeed())

		By("following antrea-controller's rotation of its CA")
		second, err := fixtures.NewCA("second")
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Update(ctx, fixtures.CAConfigMapWith(antreaNS, second))).To(Succeed())
		Eventually(func(g Gomega) {
			ca, _ := delivered(g)
			g.Expect(ca).To(Equal(second))
		}, timeout, interval).Should(Succeed())

		By("turning verification off: no CA copy, the controller job skips verification, and antrea-ca is no longer needed")
		am := getAM(Default, ctx, "rotate")
		am.Spec.Antrea.InsecureSkipVerify = true
		updateSpec(ctx, am)
		Expect(k8sClient.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: antreaNS, Name: "antrea-ca"}})).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "rotate"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
			ca, tls := delivered(g)
			g.Expect(ca).To(BeEmpty())
			g.Expect(tls).To(Equal(map[string]any{"insecure_skip_verify": true}))
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "rotate")
	})
})

// prometheus-operator's CRDs are installed while the operator runs.
var _ = Describe("Prometheus provisioning with prometheus-operator", Ordered, func() {
	ctx := context.Background()

	It("switches mode Auto to PrometheusOperator when the CRDs and a Prometheus appear, checks selection, and back", func() {
		Expect(k8sClient.Create(ctx, monitoring("auto", "kube-system"))).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "auto")
			g.Expect(got.Status.Mode).To(Equal(monitoringv1alpha1.ModeManaged))
			c := expectCondition(g, got, monitoringv1alpha1.ConditionModeResolved, metav1.ConditionTrue, monitoringv1alpha1.ReasonAutoNoPrometheusOperator)
			g.Expect(c.Message).To(ContainSubstring("CRDs are not installed"))
			g.Expect(exists(ctx, &appsv1.Deployment{}, "monitoring", "auto-prometheus")).To(BeTrue())
		}, timeout, interval).Should(Succeed())

		By("installing prometheus-operator's CRDs while the operator runs")
		dir := os.Getenv("PROMETHEUS_OPERATOR_CRDS")
		Expect(dir).NotTo(BeEmpty(), "PROMETHEUS_OPERATOR_CRDS is set by 'make test-envtest'")
		_, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{dir}, ErrorIfPathMissing: true})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "auto"), monitoringv1alpha1.ConditionModeResolved, metav1.ConditionTrue, monitoringv1alpha1.ReasonAutoNoPrometheusOperator)
			g.Expect(c.Message).To(Equal("Mode Auto chose Managed: no Prometheus object exists."))
		}, timeout, interval).Should(Succeed())

		By("creating a PrometheusAgent and, once VictoriaMetrics' CRD is installed, a VMAgent, and no Prometheus: Auto deploys no second scraper, and leaves what is in place")
		Expect(k8sClient.Create(ctx, fixtures.Namespace("agents"))).To(Succeed())
		agent := &promv1alpha1.PrometheusAgent{ObjectMeta: metav1.ObjectMeta{Namespace: "agents", Name: "cluster-agent"}}
		Expect(k8sClient.Create(ctx, agent)).To(Succeed())
		_, err = envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{filepath.Join("..", "fixtures", "crds", "victoriametrics")}, ErrorIfPathMissing: true})
		Expect(err).NotTo(HaveOccurred())
		vmagent := &unstructured.Unstructured{}
		vmagent.SetGroupVersionKind(schema.GroupVersionKind{Group: "operator.victoriametrics.com", Version: "v1beta1", Kind: "VMAgent"})
		vmagent.SetNamespace("agents")
		vmagent.SetName("vmagent")
		Expect(k8sClient.Create(ctx, vmagent)).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "auto")
			c := expectCondition(g, got, monitoringv1alpha1.ConditionModeResolved, metav1.ConditionFalse, monitoringv1alpha1.ReasonOtherScraperFound)
			g.Expect(c.Message).To(ContainSubstring("PrometheusAgent agents/cluster-agent, VMAgent agents/vmagent already scraping the cluster"))
			g.Expect(c.Message).To(ContainSubstring("Set spec.prometheus.mode: PrometheusOperator with spec.prometheus.prometheusOperator.prometheusAgent: {namespace: agents, name: cluster-agent} to hand that PrometheusAgent monitors, ScrapeConfig to hand the jobs to another collector"))
			expectCondition(g, got, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonOtherScraperFound)
			expectCondition(g, got, monitoringv1alpha1.ConditionReady, metav1.ConditionFalse, monitoringv1alpha1.ReasonNotReady)
			g.Expect(exists(ctx, &appsv1.Deployment{}, "monitoring", "auto-prometheus")).To(BeTrue(), "nothing is pruned while no mode is resolved")
		}, timeout, interval).Should(Succeed())
		Expect(k8sClient.Delete(ctx, agent)).To(Succeed())
		Expect(k8sClient.Delete(ctx, vmagent)).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "auto"), monitoringv1alpha1.ConditionModeResolved, metav1.ConditionTrue, monitoringv1alpha1.ReasonAutoNoPrometheusOperator)
		}, timeout, interval).Should(Succeed())

		By("creating a Prometheus whose selectors want release=kps")
		Expect(k8sClient.Create(ctx, fixtures.Namespace("kps"))).To(Succeed())
		prom := &promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "kps-prometheus"}}
		prom.Spec.ServiceAccountName = "kps-prometheus"
		sel := &metav1.LabelSelector{MatchLabels: map[string]string{"release": "kps"}}
		prom.Spec.ServiceMonitorSelector, prom.Spec.PodMonitorSelector, prom.Spec.RuleSelector = sel, sel, sel
		Expect(k8sClient.Create(ctx, prom)).To(Succeed())

		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "auto")
			g.Expect(got.Status.Mode).To(Equal(monitoringv1alpha1.ModePrometheusOperator))
			g.Expect(got.Status.Prometheus).To(Equal(&monitoringv1alpha1.ObjectReference{Namespace: "kps", Name: "kps-prometheus"}))
			expectCondition(g, got, monitoringv1alpha1.ConditionModeResolved, metav1.ConditionTrue, monitoringv1alpha1.ReasonAutoFoundPrometheusOperator)
			c := expectCondition(g, got, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonNotSelectedByPrometheus)
			g.Expect(c.Message).To(Equal("ServiceMonitor kps/auto-controllers: labels release=kps missing (serviceMonitorSelector); add them to spec.prometheus.prometheusOperator.labels; " +
				"PodMonitor kps/auto-agents: labels release=kps missing (podMonitorSelector); add them to spec.prometheus.prometheusOperator.labels; " +
				"PrometheusRule kps/auto-antrea-rules: labels release=kps missing (ruleSelector); add them to spec.prometheus.prometheusOperator.labels."))
			g.Expect(exists(ctx, &appsv1.Deployment{}, "monitoring", "auto-prometheus")).To(BeFalse(), "managed Prometheus not pruned")
		}, timeout, interval).Should(Succeed())

		By("adding the label: selected, and the monitors equal the render field by field")
		am := getAM(Default, ctx, "auto")
		am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{Labels: map[string]monitoringv1alpha1.LabelValue{"release": "kps"}}
		updateSpec(ctx, am)
		in := renderInput(am, monitoringv1alpha1.ModePrometheusOperator)
		// The CRDs installed are v0.93.1's: EndpointSlice discovery.
		in.PrometheusOperator = render.PrometheusOperatorInput{Namespace: "kps", Labels: map[string]string{"release": "kps"}, EndpointSlice: true,
			PrometheusServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "kps", Name: "kps-prometheus"}}
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "auto"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
			g.Expect(c.Message).To(Equal("The monitors in namespace kps are selected by the Prometheus kps/kps-prometheus."))
			expectLiveMatchesRender(g, ctx, in)
		}, timeout, interval).Should(Succeed())
		var sm promv1.ServiceMonitor
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "kps", Name: "auto-controllers"}, &sm)).To(Succeed())
		Expect(sm.Spec.Endpoints[0].TargetPort.StrVal).To(Equal("api"))
		Expect(sm.Spec.Endpoints[0].Authorization.Credentials.Name).To(Equal("auto-metrics-reader-token"))
		var rule promv1.PrometheusRule
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "kps", Name: "auto-antrea-rules"}, &rule)).To(Succeed())
		// The rules this Antrea can fire: of unknown version (no
		// AntreaControllerInfo), with its features' defaults (no conntrack
		// rule without FlowExporter, no FQDN one before v2.5.3, no Node IPAM one).
		Expect(rule.Spec.Groups[0].Rules).To(HaveLen(5))
		Expect(rule.Spec.Groups[0].Rules[0].Expr.StrVal).To(Equal(`up{job="antrea-agents"} == 0`), "the monitors relabel job to the guide's names")
		var crb rbacv1.ClusterRoleBinding
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "antrea-monitoring:auto:prometheus-antrea"}, &crb)).To(Succeed())
		Expect(crb.RoleRef.Name).To(Equal("antrea-monitoring:prometheus-antrea"))
		Expect(crb.Subjects).To(ContainElement(rbacv1.Subject{Kind: "ServiceAccount", Namespace: "kps", Name: "kps-prometheus"}))

		By("repairing prometheus-operator's objects edited or deleted by hand, then staying quiet")
		matches := func(g Gomega) { expectLiveMatchesRender(g, ctx, in) }
		expectDriftRepaired(ctx, []driftEdit{
			{&promv1.ServiceMonitor{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "auto-controllers"}}, func(o client.Object) {
				o.(*promv1.ServiceMonitor).Spec.Endpoints[0].Interval = "1h"
			}, nil},
			{&promv1.PodMonitor{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "auto-agents"}}, func(o client.Object) {
				o.(*promv1.PodMonitor).Spec.PodMetricsEndpoints = nil
			}, nil},
			{&promv1.PrometheusRule{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "auto-antrea-rules"}}, func(o client.Object) {
				o.(*promv1.PrometheusRule).Spec.Groups[0].Rules = o.(*promv1.PrometheusRule).Spec.Groups[0].Rules[:1]
			}, nil},
			{&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "auto-metrics-reader-token"}}, func(o client.Object) {
				o.SetLabels(map[string]string{render.OwnerLabel: "auto", render.ManagedByLabel: render.ManagedByValue, "release": "other"})
			}, nil},
		}, matches)
		expectQuietReconciles(ctx, "auto")

		By("a namespace selector that excludes the monitors' namespace")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(prom), prom)).To(Succeed())
		prom.Spec.PodMonitorNamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"monitoring": "enabled"}}
		Expect(k8sClient.Update(ctx, prom)).To(Succeed())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "auto"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonNotSelectedByPrometheus)
			g.Expect(c.Message).To(Equal(`PodMonitor kps/auto-agents: namespace kps does not match podMonitorNamespaceSelector "monitoring=enabled".`))
		}, timeout, interval).Should(Succeed())
		prom.Spec.PodMonitorNamespaceSelector = nil
		Expect(k8sClient.Update(ctx, prom)).To(Succeed())

		By("switching to ScrapeConfig objects prunes the monitors")
		am = getAM(Default, ctx, "auto")
		am.Spec.Prometheus.PrometheusOperator.UseScrapeConfig = true
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "auto"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonNotSelectedByPrometheus)
			g.Expect(c.Message).To(ContainSubstring("the Prometheus has no scrapeConfigSelector, so it selects none"))
			var sc promv1alpha1.ScrapeConfig
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "kps", Name: "auto-agents"}, &sc)).To(Succeed())
			g.Expect(sc.Spec.KubernetesSDConfigs[0].Selectors[0].Label).To(Equal(ptr.To("app=antrea,component=antrea-agent")))
			g.Expect(exists(ctx, &promv1.ServiceMonitor{}, "kps", "auto-controllers")).To(BeFalse())
			g.Expect(exists(ctx, &promv1.PodMonitor{}, "kps", "auto-agents")).To(BeFalse())
		}, timeout, interval).Should(Succeed())
		in.PrometheusOperator.UseScrapeConfig = true
		expectDriftRepaired(ctx, []driftEdit{
			{&promv1alpha1.ScrapeConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "auto-agents"}}, func(o client.Object) {
				o.(*promv1alpha1.ScrapeConfig).Spec.RelabelConfigs = nil
			}, nil},
		}, matches)
		expectQuietReconciles(ctx, "auto")

		By("deleting the Prometheus: Auto goes back to Managed and prunes prometheus-operator's objects")
		Expect(k8sClient.Delete(ctx, prom)).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "auto")
			g.Expect(got.Status.Mode).To(Equal(monitoringv1alpha1.ModeManaged))
			g.Expect(exists(ctx, &promv1alpha1.ScrapeConfig{}, "kps", "auto-agents")).To(BeFalse())
			g.Expect(exists(ctx, &appsv1.Deployment{}, "monitoring", "auto-prometheus")).To(BeTrue())
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "auto")
	})

	It("reports a referenced Prometheus that does not exist, and several without a reference", func() {
		Expect(k8sClient.Create(ctx, monitoring("po-missing", "kube-system", func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModePrometheusOperator
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{
				Prometheus: &monitoringv1alpha1.ObjectReference{Namespace: "kps", Name: "nope"}}
		}))).To(Succeed())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "po-missing"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonPrometheusNotFound)
			g.Expect(c.Message).To(Equal("Prometheus kps/nope named in spec.prometheus.prometheusOperator.prometheus does not exist."))
		}, timeout, interval).Should(Succeed())
		for _, name := range []string{"a", "b"} {
			Expect(k8sClient.Create(ctx, &promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: name}})).To(Succeed())
		}
		am := getAM(Default, ctx, "po-missing")
		am.Spec.Prometheus.PrometheusOperator.Prometheus = nil
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "po-missing"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonAmbiguousPrometheus)
			g.Expect(c.Message).To(ContainSubstring("(kps/a, kps/b)"))
		}, timeout, interval).Should(Succeed())
		for _, name := range []string{"a", "b"} {
			Expect(k8sClient.Delete(ctx, &promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: name}})).To(Succeed())
		}
		deleteAndWaitGone(ctx, "po-missing")
	})

	It("serves a PrometheusAgent named in prometheusAgent: asks it to select the monitors but no rules, and reads its health from its pods", func() {
		if err := k8sClient.Create(ctx, fixtures.Namespace("fwd")); err != nil {
			Expect(apierrors.IsAlreadyExists(err)).To(BeTrue(), err.Error())
		}
		Expect(k8sClient.Create(ctx, monitoring("po-agent", "kube-system", func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModePrometheusOperator
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{
				PrometheusAgent: &monitoringv1alpha1.ObjectReference{Namespace: "fwd", Name: "k8s"}}
			am.Spec.HealthCheck.Enabled = ptr.To(true)
		}))).To(Succeed())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "po-agent"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonPrometheusNotFound)
			g.Expect(c.Message).To(Equal("PrometheusAgent fwd/k8s named in spec.prometheus.prometheusOperator.prometheusAgent does not exist."))
		}, timeout, interval).Should(Succeed())

		By("creating the PrometheusAgent, and a Prometheus of the same name that selects nothing")
		all := &metav1.LabelSelector{}
		agent := &promv1alpha1.PrometheusAgent{ObjectMeta: metav1.ObjectMeta{Namespace: "fwd", Name: "k8s"}}
		agent.Spec.ServiceAccountName = "agent"
		agent.Spec.ServiceMonitorSelector, agent.Spec.PodMonitorSelector = all, all
		Expect(k8sClient.Create(ctx, agent)).To(Succeed())
		prom := &promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: "fwd", Name: "k8s"}}
		Expect(k8sClient.Create(ctx, prom)).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "po-agent")
			g.Expect(got.Status.Prometheus).To(Equal(&monitoringv1alpha1.ObjectReference{Namespace: "fwd", Name: "k8s"}))
			g.Expect(got.Status.PrometheusKind).To(Equal("PrometheusAgent"))
			c := expectCondition(g, got, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
			g.Expect(c.Message).To(Equal("The monitors in namespace fwd are selected by the PrometheusAgent fwd/k8s. A PrometheusAgent evaluates no rules: " +
				"PrometheusRule fwd/po-agent-antrea-rules is there for a ruler that selects it (a ThanosRuler, or the remote store's ruler)."))
			g.Expect(exists(ctx, &promv1.PrometheusRule{}, "fwd", "po-agent-antrea-rules")).To(BeTrue())
			var crb rbacv1.ClusterRoleBinding
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: render.NamesFor("po-agent").PrometheusAntreaBinding()}, &crb)).To(Succeed())
			g.Expect(crb.Subjects).To(ContainElement(HaveField("Name", "agent")), "the agent's ServiceAccount may get /metrics")
			h := expectCondition(g, got, monitoringv1alpha1.ConditionTargetsHealthy, metav1.ConditionUnknown, monitoringv1alpha1.ReasonPrometheusUnreachable)
			g.Expect(h.Message).To(Equal("PrometheusAgent fwd/k8s has 1 shard(s); no ready pod serves shard 0, so its targets cannot be checked."))
			g.Expect(got.Status.Conditions).NotTo(ContainElement(HaveField("Type", monitoringv1alpha1.ConditionAlertsDelivered)), "an agent sends no alerts")
		}, timeout, interval).Should(Succeed())

		By("a pod of the Prometheus of the same name is not the agent's")
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "fwd", Name: "prometheus-k8s-0",
			Labels: map[string]string{promop.NameLabel: "k8s", promop.ShardLabel: "0", promop.AppNameLabel: "prometheus"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "prometheus", Image: "prometheus"}}}}
		Expect(k8sClient.Create(ctx, pod)).To(Succeed())
		pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.9", Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
		Expect(k8sClient.Status().Update(ctx, pod)).To(Succeed())
		am := getAM(Default, ctx, "po-agent")
		am.Spec.HealthCheck.Interval = "6s" // a new check
		updateSpec(ctx, am)
		agentUnseen := func(g Gomega) {
			h := expectCondition(g, getAM(g, ctx, "po-agent"), monitoringv1alpha1.ConditionTargetsHealthy, metav1.ConditionUnknown, monitoringv1alpha1.ReasonPrometheusUnreachable)
			g.Expect(h.Message).To(ContainSubstring("no ready pod serves shard 0"))
		}
		Eventually(agentUnseen, timeout, interval).Should(Succeed())
		Consistently(agentUnseen, 7*time.Second, interval).Should(Succeed())
		Expect(k8sClient.Delete(ctx, pod)).To(Succeed())
		Expect(k8sClient.Delete(ctx, prom)).To(Succeed())
		Expect(k8sClient.Delete(ctx, agent)).To(Succeed())
		deleteAndWaitGone(ctx, "po-agent")
	})

	It("removes a label from every monitor kind after one reconcile, with one write per object", func() {
		specChangePrometheusOperator(ctx, "sc-labels", false)
	})

	It("removes a label from ScrapeConfig objects (useScrapeConfig) after one reconcile, with one write per object", func() {
		specChangePrometheusOperator(ctx, "sc-labels-sc", true)
	})
})
