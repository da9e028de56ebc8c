//go:build e2e

// Package e2e proves scrape health end to end: a real kube-apiserver and
// etcd, a simulated Antrea whose /metrics servers authorize like Antrea
// (TokenReview, SubjectAccessReview), a real Prometheus running the
// operator's delivered jobs with Kubernetes discovery against the test
// API server, and the operator reporting what Prometheus sees.
package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

const (
	scrapeInterval = "2s"
	healthInterval = 5 * time.Second // the smallest the API admits
	// omitted is a family the simulated controller leaves out: the status must name it.
	omitted = "antrea_controller_acnp_status_updates"
)

var world *fixtures.World

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "End-to-end scrape health")
}

var _ = BeforeSuite(func() {
	if err := fixtures.RequireEnv("make test-e2e", "PROMETHEUS", "KUBEBUILDER_ASSETS", "KUBE_CONTROLLER_MANAGER"); err != nil {
		Fail(err.Error())
	}
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	bin := os.Getenv("PROMETHEUS")
	var err error
	world, err = fixtures.StartWorld(context.Background(), fixtures.WorldOptions{
		CRDDir:         filepath.Join("..", "..", "config", "crd", "bases"),
		PrometheusBin:  bin,
		Agents:         3,
		OmitMetrics:    []string{omitted},
		ScrapeInterval: scrapeInterval,
		HealthInterval: healthInterval.String(),
		Progress:       func(s string) { GinkgoWriter.Println("==> " + s) },
	})
	if err != nil && world != nil && world.Prometheus != nil {
		GinkgoWriter.Println(world.Prometheus.Logs.String())
	}
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if world != nil {
		world.Stop()
	}
})

func getAM(g Gomega) *monitoringv1alpha1.AntreaMonitoring {
	am, err := world.GetMonitoring(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	return am
}

func pool(g Gomega, am *monitoringv1alpha1.AntreaMonitoring, name string) monitoringv1alpha1.TargetHealth {
	for _, t := range am.Status.Targets {
		if t.ScrapePool == name {
			return t
		}
	}
	g.Expect(am.Status.Targets).To(ContainElement(HaveField("ScrapePool", name)))
	return monitoringv1alpha1.TargetHealth{}
}

func expectTargetsHealthy(g Gomega, am *monitoringv1alpha1.AntreaMonitoring, status metav1.ConditionStatus, reason string) *metav1.Condition {
	c := meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionTargetsHealthy)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.Status).To(Equal(status), c.Message)
	g.Expect(c.Reason).To(Equal(reason), c.Message)
	g.Expect(c.ObservedGeneration).To(Equal(am.Generation))
	return c
}

// expectControllerTLSFailure restarts the simulated controller (a new
// handshake, as after a controller restart: a connection kept alive goes
// on with the old certificate) and waits for TargetsHealthy to explain the
// failed verification with message, the controller pool's lastError
// holding lastError.
func expectControllerTLSFailure(message, lastError string, within time.Duration) {
	GinkgoHelper()
	world.Controller.Stop()
	Expect(world.Controller.Start()).To(Succeed())
	Eventually(func(g Gomega) {
		am := getAM(g)
		c := expectTargetsHealthy(g, am, metav1.ConditionFalse, monitoringv1alpha1.ReasonTLSVerificationFailed)
		g.Expect(c.Message).To(ContainSubstring("1 of 1 controller(s) down"))
		g.Expect(c.Message).To(ContainSubstring(message))
		g.Expect(pool(g, am, render.ControllersJob).LastError).To(ContainSubstring(lastError))
		GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message)
	}, within, 100*time.Millisecond).Should(Succeed())
}

// Two health intervals, plus the scrape that must fail first.
const withinTwoIntervals = 2*healthInterval + 2*time.Second

var _ = Describe("Scrape health", Ordered, func() {
	It("reaches TargetsHealthy with the right counts, and names the missing metric family", func() {
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := expectTargetsHealthy(g, am, metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
			g.Expect(c.Message).To(Equal("Every Antrea pod is scraped and up (antrea-controllers 1/1, antrea-agents 3/3)."))
			g.Expect(pool(g, am, "antrea-agents")).To(And(HaveField("Up", int32(3)), HaveField("Down", int32(0)), HaveField("LastError", "")))
			g.Expect(pool(g, am, "antrea-controllers")).To(HaveField("Up", int32(1)))
			g.Expect(pool(g, am, "antrea-agents").LastScrape).NotTo(BeNil())
			g.Expect(am.Status.TargetsSummary).To(Equal("4/4"))
			g.Expect(am.Status.MissingMetrics).To(Equal([]string{omitted}))
			ready := meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionReady)
			g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
		}, 90*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("discovers the controller through its EndpointSlice (v1 Endpoints are deprecated), the agents through their pods", func() {
		ctx := context.Background()
		Eventually(func(g Gomega) {
			roles, err := fixtures.DiscoveredBy(ctx, world.Prometheus.URL(), render.ControllersJob)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(roles).To(Equal([]string{"endpointslice"}))
			roles, err = fixtures.DiscoveredBy(ctx, world.Prometheus.URL(), render.AgentsJob)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(roles).To(Equal([]string{"pod", "pod", "pod"}))
		}, 30*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("reports the Antrea version its AntreaControllerInfo gives, and the families held at zero without FlowExporter", func() {
		Eventually(func(g Gomega) {
			am := getAM(g)
			expectTargetsHealthy(g, am, metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
			g.Expect(am.Status.AntreaVersion).To(Equal(fixtures.DefaultAntreaVersion))
			g.Expect(am.Status.AgentVersions).To(BeEmpty(), "every agent runs the controller's version")
			g.Expect(am.Status.InactiveMetrics).To(ConsistOf(And(
				HaveField("Condition", "FlowExporter"),
				HaveField("Families", ConsistOf("antrea_agent_conntrack_antrea_connection_count", "antrea_agent_conntrack_max_connection_count",
					"antrea_agent_conntrack_poll_cycle_duration_seconds", "antrea_agent_conntrack_total_connection_count",
					"antrea_agent_denied_connection_count", "antrea_agent_flow_collector_reconnection_count")),
				HaveField("Message", ContainSubstring("FlowExporter is off")))))
			// Only the family the simulated controller leaves out: the
			// inactive ones are served (at 0) and never reported missing.
			g.Expect(am.Status.MissingMetrics).To(Equal([]string{omitted}))
		}, 30*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("shows a stopped agent down, with its error, within two intervals", func() {
		world.Agents[1].Stop()
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := expectTargetsHealthy(g, am, metav1.ConditionFalse, monitoringv1alpha1.ReasonConnectionRefused)
			g.Expect(c.Message).To(ContainSubstring("1 of 3 agent(s) down (pool antrea-agents): connection refused"))
			p := pool(g, am, "antrea-agents")
			g.Expect(p.Up).To(Equal(int32(2)))
			g.Expect(p.Down).To(Equal(int32(1)))
			g.Expect(p.LastError).To(ContainSubstring("connection refused"))
			g.Expect(am.Status.TargetsSummary).To(Equal("3/4"))
		}, withinTwoIntervals, 100*time.Millisecond).Should(Succeed())
		Eventually(func(g Gomega) {
			var evs eventsv1.EventList
			g.Expect(world.Client.List(context.Background(), &evs)).To(Succeed())
			g.Expect(evs.Items).To(ContainElement(And(HaveField("Reason", monitoringv1alpha1.ReasonConnectionRefused), HaveField("Type", "Warning"),
				HaveField("Regarding.Name", world.Monitoring))), "an event on the transition")
		}, 10*time.Second, 100*time.Millisecond).Should(Succeed())
		Expect(world.Agents[1].Start()).To(Succeed())
		Eventually(func(g Gomega) {
			expectTargetsHealthy(g, getAM(g), metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
		}, 30*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("shows Antrea's 403 when Prometheus's ServiceAccount loses its binding", func() {
		// Bind the roles to another ServiceAccount: Prometheus's token no
		// longer may get /metrics, and Antrea's SubjectAccessReview says so.
		ctx := context.Background()
		am := getAM(Default)
		am.Spec.Prometheus.ScrapeConfig.ServiceAccount.Name = "other"
		Expect(fixtures.UpdateSpec(ctx, world.Client, am)).To(Succeed())
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := expectTargetsHealthy(g, am, metav1.ConditionFalse, monitoringv1alpha1.ReasonMetricsForbidden)
			g.Expect(c.Message).To(ContainSubstring("Antrea answers 403"))
			g.Expect(c.Message).To(ContainSubstring("binds ServiceAccount prometheus/other to a ClusterRole that allows it (antrea-monitoring:prometheus-antrea"))
			GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message)
			g.Expect(pool(g, am, "antrea-agents").LastError).To(ContainSubstring("403"))
			g.Expect(pool(g, am, "antrea-controllers").LastError).To(ContainSubstring("403"))
		}, 30*time.Second, 100*time.Millisecond).Should(Succeed())

		am = getAM(Default)
		am.Spec.Prometheus.ScrapeConfig.ServiceAccount.Name = fixtures.WorldPrometheusSA
		Expect(fixtures.UpdateSpec(ctx, world.Client, am)).To(Succeed())
		Eventually(func(g Gomega) {
			expectTargetsHealthy(g, getAM(g), metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
		}, 30*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("explains Antrea's 401 when Prometheus sends an invalid token", func() {
		token := filepath.Join(world.Dir, "token")
		good, err := os.ReadFile(token)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(token, []byte("not-a-token"), 0o600)).To(Succeed())
		DeferCleanup(func() { Expect(os.WriteFile(token, good, 0o600)).To(Succeed()) })
		Eventually(func(g Gomega) {
			c := expectTargetsHealthy(g, getAM(g), metav1.ConditionFalse, monitoringv1alpha1.ReasonTokenRejected)
			g.Expect(c.Message).To(ContainSubstring("Antrea answers 401: the bearer token Prometheus sends is invalid or expired"))
			g.Expect(c.Message).To(ContainSubstring("ServiceAccount prometheus/prometheus"))
			GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message)
		}, 30*time.Second, 100*time.Millisecond).Should(Succeed())
		Expect(os.WriteFile(token, good, 0o600)).To(Succeed())
		Eventually(func(g Gomega) {
			expectTargetsHealthy(g, getAM(g), metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
		}, 30*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("explains Antrea's 404 when an agent restarted with metrics off", func() {
		world.Agents[2].SetMetricsEnabled(false)
		DeferCleanup(func() { world.Agents[2].SetMetricsEnabled(true) })
		Eventually(func(g Gomega) {
			c := expectTargetsHealthy(g, getAM(g), metav1.ConditionFalse, monitoringv1alpha1.ReasonMetricsDisabled)
			g.Expect(c.Message).To(ContainSubstring("1 of 3 agent(s) down (pool antrea-agents): Antrea answers 404 on /metrics"))
			g.Expect(c.Message).To(ContainSubstring("ConfigMap kube-system/antrea-config"))
			GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message)
		}, 30*time.Second, 100*time.Millisecond).Should(Succeed())
		world.Agents[2].SetMetricsEnabled(true)
		Eventually(func(g Gomega) {
			expectTargetsHealthy(g, getAM(g), metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
		}, 30*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("reports PrometheusUnreachable while Prometheus is stopped, and recovers when it returns", func() {
		world.Prometheus.Stop()
		Eventually(func(g Gomega) {
			c := expectTargetsHealthy(g, getAM(g), metav1.ConditionUnknown, monitoringv1alpha1.ReasonPrometheusUnreachable)
			g.Expect(c.Message).To(ContainSubstring("connection refused"))
		}, withinTwoIntervals, 100*time.Millisecond).Should(Succeed())
		Expect(world.Prometheus.Start(context.Background())).To(Succeed())
		Eventually(func(g Gomega) {
			expectTargetsHealthy(g, getAM(g), metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
		}, 60*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("verifies the controller with antrea-ca: a rotation not yet republished is explained, and the republished CA is followed", func() {
		ctx := context.Background()
		By("delivering a controller job that verifies antrea.kube-system.svc with the copy of antrea-ca")
		var cm corev1.ConfigMap
		Expect(world.Client.Get(ctx, types.NamespacedName{Namespace: fixtures.WorldPrometheusNamespace, Name: render.NamesFor(world.Monitoring).ScrapeConfigs()}, &cm)).To(Succeed())
		Expect(cm.Data[render.AntreaCAKey]).To(Equal(string(world.Controller.CABundle())))
		var jobs []map[string]any
		Expect(yaml.Unmarshal([]byte(cm.Data[render.ScrapeConfigsKey]), &jobs)).To(Succeed())
		tlsOf := map[any]any{}
		for _, j := range jobs {
			tlsOf[j["job_name"]] = j["tls_config"]
		}
		Expect(tlsOf).To(Equal(map[any]any{
			render.ControllersJob: map[string]any{"ca_file": "/etc/prometheus/antrea-monitoring/antrea-ca.crt", "server_name": "antrea.kube-system.svc"},
			render.AgentsJob:      map[string]any{"insecure_skip_verify": true},
		}))
		Eventually(func(g Gomega) {
			expectTargetsHealthy(g, getAM(g), metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
			g.Expect(pool(g, getAM(g), render.ControllersJob)).To(HaveField("Up", int32(1)))
		}, 30*time.Second, 250*time.Millisecond).Should(Succeed())

		By("rotating the controller's certificate without republishing antrea-ca: verification fails, and the status says why")
		Expect(world.Controller.RotateCA()).To(Succeed())
		DeferCleanup(func() { Expect(world.Controller.PublishCA(ctx, world.Client)).To(Succeed()) })
		expectControllerTLSFailure("ConfigMap antrea-ca in namespace kube-system", "x509: certificate signed by unknown authority", withinTwoIntervals)

		By("republishing antrea-ca as antrea-controller does: the operator's copy follows and the scrape verifies again")
		Expect(world.Controller.PublishCA(ctx, world.Client)).To(Succeed())
		Eventually(func(g Gomega) {
			var cm corev1.ConfigMap
			g.Expect(world.Client.Get(ctx, types.NamespacedName{Namespace: fixtures.WorldPrometheusNamespace, Name: render.NamesFor(world.Monitoring).ScrapeConfigs()}, &cm)).To(Succeed())
			g.Expect(cm.Data[render.AntreaCAKey]).To(Equal(string(world.Controller.CABundle())))
			expectTargetsHealthy(g, getAM(g), metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
		}, 30*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("explains a controller certificate that does not name antrea.kube-system.svc (a certificate the user provides)", func() {
		ctx := context.Background()
		By("serving a certificate for another name from a CA published in antrea-ca: the authority verifies, the name does not")
		Expect(world.Controller.ServeCertificateFor("antrea-controller.example.com")).To(Succeed())
		Expect(world.Controller.PublishCA(ctx, world.Client)).To(Succeed())
		DeferCleanup(func() {
			Expect(world.Controller.ServeCertificateFor()).To(Succeed())
			Expect(world.Controller.PublishCA(ctx, world.Client)).To(Succeed())
			world.Controller.Stop()
			Expect(world.Controller.Start()).To(Succeed())
		})
		expectControllerTLSFailure("does not name antrea.kube-system.svc", "x509: certificate is valid for antrea-controller.example.com, not antrea.kube-system.svc", 2*withinTwoIntervals)
	})

	It("explains an agent that accepts connections but does not answer within the scrape timeout", func() {
		world.Agents[0].SetStalled(true)
		DeferCleanup(func() { world.Agents[0].SetStalled(false) })
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := expectTargetsHealthy(g, am, metav1.ConditionFalse, monitoringv1alpha1.ReasonScrapeTimeout)
			g.Expect(c.Message).To(ContainSubstring("1 of 3 agent(s) down (pool antrea-agents): scrapes time out"))
			g.Expect(pool(g, am, render.AgentsJob).LastError).To(ContainSubstring("context deadline exceeded"))
			GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message)
		}, 2*withinTwoIntervals, 100*time.Millisecond).Should(Succeed())
		world.Agents[0].SetStalled(false)
		Eventually(func(g Gomega) {
			expectTargetsHealthy(g, getAM(g), metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp)
		}, 30*time.Second, 250*time.Millisecond).Should(Succeed())
	})

	It("leaves nothing of its own behind once the last AntreaMonitoring is deleted, and restores Antrea", func() {
		ctx := context.Background()
		Expect(world.Client.Delete(ctx, &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: world.Monitoring}})).To(Succeed())
		// The real garbage collector (kube-controller-manager) removes what
		// the operator created; count every kind it may create, cluster-wide.
		var left map[string]int
		Eventually(func(g Gomega) {
			left = map[string]int{}
			for _, k := range render.Kinds {
				list := k.NewList()
				err := world.Client.List(ctx, list, client.MatchingLabels{render.ManagedByLabel: render.ManagedByValue})
				if meta.IsNoMatchError(err) {
					continue // prometheus-operator is not installed in this world
				}
				g.Expect(err).NotTo(HaveOccurred())
				if n := meta.LenList(list); n > 0 {
					left[k.GVK.Kind] = n
				}
			}
			g.Expect(left).To(BeEmpty())
			var cm corev1.ConfigMap
			g.Expect(world.Client.Get(ctx, types.NamespacedName{Namespace: fixtures.WorldAntreaNamespace, Name: "antrea-config"}, &cm)).To(Succeed())
			g.Expect(cm.Data[fixtures.AgentKey]).To(Equal(fixtures.AgentConfOff))
			g.Expect(cm.Data[fixtures.ControllerKey]).To(Equal(fixtures.ControllerConfOff))
		}, 60*time.Second, 250*time.Millisecond).Should(Succeed())
		AddReportEntry("objects labelled by the operator left after deleting the last AntreaMonitoring", len(left))
	})
})
