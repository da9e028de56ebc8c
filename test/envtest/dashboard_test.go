//go:build envtest

package envtest

import (
	"context"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

var _ = Describe("The Grafana dashboard", func() {
	ctx := context.Background()

	It("labels and annotates its ConfigMap for the sidecar, makes a GrafanaDashboard once grafana-operator's CRD is served, says where it is, and prunes it", func() {
		Expect(k8sClient.Create(ctx, fixtures.Namespace("grafana-dash"))).To(Succeed())
		selector := metav1.LabelSelector{MatchLabels: map[string]string{"dashboards": "grafana"}}
		Expect(k8sClient.Create(ctx, monitoring("dash", "kube-system", managedIn("prom-dash", ""), func(am *monitoringv1alpha1.AntreaMonitoring) {
			am.Spec.Dashboard = monitoringv1alpha1.DashboardSpec{Enabled: true, Namespace: "grafana-dash",
				Labels: map[string]string{"grafana_dashboard": "antrea"}, Annotations: map[string]string{"grafana_folder": "Antrea"},
				GrafanaOperator: &monitoringv1alpha1.GrafanaOperatorDashboard{InstanceSelector: selector, Folder: "Antrea"}}
		}))).To(Succeed())

		By("without grafana-operator's CRD: the ConfigMap with the sidecar's label and folder annotation, no GrafanaDashboard, and DashboardDelivered False naming the CRD")
		Eventually(func(g Gomega) {
			cm := getCM(g, ctx, "grafana-dash", "dash-grafana-dashboard")
			g.Expect(cm.Labels).To(HaveKeyWithValue("grafana_dashboard", "antrea"))
			g.Expect(cm.Annotations).To(HaveKeyWithValue("grafana_folder", "Antrea"))
			g.Expect(cm.Data[render.DashboardKey]).To(Equal(render.DashboardJSON()))
			c := expectCondition(g, getAM(g, ctx, "dash"), monitoringv1alpha1.ConditionDashboardDelivered, metav1.ConditionFalse, monitoringv1alpha1.ReasonGrafanaOperatorNotInstalled)
			g.Expect(c.Message).To(Equal("spec.dashboard.grafanaOperator is set, but grafana-operator's CRD grafanadashboards.grafana.integreatly.org is not installed: no GrafanaDashboard was made. " +
				"ConfigMap grafana-dash/dash-grafana-dashboard holds it for Grafana's dashboard sidecar (grafana_dashboard=antrea)."))
		}, timeout, interval).Should(Succeed())
		Expect(readyMessage(ctx, "dash")).NotTo(ContainSubstring("dashboard"), "DashboardDelivered is informational")

		By("installing grafana-operator's CRD while the operator runs: the GrafanaDashboard holds the dashboard for the selected Grafana objects")
		_, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{filepath.Join("..", "fixtures", "crds", "grafana")}, ErrorIfPathMissing: true})
		Expect(err).NotTo(HaveOccurred())
		board := &grafana.GrafanaDashboard{}
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: "grafana-dash", Name: "dash-grafana-dashboard"}, board)).To(Succeed())
			g.Expect(board.Spec.InstanceSelector).To(Equal(&selector))
			g.Expect(board.Spec.Folder).To(Equal("Antrea"))
			g.Expect(board.Spec.JSON).To(Equal(render.DashboardJSON()))
			g.Expect(board.Labels).To(HaveKeyWithValue(render.OwnerLabel, "dash"))
			c := expectCondition(g, getAM(g, ctx, "dash"), monitoringv1alpha1.ConditionDashboardDelivered, metav1.ConditionTrue, monitoringv1alpha1.ReasonDashboardDelivered)
			g.Expect(c.Message).To(Equal("ConfigMap grafana-dash/dash-grafana-dashboard holds it for Grafana's dashboard sidecar (grafana_dashboard=antrea); " +
				"GrafanaDashboard grafana-dash/dash-grafana-dashboard for the Grafana objects matching dashboards=grafana."))
		}, timeout, interval).Should(Succeed())

		By("grafana-operator saying no Grafana matches: DashboardDelivered False NoMatchingGrafana")
		board.Status.NoMatchingInstances = true
		Expect(k8sClient.Status().Update(ctx, board)).To(Succeed())
		Eventually(func(g Gomega) {
			c := expectCondition(g, getAM(g, ctx, "dash"), monitoringv1alpha1.ConditionDashboardDelivered, metav1.ConditionFalse, monitoringv1alpha1.ReasonNoMatchingGrafana)
			g.Expect(c.Message).To(HavePrefix("grafana-operator found no Grafana object matching spec.dashboard.grafanaOperator.instanceSelector (dashboards=grafana) for GrafanaDashboard grafana-dash/dash-grafana-dashboard"))
		}, timeout, interval).Should(Succeed())

		By("removing grafanaOperator: the GrafanaDashboard is pruned; default labels without spec.dashboard.labels")
		am := getAM(Default, ctx, "dash")
		am.Spec.Dashboard.GrafanaOperator, am.Spec.Dashboard.Labels = nil, nil
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			g.Expect(exists(ctx, &grafana.GrafanaDashboard{}, "grafana-dash", "dash-grafana-dashboard")).To(BeFalse())
			g.Expect(getCM(g, ctx, "grafana-dash", "dash-grafana-dashboard").Labels).To(And(HaveKeyWithValue("grafana_dashboard", "1"), Not(HaveKeyWithValue("grafana_dashboard", "antrea"))))
			c := expectCondition(g, getAM(g, ctx, "dash"), monitoringv1alpha1.ConditionDashboardDelivered, metav1.ConditionTrue, monitoringv1alpha1.ReasonDashboardDelivered)
			g.Expect(c.Message).To(Equal("ConfigMap grafana-dash/dash-grafana-dashboard holds it for Grafana's dashboard sidecar (grafana_dashboard=1)."))
		}, timeout, interval).Should(Succeed())

		By("turning the dashboard off: the ConfigMap is pruned and DashboardDelivered is no longer reported")
		am = getAM(Default, ctx, "dash")
		am.Spec.Dashboard.Enabled = false
		updateSpec(ctx, am)
		Eventually(func(g Gomega) {
			g.Expect(exists(ctx, &corev1.ConfigMap{}, "grafana-dash", "dash-grafana-dashboard")).To(BeFalse())
			got := getAM(g, ctx, "dash")
			g.Expect(got.Status.Conditions).NotTo(ContainElement(HaveField("Type", monitoringv1alpha1.ConditionDashboardDelivered)))
		}, timeout, interval).Should(Succeed())
		Expect(k8sClient.Delete(ctx, am)).To(Succeed())
	})
})

// readyMessage is the Ready condition's message of AntreaMonitoring name.
func readyMessage(ctx context.Context, name string) string {
	for _, c := range getAM(Default, ctx, name).Status.Conditions {
		if c.Type == monitoringv1alpha1.ConditionReady {
			return c.Message
		}
	}
	return ""
}
