//go:build envtest

package envtest

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/crdcheck"
)

var _ = Describe("The served AntreaMonitoring CRD", func() {
	ctx := context.Background()

	It("is compared with the operator's: an older one, lacking fields, is named in CRDUpToDate (informational), and the upgrade is seen", func() {
		Expect(k8sClient.Create(ctx, monitoring("crd", "kube-system"))).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "crd"), monitoringv1alpha1.ConditionCRDUpToDate, metav1.ConditionTrue, monitoringv1alpha1.ReasonCRDMatches)
		}, timeout, interval).Should(Succeed())

		By("serving the CRD of an older release: without status.prometheusKind and spec.prometheus.series")
		restore := serveOlderCRD(ctx, []string{"status", "prometheusKind"}, []string{"spec", "prometheus", "series"})
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "crd")
			c := expectCondition(g, am, monitoringv1alpha1.ConditionCRDUpToDate, metav1.ConditionFalse, monitoringv1alpha1.ReasonCRDFieldsMissing)
			g.Expect(c.Message).To(ContainSubstring("it lacks 2 field(s), spec.prometheus.series, status.prometheusKind, which the API server drops"))
			ready := meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Message).NotTo(ContainSubstring(monitoringv1alpha1.ConditionCRDUpToDate), "informational: Ready does not wait for it")
		}, timeout, interval).Should(Succeed())

		By("upgrading the CRD again: CRDUpToDate is True")
		restore()
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "crd"), monitoringv1alpha1.ConditionCRDUpToDate, metav1.ConditionTrue, monitoringv1alpha1.ReasonCRDMatches)
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "crd")
	})

	It("is upgraded by manager crds (crdcheck.Apply) over an older one Helm installed: a field the old CRD pruned is kept afterwards", func() {
		serveOlderCRD(ctx, []string{"spec", "prometheus", "prometheusOperator", "prometheusAgent"})
		withAgent := func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModePrometheusOperator
			am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{
				PrometheusAgent: &monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "agent"}}
		}
		By("writing the new field against the older CRD: the API server prunes it")
		prunes := func(g Gomega) bool {
			am := monitoring("crd-upgrade", "kube-system", withAgent)
			g.Expect(k8sClient.Create(ctx, am, client.DryRunAll)).To(Succeed())
			return am.Spec.Prometheus.PrometheusOperator == nil || am.Spec.Prometheus.PrometheusOperator.PrometheusAgent == nil
		}
		Eventually(prunes, timeout, interval).Should(BeTrue(), "the older CRD prunes spec.prometheus.prometheusOperator.prometheusAgent")
		Expect(k8sClient.Create(ctx, monitoring("crd-upgrade", "kube-system", withAgent))).To(Succeed())
		Expect(getAM(Default, ctx, "crd-upgrade").Spec.Prometheus.PrometheusOperator.PrometheusAgent).To(BeNil(), "pruned")

		By("running manager crds' Apply, as the chart's hook does on helm upgrade")
		Expect(crdcheck.Apply(ctx, k8sClient, 100*time.Millisecond, GinkgoWriter.Printf)).To(Succeed())
		var upgraded apiextensionsv1.CustomResourceDefinition
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: monitoringv1alpha1.CRDName}, &upgraded)).To(Succeed())
		Expect(upgraded.ManagedFields).To(ContainElement(HaveField("Manager", crdcheck.ApplyFieldOwner)))

		By("writing the field again: it is kept")
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "crd-upgrade")
			withAgent(am)
			g.Expect(k8sClient.Update(ctx, am)).To(Succeed())
			got := getAM(g, ctx, "crd-upgrade")
			g.Expect(got.Spec.Prometheus.PrometheusOperator).NotTo(BeNil())
			g.Expect(got.Spec.Prometheus.PrometheusOperator.PrometheusAgent).To(Equal(&monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "agent"}))
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "crd-upgrade")
	})
})

// serveOlderCRD makes the API server serve the AntreaMonitoring CRD without
// the fields at paths (and without the rules of the objects holding them,
// which may name them), as an older release's CRD; the function it returns,
// also run at the spec's end, serves the current one again.
func serveOlderCRD(ctx context.Context, paths ...[]string) func() {
	GinkgoHelper()
	var current apiextensionsv1.CustomResourceDefinition
	Expect(k8sClient.Get(ctx, types.NamespacedName{Name: monitoringv1alpha1.CRDName}, &current)).To(Succeed())
	older := current.DeepCopy()
	for _, p := range paths {
		dropField(older.Spec.Versions[0].Schema.OpenAPIV3Schema, p)
	}
	Expect(k8sClient.Update(ctx, older)).To(Succeed())
	restore := func() {
		var now apiextensionsv1.CustomResourceDefinition
		Expect(k8sClient.Get(ctx, types.NamespacedName{Name: monitoringv1alpha1.CRDName}, &now)).To(Succeed())
		back := current.DeepCopy()
		back.ResourceVersion = now.ResourceVersion
		Expect(k8sClient.Update(ctx, back)).To(Succeed())
	}
	DeferCleanup(restore)
	return restore
}

func dropField(s *apiextensionsv1.JSONSchemaProps, path []string) {
	if len(path) == 1 {
		delete(s.Properties, path[0])
		s.XValidations = nil
		return
	}
	child := s.Properties[path[0]]
	dropField(&child, path[1:])
	s.Properties[path[0]] = child
}
