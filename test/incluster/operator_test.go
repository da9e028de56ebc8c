//go:build incluster

package incluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/crdcheck"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/node"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/nodeworld"
)

const (
	// The README's release name: its objects are named
	// antrea-monitoring-operator, not doubled.
	release      = "antrea-monitoring"
	operatorApp  = "antrea-monitoring-operator"
	operatorNS   = "antrea-monitoring"
	leaseName    = "antrea-monitoring-operator.monitoring.antrea.io"
	managedNS    = "monitoring"
	amName       = "incluster"
	chartAMName  = "antrea"
	promopAMName = "incluster-promop"
)

var operatorSelector = map[string]string{"app.kubernetes.io/name": "antrea-monitoring-operator", "app.kubernetes.io/instance": release}

// imageValues are the chart values that run the image built for the node.
func imageValues() []string {
	repo, tag, _ := strings.Cut(images.Operator, ":")
	return []string{"--set", "image.repository=" + repo, "--set", "image.tag=" + tag, "--set", "image.pullPolicy=Never"}
}

// operatorPods waits until want operator pods, all new since after (when
// set), are Ready, and returns them.
func operatorPods(ctx context.Context, want int, notIn []string) []corev1.Pod {
	var pods []corev1.Pod
	Eventually(func(g Gomega) {
		all, err := podsOf(ctx, operatorNS, operatorSelector)
		g.Expect(err).NotTo(HaveOccurred())
		pods = nil
		for i := range all {
			g.Expect(notIn).NotTo(ContainElement(all[i].Name), "an operator pod of before is still there")
			g.Expect(ready(&all[i])).To(BeTrue(), "operator pod %s is not Ready: %s", all[i].Name, podLog(&all[i], "manager"))
			pods = append(pods, all[i])
		}
		g.Expect(pods).To(HaveLen(want))
	}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(250 * time.Millisecond).Should(Succeed())
	return pods
}

// leader is the operator pod holding the Lease.
func leader(ctx context.Context, g Gomega) string {
	var lease coordinationv1.Lease
	g.Expect(world.Client.Get(ctx, client.ObjectKey{Namespace: operatorNS, Name: leaseName}, &lease)).To(Succeed())
	g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
	holder, _, _ := strings.Cut(*lease.Spec.HolderIdentity, "_")
	g.Expect(holder).NotTo(BeEmpty())
	return holder
}

// expectNoForbidden: the operator's log holds no 403 (its chart RBAC covers
// what it does, events included).
func expectNoForbidden(pods []corev1.Pod) {
	for i := range pods {
		log := podLog(&pods[i], "manager")
		Expect(log).NotTo(BeEmpty(), "the kubelet wrote no log for %s", pods[i].Name)
		Expect(log).NotTo(ContainSubstring("forbidden"), "operator pod %s", pods[i].Name)
		Expect(log).NotTo(ContainSubstring(" 403"), "operator pod %s", pods[i].Name)
	}
}

// warnings are the lines of a log at warning level or above: the
// operator's (JSON, controller-runtime's zap) and client-go's (klog W/E).
func warnings(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		// The kubelet's CRI format: <time> <stream> <tag> <text>.
		f := strings.SplitN(line, " ", 4)
		if len(f) < 4 {
			continue
		}
		text := f[3]
		if strings.Contains(text, `"level":"warn"`) || strings.Contains(text, `"level":"error"`) ||
			strings.HasPrefix(text, "W") || strings.HasPrefix(text, "E") {
			out = append(out, text)
		}
	}
	return out
}

// antreaPods are the simulated Antrea's pods (agent and controller).
func antreaPods(ctx context.Context, g Gomega) []corev1.Pod {
	pods, err := podsOf(ctx, nodeworld.AntreaNamespace, map[string]string{"app": "antrea"})
	g.Expect(err).NotTo(HaveOccurred())
	return pods
}

// antreaRolled waits until Antrea runs two Ready pods (agent, controller),
// none of them in old, each of which logged metrics at the value wanted.
func antreaRolled(ctx context.Context, old []string, metrics bool) []corev1.Pod {
	var pods []corev1.Pod
	Eventually(func(g Gomega) {
		pods = antreaPods(ctx, g)
		g.Expect(pods).To(HaveLen(2))
		for i := range pods {
			g.Expect(old).NotTo(ContainElement(pods[i].Name))
			g.Expect(ready(&pods[i])).To(BeTrue(), "Antrea pod %s", pods[i].Name)
			g.Expect(podLog(&pods[i], pods[i].Spec.Containers[0].Name)).To(ContainSubstring(fmt.Sprintf("enablePrometheusMetrics=%t", metrics)))
		}
	}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(250 * time.Millisecond).Should(Succeed())
	return pods
}

// readyWithTargets waits for Ready True at the AntreaMonitoring's
// generation with every target up (1 agent, 1 controller).
func readyWithTargets(ctx context.Context, name string, within time.Duration) *monitoringv1alpha1.AntreaMonitoring {
	am := &monitoringv1alpha1.AntreaMonitoring{}
	Eventually(func(g Gomega) {
		g.Expect(world.Client.Get(ctx, client.ObjectKey{Name: name}, am)).To(Succeed())
		c := condition(am, monitoringv1alpha1.ConditionReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s: %s", c.Reason, c.Message)
		g.Expect(c.ObservedGeneration).To(Equal(am.Generation))
		g.Expect(am.Status.ObservedGeneration).To(Equal(am.Generation))
		g.Expect(am.Status.Targets).To(HaveLen(2))
		for _, t := range am.Status.Targets {
			g.Expect(t.Up).To(BeEquivalentTo(1), "pool %s", t.ScrapePool)
			g.Expect(t.Down+t.Unknown).To(BeZero(), "pool %s", t.ScrapePool)
		}
	}).WithContext(ctx).WithTimeout(within).WithPolling(250 * time.Millisecond).Should(Succeed())
	return am
}

// amGone waits until AntreaMonitoring name is gone: its finalizer has
// restored Antrea and released it.
func amGone(ctx context.Context, name string) {
	Eventually(func(g Gomega) {
		err := world.Client.Get(ctx, client.ObjectKey{Name: name}, &monitoringv1alpha1.AntreaMonitoring{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
	}).WithContext(ctx).WithTimeout(2 * time.Minute).Should(Succeed())
}

func antreaConf(ctx context.Context) map[string]string {
	var cm corev1.ConfigMap
	Expect(world.Client.Get(ctx, client.ObjectKey{Namespace: nodeworld.AntreaNamespace, Name: nodeworld.AntreaConfigMap}, &cm)).To(Succeed())
	return cm.Data
}

var _ = Describe("The operator installed with its chart, on a real node", Ordered, func() {
	var (
		originalConf map[string]string
		antreaBefore []string
		operator     []corev1.Pod
		objNames     = render.NamesFor(amName)
	)

	It("installs: the operator pod is Ready, holds the Lease, and is never refused", func(ctx context.Context) {
		start := time.Now()
		_, err := helm(append([]string{"install", release, chartDir(), "--namespace", operatorNS, "--create-namespace"}, imageValues()...)...)
		Expect(err).NotTo(HaveOccurred())
		operator = operatorPods(ctx, 1, nil)
		AddReportEntry("helm install to operator Ready", fmt.Sprintf("%.1fs", time.Since(start).Seconds()))
		Eventually(func(g Gomega) { g.Expect(leader(ctx, g)).To(Equal(operator[0].Name)) }).
			WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		Expect(operator[0].Status.ContainerStatuses[0].RestartCount).To(BeZero(), "its probes pass, nothing restarts it")
		Expect(operator[0].Name).To(HavePrefix(operatorApp+"-"), "the README's release name is not doubled")
	}, NodeTimeout(3*time.Minute))

	It("runs the simulated Antrea as pods, metrics off", func(ctx context.Context) {
		Expect(nodeworld.DeployAntrea(ctx, world.Client, images.Antrea, fixtures.AgentConfOff, fixtures.ControllerConfOff)).To(Succeed())
		antreaBefore = names(antreaRolled(ctx, nil, false))
		originalConf = antreaConf(ctx)
	}, NodeTimeout(3*time.Minute))

	It("mode Auto without prometheus-operator: turns metrics on, rolls Antrea for real, runs Prometheus from its image, Ready N/N", func(ctx context.Context) {
		am := &monitoringv1alpha1.AntreaMonitoring{
			ObjectMeta: metav1.ObjectMeta{Name: amName},
			Spec: monitoringv1alpha1.AntreaMonitoringSpec{
				Prometheus: monitoringv1alpha1.PrometheusSpec{
					ScrapeInterval: "5s",
					Managed:        &monitoringv1alpha1.ManagedPrometheus{Image: images.Prometheus},
				},
				HealthCheck: monitoringv1alpha1.HealthCheckSpec{Interval: "5s"},
			},
		}
		start := time.Now()
		Expect(world.Client.Create(ctx, am)).To(Succeed())

		By("RestartInProgress names the old Antrea pods until they are gone")
		Eventually(func(g Gomega) {
			g.Expect(world.Client.Get(ctx, client.ObjectKeyFromObject(am), am)).To(Succeed())
			c := condition(am, monitoringv1alpha1.ConditionAntreaMetricsEnabled)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonRestartInProgress))
			g.Expect(c.Message).To(Or(ContainSubstring(antreaBefore[0]), ContainSubstring(antreaBefore[1])))
		}).WithContext(ctx).WithTimeout(time.Minute).WithPolling(100 * time.Millisecond).Should(Succeed())
		antreaRolled(ctx, antreaBefore, true)

		By("Ready, every target up, through the Service's DNS name")
		am = readyWithTargets(ctx, amName, 3*time.Minute)
		AddReportEntry("AntreaMonitoring applied to Ready 2/2 (Antrea rolled, Prometheus started)", fmt.Sprintf("%.1fs", time.Since(start).Seconds()))
		Expect(am.Status.Mode).To(Equal(monitoringv1alpha1.ModeManaged))
		Expect(world.Resolved(objNames.Prometheus(), managedNS)).To(BeTrue(),
			"in cluster the operator dials the Service by its DNS name, not the API server's proxy")

		By("the Prometheus pod: its image, non-root, read-only root, its data written")
		pods, err := podsOf(ctx, managedNS, objNames.ManagedPrometheusSelector())
		Expect(err).NotTo(HaveOccurred())
		Expect(pods).To(HaveLen(1))
		prom := pods[0]
		Expect(prom.Spec.Containers[0].Image).To(Equal(images.Prometheus))
		started := prom.Status.ContainerStatuses[0].State.Running.StartedAt
		AddReportEntry("managed Prometheus pod: created to Ready", fmt.Sprintf("%.1fs (container started after %.1fs)",
			readySince(&prom).Sub(prom.CreationTimestamp.Time).Seconds(), started.Sub(prom.CreationTimestamp.Time).Seconds()))
		expectPrometheusProcess()

		By("its rules loaded, its config's token and CA files read")
		base := fmt.Sprintf("http://%s:9090", prom.Status.PodIP)
		alerts, files, unhealthy, err := fixtures.LoadedAlerts(ctx, base)
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())
		Expect(alerts).NotTo(BeEmpty())
		Expect(unhealthy).To(BeEmpty())
		instances, _, err := fixtures.Instances(ctx, base, `up == 1`)
		Expect(err).NotTo(HaveOccurred())
		Expect(instances).To(HaveLen(2), "the agent and the controller answer Prometheus with its token, over TLS verified by the antrea-ca copy")
		expectNoForbidden(operator)
		Expect(warnings(podLog(&operator[0], "manager"))).To(BeEmpty(), "a fresh install warns of nothing on its way to Ready")
		Expect(warningEvents(ctx, amName)).To(BeEmpty(), "a fresh install records no Warning event on its way to Ready")
	}, NodeTimeout(6*time.Minute))

	It("managed.storage: the claim binds to a local volume and the non-root Prometheus writes to it", func(ctx context.Context) {
		Expect(localVolume(ctx, "amo-local-0")).To(Succeed())
		am := &monitoringv1alpha1.AntreaMonitoring{}
		Expect(world.Client.Get(ctx, client.ObjectKey{Name: amName}, am)).To(Succeed())
		am.Spec.Prometheus.Managed.Storage = &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse("1Gi"), StorageClassName: "local"}
		Expect(world.Client.Update(ctx, am)).To(Succeed())
		Eventually(func(g Gomega) {
			var pvc corev1.PersistentVolumeClaim
			g.Expect(world.Client.Get(ctx, client.ObjectKey{Namespace: managedNS, Name: objNames.PrometheusData()}, &pvc)).To(Succeed())
			g.Expect(pvc.Status.Phase).To(Equal(corev1.ClaimBound))
			g.Expect(pvc.Spec.VolumeName).To(Equal("amo-local-0"))
		}).WithContext(ctx).WithTimeout(2 * time.Minute).Should(Succeed())
		readyWithTargets(ctx, amName, 3*time.Minute)
		pods, err := podsOf(ctx, managedNS, objNames.ManagedPrometheusSelector())
		Expect(err).NotTo(HaveOccurred())
		Expect(pods).To(HaveLen(1))
		Expect(pods[0].Spec.Volumes).To(ContainElement(HaveField("VolumeSource.PersistentVolumeClaim.ClaimName", objNames.PrometheusData())))
		// The TSDB's write-ahead log on the local volume, written by uid 65534.
		Eventually(func(g Gomega) {
			entries, err := os.ReadDir(filepath.Join(localVolumeDir("amo-local-0"), "wal"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(entries).NotTo(BeEmpty())
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		expectPrometheusProcess()
	}, NodeTimeout(6*time.Minute))

	It("helm upgrade with a changed value rolls the operator; with two replicas, killing the leader hands over and the status stays right", func(ctx context.Context) {
		By("serving the previous release's CRD, as Helm leaves crds/ after the first install: no spec.dashboard.grafanaOperator")
		var crdNow apiextensionsv1.CustomResourceDefinition
		Expect(world.Client.Get(ctx, client.ObjectKey{Name: monitoringv1alpha1.CRDName}, &crdNow)).To(Succeed())
		previous, err := os.ReadFile(filepath.Join(nodeworld.RepoRoot(), "test", "fixtures", "crds", "previous", "monitoring.antrea.io_antreamonitorings.yaml"))
		Expect(err).NotTo(HaveOccurred())
		older := &apiextensionsv1.CustomResourceDefinition{}
		Expect(yaml.Unmarshal(previous, older)).To(Succeed())
		older.ResourceVersion = crdNow.ResourceVersion
		Expect(world.Client.Update(ctx, older)).To(Succeed())
		withGrafana := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "crd-probe"}, Spec: monitoringv1alpha1.AntreaMonitoringSpec{
			Dashboard: monitoringv1alpha1.DashboardSpec{Enabled: true, GrafanaOperator: &monitoringv1alpha1.GrafanaOperatorDashboard{
				InstanceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"dashboards": "grafana"}}}}}}
		kept := func(g Gomega) bool {
			probe := withGrafana.DeepCopy()
			g.Expect(world.Client.Create(ctx, probe, client.DryRunAll)).To(Succeed())
			return probe.Spec.Dashboard.GrafanaOperator != nil
		}
		Eventually(kept).WithContext(ctx).WithTimeout(30*time.Second).Should(BeFalse(), "the older CRD prunes the field")
		Eventually(func(g Gomega) {
			am := &monitoringv1alpha1.AntreaMonitoring{}
			g.Expect(world.Client.Get(ctx, client.ObjectKey{Name: amName}, am)).To(Succeed())
			c := meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionCRDUpToDate)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonCRDFieldsMissing))
			g.Expect(c.Message).To(ContainSubstring("spec.dashboard.grafanaOperator"))
			AddReportEntry("CRDUpToDate with the previous release's CRD", c.Message)
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())

		_, err = helm(append([]string{"upgrade", release, chartDir(), "--namespace", operatorNS, "--reuse-values", "--set", "replicas=2", "--set", "logLevel=debug"}, imageValues()...)...)
		Expect(err).NotTo(HaveOccurred())
		operator = operatorPods(ctx, 2, names(operator))
		By("the chart's hook applied this release's CRD: the field is kept, and the operator sees the CRD current")
		Eventually(kept).WithContext(ctx).WithTimeout(30 * time.Second).Should(BeTrue())
		Expect(world.Client.Get(ctx, client.ObjectKey{Name: monitoringv1alpha1.CRDName}, &crdNow)).To(Succeed())
		Expect(crdNow.ManagedFields).To(ContainElement(HaveField("Manager", crdcheck.ApplyFieldOwner)))
		Eventually(func(g Gomega) {
			am := &monitoringv1alpha1.AntreaMonitoring{}
			g.Expect(world.Client.Get(ctx, client.ObjectKey{Name: amName}, am)).To(Succeed())
			c := meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionCRDUpToDate)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonCRDMatches), c.Message)
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		var first string
		Eventually(func(g Gomega) {
			first = leader(ctx, g)
			g.Expect(names(operator)).To(ContainElement(first))
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())

		By("killing the leader " + first)
		var lease coordinationv1.Lease
		Expect(world.Client.Get(ctx, client.ObjectKey{Namespace: operatorNS, Name: leaseName}, &lease)).To(Succeed())
		duration := time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second
		// Deleted as a rollout or a drain deletes it (SIGTERM, the chart's
		// grace period): the leader steps down on its way out. A deletion
		// with no grace (SIGKILL after 2 s on a busy node) may leave it no
		// time to, and the other then waits the lease out: seen once.
		Expect(world.Client.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNS, Name: first}})).To(Succeed())
		start := time.Now()
		Eventually(func(g Gomega) {
			g.Expect(leader(ctx, g)).NotTo(Equal(first))
		}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(250 * time.Millisecond).Should(Succeed())
		took := time.Since(start)
		AddReportEntry("leader killed to a new leader", fmt.Sprintf("%.1fs (lease %s)", took.Seconds(), duration))
		Expect(took).To(BeNumerically("<", duration), "the stopping leader releases its Lease: the other does not wait it out")

		By("the new leader follows a spec change that removes a field: storage goes from the Deployment, the claim stays")
		am := &monitoringv1alpha1.AntreaMonitoring{}
		Expect(world.Client.Get(ctx, client.ObjectKey{Name: amName}, am)).To(Succeed())
		am.Spec.Prometheus.ScrapeInterval = "10s"
		am.Spec.Prometheus.Managed.Storage = nil
		Expect(world.Client.Update(ctx, am)).To(Succeed())
		Eventually(func(g Gomega) {
			var cm corev1.ConfigMap
			g.Expect(world.Client.Get(ctx, client.ObjectKey{Namespace: managedNS, Name: objNames.Prometheus()}, &cm)).To(Succeed())
			g.Expect(cm.Data["prometheus.yml"]).To(ContainSubstring("scrape_interval: 10s"))
			var d appsv1.Deployment
			g.Expect(world.Client.Get(ctx, client.ObjectKey{Namespace: managedNS, Name: objNames.Prometheus()}, &d)).To(Succeed())
			for _, v := range d.Spec.Template.Spec.Volumes {
				g.Expect(v.PersistentVolumeClaim).To(BeNil(), "volume %s", v.Name)
			}
			g.Expect(d.Spec.Template.Spec.InitContainers).To(BeEmpty(), "no claim, no chown")
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		readyWithTargets(ctx, amName, 3*time.Minute)
		Eventually(func(g Gomega) {
			pods, err := podsOf(ctx, managedNS, objNames.ManagedPrometheusSelector())
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(pods).To(HaveLen(1))
			g.Expect(pods[0].Spec.Volumes).NotTo(ContainElement(HaveField("VolumeSource.PersistentVolumeClaim", Not(BeNil()))))
			g.Expect(ready(&pods[0])).To(BeTrue())
		}).WithContext(ctx).WithTimeout(2 * time.Minute).Should(Succeed())
		operator = operatorPods(ctx, 2, []string{first})
		expectNoForbidden(operator)
	}, NodeTimeout(6*time.Minute))

	It("deleting the AntreaMonitoring restores Antrea's conf byte for byte, rolls Antrea again and keeps the data", func(ctx context.Context) {
		rolled := names(antreaRolled(ctx, antreaBefore, true))
		Expect(world.Client.Delete(ctx, &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: amName}})).To(Succeed())
		amGone(ctx, amName)
		Expect(antreaConf(ctx)).To(Equal(originalConf))
		antreaBefore = names(antreaRolled(ctx, rolled, false))
		var pvc corev1.PersistentVolumeClaim
		Expect(world.Client.Get(ctx, client.ObjectKey{Namespace: managedNS, Name: objNames.PrometheusData()}, &pvc)).To(Succeed())
		Eventually(func(g Gomega) {
			err := world.Client.Get(ctx, client.ObjectKey{Namespace: managedNS, Name: objNames.Prometheus()}, &appsv1.Deployment{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
	}, NodeTimeout(6*time.Minute))

	It("mode PrometheusOperator with the real prometheus-operator as a pod: its shards run from the local image, the operator asks each shard's pod", func(ctx context.Context) {
		Expect(installPrometheusOperatorCRDs()).To(Succeed())
		Expect(deployPrometheusOperator(ctx)).To(Succeed())
		start := time.Now()
		Eventually(func(g Gomega) {
			op, err := podsOf(ctx, promopNS, promopSelector)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(op).To(HaveLen(1))
			g.Expect(ready(&op[0])).To(BeTrue(), "prometheus-operator pod %s", op[0].Name)
			pods, err := podsOf(ctx, promNS, map[string]string{"app.kubernetes.io/name": "prometheus", "prometheus": promName})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(pods).To(HaveLen(int(promShards)))
			for i := range pods {
				g.Expect(ready(&pods[i])).To(BeTrue(), "Prometheus pod %s", pods[i].Name)
				g.Expect(pods[i].Spec.Containers[0].Image).To(Equal(images.Prometheus))
			}
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(250 * time.Millisecond).Should(Succeed())
		AddReportEntry("prometheus-operator deployed to its 2 shards Ready", fmt.Sprintf("%.1fs", time.Since(start).Seconds()))

		am := &monitoringv1alpha1.AntreaMonitoring{
			ObjectMeta: metav1.ObjectMeta{Name: promopAMName},
			Spec: monitoringv1alpha1.AntreaMonitoringSpec{
				Prometheus: monitoringv1alpha1.PrometheusSpec{
					Mode:               monitoringv1alpha1.ModePrometheusOperator,
					ScrapeInterval:     "5s",
					PrometheusOperator: &monitoringv1alpha1.PrometheusOperatorTarget{Prometheus: &monitoringv1alpha1.ObjectReference{Namespace: promNS, Name: promName}},
				},
				HealthCheck: monitoringv1alpha1.HealthCheckSpec{Interval: "5s"},
			},
		}
		start = time.Now()
		Expect(world.Client.Create(ctx, am)).To(Succeed())
		antreaBefore = names(antreaRolled(ctx, antreaBefore, true))
		am = readyWithTargets(ctx, promopAMName, 4*time.Minute)
		AddReportEntry("mode PrometheusOperator: applied to Ready 2/2", fmt.Sprintf("%.1fs", time.Since(start).Seconds()))
		Expect(am.Status.Mode).To(Equal(monitoringv1alpha1.ModePrometheusOperator))
		By("every shard's pod was asked, by its pod IP: its own request counter says so")
		pods, err := podsOf(ctx, promNS, map[string]string{"app.kubernetes.io/name": "prometheus", "prometheus": promName})
		Expect(err).NotTo(HaveOccurred())
		for i := range pods {
			Expect(targetsRequests(ctx, pods[i].Status.PodIP)).To(BeNumerically(">", 0), "shard pod %s", pods[i].Name)
		}
		expectNoForbidden(operator)

		By("the chart's ServiceMonitor for the operator: the real prometheus-operator hands it to the shards, its pool is up, and the operator's own metrics say this AntreaMonitoring is Ready")
		_, err = helm(append([]string{"upgrade", release, chartDir(), "--namespace", operatorNS, "--reuse-values", "--set", "metrics.serviceMonitor.enabled=true",
			"--set", "metrics.serviceMonitor.interval=5s", "--set", "metrics.prometheusRule.enabled=true"}, imageValues()...)...)
		Expect(err).NotTo(HaveOccurred())
		operatorPool := "serviceMonitor/" + operatorNS + "/" + operatorApp + "/0"
		replicas := len(operatorPods(ctx, 2, nil)) // the upgrade changes no pod
		Eventually(func(g Gomega) {
			up, ready := 0, false
			for i := range pods {
				url := "http://" + net.JoinHostPort(pods[i].Status.PodIP, "9090")
				rep, err := (&health.Client{HTTP: http.DefaultClient, BaseURL: url}).Targets(ctx, operatorPool)
				g.Expect(err).NotTo(HaveOccurred())
				up += int(rep.Health.Up)
				names, err := fixtures.Names(ctx, url, `antreamonitoring_status_condition{type="Ready",status="True"}`, "name")
				g.Expect(err).NotTo(HaveOccurred())
				ready = ready || slices.Contains(names, promopAMName)
			}
			g.Expect(up).To(Equal(replicas), "every operator replica scraped, once, across the shards")
			for i := range pods {
				alerts, _, unhealthy, err := fixtures.LoadedAlerts(ctx, "http://"+net.JoinHostPort(pods[i].Status.PodIP, "9090"))
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(unhealthy).To(BeEmpty())
				g.Expect(alerts).To(HaveKeyWithValue("antrea-monitoring-operator", ConsistOf("AntreaMonitoringNotReady")), "shard pod %s loaded the chart's rule", pods[i].Name)
			}
			g.Expect(ready).To(BeTrue(), "antreamonitoring_status_condition says %s is Ready", promopAMName)
		}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		for i := range pods {
			samples, err := fixtures.Samples(ctx, "http://"+net.JoinHostPort(pods[i].Status.PodIP, "9090"),
				fmt.Sprintf(`{__name__=~"antreamonitoring_.+", name=%q}`, promopAMName), "instance", "pod", "container", "endpoint", "namespace", "service", "job")
			Expect(err).NotTo(HaveOccurred())
			if len(samples) > 0 {
				AddReportEntry("the operator's own metrics, from shard pod "+pods[i].Name, strings.Join(samples, "\n"))
				break
			}
		}

		Expect(world.Client.Delete(ctx, am)).To(Succeed())
		amGone(ctx, promopAMName)
		Expect(antreaConf(ctx)).To(Equal(originalConf))
		antreaBefore = names(antreaRolled(ctx, antreaBefore, false))
	}, NodeTimeout(8*time.Minute))

	It("with the chart's own AntreaMonitoring, helm uninstall restores Antrea before the operator goes and leaves nothing", func(ctx context.Context) {
		// Mode Managed said outright: prometheus-operator's CRDs are installed by now.
		spec, err := json.Marshal(map[string]any{"prometheus": map[string]any{"mode": "Managed", "scrapeInterval": "5s", "managed": map[string]any{"image": images.Prometheus}}, "healthCheck": map[string]any{"interval": "5s"}})
		Expect(err).NotTo(HaveOccurred())
		_, err = helm(append([]string{"upgrade", release, chartDir(), "--namespace", operatorNS, "--reuse-values", "--set", "antreaMonitoring.create=true",
			"--set", "antreaMonitoring.name=" + chartAMName, "--set-json", "antreaMonitoring.spec=" + string(spec)}, imageValues()...)...)
		Expect(err).NotTo(HaveOccurred())
		antreaBefore = names(antreaRolled(ctx, antreaBefore, true))
		readyWithTargets(ctx, chartAMName, 3*time.Minute)

		out, err := helm("uninstall", release, "--namespace", operatorNS, "--wait", "--timeout", "3m")
		Expect(err).NotTo(HaveOccurred(), out)
		Eventually(func(g Gomega) {
			err := world.Client.Get(ctx, client.ObjectKey{Name: chartAMName}, &monitoringv1alpha1.AntreaMonitoring{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the chart's AntreaMonitoring is still there (stuck on its finalizer?): %v", err)
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		Expect(antreaConf(ctx)).To(Equal(originalConf), "Antrea's conf restored before the operator went")
		antreaRolled(ctx, antreaBefore, false)

		By("nothing of the release is left")
		sel := client.MatchingLabels{"app.kubernetes.io/instance": release}
		for _, l := range []client.ObjectList{&appsv1.DeploymentList{}, &corev1.ServiceAccountList{}, &corev1.ServiceList{}, &corev1.PodList{}} {
			Eventually(func(g Gomega) {
				g.Expect(world.Client.List(ctx, l, client.InNamespace(operatorNS), sel)).To(Succeed())
				g.Expect(meta.LenList(l)).To(BeZero(), "%T", l)
			}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		}
		for _, l := range []client.ObjectList{&rbacv1.ClusterRoleList{}, &rbacv1.ClusterRoleBindingList{}} {
			Expect(world.Client.List(ctx, l, sel)).To(Succeed())
			Expect(meta.LenList(l)).To(BeZero(), "%T", l)
		}
		for _, l := range []client.ObjectList{&rbacv1.RoleList{}, &rbacv1.RoleBindingList{}, &batchv1.JobList{}, &corev1.ConfigMapList{}, &corev1.SecretList{}} {
			Expect(world.Client.List(ctx, l, client.InNamespace(operatorNS), sel)).To(Succeed())
			Expect(meta.LenList(l)).To(BeZero(), "%T (the uninstall hook's objects included)", l)
		}
		var owned monitoringv1alpha1.AntreaMonitoringList
		Expect(world.Client.List(ctx, &owned)).To(Succeed())
		Expect(owned.Items).To(BeEmpty())
	}, NodeTimeout(8*time.Minute))
})

// expectPrometheusProcess: the managed Prometheus runs as nobody (65534),
// non-root, with a read-only root file system.
func expectPrometheusProcess() {
	Eventually(func(g Gomega) {
		procs, err := findProcess("prometheus")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(procs).To(HaveLen(1))
		g.Expect(procs[0].UID).To(Equal("65534"))
		g.Expect(procs[0].ReadOnlyRoot).To(BeTrue())
	}).WithTimeout(time.Minute).Should(Succeed())
}

func localVolumeDir(name string) string { return filepath.Join("/var/lib/amo-local-volumes", name) }

// localVolume makes StorageClass local (no provisioner, bound when the pod
// is scheduled) and a local PersistentVolume name on the node: a folder of
// root's, 0755, which fsGroup makes writable for the pod.
func localVolume(ctx context.Context, name string) error {
	dir := localVolumeDir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sc := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: "local"},
		Provisioner:       "kubernetes.io/no-provisioner",
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
	if err := world.Client.Create(ctx, sc); client.IgnoreAlreadyExists(err) != nil {
		return err
	}
	return world.Client.Create(ctx, &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              "local",
			PersistentVolumeSource:        corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: dir}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{node.Name}}},
			}}}},
		},
	})
}

// warningEvents are the Warning events recorded about AntreaMonitoring
// name ("reason: note").
func warningEvents(ctx context.Context, name string) ([]string, error) {
	var l eventsv1.EventList
	if err := world.Client.List(ctx, &l); err != nil {
		return nil, err
	}
	var out []string
	for _, e := range l.Items {
		if e.Regarding.Kind == "AntreaMonitoring" && e.Regarding.Name == name && e.Type == corev1.EventTypeWarning {
			out = append(out, e.Reason+": "+e.Note)
		}
	}
	return out, nil
}
