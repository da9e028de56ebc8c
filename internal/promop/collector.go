package promop

import (
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kinds of the collectors prometheus-operator runs.
const (
	PrometheusKind      = promv1.PrometheusesKind           // Prometheus
	PrometheusAgentKind = promv1alpha1.PrometheusAgentsKind // PrometheusAgent
)

// Collector is a Prometheus or a PrometheusAgent object, as the operator
// reads it: the selectors that decide which monitors it runs, and where
// its pods answer. A PrometheusAgent scrapes and forwards: it selects no
// rules and sends no alerts.
type Collector struct {
	Ref
	Spec promv1.CommonPrometheusFields
	// RuleSelector and RuleNamespaceSelector: a Prometheus's (an agent has none).
	RuleSelector, RuleNamespaceSelector *metav1.LabelSelector
	// DaemonSet: a PrometheusAgent in DaemonSet mode (one pod per Node,
	// PodMonitors only).
	DaemonSet bool
}

// FromPrometheus reads a Prometheus object.
func FromPrometheus(p *promv1.Prometheus) Collector {
	return Collector{Ref: Ref{Kind: PrometheusKind, Namespace: p.Namespace, Name: p.Name}, Spec: p.Spec.CommonPrometheusFields,
		RuleSelector: p.Spec.RuleSelector, RuleNamespaceSelector: p.Spec.RuleNamespaceSelector}
}

// FromAgent reads a PrometheusAgent object.
func FromAgent(a *promv1alpha1.PrometheusAgent) Collector {
	return Collector{Ref: Ref{Kind: PrometheusAgentKind, Namespace: a.Namespace, Name: a.Name}, Spec: a.Spec.CommonPrometheusFields,
		DaemonSet: a.Spec.Mode != nil && *a.Spec.Mode == promv1alpha1.DaemonSetPrometheusAgentMode}
}

// Collectors are the Prometheus objects, then the PrometheusAgent objects.
func Collectors(proms []promv1.Prometheus, agents []promv1alpha1.PrometheusAgent) []Collector {
	out := make([]Collector, 0, len(proms)+len(agents))
	for i := range proms {
		out = append(out, FromPrometheus(&proms[i]))
	}
	for i := range agents {
		out = append(out, FromAgent(&agents[i]))
	}
	return out
}

// Ref names a collector.
type Ref struct {
	// Kind is PrometheusKind or PrometheusAgentKind.
	Kind            string
	Namespace, Name string
}

// Agent says whether the collector is a PrometheusAgent.
func (c Ref) Agent() bool { return c.Kind == PrometheusAgentKind }

// String names it as Kind namespace/name.
func (c Ref) String() string { return c.Kind + " " + c.Namespace + "/" + c.Name }

// Resource is its resource name, as status.bindings name it.
func (c Ref) Resource() string {
	if c.Agent() {
		return promv1alpha1.PrometheusAgentName
	}
	return promv1.PrometheusName
}

// prefix is what prometheus-operator prefixes the names of the objects it
// generates for the collector with (its StatefulSets, its config Secret).
func (c Ref) prefix() string {
	if c.Agent() {
		return "prom-agent-"
	}
	return "prometheus-"
}

// ConfigSecret is the Secret prometheus-operator writes the collector's
// generated configuration to, gzipped under ConfigSecretKey.
func (c Ref) ConfigSecret() string { return c.prefix() + c.Name }

// AppName is the app.kubernetes.io/name label prometheus-operator puts on
// the collector's pods (a Prometheus and a PrometheusAgent of the same name
// in one namespace share their NameLabel).
func (c Ref) AppName() string {
	if c.Agent() {
		return "prometheus-agent"
	}
	return "prometheus"
}

// OwnsPod says whether a pod carrying labels (listed by NameLabel) is one
// of the collector's: a Prometheus and a PrometheusAgent of the same name
// in one namespace share that label, and are told apart by AppNameLabel
// (pods without it, from releases before it, count as the collector's).
func (c Ref) OwnsPod(labels map[string]string) bool {
	if labels[NameLabel] != c.Name {
		return false
	}
	app, ok := labels[AppNameLabel]
	return !ok || app == c.AppName()
}

// AppNameLabel is the label whose value AppName is.
const AppNameLabel = "app.kubernetes.io/name"
