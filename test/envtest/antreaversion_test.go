//go:build envtest

package envtest

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

// publish writes one of Antrea's info objects as Antrea's processes do.
func publish(ctx context.Context, u *unstructured.Unstructured) {
	GinkgoHelper()
	Expect(k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("antrea-"+u.GetName()), client.ForceOwnership)).To(Succeed())
}

// inactive returns the families status.inactiveMetrics holds for a condition.
func inactive(am *monitoringv1alpha1.AntreaMonitoring, condition string) []string {
	for _, m := range am.Status.InactiveMetrics {
		if m.Condition == condition {
			return m.Families
		}
	}
	return nil
}

// This container alone installs Antrea's CRDs (crd.antrea.io): before it
// does, no AntreaMonitoring can know Antrea's version.
var _ = Describe("Antrea's version and features", Ordered, func() {
	const ns = "antrea-version"
	ctx := context.Background()

	It("is unknown while Antrea's CRDs are absent, is learnt once they are installed, and follows upgrades and confs", func() {
		antrea(ctx, ns, "antrea-config", fixtures.AgentConfOn, fixtures.ControllerConfOn)
		Expect(k8sClient.Create(ctx, monitoring("version", ns))).To(Succeed())
		DeferCleanup(func() { deleteAndWaitGone(ctx, "version") })

		By("reporting no version without Antrea's CRDs, and the families every release holds at zero without FlowExporter")
		var crd apiextensionsv1.CustomResourceDefinition
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, clientKey("antreacontrollerinfos.crd.antrea.io"), &crd))).To(BeTrue(), "the CRD is installed by this spec only")
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "version")
			expectCondition(g, am, monitoringv1alpha1.ConditionAntreaMetricsEnabled, metav1.ConditionTrue, monitoringv1alpha1.ReasonMetricsEnabled)
			g.Expect(am.Status.AntreaVersion).To(BeEmpty())
			g.Expect(am.Status.AgentVersions).To(BeEmpty())
			g.Expect(inactive(am, "FlowExporter")).To(ContainElements("antrea_agent_conntrack_total_connection_count", "antrea_agent_denied_connection_count"))
			g.Expect(inactive(am, "FlowExporter")).NotTo(ContainElement("antrea_agent_conntrack_poll_cycle_duration_seconds"), "not served by every release (v2.5.0+)")
		}, timeout, interval).Should(Succeed())

		By("installing Antrea's CRDs while the operator runs, then the objects antrea-controller and two agents write")
		_, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{fixtures.AntreaCRDDir()}, ErrorIfPathMissing: true})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			for _, o := range []*unstructured.Unstructured{fixtures.AntreaControllerInfo("", "", "", "", 0), fixtures.AntreaAgentInfo("node-a", "", "", "", 0, nil), fixtures.AntreaAgentInfo("node-b", "", "", "", 0, nil)} {
				Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, o))).To(Succeed())
			}
		})
		publish(ctx, fixtures.AntreaControllerInfo("v1.12.2", ns, "antrea-controller-1", "node-a", 10349))
		publish(ctx, fixtures.AntreaAgentInfo("node-a", "v1.12.2", ns, "antrea-agent-a", 10350, nil))
		publish(ctx, fixtures.AntreaAgentInfo("node-b", "v1.13.0", ns, "antrea-agent-b", 10350, []byte("-----BEGIN CERTIFICATE-----\n")))
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "version")
			g.Expect(am.Status.AntreaVersion).To(Equal("v1.12.2"))
			g.Expect(am.Status.AgentVersions).To(Equal([]string{"v1.12.2", "v1.13.0"}), "an agent runs another version")
			g.Expect(am.Status.ObservedGeneration).To(Equal(am.Generation))
		}, timeout, interval).Should(Succeed())

		By("ignoring the heartbeats Antrea writes every minute")
		attempt := 0
		Eventually(func(g Gomega) {
			attempt++
			n := reconcileTotal()
			for _, node := range []string{"node-a", "node-b"} {
				var aai unstructured.Unstructured
				aai.SetAPIVersion("crd.antrea.io/v1beta1")
				aai.SetKind("AntreaAgentInfo")
				g.Expect(k8sClient.Get(ctx, clientKey(node), &aai)).To(Succeed())
				g.Expect(unstructured.SetNestedSlice(aai.Object, []any{map[string]any{"type": "AgentHealthy", "status": "True",
					"lastHeartbeatTime": time.Now().Add(time.Duration(attempt) * time.Second).UTC().Format(time.RFC3339)}}, "agentConditions")).To(Succeed())
				g.Expect(k8sClient.Update(ctx, &aai)).To(Succeed())
			}
			g.Consistently(reconcileTotal, 2*time.Second, 100*time.Millisecond).Should(Equal(n), "a heartbeat woke the reconciler")
		}, 3*timeout, interval).Should(Succeed())

		By("following an upgrade to v2.7.0: the version, and the families that release holds at zero")
		publish(ctx, fixtures.AntreaControllerInfo("v2.7.0", ns, "antrea-controller-1", "node-a", 10349))
		publish(ctx, fixtures.AntreaAgentInfo("node-a", "v2.7.0", ns, "antrea-agent-a", 10350, []byte("-----BEGIN CERTIFICATE-----\n")))
		publish(ctx, fixtures.AntreaAgentInfo("node-b", "v2.7.0", ns, "antrea-agent-b", 10350, []byte("-----BEGIN CERTIFICATE-----\n")))
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "version")
			g.Expect(am.Status.AntreaVersion).To(Equal("v2.7.0"))
			g.Expect(am.Status.AgentVersions).To(BeEmpty(), "every agent runs antreaVersion")
			g.Expect(inactive(am, "FlowExporter")).To(ContainElements("antrea_agent_conntrack_total_connection_count", "antrea_agent_conntrack_poll_cycle_duration_seconds"))
		}, timeout, interval).Should(Succeed())

		By("turning FlowExporter on in antrea-agent.conf: its families are no longer inactive")
		cm := getCM(Default, ctx, ns, "antrea-config")
		conf := strings.Replace(cm.Data[agentKey], "featureGates:\n", "featureGates:\n  FlowExporter: true\n", 1) + "\nflowExporter:\n  enable: true\n"
		Expect(conf).To(ContainSubstring("FlowExporter: true"))
		cm.Data[agentKey] = conf
		Expect(k8sClient.Update(ctx, cm)).To(Succeed())
		Eventually(func(g Gomega) {
			am := getAM(g, ctx, "version")
			g.Expect(inactive(am, "FlowExporter")).To(BeEmpty())
			g.Expect(am.Status.InactiveMetrics).NotTo(ContainElement(HaveField("Condition", "FlowExporter")))
		}, timeout, interval).Should(Succeed())
	})

	It("shows the version in kubectl's columns", func() {
		var crd apiextensionsv1.CustomResourceDefinition
		Expect(k8sClient.Get(ctx, clientKey("antreamonitorings.monitoring.antrea.io"), &crd)).To(Succeed())
		Expect(crd.Spec.Versions[0].AdditionalPrinterColumns).To(ContainElement(And(
			HaveField("Name", "Antrea"), HaveField("JSONPath", ".status.antreaVersion"))))
	})
})
