// Command nodedemo is `make demo NODE=1`: the operator the way users run
// it, on a real node (test/node) in namespaces of its own: the chart
// installed with Helm from the image make image builds, the simulated
// Antrea as real pods (metrics off), and an AntreaMonitoring in mode Auto,
// which runs a managed Prometheus pod. It prints the resource like kubectl
// get until it is Ready, then how to look around; Ctrl-C stops it all and
// leaves the machine as it was.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/node"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/nodeworld"
)

func step(s string) { fmt.Printf("==> %s\n", s) }

func main() {
	if node.Inside() {
		os.Exit(node.Isolate(func() int {
			if err := run(); err != nil {
				fmt.Fprintln(os.Stderr, "error:", err)
				return 1
			}
			return 0
		}))
	}
	if err := node.Preflight(); err != nil {
		fmt.Fprintln(os.Stderr, "error: this machine cannot run a real node:", err)
		fmt.Fprintln(os.Stderr, "('make demo' without NODE=1 runs the operator out of cluster instead)")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "amo-node-demo-images-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	step("Building the images (operator, Prometheus, simulated Antrea, sandbox) without a container engine")
	images, err := nodeworld.BuildImages(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	_ = os.Setenv(nodeworld.EnvImages, images.Encode())
	// Ctrl-C reaches the isolated process, which stops the node; this one
	// waits for it, then checks that the machine is as before.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	code := node.Isolate(nil)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf.SetLogger(zap.New(zap.Level(zapcore.WarnLevel)))
	images, err := nodeworld.DecodeImages(os.Getenv(nodeworld.EnvImages))
	if err != nil {
		return err
	}
	helmBin := os.Getenv("HELM")
	if helmBin == "" {
		return fmt.Errorf("HELM is not set: run 'make demo NODE=1'")
	}
	root := nodeworld.RepoRoot()
	step("Starting the node: control plane, kube-controller-manager, kube-scheduler, containerd, kubelet, kube-proxy, cluster DNS")
	w, err := node.Start(ctx, node.Options{
		CRDDirs:    []string{filepath.Join(root, "config", "crd", "bases"), nodeworld.AntreaCRDDir()},
		Images:     images.Archives(),
		PauseImage: images.Pause,
		Progress:   func(s string) { step("  " + s) },
	})
	if err != nil {
		return err
	}
	defer func() {
		step("Stopping the node and removing its files")
		w.Stop()
	}()

	step("helm install antrea-monitoring charts/antrea-monitoring-operator (image " + images.Operator + ")")
	repo, tag, _ := strings.Cut(images.Operator, ":")
	helm := exec.CommandContext(ctx, helmBin, "install", "antrea-monitoring", filepath.Join(root, "charts", "antrea-monitoring-operator"),
		"--namespace", "antrea-monitoring", "--create-namespace", "--wait", "--timeout", "3m",
		"--set", "image.repository="+repo, "--set", "image.tag="+tag, "--set", "image.pullPolicy=Never")
	helm.Env = append(os.Environ(), "KUBECONFIG="+w.Kubeconfig, "HELM_CACHE_HOME="+filepath.Join(w.Dir, "helm"),
		"HELM_CONFIG_HOME="+filepath.Join(w.Dir, "helm"), "HELM_DATA_HOME="+filepath.Join(w.Dir, "helm"))
	if out, err := helm.CombinedOutput(); err != nil {
		return fmt.Errorf("helm install: %w: %s", err, out)
	}

	step("Running the simulated Antrea in kube-system as pods (agent DaemonSet, controller Deployment; metrics off)")
	if err := nodeworld.DeployAntrea(ctx, w.Client, images.Antrea, fixtures.AgentConfOff, fixtures.ControllerConfOff); err != nil {
		return err
	}
	step("kubectl apply: AntreaMonitoring antrea (mode Auto, Prometheus image " + images.Prometheus + ")")
	am := &monitoringv1alpha1.AntreaMonitoring{
		ObjectMeta: metav1.ObjectMeta{Name: "antrea"},
		Spec: monitoringv1alpha1.AntreaMonitoringSpec{
			Prometheus:  monitoringv1alpha1.PrometheusSpec{ScrapeInterval: "5s", Managed: &monitoringv1alpha1.ManagedPrometheus{Image: images.Prometheus}},
			HealthCheck: monitoringv1alpha1.HealthCheckSpec{Interval: "5s"},
		},
	}
	if err := w.Client.Create(ctx, am); err != nil {
		return err
	}
	step("kubectl get antreamonitoring (until Ready: Antrea rolls out for real, Prometheus starts)")
	if err := fixtures.PrintUntilReady(ctx, w.Client, am.Name, 5*time.Minute, os.Stdout); err != nil {
		return err
	}
	enter := "sudo nsenter --all --target $(pgrep -x kube-proxy)"
	var svc corev1.Service
	if err := w.Client.Get(ctx, client.ObjectKey{Namespace: "monitoring", Name: "antrea-prometheus"}, &svc); err != nil {
		return err
	}
	fmt.Printf(`
Everything runs on a real node, in namespaces of this process: the
machine's own network, mounts and sysctls are untouched. Look around from
another shell (kubectl: any 1.3x client):
  %[1]s kubectl --kubeconfig %[2]s get pods -A
  %[1]s kubectl --kubeconfig %[2]s get antreamonitoring antrea -o yaml
  %[1]s kubectl --kubeconfig %[2]s logs -n antrea-monitoring deploy/antrea-monitoring-operator
  %[1]s curl -s 'http://%[3]s:9090/api/v1/targets?state=active'
      (Service antrea-prometheus.monitoring; pods resolve it through the cluster DNS on %[4]s)
Press Ctrl-C to stop everything.
`, enter, w.Kubeconfig, svc.Spec.ClusterIP, node.DNSServiceIP)
	<-ctx.Done()
	return nil
}
