//go:build envtest

package envtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/controllers"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

// eachOwned calls fn, with the uncached client's copy, for every object of
// every registered kind that carries owner's label.
func eachOwned(g Gomega, ctx context.Context, owner string, fn func(render.Kind, client.Object)) {
	for _, k := range render.Kinds {
		list := k.NewList()
		err := k8sClient.List(ctx, list, client.MatchingLabels{render.OwnerLabel: owner})
		if meta.IsNoMatchError(err) {
			continue // prometheus-operator's CRDs are not installed (yet)
		}
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(meta.EachListItem(list, func(o runtime.Object) error {
			fn(k, o.(client.Object))
			return nil
		})).To(Succeed())
	}
}

// ownedObjects lists owner's objects as "Kind namespace/name", sorted.
func ownedObjects(g Gomega, ctx context.Context, owner string) []string {
	var out []string
	eachOwned(g, ctx, owner, func(k render.Kind, obj client.Object) {
		out = append(out, k.GVK.Kind+" "+klog.KObj(obj).String())
	})
	sort.Strings(out)
	return out
}

// expectOneFieldManager asserts that the operator holds each of owner's
// objects through one managedFields entry, an Apply: no Update entry of its
// own would keep fields a later apply drops.
func expectOneFieldManager(g Gomega, ctx context.Context, owner string) {
	eachOwned(g, ctx, owner, func(k render.Kind, obj client.Object) {
		var ops []string
		for _, mf := range obj.GetManagedFields() {
			if mf.Manager == controllers.FieldOwner && mf.Subresource == "" {
				ops = append(ops, string(mf.Operation))
			}
		}
		g.Expect(ops).To(Equal([]string{"Apply"}), "%s %s: the operator's managedFields entries", k.GVK.Kind, klog.KObj(obj))
	})
}

// expectOneWriteEach waits for owner's reconciles to settle, then asserts
// that each object written since the last call was written exactly once,
// and that every owned object was among them when all is true.
func expectOneWriteEach(ctx context.Context, owner string, all bool) map[string]int {
	written := objectWrites.Of(owner)
	for obj, n := range written {
		Expect(n).To(Equal(1), "writes to %s", obj)
	}
	if all {
		Expect(slices.Sorted(maps.Keys(written))).To(Equal(ownedObjects(Default, ctx, owner)), "objects written once each = objects owned")
	}
	return written
}

// specChange is a spec change that removes or replaces fields of the
// objects the operator made: after it, gone holds.
type specChange struct {
	setup  []func(*monitoringv1alpha1.AntreaMonitoring)
	change func(*monitoringv1alpha1.AntreaMonitoring)
	gone   func(g Gomega, ctx context.Context, name string)
}

// runSpecChange creates an AntreaMonitoring, counts one write per object it
// provisions, changes its spec and expects the change on the objects after
// one reconcile, one write per object changed, and none once settled.
func runSpecChange(ctx context.Context, name string, c specChange) {
	objectWrites.Of(name)
	before := writes.Load()
	Expect(k8sClient.Create(ctx, monitoring(name, "kube-system", c.setup...))).To(Succeed())
	Eventually(func(g Gomega) {
		expectCondition(g, getAM(g, ctx, name), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
	}, timeout, interval).Should(Succeed())
	expectQuietReconciles(ctx, name)
	AddReportEntry("operator writes to provision "+name+" (every kind: objects, ClusterRoles, namespace, finalizer, status)", writes.Load()-before)
	provisioned := expectOneWriteEach(ctx, name, true)
	AddReportEntry("writes to provision "+name, len(provisioned))
	Eventually(func(g Gomega) { expectOneFieldManager(g, ctx, name) }, timeout, interval).Should(Succeed())

	By("changing the spec")
	am := getAM(Default, ctx, name)
	c.change(am)
	updateSpec(ctx, am)
	Eventually(func(g Gomega) {
		got := getAM(g, ctx, name)
		g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		expectCondition(g, got, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
		c.gone(g, ctx, name)
	}, timeout, interval).Should(Succeed())
	expectQuietReconciles(ctx, name)
	changed := expectOneWriteEach(ctx, name, false)
	AddReportEntry("writes for the change of "+name, fmt.Sprint(changed))
	Eventually(func(g Gomega) { expectOneFieldManager(g, ctx, name) }, timeout, interval).Should(Succeed())
	deleteAndWaitGone(ctx, name)
}

func getDeployment(g Gomega, ctx context.Context, ns, name string) *appsv1.Deployment {
	var d appsv1.Deployment
	g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &d)).To(Succeed())
	return &d
}

// dataVolume is the managed Prometheus's data volume.
func dataVolume(g Gomega, d *appsv1.Deployment) corev1.VolumeSource {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == "data" {
			return v.VolumeSource
		}
	}
	g.Expect(d.Spec.Template.Spec.Volumes).To(ContainElement(HaveField("Name", "data")))
	return corev1.VolumeSource{}
}

// addStorage asks an AntreaMonitoring in mode Managed for a claim of size.
func addStorage(size string) func(*monitoringv1alpha1.AntreaMonitoring) {
	return func(am *monitoringv1alpha1.AntreaMonitoring) {
		am.Spec.Prometheus.Managed.Storage = &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse(size)}
	}
}

var _ = Describe("Spec changes", func() {
	ctx := context.Background()

	DescribeTable("remove or replace fields of every kind after one reconcile, with one write per object",
		func(name string, c specChange) { runSpecChange(ctx, name, c) },
		Entry("storage added: the data volume is the claim, no emptyDir (Deployment, PVC)", "sc-storage-on", specChange{
			setup:  []func(*monitoringv1alpha1.AntreaMonitoring){managedIn("prom-sc-storage-on", "")},
			change: addStorage("1Gi"),
			gone: func(g Gomega, ctx context.Context, name string) {
				v := dataVolume(g, getDeployment(g, ctx, "prom-sc-storage-on", name+"-prometheus"))
				g.Expect(v.EmptyDir).To(BeNil())
				g.Expect(v.PersistentVolumeClaim).To(Equal(&corev1.PersistentVolumeClaimVolumeSource{ClaimName: name + "-prometheus-data"}))
			},
		}),
		Entry("storage removed: back to an emptyDir (Deployment)", "sc-storage-off", specChange{
			setup: []func(*monitoringv1alpha1.AntreaMonitoring){managedIn("prom-sc-storage-off", "1Gi")},
			change: func(am *monitoringv1alpha1.AntreaMonitoring) {
				am.Spec.Prometheus.Managed.Storage = nil
			},
			gone: func(g Gomega, ctx context.Context, name string) {
				v := dataVolume(g, getDeployment(g, ctx, "prom-sc-storage-off", name+"-prometheus"))
				g.Expect(v.PersistentVolumeClaim).To(BeNil())
				g.Expect(v.EmptyDir).NotTo(BeNil())
			},
		}),
		Entry("alerts off: no rule file key, no rule_files (ConfigMap)", "sc-alerts", specChange{
			setup:  []func(*monitoringv1alpha1.AntreaMonitoring){managedIn("prom-sc-alerts", "")},
			change: func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Alerts.Enabled = ptr.To(false) },
			gone: func(g Gomega, ctx context.Context, name string) {
				cm := getCM(g, ctx, "prom-sc-alerts", name+"-prometheus")
				g.Expect(cm.Data).NotTo(HaveKey(render.RulesKey))
				g.Expect(cm.Data[render.PrometheusConfigKey]).NotTo(ContainSubstring("rule_files"))
			},
		}),
		Entry("dashboard off: its ConfigMap pruned", "sc-dashboard", specChange{
			setup:  []func(*monitoringv1alpha1.AntreaMonitoring){managedIn("prom-sc-dashboard", ""), withDashboard},
			change: func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Dashboard.Enabled = false },
			gone: func(g Gomega, ctx context.Context, name string) {
				g.Expect(exists(ctx, &corev1.ConfigMap{}, "prom-sc-dashboard", name+"-grafana-dashboard")).To(BeFalse())
			},
		}),
		Entry("insecureSkipVerify: the CA copy dropped (ConfigMap)", "sc-insecure", specChange{
			setup:  []func(*monitoringv1alpha1.AntreaMonitoring){managedIn("prom-sc-insecure", "")},
			change: func(am *monitoringv1alpha1.AntreaMonitoring) { am.Spec.Antrea.InsecureSkipVerify = true },
			gone: func(g Gomega, ctx context.Context, name string) {
				cm := getCM(g, ctx, "prom-sc-insecure", name+"-prometheus")
				g.Expect(cm.Data).NotTo(HaveKey(render.AntreaCAKey))
				g.Expect(cm.Data[render.PrometheusConfigKey]).NotTo(ContainSubstring("ca_file"))
			},
		}),
		Entry("a resource limit removed (Deployment)", "sc-resources", specChange{
			setup: []func(*monitoringv1alpha1.AntreaMonitoring){managedIn("prom-sc-resources", ""), func(am *monitoringv1alpha1.AntreaMonitoring) {
				am.Spec.Prometheus.Managed.Resources = &corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi"), corev1.ResourceCPU: resource.MustParse("1")}}
			}},
			change: func(am *monitoringv1alpha1.AntreaMonitoring) {
				delete(am.Spec.Prometheus.Managed.Resources.Limits, corev1.ResourceCPU)
			},
			gone: func(g Gomega, ctx context.Context, name string) {
				d := getDeployment(g, ctx, "prom-sc-resources", name+"-prometheus")
				g.Expect(d.Spec.Template.Spec.Containers[0].Resources.Limits).To(Equal(corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")}))
			},
		}),
		Entry("mode Managed to ScrapeConfig: the binding's subject replaced, the managed objects pruned", "sc-mode", specChange{
			setup: []func(*monitoringv1alpha1.AntreaMonitoring){managedIn("prom-sc-mode", ""), func(*monitoringv1alpha1.AntreaMonitoring) {
				Expect(k8sClient.Create(ctx, fixtures.Namespace("plain-sc-mode"))).To(Succeed())
				Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "plain-sc-mode", Name: "prometheus"}})).To(Succeed())
			}},
			change: func(am *monitoringv1alpha1.AntreaMonitoring) {
				am.Spec.Prometheus.Managed = nil
				scrapeConfigTo("plain-sc-mode", "prometheus")(am)
			},
			gone: func(g Gomega, ctx context.Context, name string) {
				g.Expect(exists(ctx, &appsv1.Deployment{}, "prom-sc-mode", name+"-prometheus")).To(BeFalse())
				g.Expect(exists(ctx, &corev1.ConfigMap{}, "prom-sc-mode", name+"-prometheus")).To(BeFalse())
				g.Expect(ownedObjects(g, ctx, name)).To(Equal([]string{
					"ClusterRoleBinding antrea-monitoring:" + name + ":prometheus",
					"ClusterRoleBinding antrea-monitoring:" + name + ":prometheus-antrea",
					"ConfigMap plain-sc-mode/" + name + "-scrape-configs",
					"Secret plain-sc-mode/" + name + "-scrape-configs",
				}))
			},
		}),
		Entry("ScrapeConfig, alerts off and the CA copy dropped (Secret, ConfigMap)", "sc-plain", specChange{
			setup: []func(*monitoringv1alpha1.AntreaMonitoring){func(am *monitoringv1alpha1.AntreaMonitoring) {
				Expect(k8sClient.Create(ctx, fixtures.Namespace("plain-sc-plain"))).To(Succeed())
				Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "plain-sc-plain", Name: "prometheus"}})).To(Succeed())
				scrapeConfigTo("plain-sc-plain", "prometheus")(am)
			}},
			change: func(am *monitoringv1alpha1.AntreaMonitoring) {
				am.Spec.Alerts.Enabled = ptr.To(false)
				am.Spec.Antrea.InsecureSkipVerify = true
			},
			gone: func(g Gomega, ctx context.Context, name string) {
				cm := getCM(g, ctx, "plain-sc-plain", name+"-scrape-configs")
				g.Expect(slices.Sorted(maps.Keys(cm.Data))).To(Equal([]string{render.ScrapeConfigFileKey, render.ScrapeConfigsKey}))
				var s corev1.Secret
				g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "plain-sc-plain", Name: name + "-scrape-configs"}, &s)).To(Succeed())
				g.Expect(slices.Sorted(maps.Keys(s.Data))).To(Equal([]string{render.ScrapeConfigsKey}))
			},
		}),
	)
})

// specChangePrometheusOperator runs in the prometheus-operator container,
// once its CRDs are installed: a label removed from every monitor kind
// (ServiceMonitor, PodMonitor, or ScrapeConfig objects) and the
// PrometheusRule, which carry the user's labels.
func specChangePrometheusOperator(ctx context.Context, name string, useScrapeConfig bool) {
	prom := &promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: name}}
	prom.Spec.ServiceAccountName = name
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"release": "kps"}}
	prom.Spec.ServiceMonitorSelector, prom.Spec.PodMonitorSelector, prom.Spec.RuleSelector, prom.Spec.ScrapeConfigSelector = sel, sel, sel, sel
	Expect(k8sClient.Create(ctx, prom)).To(Succeed())
	monitors := map[string]client.Object{name + "-controllers": &promv1.ServiceMonitor{}, name + "-agents": &promv1.PodMonitor{}}
	if useScrapeConfig {
		monitors = map[string]client.Object{name + "-controllers": &promv1alpha1.ScrapeConfig{}, name + "-agents": &promv1alpha1.ScrapeConfig{}}
	}
	monitors[name+"-antrea-rules"] = &promv1.PrometheusRule{}
	runSpecChange(ctx, name, specChange{
		setup: []func(*monitoringv1alpha1.AntreaMonitoring){func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModePrometheusOperator
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{UseScrapeConfig: useScrapeConfig,
				Prometheus: &monitoringv1alpha1.ObjectReference{Namespace: "kps", Name: name},
				Labels:     map[string]monitoringv1alpha1.LabelValue{"release": "kps", "team": "network"}}
		}},
		change: func(am *monitoringv1alpha1.AntreaMonitoring) {
			delete(am.Spec.Prometheus.PrometheusOperator.Labels, "team")
		},
		gone: func(g Gomega, ctx context.Context, name string) {
			for key, obj := range monitors {
				g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "kps", Name: key}, obj)).To(Succeed())
				g.Expect(obj.GetLabels()).NotTo(HaveKey("team"), "%s %s", fixtures.KindOf(obj), key)
				g.Expect(obj.GetLabels()).To(HaveKeyWithValue("release", "kps"))
			}
		},
	})
	Expect(k8sClient.Delete(ctx, prom)).To(Succeed())
}

// withPreviousReleaseEntry gives obj the managedFields the previous
// release left on every object it created (a Create, then an apply): an
// Update entry of the operator's own beside its Apply entry, owning the
// same fields.
func withPreviousReleaseEntry(ctx context.Context, obj client.Object) {
	Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		mfs := obj.GetManagedFields()
		var apply *metav1.ManagedFieldsEntry
		for i := range mfs {
			if mfs[i].Manager == controllers.FieldOwner && mfs[i].Operation == metav1.ManagedFieldsOperationApply {
				apply = mfs[i].DeepCopy()
			}
		}
		g.Expect(apply).NotTo(BeNil())
		update := *apply
		update.Operation = metav1.ManagedFieldsOperationUpdate
		obj.SetManagedFields(append(mfs, update))
		g.Expect(k8sClient.Update(ctx, obj)).To(Succeed())
	}, timeout, interval).Should(Succeed())
}

var _ = Describe("Upgrade from a release that created objects before applying them", func() {
	ctx := context.Background()

	It("heals the objects' stale Update entry without deleting them, so a later spec change removes fields", func() {
		const name, ns = "heal", "prom-heal"
		Expect(k8sClient.Create(ctx, monitoring(name, "kube-system", managedIn(ns, "")))).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, name), monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
		}, timeout, interval).Should(Succeed())
		expectQuietReconciles(ctx, name)

		By("leaving on every object what the previous release did: an Update entry of the operator's beside its Apply entry")
		uids := map[string]types.UID{}
		eachOwned(Default, ctx, name, func(k render.Kind, obj client.Object) {
			withPreviousReleaseEntry(ctx, obj)
			uids[k.GVK.Kind+" "+klog.KObj(obj).String()] = obj.GetUID()
		})
		Expect(uids).To(HaveLen(5), "ServiceAccount, ClusterRoleBinding, ConfigMap, Deployment, Service")

		By("adding storage, which replaces the emptyDir the stale entry still owns")
		am := getAM(Default, ctx, name)
		addStorage("1Gi")(am)
		am.Spec.Alerts.Enabled = ptr.To(false)
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			got := getAM(g, ctx, name)
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
			expectCondition(g, got, monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied)
			v := dataVolume(g, getDeployment(g, ctx, ns, name+"-prometheus"))
			g.Expect(v.EmptyDir).To(BeNil())
			g.Expect(v.PersistentVolumeClaim).NotTo(BeNil())
			g.Expect(getCM(g, ctx, ns, name+"-prometheus").Data).NotTo(HaveKey(render.RulesKey))
			expectOneFieldManager(g, ctx, name)
		}, timeout, interval).Should(Succeed())
		for obj, uid := range uids {
			kind, key, _ := strings.Cut(obj, " ")
			nsName, objName, found := strings.Cut(key, "/")
			if !found {
				nsName, objName = "", key
			}
			i := slices.IndexFunc(render.Kinds, func(k render.Kind) bool { return k.GVK.Kind == kind })
			Expect(i).To(BeNumerically(">=", 0), kind)
			live := render.Kinds[i].New()
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: nsName, Name: objName}, live)).To(Succeed())
			Expect(live.GetUID()).To(Equal(uid), "%s was replaced, not healed", obj)
		}
		expectQuietReconciles(ctx, name)
		deleteAndWaitGone(ctx, name)
	})
})
