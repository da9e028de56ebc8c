// Command localcluster runs the operator's main job on an embedded default:
// a local control plane (real kube-apiserver and etcd, through envtest), a
// simulated Antrea in kube-system with its metrics switched off, the operator
// itself and the sample AntreaMonitoring. It prints the AntreaMonitoring until
// it is Ready, then its status and how to look around, and runs until Ctrl-C,
// when it stops everything it started and removes its temporary files.
//
// Run it with `make run-local`, which builds the control plane binaries first.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	// Warnings and errors only: the command prints its own progress.
	logf.SetLogger(zap.New(zap.Level(zapcore.WarnLevel)))

	tmp, err := os.MkdirTemp("", "antrea-monitoring-local-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	step("Starting a local control plane (kube-apiserver + etcd)")
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("starting the control plane (KUBEBUILDER_ASSETS=%q): %w", os.Getenv("KUBEBUILDER_ASSETS"), err)
	}
	defer func() {
		step("Stopping the control plane and removing its files")
		_ = env.Stop()
	}()
	kubeconfig, err := writeKubeconfig(env, tmp)
	if err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		return err
	}
	step("Creating a simulated Antrea in kube-system (enablePrometheusMetrics: false)")
	if err := fixtures.Antrea(ctx, c, "kube-system", "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff); err != nil {
		return err
	}

	step("Starting the operator")
	mgr, _, err := manager.New(cfg, manager.Options{MetricsAddr: "0", ProbeAddr: "0", AntreaNamespaces: []string{"kube-system"}})
	if err != nil {
		return err
	}
	mgrErr := make(chan error, 1)
	go func() { mgrErr <- mgr.Start(ctx) }()

	name, err := applySample(ctx, c, filepath.Join(root, "config", "samples", "monitoring_v1alpha1_antreamonitoring.yaml"))
	if err != nil {
		return err
	}
	if err := waitReady(ctx, c, name); err != nil {
		return err
	}
	if err := printSummary(ctx, c, name, kubeconfig); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-mgrErr:
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return nil
}

// writeKubeconfig writes an admin kubeconfig for the control plane into dir.
func writeKubeconfig(env *envtest.Environment, dir string) (string, error) {
	admin, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubeconfig")
	return path, os.WriteFile(path, kc, 0o600)
}

// applySample creates the sample AntreaMonitoring and returns its name.
func applySample(ctx context.Context, c client.Client, path string) (string, error) {
	step("Applying " + path)
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var am monitoringv1alpha1.AntreaMonitoring
	if err := yaml.UnmarshalStrict(raw, &am); err != nil {
		return "", err
	}
	return am.Name, c.Create(ctx, &am)
}

// printSummary prints the status, the edited setting and what to try.
func printSummary(ctx context.Context, c client.Client, name, kubeconfig string) error {
	var am monitoringv1alpha1.AntreaMonitoring
	if err := c.Get(ctx, types.NamespacedName{Name: name}, &am); err != nil {
		return err
	}
	out, err := yaml.Marshal(map[string]any{"status": am.Status})
	if err != nil {
		return err
	}
	fmt.Printf("\n%s\n", out)
	cm := fixtures.ConfigMap("kube-system", "antrea-config", "", "")
	if err := c.Get(ctx, client.ObjectKeyFromObject(cm), cm); err != nil {
		return err
	}
	fmt.Printf("kube-system/antrea-config antrea-agent.conf now says:\n%s\n", grepLine(cm.Data[fixtures.AgentKey], "enablePrometheusMetrics"))
	fmt.Printf(`The operator is running against a local control plane.
  kubeconfig:  %s
Try, in another shell:
  export KUBECONFIG=%s
  kubectl get antreamonitoring
  kubectl get configmap -n kube-system antrea-config -o yaml
  kubectl get clusterrole prometheus prometheus-antrea -o yaml
  kubectl edit configmap -n kube-system antrea-config   # set enablePrometheusMetrics: false and watch it come back
  kubectl delete antreamonitoring %s                      # the original conf is restored
Press Ctrl-C to stop everything.
`, kubeconfig, kubeconfig, name)
	return nil
}

func step(s string) { fmt.Printf("==> %s\n", s) }

// grepLine returns the lines of s containing sub.
func grepLine(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, "  "+l)
		}
	}
	return strings.Join(out, "\n")
}

// waitReady prints the AntreaMonitoring like kubectl get until it is Ready.
func waitReady(ctx context.Context, c client.Client, name string) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "NAME\tMODE\tREADY\tMETRICS\tRBAC")
	deadline := time.After(2 * time.Minute)
	last := ""
	for {
		var am monitoringv1alpha1.AntreaMonitoring
		if err := c.Get(ctx, types.NamespacedName{Name: name}, &am); err != nil {
			return err
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", am.Name, am.Status.Mode, status(am, monitoringv1alpha1.ConditionReady),
			status(am, monitoringv1alpha1.ConditionAntreaMetricsEnabled), status(am, monitoringv1alpha1.ConditionRBACReady))
		if line != last {
			_, _ = fmt.Fprintln(w, line)
			_ = w.Flush()
			last = line
		}
		if meta.IsStatusConditionTrue(am.Status.Conditions, monitoringv1alpha1.ConditionReady) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("AntreaMonitoring %s not Ready after 2 minutes", name)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func status(am monitoringv1alpha1.AntreaMonitoring, t string) string {
	c := meta.FindStatusCondition(am.Status.Conditions, t)
	if c == nil {
		return "-"
	}
	if c.Status == metav1.ConditionTrue {
		return "True"
	}
	return string(c.Status) + "(" + c.Reason + ")"
}
