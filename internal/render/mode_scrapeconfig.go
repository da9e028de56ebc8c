package render

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
)

// scrapeConfigMode hands scrape jobs to a plain Prometheus the user runs
// (mode ScrapeConfig).
type scrapeConfigMode struct{}

// Plan refuses to deliver to a namespace, or bind a ServiceAccount, that
// does not exist.
func (scrapeConfigMode) Plan(am *monitoringv1alpha1.AntreaMonitoring, c *observed.Cluster) (Target, *Verdict) {
	t := am.Spec.Prometheus.ScrapeConfig
	if t == nil { // admission requires it in this mode
		return Target{}, scrapeBlocked(monitoringv1alpha1.ReasonNamespaceNotFound, "Mode ScrapeConfig needs spec.prometheus.scrapeConfig.")
	}
	target := Target{ScrapeConfig: *t}
	if c.Namespaces[t.Namespace] == nil {
		return target, scrapeBlocked(monitoringv1alpha1.ReasonNamespaceNotFound, fmt.Sprintf("Namespace %s (spec.prometheus.scrapeConfig.namespace) does not exist.", t.Namespace))
	}
	sa := t.ServiceAccount
	if !c.ServiceAccounts[types.NamespacedName{Namespace: sa.Namespace, Name: sa.Name}] {
		return target, scrapeBlocked(monitoringv1alpha1.ReasonServiceAccountNotFound, fmt.Sprintf("ServiceAccount %s/%s (spec.prometheus.scrapeConfig.serviceAccount) does not exist.", sa.Namespace, sa.Name))
	}
	return target, nil
}

// Render renders the delivered jobs and the bindings.
func (scrapeConfigMode) Render(in Input) (Rendered, error) {
	objs, err := scrapeConfigDelivery(in, WithSeries(ScrapeJobs(in.AntreaNamespace, in.ScrapeInterval, caFile(in, ScrapeConfigMountPath+"/"+AntreaCAKey), in.agentPort()), in.Series))
	if err != nil {
		return Rendered{}, err
	}
	return Rendered{
		Objects:   objs,
		Namespace: in.ScrapeConfig.Namespace,
		Pools:     antreaPools,
		ScrapeAs:  in.ScrapeConfig.ServiceAccount,
		Endpoint:  Endpoint{Unknown: "Mode ScrapeConfig: set spec.prometheus.url to where your Prometheus serves its API, so the operator can check scrape health."},
	}, nil
}

// Verdicts say where the jobs are and who is bound.
func (scrapeConfigMode) Verdicts(in Input, _ Rendered, _ *observed.Cluster) Verdicts {
	n := NamesFor(in.Owner.Name)
	return Verdicts{Scrape: scrapeApplied(fmt.Sprintf(
		"Jobs %s and %s are in Secret and ConfigMap %s/%s (key %s); ServiceAccount %s/%s is bound to ClusterRoles %s and %s.",
		ControllersJob, AgentsJob, in.ScrapeConfig.Namespace, n.ScrapeConfigs(), ScrapeConfigsKey,
		in.ScrapeConfig.ServiceAccount.Namespace, in.ScrapeConfig.ServiceAccount.Name, PrometheusClusterRole, PrometheusAntreaClusterRole))}
}

// scrapeConfigDelivery hands the jobs to a plain Prometheus: a Secret (the
// additionalScrapeConfigs format) and a ConfigMap with the same key, and in
// the ConfigMap also key ScrapeConfigFileKey for scrape_config_files; and
// the ClusterRoles bound to its ServiceAccount.
func scrapeConfigDelivery(in Input, jobs []ScrapeJob) ([]client.Object, error) {
	n := NamesFor(in.Owner.Name)
	out, err := ScrapeJobsYAML(jobs)
	if err != nil {
		return nil, err
	}
	file, err := ScrapeConfigFileYAML(jobs)
	if err != nil {
		return nil, err
	}
	t := in.ScrapeConfig
	cmData := map[string]string{ScrapeConfigsKey: out, ScrapeConfigFileKey: file}
	secretData := map[string][]byte{ScrapeConfigsKey: []byte(out)}
	if in.ControllerCA != "" {
		cmData[AntreaCAKey] = in.ControllerCA
		secretData[AntreaCAKey] = []byte(in.ControllerCA)
	}
	if in.Alerts {
		rules, err := RuleFile(in.Antrea)
		if err != nil {
			return nil, err
		}
		cmData[RulesKey] = rules
	}
	return []client.Object{
		&corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: meta(n.ScrapeConfigs(), t.Namespace),
			Type: corev1.SecretTypeOpaque, Data: secretData},
		&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta(n.ScrapeConfigs(), t.Namespace),
			Data: cmData},
		binding(n.PrometheusBinding(), PrometheusClusterRole, t.ServiceAccount),
		binding(n.PrometheusAntreaBinding(), PrometheusAntreaClusterRole, t.ServiceAccount),
	}, nil
}
