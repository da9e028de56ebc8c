// Command antrea is the simulated Antrea the in-cluster tests run as real
// pods (the agent DaemonSet with hostNetwork, the controller Deployment):
// as Antrea does, it reads its conf once at start-up from the mounted
// ConfigMap (enablePrometheusMetrics, true when absent), serves its
// apiserver on port 10350 (agent) or 10349 (controller) with the answers
// test/fixtures.AntreaServer gives (TokenReview and SubjectAccessReview
// against the Kubernetes API, /metrics with Antrea's families amid the Go
// runtime, apiserver library, client-go and workqueue ones unless
// -antrea-only, 404 when metrics are off), and
// reports itself in AntreaAgentInfo (named after its Node) or
// AntreaControllerInfo; the controller publishes its CA in ConfigMap
// antrea-ca.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

func main() {
	component := flag.String("component", "agent", "agent or controller")
	conf := flag.String("config", "", "the conf file the mounted ConfigMap holds (antrea-agent.conf or antrea-controller.conf)")
	version := flag.String("version", fixtures.DefaultAntreaVersion, "the Antrea release simulated")
	antreaOnly := flag.Bool("antrea-only", false, "serve Antrea's own metric families only, without the Go runtime, process, apiserver library, client-go and workqueue ones a real Antrea serves beside them")
	flag.Parse()
	if err := run(*component, *conf, *version, *antreaOnly); err != nil {
		log.Fatal(err)
	}
}

func run(component, conf, version string, antreaOnly bool) error {
	metrics, err := metricsEnabled(conf)
	if err != nil {
		return err
	}
	ns, pod, node := os.Getenv("POD_NAMESPACE"), os.Getenv("POD_NAME"), os.Getenv("NODE_NAME")
	if ns == "" || pod == "" || node == "" {
		return fmt.Errorf("POD_NAMESPACE, POD_NAME and NODE_NAME must be set (downward API)")
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return err
	}
	o := fixtures.AntreaServerOptions{Component: fixtures.ComponentAgent, Namespace: ns, Version: version, Listen: ":10350", AntreaOnly: antreaOnly}
	if component == "controller" {
		o.Component, o.Listen = fixtures.ComponentController, ":10349"
	}
	s, err := fixtures.NewAntreaServer(kube, o)
	if err != nil {
		return err
	}
	s.SetMetricsEnabled(metrics)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	info := fixtures.AntreaAgentInfo(node, version, ns, pod, s.Port(), s.CABundle())
	if o.Component == fixtures.ComponentController {
		if err := s.PublishCA(ctx, c); err != nil {
			return fmt.Errorf("publishing antrea-ca: %w", err)
		}
		info = fixtures.AntreaControllerInfo(version, ns, pod, node, s.Port())
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(info), client.FieldOwner(o.Component), client.ForceOwnership); err != nil {
		return fmt.Errorf("reporting %s %s: %w", info.GetKind(), info.GetName(), err)
	}
	log.Printf("%s %s serving on :%d, enablePrometheusMetrics=%t (read from %s at start-up)", o.Component, version, s.Port(), metrics, conf)
	<-ctx.Done()
	s.Stop()
	return nil
}

// metricsEnabled reads enablePrometheusMetrics from the conf, as Antrea
// does once at start-up: true when the key is absent (commented out).
func metricsEnabled(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("reading the conf: %w", err)
	}
	var conf struct {
		EnablePrometheusMetrics *bool `yaml:"enablePrometheusMetrics"`
	}
	if err := yaml.Unmarshal([]byte(strings.ReplaceAll(string(b), "\r\n", "\n")), &conf); err != nil {
		return false, fmt.Errorf("parsing the conf %s: %w", path, err)
	}
	return conf.EnablePrometheusMetrics == nil || *conf.EnablePrometheusMetrics, nil
}
