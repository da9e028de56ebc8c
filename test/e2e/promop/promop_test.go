//go:build e2e

// Package promop proves scrape health through a real prometheus-operator:
// it turns the operator's monitors into the generated configuration of a
// sharded Prometheus, one real Prometheus process per shard runs it, and
// the AntreaMonitoring reports what the shards see together.
package promop

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
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
)

var world *fixtures.PrometheusOperatorWorld

func TestPrometheusOperator(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "End-to-end through a real prometheus-operator")
}

var _ = BeforeSuite(func() {
	vars := []string{"PROMETHEUS", "PROMETHEUS_OPERATOR", "PROMETHEUS_OPERATOR_CRDS", "KUBEBUILDER_ASSETS", "KUBE_CONTROLLER_MANAGER"}
	if err := fixtures.RequireEnv("make test-e2e", vars...); err != nil {
		Fail(err.Error())
	}
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	env := map[string]string{}
	for _, k := range vars {
		env[k] = os.Getenv(k)
	}
	var err error
	world, err = fixtures.StartPrometheusOperatorWorld(context.Background(), fixtures.PrometheusOperatorWorldOptions{
		WorldOptions:  fixtures.SuiteWorldOptions(agents, scrapeInterval, healthInterval, GinkgoWriter.Println),
		OperatorBin:   env["PROMETHEUS_OPERATOR"],
		CRDDir:        env["PROMETHEUS_OPERATOR_CRDS"],
		Shards:        2,
		PauseRollouts: true,
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

func getAM(g Gomega) *monitoringv1alpha1.AntreaMonitoring {
	am, err := world.GetMonitoring(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	return am
}

var _ = Describe("Scrape health through a real prometheus-operator and a sharded Prometheus", Ordered, func() {
	It("while Antrea's pods still run with metrics off: names them, and explains the 404", func() {
		Eventually(func(g Gomega) {
			am := getAM(g)
			m := condition(g, am, monitoringv1alpha1.ConditionAntreaMetricsEnabled)
			g.Expect(m.Reason).To(Equal(monitoringv1alpha1.ReasonRestartInProgress), m.Message)
			g.Expect(m.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(m.Message).To(ContainSubstring(fmt.Sprintf("%d Antrea pod(s) still run with the configuration from before the operator's edit", agents+1)))
			g.Expect(m.Message).To(ContainSubstring("kube-system/" + fixtures.AgentPodName(0)))
			c := condition(g, am, monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonMetricsDisabled), c.Message)
			g.Expect(c.Message).To(ContainSubstring("Antrea answers 404 on /metrics"))
			g.Expect(c.Message).To(ContainSubstring("ConfigMap kube-system/antrea-config"))
			GinkgoWriter.Println("AntreaMetricsEnabled:", m.Reason, m.Message)
			GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message)
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
		By("letting the rollout replace the pods")
		world.Rollouts.Resume()
		Eventually(func(g Gomega) {
			m := condition(g, getAM(g), monitoringv1alpha1.ConditionAntreaMetricsEnabled)
			g.Expect(m.Status).To(Equal(metav1.ConditionTrue), m.Message)
		}).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	})

	It("merges both shards: every agent and the controller are counted once, and the pools are healthy", func() {
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := condition(g, am, monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			up := upByPool(am)
			g.Expect(up).To(Equal(map[string]int32{agentsPool: agents, controllersPool: 1}), "each target counted once, from whichever shard scrapes it")
			g.Expect(am.Status.Targets).To(HaveEach(HaveField("Down", BeZero())))
			g.Expect(am.Status.TargetsSummary).To(Equal(fmt.Sprintf("%d/%d", agents+1, agents+1)))
			GinkgoWriter.Println("pools:", up, "message:", c.Message)
			// The Prometheus has no spec.alerting: the shipped rules notify nobody, which is
			// said, without holding Ready back.
			a := condition(g, am, monitoringv1alpha1.ConditionAlertsDelivered)
			g.Expect(a.Status).To(Equal(metav1.ConditionFalse), a.Message)
			g.Expect(a.Reason).To(Equal(monitoringv1alpha1.ReasonNoAlertmanager))
			g.Expect(a.Message).To(ContainSubstring("spec.alerting of Prometheus"))
			g.Expect(condition(g, am, monitoringv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	})

	It("has the real prometheus-operator discover the controller through its EndpointSlice (serviceDiscoveryRole), the agents through their pods", func() {
		Eventually(func(g Gomega) {
			byPool := map[string][]string{}
			for _, p := range world.Shards {
				for _, pool := range []string{controllersPool, agentsPool} {
					roles, err := fixtures.DiscoveredBy(context.Background(), p.URL(), pool)
					g.Expect(err).NotTo(HaveOccurred())
					byPool[pool] = append(byPool[pool], roles...)
				}
			}
			g.Expect(byPool[controllersPool]).To(ConsistOf("endpointslice"))
			g.Expect(byPool[agentsPool]).To(HaveLen(agents))
			g.Expect(byPool[agentsPool]).To(HaveEach("pod"))
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	})

	It("loads the alerts of the operator's PrometheusRule, through prometheus-operator's rule files, on every shard", func() {
		ctx := context.Background()
		Eventually(func(g Gomega) {
			// The rule follows the Antrea version the operator learns, so
			// read it anew, and let the shards load prometheus-operator's
			// current rule files (the config-reloader's job in a pod).
			var rules promv1.PrometheusRuleList
			g.Expect(world.Client.List(ctx, &rules, client.HasLabels{render.OwnerLabel})).To(Succeed())
			g.Expect(rules.Items).To(HaveLen(1))
			want := map[string][]string{}
			for _, grp := range rules.Items[0].Spec.Groups {
				for _, r := range grp.Rules {
					want[grp.Name] = append(want[grp.Name], r.Alert)
				}
			}
			g.Expect(want).NotTo(BeEmpty())
			g.Expect(world.WaitForJobs(ctx, agentsPool)).To(Succeed())
			for i, p := range world.Shards {
				got, _, unhealthy, err := fixtures.LoadedAlerts(ctx, p.URL())
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(unhealthy).To(BeEmpty())
				g.Expect(got).To(Equal(want), "shard %d", i)
			}
		}).WithTimeout(time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	})

	It("is not healthy while antrea-controller runs but its Service has no endpoint (0 targets in the controllers pool)", func() {
		ctx := context.Background()
		By("emptying the Endpoints and EndpointSlice of Service antrea, as the endpoint controllers do while the controller is not ready")
		restore := emptyControllerEndpoints(ctx)
		Eventually(func(g Gomega) {
			c := condition(g, getAM(g), monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse), c.Message)
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonNoTargets), c.Message)
			g.Expect(c.Message).To(ContainSubstring("Pool %s has no target although Antrea runs 1 controller(s) in kube-system", controllersPool))
			GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message)
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
		restore()
		expectHealthy()
	})

	It("splits the targets between the two shards, which the operator adds up", func() {
		ctx := context.Background()
		total := 0
		for i, p := range world.Shards {
			c := &health.Client{HTTP: http.DefaultClient, BaseURL: p.URL()}
			n := 0
			for _, pool := range []string{"podMonitor/monitoring/antrea-agents/0", "serviceMonitor/monitoring/antrea-controllers/0"} {
				rep, err := c.Targets(ctx, pool)
				Expect(err).NotTo(HaveOccurred())
				n += int(rep.Health.Up + rep.Health.Down + rep.Health.Unknown)
			}
			GinkgoWriter.Printf("shard %d (%s) scrapes %d of the %d Antrea targets\n", i, p.URL(), n, agents+1)
			// Which shard scrapes a target is the hashmod of its address
			// (random ports here), so the split varies from run to run.
			total += n
		}
		Expect(total).To(Equal(agents+1), "the shards together scrape every target once")

		By("verifying the controller's TLS with the copy of antrea-ca next to the monitors")
		g, err := fixtures.ReadGeneratedConfig(ctx, world.Client, world.Collector)
		Expect(err).NotTo(HaveOccurred())
		var cfg struct {
			ScrapeConfigs []struct {
				JobName   string         `json:"job_name"`
				TLSConfig map[string]any `json:"tls_config"`
			} `json:"scrape_configs"`
		}
		Expect(yaml.Unmarshal(g.Config, &cfg)).To(Succeed())
		tlsOf := map[string]map[string]any{}
		for _, j := range cfg.ScrapeConfigs {
			tlsOf[j.JobName] = j.TLSConfig
		}
		Expect(tlsOf).To(HaveKeyWithValue("serviceMonitor/monitoring/antrea-controllers/0", map[string]any{
			"ca_file":     "/etc/prometheus/certs/1_monitoring_antrea-antrea-ca_ca.crt",
			"server_name": "antrea.kube-system.svc",
		}))
		Expect(tlsOf).To(HaveKeyWithValue("podMonitor/monitoring/antrea-agents/0", HaveKeyWithValue("insecure_skip_verify", true)))
		Expect(string(g.TLSAssets["1_monitoring_antrea-antrea-ca_ca.crt"])).To(Equal(string(world.Controller.CABundle())))

		By("querying the shards with the jobs of Antrea's guide, as in every other mode")
		expectUpPerJob(ctx)
		_, jobs := shardInstances(Default, "up")
		Expect(jobs).To(HaveEach(BeElementOf(render.AgentsJob, render.ControllersJob)), "no series keeps prometheus-operator's own job label")
		am := getAM(Default)
		Expect(am.Status.TargetsSummary).To(Equal(fmt.Sprintf("%d/%d", agents+1, agents+1)))
	})

	It("scrapes a Windows agent, whose container declares no port, on the apiPort of its AntreaAgentInfo, and names it when it is down", func() {
		ctx := context.Background()
		const pod, node = "antrea-agent-windows-7xk2d", "win-node-1"
		win, err := fixtures.NewAntreaServer(world.Kube, fixtures.AntreaServerOptions{Component: fixtures.ComponentAgent, Namespace: fixtures.WorldAntreaNamespace})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(win.Stop)
		win.SetMetricsEnabled(true)
		info := fixtures.AntreaAgentInfo(node, "v2.7.0", fixtures.WorldAntreaNamespace, pod, win.Port(), win.CABundle())
		Expect(world.Client.Create(ctx, info)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(world.Client.Delete(ctx, info))).To(Succeed()) })
		p, err := fixtures.WindowsAgentPod(ctx, world.Client, fixtures.WorldAntreaNamespace, pod, node)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(world.Client.Delete(ctx, p))).To(Succeed()) })
		By("waiting for the PodMonitor's port-less rule to carry that apiPort in prometheus-operator's configuration")
		Expect(world.WaitForJobs(ctx, fmt.Sprintf("${1}:%d", win.Port()))).To(Succeed())

		Eventually(func(g Gomega) {
			got, _ := shardInstances(g, fmt.Sprintf("up{job=%q}", render.AgentsJob))
			g.Expect(got).To(HaveKeyWithValue(node+";"+pod, "1"))
			g.Expect(got).To(HaveLen(agents + 1))
			c := condition(g, getAM(g), monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			g.Expect(c.Message).To(ContainSubstring(fmt.Sprintf("podMonitor/monitoring/antrea-agents/0 %d/%d", agents+1, agents+1)))
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())

		By("stopping the Windows agent: the status names it")
		win.Stop()
		Eventually(func(g Gomega) {
			c := condition(g, getAM(g), monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse), c.Message)
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonConnectionRefused), c.Message)
			g.Expect(c.Message).To(ContainSubstring(fmt.Sprintf("1 of %d agent(s) down", agents+1)))
			GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message)
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
		// No kubelet confirms a graceful deletion here: delete at once.
		Expect(world.Client.Delete(ctx, p, client.GracePeriodSeconds(0))).To(Succeed())
		expectHealthy()
	})

	It("says ScrapeConfigured=False when prometheus-operator rejects the monitors (empty token Secret), and recovers", func() {
		ctx := context.Background()
		recover := rejectMonitors(ctx)
		Eventually(func(g Gomega) {
			c := condition(g, getAM(g), monitoringv1alpha1.ConditionScrapeConfigured)
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse), c.Message)
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonRejectedByPrometheusOperator))
			g.Expect(c.Message).To(ContainSubstring("prometheus-operator rejected PodMonitor monitoring/antrea-agents for Prometheus monitoring/k8s"))
			GinkgoWriter.Println("ScrapeConfigured:", c.Reason, c.Message)
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
		recover()
	})

	It("without prometheus-operator's status bindings (its feature gate off), reads the rejection from its events, confirmed by the generated configuration", func() {
		ctx := context.Background()
		By("restarting prometheus-operator without StatusForConfigurationResources, on monitors it never wrote bindings on")
		var err error
		world.Operator, err = world.Operator.Restart(ctx, false)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			var err error
			world.Operator, err = world.Operator.Restart(ctx, true)
			Expect(err).NotTo(HaveOccurred())
		})
		clearBindings(ctx)
		By("the previous spec's InvalidConfiguration events are still there, but the monitors are in the generated configuration: no rejection")
		// Clearing the bindings wakes the operator at once; two check
		// intervals see several reconciles.
		Consistently(func(g Gomega) {
			c := condition(g, getAM(g), monitoringv1alpha1.ConditionScrapeConfigured)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}).WithTimeout(2 * healthInterval).WithPolling(500 * time.Millisecond).Should(Succeed())
		var events corev1.EventList
		Expect(world.Client.List(ctx, &events, client.InNamespace(fixtures.PromOpNamespace), client.MatchingFields{"reason": promop.InvalidConfigurationReason})).To(Succeed())
		Expect(events.Items).NotTo(BeEmpty(), "the stale events this spec must not be fooled by")

		recover := rejectMonitors(ctx)
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := condition(g, am, monitoringv1alpha1.ConditionScrapeConfigured)
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse), c.Message)
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonRejectedByPrometheusOperator))
			g.Expect(c.Message).To(ContainSubstring("prometheus-operator rejected PodMonitor monitoring/antrea-agents for Prometheus monitoring/k8s, so it is not in its configuration (its InvalidConfiguration event: "))
			g.Expect(c.ObservedGeneration).To(Equal(am.Generation))
			GinkgoWriter.Println("ScrapeConfigured:", c.Reason, c.Message)
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
		recover()
	})

	It("through ScrapeConfig objects (useScrapeConfig): the real prometheus-operator turns them into jobs, and every target is healthy", func() {
		ctx := context.Background()
		am := getAM(Default)
		am.Spec.Prometheus.PrometheusOperator.UseScrapeConfig = true
		Expect(fixtures.UpdateSpec(ctx, world.Client, am)).To(Succeed())
		By("waiting for prometheus-operator's configuration to hold the ScrapeConfig objects' jobs")
		Expect(world.WaitForJobs(ctx, "scrapeConfig/monitoring/antrea-agents")).To(Succeed())
		Expect(world.WaitForJobs(ctx, "scrapeConfig/monitoring/antrea-controllers")).To(Succeed())
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := condition(g, am, monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			g.Expect(c.ObservedGeneration).To(Equal(am.Generation))
			up := upByPool(am)
			g.Expect(up).To(Equal(map[string]int32{"scrapeConfig/monitoring/antrea-agents": agents, "scrapeConfig/monitoring/antrea-controllers": 1}))
			GinkgoWriter.Println("pools:", up, "message:", c.Message)
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
		expectUpPerJob(ctx)
	})
})

// The pools prometheus-operator makes of the operator's monitors.
const (
	agentsPool      = "podMonitor/monitoring/antrea-agents/0"
	controllersPool = "serviceMonitor/monitoring/antrea-controllers/0"
)

// rejectMonitors makes prometheus-operator reject the monitors: it stops
// kube-controller-manager and deletes the monitors' token Secret, which the
// operator recreates and nobody fills. The function it returns starts
// kube-controller-manager again and waits until the token is written, the
// monitors are back in the configuration and the pools healthy.
func rejectMonitors(ctx context.Context) func() {
	GinkgoHelper()
	By("stopping kube-controller-manager, so a new token Secret stays empty")
	world.ControllerManager.Stop()
	world.ControllerManager = nil
	DeferCleanup(func() {
		if world.ControllerManager == nil {
			var err error
			world.ControllerManager, err = fixtures.StartControllerManager(ctx, world.Env, world.Client)
			Expect(err).NotTo(HaveOccurred())
		}
	})
	token := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: fixtures.PromOpNamespace, Name: render.NamesFor(world.Monitoring).MetricsReaderToken()}}
	Expect(world.Client.Delete(ctx, token)).To(Succeed())
	return func() {
		GinkgoHelper()
		By("starting kube-controller-manager again: the token is written, prometheus-operator accepts the monitors")
		var err error
		world.ControllerManager, err = fixtures.StartControllerManager(ctx, world.Env, world.Client)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			c := condition(g, getAM(g), monitoringv1alpha1.ConditionScrapeConfigured)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
		Expect(world.WaitForJobs(ctx, "antrea-agents")).To(Succeed())
		expectHealthy()
	}
}

// clearBindings removes status.bindings from the operator's monitors and
// rules, as on a cluster whose prometheus-operator never wrote them.
func clearBindings(ctx context.Context) {
	GinkgoHelper()
	var pms promv1.PodMonitorList
	var sms promv1.ServiceMonitorList
	var prs promv1.PrometheusRuleList
	owned := client.HasLabels{render.OwnerLabel}
	Expect(world.Client.List(ctx, &pms, owned)).To(Succeed())
	Expect(world.Client.List(ctx, &sms, owned)).To(Succeed())
	Expect(world.Client.List(ctx, &prs, owned)).To(Succeed())
	var objs []client.Object
	for i := range pms.Items {
		pms.Items[i].Status = promv1.ConfigResourceStatus{}
		objs = append(objs, &pms.Items[i])
	}
	for i := range sms.Items {
		sms.Items[i].Status = promv1.ConfigResourceStatus{}
		objs = append(objs, &sms.Items[i])
	}
	for i := range prs.Items {
		prs.Items[i].Status = promv1.ConfigResourceStatus{}
		objs = append(objs, &prs.Items[i])
	}
	Expect(objs).To(HaveLen(3))
	for _, o := range objs {
		Expect(world.Client.Status().Update(ctx, o)).To(Succeed())
	}
}

// emptyControllerEndpoints removes the addresses of Service antrea's
// Endpoints and EndpointSlice; the function it returns puts them back.
func emptyControllerEndpoints(ctx context.Context) func() {
	GinkgoHelper()
	var ep corev1.Endpoints //nolint:staticcheck // Prometheus's role endpoints reads v1 Endpoints
	Expect(world.Client.Get(ctx, client.ObjectKey{Namespace: fixtures.WorldAntreaNamespace, Name: "antrea"}, &ep)).To(Succeed())
	var slices discoveryv1.EndpointSliceList
	Expect(world.Client.List(ctx, &slices, client.InNamespace(fixtures.WorldAntreaNamespace), client.MatchingLabels{discoveryv1.LabelServiceName: "antrea"})).To(Succeed())
	Expect(slices.Items).NotTo(BeEmpty())
	subsets := ep.Subsets //nolint:staticcheck
	ep.Subsets = nil      //nolint:staticcheck
	Expect(world.Client.Update(ctx, &ep)).To(Succeed())
	endpoints := map[string][]discoveryv1.Endpoint{}
	for i := range slices.Items {
		endpoints[slices.Items[i].Name] = slices.Items[i].Endpoints
		slices.Items[i].Endpoints = nil
		Expect(world.Client.Update(ctx, &slices.Items[i])).To(Succeed())
	}
	return func() {
		GinkgoHelper()
		Expect(world.Client.Get(ctx, client.ObjectKeyFromObject(&ep), &ep)).To(Succeed())
		ep.Subsets = subsets //nolint:staticcheck
		Expect(world.Client.Update(ctx, &ep)).To(Succeed())
		for i := range slices.Items {
			s := &slices.Items[i]
			Expect(world.Client.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
			s.Endpoints = endpoints[s.Name]
			Expect(world.Client.Update(ctx, s)).To(Succeed())
		}
	}
}

// expectUpPerJob checks that the shards together hold up == 1, under the
// jobs of Antrea's guide, for every running Antrea pod.
func expectUpPerJob(ctx context.Context) {
	GinkgoHelper()
	for job, component := range map[string]string{render.AgentsJob: render.ComponentAgent, render.ControllersJob: render.ComponentController} {
		want, err := world.UpInstances(ctx, component)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			got, jobs := shardInstances(g, fmt.Sprintf("up{job=%q}", job))
			g.Expect(jobs).To(HaveEach(job))
			g.Expect(got).To(Equal(want), job)
		}).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Succeed())
	}
}

// upByPool is each pool's count of up targets in the status.
func upByPool(am *monitoringv1alpha1.AntreaMonitoring) map[string]int32 {
	up := map[string]int32{}
	for _, t := range am.Status.Targets {
		up[t.ScrapePool] = t.Up
	}
	return up
}

// shardInstances runs query on every shard and merges the answers (each
// shard scrapes a part of the targets): instance to value, and the job of
// every series.
func shardInstances(g Gomega, query string) (map[string]string, []string) {
	got := map[string]string{}
	var jobs []string
	for _, p := range world.Shards {
		values, j, err := fixtures.Instances(context.Background(), p.URL(), query)
		g.Expect(err).NotTo(HaveOccurred())
		maps.Copy(got, values)
		jobs = append(jobs, j...)
	}
	return got, jobs
}

// condition is am's condition of type t, which must be there.
func condition(g Gomega, am *monitoringv1alpha1.AntreaMonitoring, t string) *metav1.Condition {
	c := meta.FindStatusCondition(am.Status.Conditions, t)
	g.Expect(c).NotTo(BeNil(), t)
	return c
}

func expectHealthy() {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		c := condition(g, getAM(g), monitoringv1alpha1.ConditionTargetsHealthy)
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
	}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
}
