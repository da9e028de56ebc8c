//go:build envtest

package envtest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	antreapkg "github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

// repairTimes collects how long each drift repair took, for the report.
var repairTimes = struct {
	sync.Mutex
	m map[string]time.Duration
}{m: map[string]time.Duration{}}

var _ = ReportAfterSuite("drift repair times", func(r Report) {
	repairTimes.Lock()
	defer repairTimes.Unlock()
	keys := make([]string, 0, len(repairTimes.m))
	for k := range repairTimes.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("drift repaired: %-60s %v\n", k, repairTimes.m[k].Round(time.Millisecond))
	}
})

// ownedCount counts, with the uncached client, the objects of every kind
// the operator may create that carry an AntreaMonitoring's owner label.
func ownedCount(g Gomega, ctx context.Context, owner string) map[string]int {
	out := map[string]int{}
	eachOwned(g, ctx, owner, func(k render.Kind, _ client.Object) { out[k.GVK.Kind]++ })
	return out
}

// handEdit changes an object the way kubectl edit does (another field
// manager, a plain update).
func handEdit(ctx context.Context, obj client.Object, mutate func(client.Object)) {
	Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		mutate(obj)
		g.Expect(k8sClient.Update(ctx, obj, client.FieldOwner("kubectl-edit"))).To(Succeed())
	}, timeout, interval).Should(Succeed())
}

// expectRepaired waits until check passes again and records the time.
func expectRepaired(name string, start time.Time, check func(Gomega)) {
	Eventually(check, timeout, 20*time.Millisecond).Should(Succeed(), name)
	repairTimes.Lock()
	repairTimes.m[name] = time.Since(start)
	repairTimes.Unlock()
}

// driftEdit is a hand edit of an owned object; check (or the spec's default
// check) passes once the operator repaired it.
type driftEdit struct {
	obj    client.Object
	mutate func(client.Object)
	check  func(Gomega) // nil: the spec's default check
}

// expectDriftRepaired edits each object by hand and waits for the repair,
// then deletes it (PVCs aside) and waits for it to be recreated. Each
// repair's time is recorded for the report.
func expectDriftRepaired(ctx context.Context, edits []driftEdit, matches func(Gomega)) {
	for _, e := range edits {
		kind := fmt.Sprintf("%T", e.obj)[strings.LastIndex(fmt.Sprintf("%T", e.obj), ".")+1:]
		By("editing " + kind + " " + e.obj.GetName() + " by hand")
		handEdit(ctx, e.obj, e.mutate)
		check := matches
		if e.check != nil {
			check = e.check
		}
		expectRepaired("edited "+kind+" "+e.obj.GetName(), time.Now(), check)
		if _, ok := e.obj.(*corev1.PersistentVolumeClaim); ok {
			continue // a PVC in use is protected (kubernetes.io/pvc-protection); deleting data is the user's call
		}
		By("deleting " + kind + " " + e.obj.GetName() + " by hand")
		uid := e.obj.GetUID()
		Expect(k8sClient.Delete(ctx, e.obj)).To(Succeed())
		expectRepaired("deleted "+kind+" "+e.obj.GetName(), time.Now(), func(g Gomega) {
			fresh := e.obj.DeepCopyObject().(client.Object)
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(e.obj), fresh)).To(Succeed())
			g.Expect(fresh.GetUID()).NotTo(Equal(uid))
			check(g)
		})
	}
}

// expectQuietReconciles runs direct reconciles of an unchanged world and
// expects zero API requests from them: no write, and no read that bypasses
// the cache. Requests are counted in the operator's transport.
func expectQuietReconciles(ctx context.Context, name string) {
	const n = 10
	var reads, writesSeen int64
	Eventually(func(g Gomega) {
		rctx, counted := countRequests(ctx)
		before := writes.Load()
		for range n {
			_, err := reconciler.Reconcile(rctx, reconcile.Request{NamespacedName: clientKey(name)})
			g.Expect(err).NotTo(HaveOccurred())
		}
		reads, writesSeen = counted()
		g.Expect(writes.Load()-before).To(BeZero(), "writes through the client")
		g.Expect(writesSeen).To(BeZero(), "write requests")
		g.Expect(reads).To(BeZero(), "reads that bypass the cache")
	}, timeout, interval).Should(Succeed())
	AddReportEntry("API requests per no-op reconcile of "+name+" (reads, writes)", fmt.Sprintf("%d, %d", reads/n, writesSeen/n))
}

// guideRole is a ClusterRole made by hand from Antrea's guide: no labels.
func guideRole(name string, rules []rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

var _ = Describe("Ownership", func() {
	ctx := context.Background()

	It("never changes, owns or deletes the guide's prometheus roles made by hand, and binds its own", func() {
		// An admin who followed Antrea's guide, with a rule of their own added.
		adminRules := append(slices.Clone(seedPrometheusRules), rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}})
		for name, rules := range map[string][]rbacv1.PolicyRule{"prometheus": adminRules, "prometheus-antrea": seedPrometheusAntreaRules} {
			Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, guideRole(name, rules)))).To(Succeed())
		}
		before := map[string]rbacv1.ClusterRole{}
		for _, name := range []string{"prometheus", "prometheus-antrea"} {
			var r rbacv1.ClusterRole
			Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, &r)).To(Succeed())
			before[name] = r
		}
		Expect(k8sClient.Create(ctx, monitoring("roles", "kube-system", managedIn("prom-roles", "")))).To(Succeed())
		var uid types.UID
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "roles")
			uid = am.UID
			c := expectCondition(g, am, monitoringv1alpha1.ConditionRBACReady, metav1.ConditionTrue, monitoringv1alpha1.ReasonClusterRolesApplied)
			g.Expect(c.Message).To(ContainSubstring("roles the operator did not create, such as the guide's prometheus and prometheus-antrea, are left alone"))
			var crb rbacv1.ClusterRoleBinding
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "antrea-monitoring:roles:prometheus"}, &crb)).To(Succeed())
			g.Expect(crb.RoleRef.Name).To(Equal("antrea-monitoring:prometheus"))
			for name, rules := range map[string][]rbacv1.PolicyRule{"antrea-monitoring:prometheus": seedPrometheusRules, "antrea-monitoring:prometheus-antrea": seedPrometheusAntreaRules} {
				var own rbacv1.ClusterRole
				g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, &own)).To(Succeed())
				g.Expect(own.Rules).To(Equal(rules))
				g.Expect(own.OwnerReferences).To(ContainElement(HaveField("UID", uid)))
			}
		}, timeout, interval).Should(Succeed())

		By("deleting the AntreaMonitoring: the garbage collector removes its ownership, the admin's roles stay as they were")
		deleteAndWaitGone(ctx, "roles")
		Eventually(func(g Gomega) {
			for _, name := range []string{"antrea-monitoring:prometheus", "antrea-monitoring:prometheus-antrea"} {
				var own rbacv1.ClusterRole
				err := k8sClient.Get(ctx, types.NamespacedName{Name: name}, &own)
				if apierrors.IsNotFound(err) {
					continue // the last AntreaMonitoring went: collected
				}
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(own.OwnerReferences).NotTo(ContainElement(HaveField("UID", uid)))
			}
		}, timeout, interval).Should(Succeed())
		Consistently(func(g Gomega) {
			for name, was := range before {
				var now rbacv1.ClusterRole
				g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: name}, &now)).To(Succeed(), "the admin's role %s was deleted", name)
				g.Expect(now.ResourceVersion).To(Equal(was.ResourceVersion), "the admin's role %s was written", name)
				g.Expect(now.Rules).To(Equal(was.Rules))
				g.Expect(now.OwnerReferences).To(BeEmpty())
				g.Expect(now.Labels).To(BeEmpty())
			}
		}, 3*time.Second, 200*time.Millisecond).Should(Succeed())
	})

	It("upgraded from a version that used the guide's role names: releases those roles and rebinds to its own", func() {
		// What the earlier version left: prometheus-antrea applied, labelled
		// and owned by the operator, and a binding to it.
		Expect(k8sClient.Create(ctx, monitoring("legacy", "kube-system", scrapeConfigTo("prom-legacy", "prometheus")))).To(Succeed())
		am := getAM(Default, ctx, "legacy")
		ref := metav1.OwnerReference{APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring", Name: "legacy", UID: am.UID, BlockOwnerDeletion: ptr.To(true)}
		ours := map[string]string{render.ManagedByLabel: render.ManagedByValue, render.PartOfLabel: render.PartOfValue}
		old := &rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: "prometheus-antrea", Labels: ours, OwnerReferences: []metav1.OwnerReference{ref}},
			Rules:      seedPrometheusAntreaRules}
		Expect(k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(toUnstructured(old)), client.FieldOwner("antrea-monitoring-operator"), client.ForceOwnership)).To(Succeed())
		crbLabels := map[string]string{render.OwnerLabel: "legacy", render.ManagedByLabel: render.ManagedByValue}
		Expect(k8sClient.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "antrea-monitoring:legacy:prometheus-antrea", Labels: crbLabels},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "prometheus-antrea"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "prom-legacy", Name: "prometheus"}}})).To(Succeed())
		Expect(k8sClient.Create(ctx, fixtures.Namespace("prom-legacy"))).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-legacy", Name: "prometheus"}})).To(Succeed())

		Eventually(func(g Gomega) {
			var role rbacv1.ClusterRole
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "prometheus-antrea"}, &role)).To(Succeed())
			g.Expect(role.Labels).To(BeEmpty(), "released")
			g.Expect(role.OwnerReferences).To(BeEmpty(), "released: the garbage collector would delete it")
			g.Expect(role.Rules).To(Equal(seedPrometheusAntreaRules), "its rules are kept")
			var crb rbacv1.ClusterRoleBinding
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "antrea-monitoring:legacy:prometheus-antrea"}, &crb)).To(Succeed())
			g.Expect(crb.RoleRef.Name).To(Equal("antrea-monitoring:prometheus-antrea"), "roleRef is immutable: the binding is replaced")
			expectCondition(g, getAM(g, ctx, "legacy"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "legacy")
		Consistently(func(g Gomega) {
			var role rbacv1.ClusterRole
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "prometheus-antrea"}, &role)).To(Succeed())
		}, 3*time.Second, 200*time.Millisecond).Should(Succeed(), "the released role survives the AntreaMonitoring")
	})

	It("reports an object in its way that it did not create, and never changes or deletes it", func() {
		Expect(k8sClient.Create(ctx, fixtures.Namespace("prom-taken"))).To(Succeed())
		theirs := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-taken", Name: "taken-prometheus",
			Labels: map[string]string{"team": "observability"}}}
		Expect(k8sClient.Create(ctx, theirs)).To(Succeed())
		Expect(k8sClient.Create(ctx, monitoring("taken", "kube-system", managedIn("prom-taken", "")))).To(Succeed())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "taken"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonObjectNotOwned)
			g.Expect(c.Message).To(ContainSubstring("ServiceAccount prom-taken/taken-prometheus exists and was not created by the operator"))
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "taken")
		Consistently(func(g Gomega) {
			var now corev1.ServiceAccount
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(theirs), &now)).To(Succeed())
			g.Expect(now.ResourceVersion).To(Equal(theirs.ResourceVersion))
			g.Expect(now.OwnerReferences).To(BeEmpty())
		}, 3*time.Second, 200*time.Millisecond).Should(Succeed())
	})

	It("keeps the managed Prometheus's PVC when the AntreaMonitoring is deleted, leaves nothing else behind, and reuses the PVC", func() {
		Expect(k8sClient.Create(ctx, monitoring("keep", "kube-system", managedIn("prom-keep", "2Gi"), withDashboard))).To(Succeed())
		var pvc corev1.PersistentVolumeClaim
		Eventually(func(g Gomega) {
			g.Expect(ownedCount(g, ctx, "keep")).To(Equal(map[string]int{"ServiceAccount": 1, "ClusterRoleBinding": 1, "ConfigMap": 2,
				"PersistentVolumeClaim": 1, "Deployment": 1, "Service": 1}))
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "prom-keep", Name: "keep-prometheus-data"}, &pvc)).To(Succeed())
		}, timeout, interval).Should(Succeed())
		Expect(pvc.OwnerReferences).To(BeEmpty(), "a PVC owned by the AntreaMonitoring would be garbage-collected with it")

		By("deleting it: the real garbage collector removes every owned object but the PVC")
		deleteAndWaitGone(ctx, "keep")
		Eventually(func(g Gomega) {
			g.Expect(ownedCount(g, ctx, "keep")).To(Equal(map[string]int{"PersistentVolumeClaim": 1}))
		}, timeout, interval).Should(Succeed())
		AddReportEntry("orphans after deleting AntreaMonitoring keep (retained PVC aside)", 0)

		By("a new AntreaMonitoring of the same name reusing the claim")
		Expect(k8sClient.Create(ctx, monitoring("keep", "kube-system", managedIn("prom-keep", "2Gi"), withDashboard))).To(Succeed())
		Eventually(func(g Gomega) {
			var d appsv1.Deployment
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "prom-keep", Name: "keep-prometheus"}, &d)).To(Succeed())
			g.Expect(d.Spec.Template.Spec.Volumes).To(ContainElement(HaveField("VolumeSource.PersistentVolumeClaim.ClaimName", "keep-prometheus-data")))
			var again corev1.PersistentVolumeClaim
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "prom-keep", Name: "keep-prometheus-data"}, &again)).To(Succeed())
			g.Expect(again.UID).To(Equal(pvc.UID), "the claim was replaced, not reused")
			expectCondition(g, getAM(g, ctx, "keep"), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "keep")
	})

	It("repairs every owned object edited or deleted by hand within one reconcile, and makes no write once repaired", func() {
		Expect(k8sClient.Create(ctx, monitoring("drift", "kube-system", managedIn("prom-drift", "1Gi"), withDashboard))).To(Succeed())
		am := getAM(Default, ctx, "drift")
		in := managedRenderInput(am)
		Eventually(func(g Gomega) { expectLiveMatchesRender(g, ctx, in) }, timeout, interval).Should(Succeed())
		matches := func(g Gomega) { expectLiveMatchesRender(g, ctx, in) }

		edits := []driftEdit{
			{&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-drift", Name: "drift-prometheus"}}, func(o client.Object) {
				o.(*corev1.ConfigMap).Data["prometheus.yml"] = "scrape_configs: []\n"
			}, nil},
			{&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-drift", Name: "drift-prometheus"}}, func(o client.Object) {
				o.(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Image = "example.com/other:1"
				o.(*appsv1.Deployment).Spec.Replicas = ptr.To[int32](3)
			}, nil},
			{&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-drift", Name: "drift-prometheus"}}, func(o client.Object) {
				o.(*corev1.Service).Spec.Selector = map[string]string{"app": "something-else"}
			}, nil},
			{&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-drift", Name: "drift-prometheus"}}, func(o client.Object) {
				labels := o.GetLabels()
				delete(labels, render.PartOfLabel)
				o.SetLabels(labels)
				o.SetOwnerReferences(nil)
			}, nil},
			{&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "antrea-monitoring:drift:prometheus"}}, func(o client.Object) {
				o.(*rbacv1.ClusterRoleBinding).Subjects[0].Name = "intruder"
			}, nil},
			{&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-drift", Name: "drift-prometheus-data"}}, func(o client.Object) {
				o.SetLabels(map[string]string{render.OwnerLabel: "drift"}) // the other operator labels dropped
			}, nil},
			{&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "prom-drift", Name: "drift-grafana-dashboard"}}, func(o client.Object) {
				o.(*corev1.ConfigMap).Data["antrea.json"] = "{}"
			}, nil},
			{&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "antrea-monitoring:prometheus-antrea"}}, func(o client.Object) {
				o.(*rbacv1.ClusterRole).Rules = []rbacv1.PolicyRule{{NonResourceURLs: []string{"/healthz"}, Verbs: []string{"get"}}}
			}, func(g Gomega) {
				var r rbacv1.ClusterRole
				g.Expect(k8sClient.Get(ctx, types.NamespacedName{Name: "antrea-monitoring:prometheus-antrea"}, &r)).To(Succeed())
				g.Expect(r.Rules).To(Equal(seedPrometheusAntreaRules))
			}},
		}
		expectDriftRepaired(ctx, edits, matches)

		By("making no API read or write once everything is repaired")
		expectQuietReconciles(ctx, "drift")
		deleteAndWaitGone(ctx, "drift")
	})

	It("makes no API read that bypasses the cache when nothing changed, and ignores ConfigMaps that are not Antrea's", func() {
		Expect(k8sClient.Create(ctx, monitoring("quiet", "kube-system", managedIn("prom-quiet", "")))).To(Succeed())
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "quiet")
			expectCondition(g, am, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
			g.Expect(am.Status.SeriesProfile).To(Equal("Essential"), "the default series profile is reported")
		}, timeout, interval).Should(Succeed())

		By("counting the API requests of direct reconciles of an unchanged world")
		expectQuietReconciles(ctx, "quiet")

		By("creating ConfigMaps in the Antrea namespace that are not Antrea's")
		// Other events (a namespace going away elsewhere in the suite) may wake
		// the reconciler meanwhile: each attempt uses fresh ConfigMaps, and
		// only a real regression fails every attempt.
		attempt := 0
		Eventually(func(g Gomega) {
			attempt++
			n := reconcileTotal()
			for i := range 10 {
				g.Expect(k8sClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: fmt.Sprintf("unrelated-%d-%d", attempt, i)},
					Data: map[string]string{"x": "y"}})).To(Succeed())
			}
			g.Consistently(reconcileTotal, 2*time.Second, 100*time.Millisecond).Should(Equal(n), "an unrelated ConfigMap woke the reconciler")
		}, 3*timeout, interval).Should(Succeed())
		var cached corev1.ConfigMap
		err := mgrCache.Get(ctx, types.NamespacedName{Namespace: "kube-system", Name: "unrelated-1-0"}, &cached)
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "an unrelated ConfigMap is in the cache: %v", err)
		deleteAndWaitGone(ctx, "quiet")
	})

	It("leaves status.observedGeneration behind when a phase fails", func() {
		// A namespace stuck in Terminating refuses new objects.
		stuck := fixtures.Namespace("prom-stuck")
		stuck.Finalizers = []string{"test.antrea.io/hold"}
		Expect(k8sClient.Create(ctx, stuck)).To(Succeed())
		Expect(k8sClient.Delete(ctx, stuck)).To(Succeed())

		Expect(k8sClient.Create(ctx, monitoring("failing", "kube-system", managedIn("prom-fine", "")))).To(Succeed())
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "failing")
			g.Expect(am.Status.ObservedGeneration).To(Equal(am.Generation))
		}, timeout, interval).Should(Succeed())
		am := getAM(Default, ctx, "failing")
		am.Spec.Prometheus.Managed.Namespace = "prom-stuck"
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, "failing")
			g.Expect(got.Generation).To(Equal(am.Generation + 1))
			c := expectCondition(g, got, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonApplyFailed)
			g.Expect(c.Message).To(ContainSubstring("prom-stuck"))
			g.Expect(got.Status.ObservedGeneration).To(Equal(am.Generation), "observedGeneration moved although a phase failed")
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "failing")
		stuck.Finalizers = nil
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(stuck), stuck)).To(Succeed())
		stuck.Finalizers = nil
		Expect(k8sClient.Update(ctx, stuck)).To(Succeed())
	})

	It("restores both ConfigMaps on deletion after Antrea moved from antrea-config-<hash> to antrea-config", func() {
		const ns = "antrea-upgrade"
		antrea(ctx, ns, "antrea-config-h4sh", fixtures.AgentConfOff, fixtures.ControllerConfOff)
		Expect(k8sClient.Create(ctx, monitoring("upgrade", ns))).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(getCM(g, ctx, ns, "antrea-config-h4sh").Data[agentKey]).To(Equal(fixtures.AgentConfOn))
		}, timeout, interval).Should(Succeed())

		By("upgrading Antrea: a new antrea-config, read by the workloads")
		Expect(k8sClient.Create(ctx, fixtures.ConfigMap(ns, "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff))).To(Succeed())
		Eventually(func(g Gomega) {
			cm := getCM(g, ctx, ns, "antrea-config")
			g.Expect(cm.Data[agentKey]).To(Equal(fixtures.AgentConfOn))
			g.Expect(cm.Data[controllerKey]).To(Equal(fixtures.ControllerConfOn))
			g.Expect(getAM(g, ctx, "upgrade").Status.AntreaConfigMap.Name).To(Equal("antrea-config"))
		}, timeout, interval).Should(Succeed())

		By("deleting the AntreaMonitoring: both restored byte for byte, no record left")
		deleteAndWaitGone(ctx, "upgrade")
		for _, name := range []string{"antrea-config-h4sh", "antrea-config"} {
			cm := getCM(Default, ctx, ns, name)
			Expect(cm.Data[agentKey]).To(Equal(fixtures.AgentConfOff), name)
			Expect(cm.Data[controllerKey]).To(Equal(fixtures.ControllerConfOff), name)
			Expect(cm.Annotations).NotTo(HaveKey(antreapkg.OriginalAnnotation), name)
		}
	})
})

func toUnstructured(obj client.Object) *unstructured.Unstructured {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	Expect(err).NotTo(HaveOccurred())
	return &unstructured.Unstructured{Object: u}
}
