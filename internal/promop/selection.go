// Package promop holds decisions about prometheus-operator: which
// Prometheus object to serve, and whether it would select the operator's
// monitors. Pure functions, table-tested.
package promop

import (
	"fmt"
	"sort"
	"strings"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Choose picks the Prometheus to serve: the named one, else the only one.
// It returns the reason it could not, as a message, when it cannot.
func Choose(all []promv1.Prometheus, namespace, name string) (*promv1.Prometheus, bool, string) {
	if name != "" {
		for i := range all {
			if all[i].Namespace == namespace && all[i].Name == name {
				return &all[i], false, ""
			}
		}
		return nil, false, fmt.Sprintf("Prometheus %s/%s named in spec.prometheus.prometheusOperator.prometheus does not exist.", namespace, name)
	}
	switch len(all) {
	case 0:
		return nil, false, "No Prometheus object exists; create one, or use mode Managed."
	case 1:
		return &all[0], false, ""
	}
	var names []string
	for _, p := range all {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	sort.Strings(names)
	return nil, true, fmt.Sprintf("Several Prometheus objects exist (%s); name one in spec.prometheus.prometheusOperator.prometheus.", strings.Join(names, ", "))
}

// ServiceAccount is the ServiceAccount a Prometheus runs as.
func ServiceAccount(p *promv1.Prometheus) string {
	if p.Spec.ServiceAccountName != "" {
		return p.Spec.ServiceAccountName
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

// SelectionProblems says, for each monitor the Prometheus would not select,
// why: the labels or the namespace missing. namespaceLabels are the labels
// of the monitors' namespaces. An empty result means all are selected.
func SelectionProblems(p *promv1.Prometheus, monitors []Monitor, namespaceLabels map[string]map[string]string) []string {
	var problems []string
	for _, m := range monitors {
		sel, nsSel, field := selectors(p, m.Kind)
		if msg := labelProblem(sel, m.Labels, field); msg != "" {
			problems = append(problems, fmt.Sprintf("%s %s/%s: %s", m.Kind, m.Namespace, m.Name, msg))
		}
		if msg := namespaceProblem(p, nsSel, m.Namespace, namespaceLabels[m.Namespace], field); msg != "" {
			problems = append(problems, fmt.Sprintf("%s %s/%s: %s", m.Kind, m.Namespace, m.Name, msg))
		}
	}
	return problems
}

func selectors(p *promv1.Prometheus, kind string) (*metav1.LabelSelector, *metav1.LabelSelector, string) {
	switch kind {
	case "ServiceMonitor":
		return p.Spec.ServiceMonitorSelector, p.Spec.ServiceMonitorNamespaceSelector, "serviceMonitor"
	case "PodMonitor":
		return p.Spec.PodMonitorSelector, p.Spec.PodMonitorNamespaceSelector, "podMonitor"
	case "PrometheusRule":
		return p.Spec.RuleSelector, p.Spec.RuleNamespaceSelector, "rule"
	default:
		return p.Spec.ScrapeConfigSelector, p.Spec.ScrapeConfigNamespaceSelector, "scrapeConfig"
	}
}

// labelProblem: prometheus-operator selects nothing with a nil selector and
// everything with an empty one.
func labelProblem(sel *metav1.LabelSelector, have map[string]string, field string) string {
	if sel == nil {
		return fmt.Sprintf("the Prometheus has no %sSelector, so it selects none", field)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return fmt.Sprintf("the Prometheus's %sSelector is invalid: %v", field, err)
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
func namespaceProblem(p *promv1.Prometheus, sel *metav1.LabelSelector, ns string, nsLabels map[string]string, field string) string {
	if sel == nil {
		if ns == p.Namespace {
			return ""
		}
		return fmt.Sprintf("namespace %s is not selected: the Prometheus has no %sNamespaceSelector, so it looks in its own namespace %s only", ns, field, p.Namespace)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return fmt.Sprintf("the Prometheus's %sNamespaceSelector is invalid: %v", field, err)
	}
	if s.Matches(labels.Set(nsLabels)) {
		return ""
	}
	return fmt.Sprintf("namespace %s does not match %sNamespaceSelector %q", ns, field, s.String())
}
