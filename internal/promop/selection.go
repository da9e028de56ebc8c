// Package promop holds decisions about prometheus-operator: which
// Prometheus (or PrometheusAgent) object to serve, and whether it would
// select the operator's monitors. Pure functions, table-tested.
package promop

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Choose picks the collector to serve: the one named (kind, namespace,
// name), else the only Prometheus, else, when there is no Prometheus, the
// only PrometheusAgent. It returns the reason it could not, as a message,
// and whether that is because several could serve.
func Choose(all []Collector, kind, namespace, name string) (*Collector, bool, string) {
	if name != "" {
		for i := range all {
			if all[i].Kind == kind && all[i].Namespace == namespace && all[i].Name == name {
				return &all[i], false, ""
			}
		}
		field := "prometheus"
		if kind == PrometheusAgentKind {
			field = "prometheusAgent"
		}
		return nil, false, fmt.Sprintf("%s %s/%s named in spec.prometheus.prometheusOperator.%s does not exist.", kind, namespace, name, field)
	}
	byKind := map[string][]*Collector{}
	for i := range all {
		byKind[all[i].Kind] = append(byKind[all[i].Kind], &all[i])
	}
	for _, kind := range []string{PrometheusKind, PrometheusAgentKind} {
		switch found := byKind[kind]; len(found) {
		case 0:
			continue
		case 1:
			return found[0], false, ""
		default:
			names := make([]string, 0, len(found))
			for _, c := range found {
				names = append(names, c.Namespace+"/"+c.Name)
			}
			sort.Strings(names)
			field := "prometheus"
			if kind == PrometheusAgentKind {
				field = "prometheusAgent"
			}
			return nil, true, fmt.Sprintf("Several %s objects exist (%s); name one in spec.prometheus.prometheusOperator.%s.", kind, strings.Join(names, ", "), field)
		}
	}
	return nil, false, "No Prometheus or PrometheusAgent object exists; create one, or use mode Managed."
}

// ServiceAccount is the ServiceAccount a collector runs as.
func ServiceAccount(c *Collector) string {
	if c.Spec.ServiceAccountName != "" {
		return c.Spec.ServiceAccountName
	}
	return "default"
}

// Monitor is one object the Prometheus must select.
type Monitor struct {
	// Kind is ServiceMonitor, PodMonitor, ScrapeConfig or PrometheusRule.
	Kind      string
	Namespace string
	Name      string
	Labels    map[string]string
}

// SelectionProblems says, for each monitor the collector would not select,
// why: the labels or the namespace missing. namespaceLabels are the labels
// of the monitors' namespaces. An empty result means all are selected. A
// PrometheusAgent selects no rules (none should be asked of it), and in
// DaemonSet mode no ServiceMonitor or ScrapeConfig.
func SelectionProblems(c *Collector, monitors []Monitor, namespaceLabels map[string]map[string]string) []string {
	var problems []string
	for _, m := range monitors {
		if c.DaemonSet && m.Kind != "PodMonitor" {
			problems = append(problems, fmt.Sprintf("%s %s/%s: %s runs in DaemonSet mode, which runs PodMonitors only (each pod scrapes its own Node's pods); leave its spec.mode unset (StatefulSet) to scrape antrea-controller too",
				m.Kind, m.Namespace, m.Name, c))
			continue
		}
		sel, nsSel, field := selectors(c, m.Kind)
		if msg := labelProblem(c, sel, m.Labels, field); msg != "" {
			problems = append(problems, fmt.Sprintf("%s %s/%s: %s", m.Kind, m.Namespace, m.Name, msg))
		}
		if msg := namespaceProblem(c, nsSel, m.Namespace, namespaceLabels[m.Namespace], field); msg != "" {
			problems = append(problems, fmt.Sprintf("%s %s/%s: %s", m.Kind, m.Namespace, m.Name, msg))
		}
	}
	return problems
}

func selectors(c *Collector, kind string) (*metav1.LabelSelector, *metav1.LabelSelector, string) {
	switch kind {
	case "ServiceMonitor":
		return c.Spec.ServiceMonitorSelector, c.Spec.ServiceMonitorNamespaceSelector, "serviceMonitor"
	case "PodMonitor":
		return c.Spec.PodMonitorSelector, c.Spec.PodMonitorNamespaceSelector, "podMonitor"
	case "PrometheusRule":
		return c.RuleSelector, c.RuleNamespaceSelector, "rule"
	default:
		return c.Spec.ScrapeConfigSelector, c.Spec.ScrapeConfigNamespaceSelector, "scrapeConfig"
	}
}

// labelProblem: prometheus-operator selects nothing with a nil selector and
// everything with an empty one.
func labelProblem(c *Collector, sel *metav1.LabelSelector, have map[string]string, field string) string {
	if sel == nil {
		return fmt.Sprintf("the %s has no %sSelector, so it selects none", c.Kind, field)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return fmt.Sprintf("the %s's %sSelector is invalid: %v", c.Kind, field, err)
	}
	if s.Matches(labels.Set(have)) {
		return ""
	}
	var missing []string
	for k, v := range sel.MatchLabels {
		if have[k] != v {
			missing = append(missing, k+"="+v)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 && len(sel.MatchExpressions) == 0 {
		return fmt.Sprintf("labels %s missing (%sSelector); add them to spec.prometheus.prometheusOperator.labels", strings.Join(missing, ", "), field)
	}
	return fmt.Sprintf("labels do not match %sSelector %q; set spec.prometheus.prometheusOperator.labels to match", field, s.String())
}

// namespaceProblem: a nil namespace selector means the Prometheus's own
// namespace only; an empty one means every namespace.
func namespaceProblem(c *Collector, sel *metav1.LabelSelector, ns string, nsLabels map[string]string, field string) string {
	if sel == nil {
		if ns == c.Namespace {
			return ""
		}
		return fmt.Sprintf("namespace %s is not selected: the %s has no %sNamespaceSelector, so it looks in its own namespace %s only", ns, c.Kind, field, c.Namespace)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return fmt.Sprintf("the %s's %sNamespaceSelector is invalid: %v", c.Kind, field, err)
	}
	if s.Matches(labels.Set(nsLabels)) {
		return ""
	}
	return fmt.Sprintf("namespace %s does not match %sNamespaceSelector %q", ns, field, s.String())
}
