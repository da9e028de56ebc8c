// Command manager runs the antrea-monitoring-operator.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/crdcheck"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/uninstall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "uninstall" {
		os.Exit(uninstallCommand(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "crds" {
		os.Exit(crdsCommand())
	}
	var (
		o          manager.Options
		namespaces string
	)
	flag.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "Address of the operator's own metrics endpoint (0 disables it).")
	flag.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz probes.")
	flag.BoolVar(&o.LeaderElect, "leader-elect", true, "Elect a leader so that only one replica reconciles.")
	flag.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election Lease (default: the pod's own; required out of cluster).")
	flag.StringVar(&namespaces, "antrea-namespaces", "kube-system", "Comma-separated namespaces where Antrea may run; the cache holds Antrea's objects there only.")
	zo := zap.Options{}
	zo.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zo)))
	log := ctrl.Log.WithName("setup")
	o.AntreaNamespaces = strings.Split(namespaces, ",")
	_, err := rest.InClusterConfig()
	o.InCluster = err == nil

	mgr, _, err := manager.New(ctrl.GetConfigOrDie(), o)
	if err != nil {
		log.Error(err, "Failed to set up the manager")
		os.Exit(1)
	}
	log.Info("Starting the manager", "antreaNamespaces", o.AntreaNamespaces, "leaderElection", o.LeaderElect)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "The manager stopped with an error")
		os.Exit(1)
	}
}

// uninstallCommand is "manager uninstall --antreamonitoring NAME": the
// chart's pre-delete hook, which deletes the chart's AntreaMonitoring and
// waits until the operator, still running, has restored Antrea's conf and
// released it.
func uninstallCommand(args []string) int {
	fs := flag.NewFlagSet("uninstall", flag.ContinueOnError)
	name := fs.String("antreamonitoring", "", "Name of the AntreaMonitoring to delete and wait for.")
	timeout := fs.Duration("timeout", 4*time.Minute, "How long to wait for its finalizer.")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" {
		fmt.Fprintln(os.Stderr, "uninstall: --antreamonitoring is required")
		return 2
	}
	c, err := client.New(ctrl.GetConfigOrDie(), client.Options{Scheme: manager.Scheme()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	if err := uninstall.Run(ctrl.SetupSignalHandler(), c, *name, 2*time.Second, *timeout, logf); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// crdsCommand is "manager crds": the chart's crds hook, which applies the
// AntreaMonitoring CRD this operator was built with (Helm installs a
// chart's crds/ once and never upgrades them) and waits until it is served.
func crdsCommand() int {
	c, err := client.New(ctrl.GetConfigOrDie(), client.Options{Scheme: manager.Scheme()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	if err := crdcheck.Apply(ctrl.SetupSignalHandler(), c, time.Second, logf); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
