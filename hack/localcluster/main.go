// Command localcluster is `make demo`: it starts the same world the
// end-to-end test uses (a real kube-apiserver and etcd, a simulated Antrea
// whose /metrics servers authorize like Antrea, a real Prometheus, the
// operator) and an AntreaMonitoring, prints it like `kubectl get` until it
// is healthy, then the status, the kubeconfig path, the Prometheus URL and
// what to try. Ctrl-C stops every process it started and removes its files.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func step(s string) { fmt.Printf("==> %s\n", s) }

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	// Warnings and errors only: the demo prints its own progress.
	logf.SetLogger(zap.New(zap.Level(zapcore.WarnLevel)))
	bin := os.Getenv("PROMETHEUS")
	if bin == "" {
		return fmt.Errorf("PROMETHEUS (the prometheus binary) is not set: run 'make demo'")
	}

	w, err := fixtures.StartWorld(ctx, fixtures.WorldOptions{
		CRDDir:         filepath.Join(root, "config", "crd", "bases"),
		PrometheusBin:  bin,
		Agents:         3,
		ScrapeInterval: "5s",
		HealthInterval: "5s",
		Progress:       step,
	})
	defer func() {
		step("Stopping Prometheus, the simulated Antrea, the operator and the control plane; removing temporary files")
		if w != nil {
			w.Stop()
		}
	}()
	if err != nil {
		return err
	}
	if err := waitHealthy(ctx, w.Client, w.Monitoring); err != nil {
		return err
	}
	return summary(ctx, w)
}

// waitHealthy prints the AntreaMonitoring like kubectl get until Ready.
func waitHealthy(ctx context.Context, c client.Client, name string) error {
	step("kubectl get antreamonitoring (until Ready)")
	return fixtures.PrintUntilReady(ctx, c, name, 3*time.Minute, os.Stdout)
}

func summary(ctx context.Context, w *fixtures.World) error {
	var am monitoringv1alpha1.AntreaMonitoring
	if err := w.Client.Get(ctx, types.NamespacedName{Name: w.Monitoring}, &am); err != nil {
		return err
	}
	out, err := yaml.Marshal(map[string]any{"status": am.Status})
	if err != nil {
		return err
	}
	fmt.Printf("\nkubectl get antreamonitoring %s -o yaml (status):\n%s\n", am.Name, out)
	cm := fixtures.ConfigMap(fixtures.WorldAntreaNamespace, "antrea-config", "", "")
	if err := w.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm); err != nil {
		return err
	}
	for _, l := range strings.Split(cm.Data[fixtures.AgentKey], "\n") {
		if strings.Contains(l, "enablePrometheusMetrics") {
			fmt.Printf("antrea-agent.conf now says: %s (it said false before)\n\n", strings.TrimSpace(l))
		}
	}
	fmt.Printf(`Everything is running.
  kubeconfig:      %s
  Prometheus:      %s   (try %s/api/v1/targets?state=active)
Try, in another shell:
  export KUBECONFIG=%s
  kubectl get antreamonitoring                        # Targets 4/4, Ready True
  kubectl get antreamonitoring %s -o yaml
  kubectl get configmap -n prometheus antrea-scrape-configs -o yaml
  kubectl edit antreamonitoring %s                    # set spec.prometheus.scrapeConfig.serviceAccount.name: other: Antrea answers 403
  kubectl delete pod -n kube-system antrea-agent-0    # the target disappears from Prometheus
  curl -s '%s/api/v1/query?query=up'
Press Ctrl-C to stop everything.
`, w.Kubeconfig, w.Prometheus.URL(), w.Prometheus.URL(), w.Kubeconfig, am.Name, am.Name, w.Prometheus.URL())
	<-ctx.Done()
	return nil
}
