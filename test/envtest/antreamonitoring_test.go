//go:build envtest

package envtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	antreapkg "github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

const (
	timeout  = 20 * time.Second
	interval = 100 * time.Millisecond
)

// The rules of Antrea's Prometheus guide (plus EndpointSlices, which the
// controllers job discovers with), written out independently of the
// operator's render package.
var (
	seedPrometheusRules = []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"nodes", "nodes/proxy", "services", "endpoints", "pods"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: []string{"get", "list", "watch"}},
		{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}},
	}
	seedPrometheusAntreaRules = []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}
)

func deleteAndWaitGone(ctx context.Context, name string) {
	Expect(k8sClient.Delete(ctx, &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	Eventually(func() bool {
		err := k8sClient.Get(ctx, types.NamespacedName{Name: name}, &monitoringv1alpha1.AntreaMonitoring{})
		return apierrors.IsNotFound(err)
	}, timeout, interval).Should(BeTrue(), "the finalizer was not removed")
}

var _ = Describe("AntreaMonitoring", func() {
	ctx := context.Background()

	It("enables metrics in both confs, rolls Antrea out once, applies the RBAC, makes no write on resync and restores everything on deletion", func() {
		const ns = "antrea-enable"
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff)
		originalAnnotations := getCM(Default, ctx, ns, "antrea-config").Annotations
		am := monitoring("enable", ns)
		Expect(k8sClient.Create(ctx, am)).To(Succeed())

		By("editing exactly the one setting in each conf")
		Eventually(func(g Gomega) {
			cm := getCM(g, ctx, ns, "antrea-config")
			g.Expect(cm.Data[agentKey]).To(Equal(fixtures.AgentConfOn))
			g.Expect(cm.Data[controllerKey]).To(Equal(fixtures.ControllerConfOn))
			g.Expect(cm.Data["antrea-cni.conflist"]).To(Equal(`{"cniVersion": "0.3.0", "name": "antrea"}`))
		}, timeout, interval).Should(Succeed())

		By("recording the original values on the ConfigMap")
		cm := getCM(Default, ctx, ns, "antrea-config")
		var original map[string]map[string]any
		Expect(json.Unmarshal([]byte(cm.Annotations["monitoring.antrea.io/original-enable-prometheus-metrics"]), &original)).To(Succeed())
		Expect(original).To(Equal(map[string]map[string]any{
			agentKey:      {"state": "Present", "value": false, "token": "false"},
			controllerKey: {"state": "Present", "value": false, "token": "false"},
		}))

		By("rolling out each workload with the hash of its conf")
		var hashes map[string]string
		Expect(json.Unmarshal([]byte(cm.Annotations[hashKey]), &hashes)).To(Succeed())
		Expect(hashes).To(HaveLen(2))
		Expect(hashes[agentKey]).NotTo(Equal(hashes[controllerKey]))
		Eventually(func(g Gomega) {
			g.Expect(templateHash(g, ctx, ns, true, "antrea-agent")).To(Equal(hashes[agentKey]))
			g.Expect(templateHash(g, ctx, ns, false, "antrea-controller")).To(Equal(hashes[controllerKey]))
		}, timeout, interval).Should(Succeed())

		By("reporting the conditions for the current generation")
		Eventually(func(g Gomega) { markAvailable(g, ctx, "monitoring", "enable-prometheus") }, timeout, interval).Should(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "enable")
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
			c := expectCondition(g, got, monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
			g.Expect(c.Message).To(Equal("enablePrometheusMetrics is on in antrea-enable/antrea-config/antrea-agent.conf, antrea-enable/antrea-config/antrea-controller.conf."))
			expectCondition(g, got, monitoringv1alpha1.ConditionRBACReady, metav1.ConditionTrue, monitoringv1alpha1.ReasonClusterRolesApplied)
			expectCondition(g, got, monitoringv1alpha1.ConditionReady, metav1.ConditionTrue, monitoringv1alpha1.ReasonReady)
			g.Expect(got.Status.AntreaConfigMap).To(Equal(&monitoringv1alpha1.ObjectReference{Namespace: ns, Name: "antrea-config"}))
			g.Expect(got.Status.Mode).To(Equal(monitoringv1alpha1.ModeManaged))
			g.Expect(got.Finalizers).To(ConsistOf("monitoring.antrea.io/restore-antrea-config"))
		}, timeout, interval).Should(Succeed())

		By("creating ClusterRoles of its own with the guide's rules, owned by the AntreaMonitoring")
		got := getAM(Default, ctx, "enable")
		for name, rules := range map[string][]rbacv1.PolicyRule{"antrea-monitoring:prometheus": seedPrometheusRules, "antrea-monitoring:prometheus-antrea": seedPrometheusAntreaRules} {
			var role rbacv1.ClusterRole
			Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, &role)).To(Succeed())
			Expect(role.Rules).To(Equal(rules), name)
			Expect(role.OwnerReferences).To(ContainElement(metav1.OwnerReference{
				APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring", Name: "enable", UID: got.UID, BlockOwnerDeletion: ptr.To(true),
			}))
			Expect(role.Labels).To(HaveKeyWithValue("app.kubernetes.io/managed-by", "antrea-monitoring-operator"))
		}

		By("rolling out once: the workloads' generation moves once and stays")
		var ds appsv1.DaemonSet
		var dep appsv1.Deployment
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "antrea-agent"}, &ds)).To(Succeed())
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "antrea-controller"}, &dep)).To(Succeed())
		Expect(ds.Generation).To(Equal(int64(2)))
		Expect(dep.Generation).To(Equal(int64(2)))

		By("making zero writes over 20 resyncs of an unchanged world")
		// Let the manager's own reconciles (triggered by the writes above) settle.
		Eventually(func() bool {
			before := writes.Load()
			time.Sleep(time.Second)
			return writes.Load() == before
		}, timeout, 10*time.Millisecond).Should(BeTrue(), "the operator kept writing in an unchanged world")
		cmBefore := getCM(Default, ctx, ns, "antrea-config").ResourceVersion
		amBefore := getAM(Default, ctx, "enable").ResourceVersion
		start := writes.Load()
		for range 20 {
			res, err := reconciler.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Name: "enable"}})
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(Equal(reconcile.Result{}))
		}
		Expect(writes.Load()-start).To(BeZero(), "writes during 20 resyncs")
		Expect(getCM(Default, ctx, ns, "antrea-config").ResourceVersion).To(Equal(cmBefore))
		Expect(getAM(Default, ctx, "enable").ResourceVersion).To(Equal(amBefore))
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "antrea-agent"}, &ds)).To(Succeed())
		Expect(ds.Generation).To(Equal(int64(2)))

		By("restoring the original confs byte for byte on deletion, and rolling out again")
		deleteAndWaitGone(ctx, "enable")
		cm = getCM(Default, ctx, ns, "antrea-config")
		Expect(cm.Data[agentKey]).To(Equal(fixtures.AgentConfOff))
		Expect(cm.Data[controllerKey]).To(Equal(fixtures.ControllerConfOff))
		Expect(cm.Annotations).To(Equal(originalAnnotations), "the ConfigMap's annotations as they were before the operator: neither its record nor a config hash left")
		Eventually(func(g Gomega) {
			g.Expect(templateHash(g, ctx, ns, true, "antrea-agent")).To(Equal(antreapkg.RestoreHash(fixtures.AgentConfOff)))
			g.Expect(templateHash(g, ctx, ns, false, "antrea-controller")).To(Equal(antreapkg.RestoreHash(fixtures.ControllerConfOff)))
		}, timeout, interval).Should(Succeed())
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: "antrea-agent"}, &ds)).To(Succeed())
		Expect(ds.Generation).To(Equal(int64(3)))
	})

	It("reports ConfigMapNotFound and recovers by itself when the ConfigMap appears", func() {
		const ns = "antrea-missing"
		antrea(ctx, ns, "antrea-config", "", "")
		Expect(k8sClient.Create(ctx, monitoring("missing", ns))).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "missing")
			c := expectCondition(g, got, monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionFalse, monitoringv1alpha1.ReasonConfigMapNotFound)
			g.Expect(c.Message).To(ContainSubstring("ConfigMap antrea-missing/antrea-config"))
			expectCondition(g, got, monitoringv1alpha1.ConditionReady, metav1.ConditionFalse, monitoringv1alpha1.ReasonNotReady)
		}, timeout, interval).Should(Succeed())

		Expect(k8sClient.Create(ctx, fixtures.ConfigMap(ns, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff))).To(Succeed())
		Eventually(func(g Gomega) { markAvailable(g, ctx, "monitoring", "missing-prometheus") }, timeout, interval).Should(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "missing")
			expectCondition(g, got, monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
			expectCondition(g, got, monitoringv1alpha1.ConditionReady, metav1.ConditionTrue, monitoringv1alpha1.ReasonReady)
			g.Expect(getCM(g, ctx, ns, "antrea-config").Data[agentKey]).To(Equal(fixtures.AgentConfOn))
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "missing")
	})

	It("discovers a hashed ConfigMap name from the workloads, among several", func() {
		const ns = "antrea-hashed"
		Expect(k8sClient.Create(ctx, fixtures.ConfigMap(ns, "antrea-config-old9x7", fixtures.AgentConfOff, fixtures.ControllerConfOff))).To(Succeed())
		antrea(ctx, ns, "antrea-config-hk4f8b", fixtures.AgentConfOff, fixtures.ControllerConfOff)
		Expect(k8sClient.Create(ctx, monitoring("hashed", ns))).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "hashed")
			g.Expect(got.Status.AntreaConfigMap).To(Equal(&monitoringv1alpha1.ObjectReference{Namespace: ns, Name: "antrea-config-hk4f8b"}))
			expectCondition(g, got, monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
			g.Expect(getCM(g, ctx, ns, "antrea-config-hk4f8b").Data[agentKey]).To(Equal(fixtures.AgentConfOn))
		}, timeout, interval).Should(Succeed())
		old := getCM(Default, ctx, ns, "antrea-config-old9x7")
		Expect(old.Data[agentKey]).To(Equal(fixtures.AgentConfOff), "the unreferenced ConfigMap must stay untouched")
		Expect(old.Annotations).To(BeEmpty())
		deleteAndWaitGone(ctx, "hashed")
	})

	It("reports a malformed conf and leaves the ConfigMap byte for byte untouched", func() {
		const ns = "antrea-invalid"
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfBroken, fixtures.ControllerConfOff)
		before := getCM(Default, ctx, ns, "antrea-config")
		Expect(k8sClient.Create(ctx, monitoring("invalid", ns))).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "invalid")
			c := expectCondition(g, got, monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionFalse, monitoringv1alpha1.ReasonInvalidAntreaConfig)
			g.Expect(c.Message).To(ContainSubstring("antrea-agent.conf in ConfigMap antrea-config: invalid Antrea configuration: yaml: line 2: did not find expected key"))
			g.Expect(c.Message).To(HaveSuffix("the ConfigMap was left untouched."))
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		}, timeout, interval).Should(Succeed())
		Consistently(func(g Gomega) {
			after := getCM(g, ctx, ns, "antrea-config")
			g.Expect(after.ResourceVersion).To(Equal(before.ResourceVersion))
			g.Expect(after.Data).To(Equal(before.Data))
			g.Expect(after.Annotations).To(BeEmpty())
			g.Expect(templateHash(g, ctx, ns, true, "antrea-agent")).To(BeEmpty())
		}, 2*time.Second, 200*time.Millisecond).Should(Succeed())

		By("recovering once the conf is fixed")
		fixed := getCM(Default, ctx, ns, "antrea-config")
		fixed.Data[agentKey] = fixtures.AgentConfOff
		Expect(k8sClient.Update(ctx, fixed)).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "invalid"), monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
			g.Expect(getCM(g, ctx, ns, "antrea-config").Data[agentKey]).To(Equal(fixtures.AgentConfOn))
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "invalid")
	})

	It("writes and restarts nothing where Antrea's default already enables metrics", func() {
		const ns = "antrea-default"
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfCommented, "apiPort: 10349\n")
		before := getCM(Default, ctx, ns, "antrea-config")
		Expect(k8sClient.Create(ctx, monitoring("default", ns))).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "default"), monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
		}, timeout, interval).Should(Succeed())
		after := getCM(Default, ctx, ns, "antrea-config")
		Expect(after.ResourceVersion).To(Equal(before.ResourceVersion))
		Expect(templateHash(Default, ctx, ns, true, "antrea-agent")).To(BeEmpty())
		Expect(templateHash(Default, ctx, ns, false, "antrea-controller")).To(BeEmpty())
		deleteAndWaitGone(ctx, "default")
		Expect(getCM(Default, ctx, ns, "antrea-config").ResourceVersion).To(Equal(before.ResourceVersion))
	})

	It("notices a revert through the watch, re-applies, says who manages the ConfigMap and rolls out again", func() {
		const ns = "antrea-revert"
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff)
		Expect(k8sClient.Create(ctx, monitoring("revert", ns))).To(Succeed())
		var firstHash string
		Eventually(func(g Gomega) {
			g.Expect(getCM(g, ctx, ns, "antrea-config").Data[agentKey]).To(Equal(fixtures.AgentConfOn))
			firstHash = templateHash(g, ctx, ns, true, "antrea-agent")
			g.Expect(firstHash).NotTo(BeEmpty())
		}, timeout, interval).Should(Succeed())

		By("a Helm upgrade putting the old conf back")
		cm := getCM(Default, ctx, ns, "antrea-config")
		cm.Data[agentKey] = fixtures.AgentConfOff
		cm.Labels["app.kubernetes.io/managed-by"] = "Helm"
		cm.Annotations["meta.helm.sh/release-name"] = "antrea"
		cm.Annotations["meta.helm.sh/release-namespace"] = ns
		Expect(k8sClient.Update(ctx, cm, client.FieldOwner("helm"))).To(Succeed())

		Eventually(func(g Gomega) {
			g.Expect(getCM(g, ctx, ns, "antrea-config").Data[agentKey]).To(Equal(fixtures.AgentConfOn))
			h := templateHash(g, ctx, ns, true, "antrea-agent")
			g.Expect(h).NotTo(BeEmpty())
			g.Expect(h).NotTo(Equal(firstHash), "a re-enable after a revert must roll Antrea out again")
		}, timeout, interval).Should(Succeed())
		Eventually(func(g Gomega) {
			var evs eventsv1.EventList
			g.Expect(k8sClient.List(ctx, &evs)).To(Succeed())
			var notes []string
			for _, e := range evs.Items {
				if e.Regarding.Name == "revert" && e.Reason == monitoringv1alpha1.ReasonMetricsReapplied {
					notes = append(notes, e.Note)
				}
			}
			g.Expect(notes).To(ContainElement(And(
				ContainSubstring("antrea-agent.conf of ConfigMap antrea-revert/antrea-config"),
				ContainSubstring("managed by Helm (release antrea-revert/antrea)"),
				ContainSubstring("last written by helm"))))
			g.Expect(notes).To(HaveLen(1), "the event is recorded once")
		}, timeout, interval).Should(Succeed())

		By("keeping MetricsReapplied, naming the manager, in status until something really changes")
		reapplied := func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "revert"), monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsReapplied)
			g.Expect(c.Message).To(ContainSubstring("managed by Helm (release antrea-revert/antrea)"))
		}
		Eventually(reapplied, timeout, interval).Should(Succeed())
		for range 5 { // resyncs of an unchanged world
			_, err := reconciler.Reconcile(ctx, reconcile.Request{NamespacedName: clientKey("revert")})
			Expect(err).NotTo(HaveOccurred())
		}
		Consistently(reapplied, 2*time.Second, 100*time.Millisecond).Should(Succeed())
		am := getAM(Default, ctx, "revert")
		am.Spec.Antrea.RestartOnChange = ptr.To(true)
		am.Spec.Prometheus.ScrapeInterval = "15s"
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "revert"), monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "revert")
		Expect(getCM(Default, ctx, ns, "antrea-config").Data[agentKey]).To(Equal(fixtures.AgentConfOff))
	})

	It("never loses a concurrent edit of the ConfigMap: the write is preconditioned and retried", func() {
		const ns = "antrea-conflict"
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff)
		// Someone edits the ConfigMap between the operator's read and its write.
		hook := func(client.Object) {
			defer GinkgoRecover()
			cm := getCM(Default, ctx, ns, "antrea-config")
			cm.Data[agentKey] = strings.Replace(cm.Data[agentKey], "ovsBridge: br-int", "ovsBridge: br-edited", 1)
			cm.Data["added-by-someone"] = "kept"
			Expect(k8sClient.Update(ctx, cm)).To(Succeed())
		}
		beforeUpdate.Store(&hook)
		Expect(k8sClient.Create(ctx, monitoring("conflict", ns))).To(Succeed())
		Eventually(func(g Gomega) {
			cm := getCM(g, ctx, ns, "antrea-config")
			g.Expect(cm.Data[agentKey]).To(Equal(strings.Replace(fixtures.AgentConfOn, "ovsBridge: br-int", "ovsBridge: br-edited", 1)))
			g.Expect(cm.Data["added-by-someone"]).To(Equal("kept"))
			g.Expect(cm.Data[controllerKey]).To(Equal(fixtures.ControllerConfOn))
		}, timeout, interval).Should(Succeed())
		Expect(beforeUpdate.Load()).To(BeNil(), "the concurrent edit did not run")
		deleteAndWaitGone(ctx, "conflict")
	})

	It("caches only Antrea's namespaces and its own objects", func() {
		Expect(k8sClient.Create(ctx, fixtures.Namespace("unrelated"))).To(Succeed())
		for i := range 50 {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "unrelated", Name: fmt.Sprintf("app-%d", i)}}
			Expect(k8sClient.Create(ctx, cm)).To(Succeed())
		}
		// The API server has them; the cache must not.
		var list corev1.ConfigMapList
		Expect(k8sClient.List(ctx, &list, client.InNamespace("unrelated"))).To(Succeed())
		Expect(len(list.Items)).To(BeNumerically(">=", 50))
		Consistently(func(g Gomega) {
			g.Expect(mgrCache.List(ctx, &list, client.InNamespace("unrelated"))).To(Succeed())
			g.Expect(list.Items).To(BeEmpty())
		}, time.Second, 100*time.Millisecond).Should(Succeed())
		Expect(mgrCache.List(ctx, &list)).To(Succeed())
		for _, cm := range list.Items {
			if cm.Labels["app.kubernetes.io/managed-by"] != "antrea-monitoring-operator" {
				Expect(watched).To(ContainElement(cm.Namespace), "ConfigMap %s/%s cached", cm.Namespace, cm.Name)
			}
		}
		var ds appsv1.DaemonSetList
		Expect(mgrCache.List(ctx, &ds)).To(Succeed())
		for _, d := range ds.Items {
			Expect(d.Labels).To(HaveKeyWithValue("app", "antrea"))
		}
	})

	It("keeps metrics enabled while any AntreaMonitoring asks for them", func() {
		const ns = "antrea-multi"
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff)
		Expect(k8sClient.Create(ctx, monitoring("multi-a", ns))).To(Succeed())
		Expect(k8sClient.Create(ctx, monitoring("multi-b", ns))).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "multi-a"), monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
			expectCondition(g, getAM(g, ctx, "multi-b"), monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
			var role rbacv1.ClusterRole
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "antrea-monitoring:prometheus-antrea"}, &role)).To(Succeed())
			var owners []string
			for _, o := range role.OwnerReferences {
				owners = append(owners, o.Name)
			}
			g.Expect(owners).To(ContainElements("multi-a", "multi-b"))
		}, timeout, interval).Should(Succeed())

		deleteAndWaitGone(ctx, "multi-a")
		Consistently(func(g Gomega) {
			g.Expect(getCM(g, ctx, ns, "antrea-config").Data[agentKey]).To(Equal(fixtures.AgentConfOn))
		}, 2*time.Second, 200*time.Millisecond).Should(Succeed())
		Eventually(func(g Gomega) {
			var role rbacv1.ClusterRole
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "antrea-monitoring:prometheus-antrea"}, &role)).To(Succeed())
			for _, o := range role.OwnerReferences {
				g.Expect(o.Name).NotTo(Equal("multi-a"))
			}
		}, timeout, interval).Should(Succeed())

		deleteAndWaitGone(ctx, "multi-b")
		Expect(getCM(Default, ctx, ns, "antrea-config").Data[agentKey]).To(Equal(fixtures.AgentConfOff))
	})

	It("leaves Antrea alone with enableMetrics false and reports what it finds", func() {
		const ns = "antrea-unmanaged"
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff)
		before := getCM(Default, ctx, ns, "antrea-config")
		Expect(k8sClient.Create(ctx, monitoring("unmanaged", ns, func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Antrea.EnableMetrics = ptr.To(false)
		}))).To(Succeed())
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "unmanaged")
			c := expectCondition(g, got, monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionFalse, monitoringv1alpha1.ReasonMetricsNotManaged)
			g.Expect(c.Message).To(ContainSubstring("enablePrometheusMetrics is off in antrea-unmanaged/antrea-config/antrea-agent.conf"))
		}, timeout, interval).Should(Succeed())
		Expect(getCM(Default, ctx, ns, "antrea-config").ResourceVersion).To(Equal(before.ResourceVersion))
		deleteAndWaitGone(ctx, "unmanaged")
	})

	It("does not restart Antrea when restartOnChange is false, and says so", func() {
		const ns = "antrea-norestart"
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff)
		Expect(k8sClient.Create(ctx, monitoring("norestart", ns, func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Antrea.RestartOnChange = ptr.To(false)
		}))).To(Succeed())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "norestart"), monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabledRestartRequired)
			g.Expect(c.Message).To(ContainSubstring("DaemonSet/antrea-agent, Deployment/antrea-controller apply it at their next restart"))
			g.Expect(getCM(g, ctx, ns, "antrea-config").Data[agentKey]).To(Equal(fixtures.AgentConfOn))
		}, timeout, interval).Should(Succeed())
		Expect(templateHash(Default, ctx, ns, true, "antrea-agent")).To(BeEmpty())
		Expect(templateHash(Default, ctx, ns, false, "antrea-controller")).To(BeEmpty())
		deleteAndWaitGone(ctx, "norestart")
	})

	It("edits and rolls out the Windows agent's conf when antrea-agent-windows exists", func() {
		const ns = "antrea-windows"
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff)
		win := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "antrea-windows-config", Labels: map[string]string{"app": "antrea"}},
			Data:       map[string]string{agentKey: fixtures.AgentConfOff},
		}
		Expect(k8sClient.Create(ctx, win)).To(Succeed())
		Expect(k8sClient.Create(ctx, fixtures.AgentDaemonSet(ns, "antrea-agent-windows", "antrea-windows-config"))).To(Succeed())
		Expect(k8sClient.Create(ctx, monitoring("windows", ns))).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(getCM(g, ctx, ns, "antrea-windows-config").Data[agentKey]).To(Equal(fixtures.AgentConfOn))
			g.Expect(templateHash(g, ctx, ns, true, "antrea-agent-windows")).NotTo(BeEmpty())
			c := expectCondition(g, getAM(g, ctx, "windows"), monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
			g.Expect(c.Message).To(ContainSubstring("antrea-windows/antrea-windows-config/antrea-agent.conf"))
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "windows")
		Expect(getCM(Default, ctx, ns, "antrea-windows-config").Data[agentKey]).To(Equal(fixtures.AgentConfOff))
	})

	It("reports a namespace the operator does not watch", func() {
		Expect(k8sClient.Create(ctx, monitoring("elsewhere", "antrea-elsewhere"))).To(Succeed())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "elsewhere"), monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionFalse, monitoringv1alpha1.ReasonNamespaceNotWatched)
			g.Expect(c.Message).To(ContainSubstring("--antrea-namespaces including antrea-elsewhere"))
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "elsewhere")
	})
})
