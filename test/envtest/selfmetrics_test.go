//go:build envtest

package envtest

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// series are the operator's own series of family for AntreaMonitoring
// name, as label sets with their values.
func series(family, name string) map[string]float64 {
	GinkgoHelper()
	families, err := metrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != family {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["name"] != name {
				continue
			}
			key := ""
			for _, k := range []string{"type", "status", "reason", "pool", "state", "mode", "series_profile"} {
				if v, ok := labels[k]; ok {
					key += k + "=" + v + ","
				}
			}
			out[key] = gaugeValue(m)
		}
	}
	return out
}

func gaugeValue(m *dto.Metric) float64 { return m.GetGauge().GetValue() }

var _ = Describe("The operator's own metrics", func() {
	ctx := context.Background()

	It("export each condition with its status and reason, and the mode, and drop the AntreaMonitoring once it is gone", func() {
		Expect(k8sClient.Create(ctx, monitoring("selfmetrics", "kube-system", func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeManaged
		}))).To(Succeed())
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "selfmetrics")
			expectCondition(g, am, monitoringv1alpha1.ConditionModeResolved, metav1.ConditionTrue, monitoringv1alpha1.ReasonModeExplicit)
			got := series("antreamonitoring_status_condition", "selfmetrics")
			for _, c := range am.Status.Conditions {
				g.Expect(got).To(HaveKeyWithValue("type="+c.Type+",status="+string(c.Status)+",reason="+c.Reason+",", 1.0))
			}
			g.Expect(got).To(HaveLen(len(am.Status.Conditions)), "one series per condition, its current status and reason")
			g.Expect(series("antreamonitoring_info", "selfmetrics")).To(HaveKeyWithValue("mode=Managed,series_profile=Essential,", 1.0))
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "selfmetrics")
		Eventually(func(g Gomega) {
			g.Expect(series("antreamonitoring_status_condition", "selfmetrics")).To(BeEmpty())
			g.Expect(series("antreamonitoring_info", "selfmetrics")).To(BeEmpty())
		}, timeout, interval).Should(Succeed())
	})
})
