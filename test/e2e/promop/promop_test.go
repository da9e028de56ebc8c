// Package promop proves scrape health through a real prometheus-operator:
// it turns the operator's monitors into the generated configuration of a
// sharded Prometheus, one real Prometheus process per shard runs it, and
// the AntreaMonitoring reports what the shards see together.
package promop

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
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
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	env := map[string]string{}
	for _, k := range []string{"PROMETHEUS", "PROMETHEUS_OPERATOR", "PROMETHEUS_OPERATOR_CRDS"} {
		env[k] = os.Getenv(k)
		Expect(env[k]).NotTo(BeEmpty(), k+" is set by 'make test'")
	}
	var err error
	world, err = fixtures.StartPrometheusOperatorWorld(context.Background(), fixtures.PrometheusOperatorWorldOptions{
		WorldOptions: fixtures.WorldOptions{
			CRDDir:         filepath.Join("..", "..", "..", "config", "crd", "bases"),
			PrometheusBin:  env["PROMETHEUS"],
			Agents:         agents,
			ScrapeInterval: scrapeInterval,
			HealthInterval: healthInterval.String(),
			Progress:       func(s string) { GinkgoWriter.Println("==> " + s) },
		},
		OperatorBin: env["PROMETHEUS_OPERATOR"],
		CRDDir:      env["PROMETHEUS_OPERATOR_CRDS"],
		Shards:      2,
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
	var am monitoringv1alpha1.AntreaMonitoring
	g.Expect(world.Client.Get(context.Background(), types.NamespacedName{Name: world.Monitoring}, &am)).To(Succeed())
	return &am
}

var _ = Describe("Scrape health through a real prometheus-operator and a sharded Prometheus", Ordered, func() {
	It("merges both shards: every agent and the controller are counted once, and the pools are healthy", func() {
		Eventually(func(g Gomega) {
			am := getAM(g)
			c := meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionTargetsHealthy)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			total := map[string]int32{}
			for _, t := range am.Status.Targets {
				total[t.ScrapePool] = t.Up
			}
			GinkgoWriter.Println("pools:", total, "message:", c.Message)
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	})
})
