//go:build e2e

// Package promopagent proves mode PrometheusOperator with a PrometheusAgent
// as the collector, through a real prometheus-operator: it generates the
// agent's configuration from the operator's monitors, one real Prometheus
// in agent mode per shard runs it, and the AntreaMonitoring reads scrape
// health from the shards' targets API (an agent has no query API).
package promopagent

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

const (
	scrapeInterval = "2s"
	healthInterval = 5 * time.Second
	agents         = 4
	shards         = 2

	agentsPool      = "podMonitor/monitoring/antrea-agents/0"
	controllersPool = "serviceMonitor/monitoring/antrea-controllers/0"
)

var world *fixtures.PrometheusOperatorWorld

func TestPrometheusAgent(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "End-to-end: a PrometheusAgent through a real prometheus-operator")
}

var _ = BeforeSuite(func() {
	vars := []string{"PROMETHEUS", "PROMETHEUS_OPERATOR", "PROMETHEUS_OPERATOR_CRDS", "KUBEBUILDER_ASSETS", "KUBE_CONTROLLER_MANAGER"}
	if err := fixtures.RequireEnv("make test-e2e", vars...); err != nil {
		Fail(err.Error())
	}
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	var err error
	world, err = fixtures.StartPrometheusOperatorWorld(context.Background(), fixtures.PrometheusOperatorWorldOptions{
		WorldOptions: fixtures.SuiteWorldOptions(agents, scrapeInterval, healthInterval, GinkgoWriter.Println),
		OperatorBin:  os.Getenv("PROMETHEUS_OPERATOR"),
		CRDDir:       os.Getenv("PROMETHEUS_OPERATOR_CRDS"),
		Shards:       shards,
		Agent:        true,
		// The promop suite, which may run at once, has 127.0.0.2 and .3.
		FirstShardIP: 12,
	})
	if err != nil && world != nil {
		if world.Operator != nil {
			GinkgoWriter.Println(world.Operator.Logs())
		}
		for _, p := range world.Shards {
			GinkgoWriter.Println(p.Logs.String())
		}
	}
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if world != nil {
		world.Stop()
	}
})

var _ = Describe("Mode PrometheusOperator with a PrometheusAgent", Ordered, func() {
	It("is served: the monitors are selected by the agent, which selects no rules, and status names its kind", func() {
		Expect(world.Collector.Kind).To(Equal(promop.PrometheusAgentKind))
		Eventually(func(g Gomega) {
			am := getAM(g)
			g.Expect(am.Status.Mode).To(Equal(monitoringv1alpha1.ModePrometheusOperator))
			g.Expect(am.Status.PrometheusKind).To(Equal("PrometheusAgent"))
			g.Expect(am.Status.Prometheus).To(Equal(&monitoringv1alpha1.ObjectReference{Namespace: fixtures.PromOpNamespace, Name: fixtures.PromOpPrometheus}))
			c := condition(g, am, monitoringv1alpha1.ConditionScrapeConfigured)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			g.Expect(c.Message).To(HavePrefix("The monitors in namespace monitoring are selected by the PrometheusAgent monitoring/k8s. A PrometheusAgent evaluates no rules"))
			GinkgoWriter.Println("ScrapeConfigured:", c.Message)
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())

		By("reading the configuration prometheus-operator generated for the agent: both jobs, no rule files, no alerting")
		g, err := fixtures.ReadGeneratedConfig(context.Background(), world.Client, world.Collector)
		Expect(err).NotTo(HaveOccurred())
		cfg := string(g.Config)
		Expect(cfg).To(ContainSubstring("job_name: " + agentsPool))
		Expect(cfg).To(ContainSubstring("job_name: " + controllersPool))
		Expect(cfg).NotTo(ContainSubstring("rule_files"))
		Expect(cfg).NotTo(ContainSubstring("alerting:"))
		Expect(g.RuleFiles).To(BeEmpty())
		var rules promv1.PrometheusRuleList
		Expect(world.Client.List(context.Background(), &rules, client.HasLabels{render.OwnerLabel})).To(Succeed())
		Expect(rules.Items).To(HaveLen(1), "the rules are still made, for a ruler that selects them")
	})

	It("reads health from every shard's targets API: every agent and the controller counted once, healthy, and says it cannot ask for families", func() {
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := condition(g, am, monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			g.Expect(c.Message).To(ContainSubstring("agent mode: health is read from its targets API"))
			up := map[string]int32{}
			for _, t := range am.Status.Targets {
				up[t.ScrapePool] = t.Up
			}
			g.Expect(up).To(Equal(map[string]int32{agentsPool: agents, controllersPool: 1}))
			g.Expect(am.Status.TargetsSummary).To(Equal(fmt.Sprintf("%d/%d", agents+1, agents+1)))
			g.Expect(am.Status.MissingMetrics).To(BeEmpty(), "an agent cannot be asked for families")
			g.Expect(meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionAlertsDelivered)).To(BeNil(), "an agent sends no alerts")
			g.Expect(condition(g, am, monitoringv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
			GinkgoWriter.Println("TargetsHealthy:", c.Message)
		}).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(Succeed())

		By("asking each shard directly: together they scrape every target once, and none has a query API")
		total := 0
		for i, p := range world.Shards {
			c := &health.Client{HTTP: http.DefaultClient, BaseURL: p.URL()}
			n := 0
			for _, pool := range []string{agentsPool, controllersPool} {
				rep, err := c.Targets(context.Background(), pool)
				Expect(err).NotTo(HaveOccurred())
				n += int(rep.Health.Up + rep.Health.Down + rep.Health.Unknown)
			}
			GinkgoWriter.Printf("agent shard %d (%s) scrapes %d of the %d Antrea targets\n", i, p.URL(), n, agents+1)
			total += n
			_, err := c.MetricNames(context.Background())
			Expect(err).To(HaveOccurred(), "shard %d runs in agent mode", i)
		}
		Expect(total).To(Equal(agents + 1))
	})

	It("sees an agent whose metrics stop, from whichever shard scrapes it, and its recovery", func() {
		world.Agents[0].SetMetricsEnabled(false)
		DeferCleanup(func() { world.Agents[0].SetMetricsEnabled(true) })
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := condition(g, am, monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse), c.Message)
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonMetricsDisabled), c.Message)
			g.Expect(c.Message).To(ContainSubstring(fmt.Sprintf("1 of %d agent(s) down (pool %s): Antrea answers 404 on /metrics", agents, agentsPool)))
			g.Expect(am.Status.Targets).To(ContainElement(And(HaveField("ScrapePool", agentsPool), HaveField("Up", int32(agents-1)), HaveField("Down", int32(1)))))
			GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message)
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
		world.Agents[0].SetMetricsEnabled(true)
		Eventually(func(g Gomega) {
			c := condition(g, getAM(g), monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	})

	It("says when a shard has no ready pod, instead of judging half the targets", func() {
		ctx := context.Background()
		var pods []string
		Eventually(func(g Gomega) {
			list, err := world.Kube.CoreV1().Pods(fixtures.PromOpNamespace).List(ctx, metav1.ListOptions{LabelSelector: promop.NameLabel + "=" + fixtures.PromOpPrometheus})
			g.Expect(err).NotTo(HaveOccurred())
			pods = nil
			for _, p := range list.Items {
				pods = append(pods, p.Name)
			}
			g.Expect(pods).To(HaveLen(shards))
		}).Should(Succeed())
		last := pods[len(pods)-1]
		Expect(strings.HasPrefix(last, "prom-agent-k8s-shard-1")).To(BeTrue(), last)
		p, err := world.Kube.CoreV1().Pods(fixtures.PromOpNamespace).Get(ctx, last, metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		ready := p.Status.DeepCopy()
		p.Status.Conditions[0].Status = "False"
		_, err = world.Kube.CoreV1().Pods(fixtures.PromOpNamespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			c := condition(g, getAM(g), monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionUnknown), c.Message)
			g.Expect(c.Message).To(Equal(fmt.Sprintf("PrometheusAgent monitoring/k8s has %d shard(s); no ready pod serves shard 1, so its targets cannot be checked.", shards)))
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
		p, err = world.Kube.CoreV1().Pods(fixtures.PromOpNamespace).Get(ctx, last, metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		p.Status = *ready
		_, err = world.Kube.CoreV1().Pods(fixtures.PromOpNamespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			c := condition(g, getAM(g), monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	})
})

func getAM(g Gomega) *monitoringv1alpha1.AntreaMonitoring {
	am, err := world.GetMonitoring(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	return am
}

// condition is am's condition of type t, which must be there.
func condition(g Gomega, am *monitoringv1alpha1.AntreaMonitoring, t string) *metav1.Condition {
	c := meta.FindStatusCondition(am.Status.Conditions, t)
	g.Expect(c).NotTo(BeNil(), t)
	return c
}
