//go:build e2e

// Package managed proves mode Managed end to end: a real Prometheus runs
// the prometheus.yml the operator put in the managed ConfigMap (with only
// the out-of-cluster patches fixtures.ManagedRunnableConfig lists), as the
// ServiceAccount the operator created and bound, discovers Antrea from the
// API server, scrapes the Antrea-like servers through their TokenReview and
// SubjectAccessReview, and loads the operator's alerting rules.
package managed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
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
	healthInterval = 5 * time.Second
	agents         = 3
	namespace      = "monitoring"
)

var world *fixtures.ManagedWorld

func TestManaged(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "End-to-end in mode Managed with a real Prometheus")
}

var _ = BeforeSuite(func() {
	if err := fixtures.RequireEnv("make test-e2e", "PROMETHEUS", "KUBEBUILDER_ASSETS", "KUBE_CONTROLLER_MANAGER"); err != nil {
		Fail(err.Error())
	}
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	var err error
	world, err = fixtures.StartManagedWorld(context.Background(), fixtures.ManagedWorldOptions{
		WorldOptions: fixtures.SuiteWorldOptions(agents, scrapeInterval, healthInterval, GinkgoWriter.Println),
		Namespace:    namespace,
	})
	if err != nil && world != nil && world.Prometheus != nil {
		GinkgoWriter.Println(world.Prometheus.Logs.String())
	}
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Println("Runnable managed configuration:\n" + world.Runnable)
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

var _ = Describe("Mode Managed's configuration in a real Prometheus", Ordered, func() {
	It("scrapes every Antrea target as the managed ServiceAccount the operator bound: TargetsHealthy=True, TargetsUp", func() {
		sa := world.ServiceAccount
		Expect(sa).To(Equal(types.NamespacedName{Namespace: namespace, Name: render.NamesFor(world.Monitoring).Prometheus()}))
		var crb rbacv1.ClusterRoleBinding
		Expect(world.Client.Get(context.Background(), client.ObjectKey{Name: render.NamesFor(world.Monitoring).PrometheusBinding()}, &crb)).To(Succeed())
		Expect(crb.RoleRef.Name).To(Equal(render.PrometheusClusterRole))
		Expect(crb.Subjects).To(ContainElement(rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: sa.Namespace, Name: sa.Name}))

		Eventually(func(g Gomega) {
			am := getAM(g)
			c := meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonTargetsUp))
			g.Expect(c.ObservedGeneration).To(Equal(am.Generation))
			g.Expect(am.Status.Mode).To(Equal(monitoringv1alpha1.ModeManaged))
			pools := map[string]monitoringv1alpha1.TargetHealth{}
			for _, t := range am.Status.Targets {
				pools[t.ScrapePool] = t
			}
			g.Expect(pools).To(HaveLen(2))
			g.Expect(pools[render.ControllersJob]).To(MatchTargets(1))
			g.Expect(pools[render.AgentsJob]).To(MatchTargets(agents))
			g.Expect(am.Status.TargetsSummary).To(Equal(fmt.Sprintf("%d/%d", agents+1, agents+1)))
			GinkgoWriter.Println("TargetsHealthy:", c.Reason, c.Message, "summary:", am.Status.TargetsSummary)
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	})

	It("has up == 1 for every agent and the controller, labelled by the managed relabel rules", func() {
		Eventually(func(g Gomega) {
			g.Expect(upSeries(g, render.AgentsJob)).To(Equal(expectedInstances(g, fixtures.ComponentAgent)))
			g.Expect(upSeries(g, render.ControllersJob)).To(Equal(expectedInstances(g, fixtures.ComponentController)))
		}).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Succeed())
	})

	It("loads and evaluates the alerting rules the managed ConfigMap ships", func() {
		want := shippedAlerts()
		Expect(want).NotTo(BeEmpty(), "mode Managed ships alerting rules by default")
		ruleFile := filepath.Join(world.Mounts.ConfigDir, render.RulesKey)
		Eventually(func(g Gomega) {
			got, files, unhealthy, err := fixtures.LoadedAlerts(context.Background(), world.Prometheus.URL())
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(files).To(ConsistOf(ruleFile))
			g.Expect(unhealthy).To(BeEmpty())
			g.Expect(got).To(Equal(want))
		}).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Succeed())
	})

	It("keeps, with the default series profile, at most a fifth of what each Antrea target serves: Antrea's families and the process basics", func() {
		ctx := context.Background()
		Eventually(func(g Gomega) {
			for _, job := range []string{render.AgentsJob, render.ControllersJob} {
				served, _, err := fixtures.Instances(ctx, world.Prometheus.URL(), fmt.Sprintf("scrape_samples_scraped{job=%q}", job))
				g.Expect(err).NotTo(HaveOccurred())
				kept, _, err := fixtures.Instances(ctx, world.Prometheus.URL(), fmt.Sprintf("scrape_samples_post_metric_relabeling{job=%q}", job))
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(served).NotTo(BeEmpty())
				for instance, s := range served {
					var n, k float64
					_, _ = fmt.Sscan(s, &n)
					_, _ = fmt.Sscan(kept[instance], &k)
					g.Expect(n).To(BeNumerically(">", 500), "%s serves a realistic body", instance)
					g.Expect(k/n).To(BeNumerically("<=", 0.2), "%s: %v of %v samples kept", instance, k, n)
					AddReportEntry(fmt.Sprintf("samples kept by profile Essential, %s %s", job, instance), fmt.Sprintf("%v of %v (%.3f)", k, n, k/n))
				}
			}
			kept, err := fixtures.Names(ctx, world.Prometheus.URL(), `count by (__name__) ({__name__=~"process_.+|go_goroutines", job=~"antrea-.+"})`, "__name__")
			g.Expect(err).NotTo(HaveOccurred())
			for _, k := range kept {
				g.Expect(slices.Contains(monitoringv1alpha1.EssentialProcessFamilies, k)).To(BeTrue(), "%s is kept but not in the profile", k)
			}
			g.Expect(kept).To(ContainElements("process_resident_memory_bytes", "process_cpu_seconds_total", "go_goroutines"))
		}).WithTimeout(60 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
	})

	It("answers every query of the dashboard: each runs in the real Prometheus, and the fleet and scrape-health panels count the targets", func() {
		ctx := context.Background()
		vars := strings.NewReplacer(`$cluster`, `.*`, `${node:regex}`, `.*`, `$job`, render.AgentsJob+"|"+render.ControllersJob, `$__rate_interval`, `30s`)
		queries := dashboardQueries()
		Expect(len(queries)).To(BeNumerically(">=", 60))
		Eventually(func(g Gomega) {
			answered := 0
			for _, q := range queries {
				samples, err := fixtures.Samples(ctx, world.Prometheus.URL(), vars.Replace(q.expr))
				g.Expect(err).NotTo(HaveOccurred(), "panel %q", q.panel)
				if len(samples) > 0 {
					answered++
				}
			}
			one := func(panel, legend string) string {
				for _, q := range queries {
					if q.panel == panel && q.legend == legend {
						samples, err := fixtures.Samples(ctx, world.Prometheus.URL(), vars.Replace(q.expr))
						g.Expect(err).NotTo(HaveOccurred())
						g.Expect(samples).To(HaveLen(1), "panel %q, %s", panel, legend)
						return samples[0][strings.LastIndex(samples[0], " ")+1:]
					}
				}
				g.Expect(false).To(BeTrue(), "no query %q in panel %q", legend, panel)
				return ""
			}
			g.Expect(one("Agents up", "up")).To(Equal(fmt.Sprint(agents)))
			g.Expect(one("Agents up", "discovered")).To(Equal(fmt.Sprint(agents)))
			g.Expect(one("Agents down", "down")).To(Equal("0"))
			g.Expect(one("Controllers up", "up")).To(Equal("1"))
			g.Expect(one("Agents restarted in the last hour", "restarted")).To(Equal("0"))
			AddReportEntry("dashboard queries answered with data by the real Prometheus", fmt.Sprintf("%d of %d", answered, len(queries)))
			g.Expect(answered).To(BeNumerically(">=", len(queries)*3/4), "%d of %d queries drew data", answered, len(queries))
		}).WithTimeout(60 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
	})

	It("delivers AntreaAgentDown to a real Alertmanager when an agent stops serving metrics: AlertsDelivered=True", func() {
		ctx := context.Background()
		By("starting a real Alertmanager")
		bin := os.Getenv("ALERTMANAGER")
		Expect(bin).NotTo(BeEmpty(), "ALERTMANAGER is not set: run 'make test-e2e', which builds it")
		port, err := fixtures.FreePort()
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		cfg, err := fixtures.WriteFile(dir, "alertmanager.yml", "route: {receiver: nobody}\nreceivers: [{name: nobody}]\n")
		Expect(err).NotTo(HaveOccurred())
		amURL := fmt.Sprintf("http://127.0.0.1:%d", port)
		cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=")
		cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
		Expect(cmd.Start()).To(Succeed())
		DeferCleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		Eventually(func() error { _, err := alertNames(amURL); return err }).WithTimeout(30 * time.Second).Should(Succeed())

		By("pointing the managed Prometheus's alerting at it")
		am := getAM(Default)
		am.Spec.Prometheus.Managed.Alerting = &monitoringv1alpha1.ManagedAlerting{URLs: []string{amURL}}
		Expect(world.Client.Update(ctx, am)).To(Succeed())
		Expect(world.Redeliver(ctx, func(y string) bool { return strings.Contains(y, "alerting:") })).To(Succeed())
		// The one test-only change: the rules wait 5m before firing; here they fire at once.
		rules := filepath.Join(world.Mounts.ConfigDir, render.RulesKey)
		b, err := os.ReadFile(rules)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(rules, []byte(strings.ReplaceAll(string(b), "for: 5m", "for: 0s")), 0o600)).To(Succeed())
		Expect(world.Prometheus.Reload(ctx)).To(Succeed())

		Eventually(func(g Gomega) {
			c := meta.FindStatusCondition(getAM(g).Status.Conditions, monitoringv1alpha1.ConditionAlertsDelivered)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonAlertmanagersActive))
			g.Expect(c.Message).To(ContainSubstring(fmt.Sprintf("127.0.0.1:%d", port)))
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())

		By("stopping an agent's metrics: AntreaAgentDown arrives in Alertmanager's API")
		world.Agents[0].SetMetricsEnabled(false)
		DeferCleanup(func() { world.Agents[0].SetMetricsEnabled(true) })
		Eventually(func(g Gomega) {
			names, err := alertNames(amURL)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(names).To(ContainElement("AntreaAgentDown"))
		}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

		By("taking alerting away again: AlertsDelivered is not reported")
		world.Agents[0].SetMetricsEnabled(true)
		am = getAM(Default)
		am.Spec.Prometheus.Managed.Alerting = nil
		Expect(world.Client.Update(ctx, am)).To(Succeed())
		Expect(world.Redeliver(ctx, func(y string) bool { return !strings.Contains(y, "alerting:") })).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(meta.FindStatusCondition(getAM(g).Status.Conditions, monitoringv1alpha1.ConditionAlertsDelivered)).To(BeNil())
		}).WithTimeout(60 * time.Second).WithPolling(time.Second).Should(Succeed())
	})

	// Last, as they turn the world's Prometheus into a forwarder, then an
	// agent (one ordered container: top-level containers run in random order).
	var receiver *fixtures.Prometheus
	AfterAll(func() {
		if receiver != nil {
			receiver.Stop()
		}
	})

	It("remote-writes every Antrea series it keeps to a real Prometheus receiver, with the external labels, and nothing the series profile drops", func() {
		ctx := context.Background()
		By("starting a real Prometheus as a remote-write receiver")
		port, err := fixtures.FreePort()
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		cfg, err := fixtures.WriteFile(dir, "receiver.yml", "global: {}\n")
		Expect(err).NotTo(HaveOccurred())
		receiver = &fixtures.Prometheus{Bin: os.Getenv("PROMETHEUS"), Dir: dir, ConfigFile: cfg, Port: port, Args: []string{"--web.enable-remote-write-receiver"}}
		Expect(receiver.Start(ctx)).To(Succeed())

		By("giving the managed Prometheus a remote write with a bearer token from a Secret, and a cluster label")
		Expect(world.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "remote-write"},
			Data: map[string][]byte{"token": []byte("e2e-token")}})).To(Succeed())
		am := getAM(Default)
		am.Spec.Prometheus.Managed.ExternalLabels = map[string]monitoringv1alpha1.ExternalLabelValue{"cluster": "e2e"}
		am.Spec.Prometheus.Managed.RemoteWrite = []monitoringv1alpha1.RemoteWrite{{URL: receiver.URL() + "/api/v1/write", Name: "receiver",
			BearerToken: &monitoringv1alpha1.SecretKey{Name: "remote-write", Key: "token"}}}
		Expect(world.Client.Update(ctx, am)).To(Succeed())
		Expect(world.Redeliver(ctx, func(y string) bool { return strings.Contains(y, "remote_write:") })).To(Succeed())
		GinkgoWriter.Println("Runnable managed configuration:\n" + world.Runnable)
		Expect(world.Runnable).To(ContainSubstring(filepath.Join(world.Dir, "managed-prometheus", "secrets", "remote-write", "token")),
			"the token file is read where the Deployment mounts the Secret")

		By("finding, at the receiver, every Antrea family the managed Prometheus holds, labelled cluster=e2e, for both jobs")
		antrea := `count by (__name__) ({__name__=~"antrea_.+"})`
		Eventually(func(g Gomega) {
			local, err := fixtures.Names(ctx, world.Prometheus.URL(), antrea, "__name__")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(local).NotTo(BeEmpty())
			remote, err := fixtures.Names(ctx, receiver.URL(), `count by (__name__) ({__name__=~"antrea_.+", cluster="e2e"})`, "__name__")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(remote).To(Equal(local))
			jobs, err := fixtures.Names(ctx, receiver.URL(), `count by (job) ({__name__=~"antrea_.+", cluster="e2e"})`, "job")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(jobs).To(Equal([]string{render.AgentsJob, render.ControllersJob}))
			GinkgoWriter.Printf("the receiver holds %d Antrea families labelled cluster=e2e, from jobs %v, as the managed Prometheus does\n", len(remote), jobs)
		}).WithTimeout(90 * time.Second).WithPolling(2 * time.Second).Should(Succeed())

		By("finding no series the default profile drops, neither at the receiver nor in the managed Prometheus")
		dropped := `count by (__name__) ({__name__=~"go_memstats_.+|go_gc_.+|apiserver_.+|workqueue_.+|rest_client_.+|authentication_.+|authorization_.+"})`
		for _, url := range []string{world.Prometheus.URL(), receiver.URL()} {
			names, err := fixtures.Names(ctx, url, dropped, "__name__")
			Expect(err).NotTo(HaveOccurred())
			Expect(names).To(BeEmpty(), "at %s", url)
		}
	})

	It("runs as an agent: the rendered agent configuration and flags in a real Prometheus agent, health from its targets API, series still forwarded", func() {
		ctx := context.Background()
		am := getAM(Default)
		am.Spec.Prometheus.Managed.Agent = true
		am.Spec.Prometheus.Managed.Image = "localhost/prometheus:v3.16.0"
		am.Spec.Prometheus.Managed.ExternalLabels = map[string]monitoringv1alpha1.ExternalLabelValue{"cluster": "e2e-agent"}
		Expect(world.Client.Update(ctx, am)).To(Succeed())
		Expect(world.Redeliver(ctx, func(y string) bool { return strings.Contains(y, "e2e-agent") })).To(Succeed())
		Expect(world.Delivered[render.PrometheusConfigKey]).NotTo(ContainSubstring("rule_files"), "an agent evaluates no rule")
		Expect(world.Delivered).To(HaveKey(render.RulesKey), "the rules stay in the ConfigMap for the remote store's ruler")
		var dep appsv1.Deployment
		Expect(world.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: render.NamesFor(world.Monitoring).Prometheus()}, &dep)).To(Succeed())
		Expect(dep.Spec.Template.Spec.Containers[0].Args).To(ContainElements("--agent", "--storage.agent.path=/prometheus"))
		Expect(dep.Spec.Template.Spec.Containers[0].Args).NotTo(ContainElement(HavePrefix("--storage.tsdb")))

		By("restarting the process as an agent, as the new pod would run")
		world.Prometheus.Stop()
		world.Prometheus.Agent = true
		Expect(world.Prometheus.Start(ctx)).To(Succeed())

		Eventually(func(g Gomega) {
			jobs, err := fixtures.Names(ctx, receiver.URL(), `count by (job) ({__name__=~"antrea_.+", cluster="e2e-agent"})`, "job")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(jobs).To(Equal([]string{render.AgentsJob, render.ControllersJob}))
			got := getAM(g)
			c := meta.FindStatusCondition(got.Status.Conditions, monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			g.Expect(c.Message).To(ContainSubstring("agent mode: health is read from its targets API"))
			g.Expect(got.Status.MissingMetrics).To(BeEmpty())
		}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	})
})

// alertNames are the alert names Alertmanager holds (its v2 API).
func alertNames(baseURL string) ([]string, error) {
	resp, err := http.Get(baseURL + "/api/v2/alerts")
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v2/alerts: HTTP %d", resp.StatusCode)
	}
	var alerts []struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		return nil, err
	}
	var out []string
	for _, a := range alerts {
		out = append(out, a.Labels["alertname"])
	}
	return out, nil
}

// MatchTargets matches a pool with n targets, all up.
func MatchTargets(n int) OmegaMatcher {
	return And(
		HaveField("Up", BeEquivalentTo(n)),
		HaveField("Down", BeEquivalentTo(0)),
		HaveField("Unknown", BeEquivalentTo(0)),
	)
}

// upSeries queries Prometheus for up{job=...} and returns each series's
// instance label mapped to its value.
func upSeries(g Gomega, job string) map[string]string {
	values, _, err := fixtures.Instances(context.Background(), world.Prometheus.URL(), fmt.Sprintf("up{job=%q}", job))
	g.Expect(err).NotTo(HaveOccurred())
	return values
}

// expectedInstances are "node;pod" (the managed jobs' instance relabelling)
// of the running Antrea pods of a component, each with up value 1.
func expectedInstances(g Gomega, component string) map[string]string {
	want, err := world.UpInstances(context.Background(), component)
	g.Expect(err).NotTo(HaveOccurred())
	return want
}

// shippedAlerts are the alert names by group of the rule file in the
// managed ConfigMap, in file order.
func shippedAlerts() map[string][]string {
	GinkgoHelper()
	Expect(world.Delivered).To(HaveKey(render.RulesKey))
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	Expect(yaml.Unmarshal([]byte(world.Delivered[render.RulesKey]), &file)).To(Succeed())
	out := map[string][]string{}
	for _, grp := range file.Groups {
		for _, r := range grp.Rules {
			out[grp.Name] = append(out[grp.Name], r.Alert)
		}
	}
	return out
}

// dashboardQuery is one query of the shipped dashboard.
type dashboardQuery struct{ panel, legend, expr string }

// dashboardQueries are every query of the shipped dashboard's panels.
func dashboardQueries() []dashboardQuery {
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr, LegendFormat string }
		}
	}
	Expect(json.Unmarshal([]byte(render.DashboardJSON()), &d)).To(Succeed())
	var out []dashboardQuery
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			out = append(out, dashboardQuery{p.Title, t.LegendFormat, t.Expr})
		}
	}
	return out
}
