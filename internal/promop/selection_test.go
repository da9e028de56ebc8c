package promop

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func prom(ns, name string, mutate ...func(*promv1.Prometheus)) promv1.Prometheus {
	p := promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, m := range mutate {
		m(&p)
	}
	return p
}

func agent(ns, name string, mutate ...func(*promv1alpha1.PrometheusAgent)) promv1alpha1.PrometheusAgent {
	a := promv1alpha1.PrometheusAgent{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, m := range mutate {
		m(&a)
	}
	return a
}

func TestChoose(t *testing.T) {
	a, b := prom("mon", "a"), prom("mon", "b")
	x, y := agent("mon", "x"), agent("fwd", "y")
	tests := []struct {
		name          string
		proms         []promv1.Prometheus
		agents        []promv1alpha1.PrometheusAgent
		kind, ns, ref string
		want          string
		wantAmbiguous bool
		wantWhy       string
	}{
		{"the only one", []promv1.Prometheus{a}, nil, "", "", "", "Prometheus mon/a", false, ""},
		{"named", []promv1.Prometheus{a, b}, nil, PrometheusKind, "mon", "b", "Prometheus mon/b", false, ""},
		{"named, absent", []promv1.Prometheus{a}, nil, PrometheusKind, "mon", "c", "", false, "Prometheus mon/c named in spec.prometheus.prometheusOperator.prometheus does not exist."},
		{"none", nil, nil, "", "", "", "", false, "No Prometheus or PrometheusAgent object exists; create one, or use mode Managed."},
		{"several", []promv1.Prometheus{b, a}, nil, "", "", "", "", true, "Several Prometheus objects exist (mon/a, mon/b); name one in spec.prometheus.prometheusOperator.prometheus."},
		{"the only Prometheus before an agent", []promv1.Prometheus{a}, []promv1alpha1.PrometheusAgent{x}, "", "", "", "Prometheus mon/a", false, ""},
		{"the only agent when no Prometheus", nil, []promv1alpha1.PrometheusAgent{x}, "", "", "", "PrometheusAgent mon/x", false, ""},
		{"several agents", nil, []promv1alpha1.PrometheusAgent{x, y}, "", "", "", "", true, "Several PrometheusAgent objects exist (fwd/y, mon/x); name one in spec.prometheus.prometheusOperator.prometheusAgent."},
		{"agent named beside a Prometheus", []promv1.Prometheus{a}, []promv1alpha1.PrometheusAgent{x, y}, PrometheusAgentKind, "fwd", "y", "PrometheusAgent fwd/y", false, ""},
		{"a Prometheus's name is not an agent's", []promv1.Prometheus{prom("fwd", "y")}, nil, PrometheusAgentKind, "fwd", "y", "", false,
			"PrometheusAgent fwd/y named in spec.prometheus.prometheusOperator.prometheusAgent does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ambiguous, why := Choose(Collectors(tt.proms, tt.agents), tt.kind, tt.ns, tt.ref)
			name := ""
			if got != nil {
				name = got.String()
			}
			if name != tt.want || ambiguous != tt.wantAmbiguous || why != tt.wantWhy {
				t.Errorf("Choose() = %q, %v, %q; want %q, %v, %q", name, ambiguous, why, tt.want, tt.wantAmbiguous, tt.wantWhy)
			}
		})
	}
}

func TestServiceAccount(t *testing.T) {
	if got := ServiceAccount(&Collector{}); got != "default" {
		t.Errorf("ServiceAccount() = %q, want default", got)
	}
	p := FromAgent(ptr.To(agent("m", "p", func(a *promv1alpha1.PrometheusAgent) { a.Spec.ServiceAccountName = "prom" })))
	if got := ServiceAccount(&p); got != "prom" {
		t.Errorf("ServiceAccount() = %q, want prom", got)
	}
}

// A Prometheus and a PrometheusAgent of one name in one namespace share
// the name label: the app label tells their pods apart.
func TestOwnsPod(t *testing.T) {
	p, a := FromPrometheus(ptr.To(prom("mon", "k8s"))).Ref, FromAgent(ptr.To(agent("mon", "k8s"))).Ref
	promPod := map[string]string{NameLabel: "k8s", AppNameLabel: "prometheus"}
	agentPod := map[string]string{NameLabel: "k8s", AppNameLabel: "prometheus-agent"}
	oldPod := map[string]string{NameLabel: "k8s"}
	for _, tt := range []struct {
		ref    Ref
		labels map[string]string
		want   bool
	}{
		{p, promPod, true}, {p, agentPod, false}, {a, agentPod, true}, {a, promPod, false}, {p, oldPod, true},
		{p, map[string]string{NameLabel: "other", AppNameLabel: "prometheus"}, false},
	} {
		if got := tt.ref.OwnsPod(tt.labels); got != tt.want {
			t.Errorf("%s.OwnsPod(%v) = %v, want %v", tt.ref, tt.labels, got, tt.want)
		}
	}
	if p.ConfigSecret() != "prometheus-k8s" || a.ConfigSecret() != "prom-agent-k8s" || p.Resource() != "prometheuses" || a.Resource() != "prometheusagents" {
		t.Errorf("names: %s %s %s %s", p.ConfigSecret(), a.ConfigSecret(), p.Resource(), a.Resource())
	}
}

func TestSelectionProblems(t *testing.T) {
	release := &metav1.LabelSelector{MatchLabels: map[string]string{"release": "kps"}}
	all := &metav1.LabelSelector{}
	sm := Monitor{Kind: "ServiceMonitor", Namespace: "mon", Name: "c", Labels: map[string]string{"release": "kps"}}
	pm := Monitor{Kind: "PodMonitor", Namespace: "mon", Name: "a", Labels: map[string]string{"app": "x"}}
	sc := Monitor{Kind: "ScrapeConfig", Namespace: "other", Name: "s", Labels: map[string]string{"release": "kps"}}
	nsLabels := map[string]map[string]string{"mon": {"team": "net"}, "other": {"team": "apps"}}
	tests := []struct {
		name     string
		p        Collector
		monitors []Monitor
		want     []string
	}{
		{"selected in own namespace", FromPrometheus(ptr.To(prom("mon", "p", func(p *promv1.Prometheus) { p.Spec.ServiceMonitorSelector = release }))),
			[]Monitor{sm}, nil},
		{"nil selector selects none", FromPrometheus(ptr.To(prom("mon", "p"))), []Monitor{sm},
			[]string{"ServiceMonitor mon/c: the Prometheus has no serviceMonitorSelector, so it selects none"}},
		{"empty selector selects all", FromPrometheus(ptr.To(prom("mon", "p", func(p *promv1.Prometheus) { p.Spec.PodMonitorSelector = all }))), []Monitor{pm}, nil},
		{"missing labels are named", FromPrometheus(ptr.To(prom("mon", "p", func(p *promv1.Prometheus) { p.Spec.PodMonitorSelector = release }))), []Monitor{pm},
			[]string{"PodMonitor mon/a: labels release=kps missing (podMonitorSelector); add them to spec.prometheus.prometheusOperator.labels"}},
		{"expressions are quoted", FromPrometheus(ptr.To(prom("mon", "p", func(p *promv1.Prometheus) {
			p.Spec.PodMonitorSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "release", Operator: metav1.LabelSelectorOpExists}}}
		}))), []Monitor{pm},
			[]string{`PodMonitor mon/a: labels do not match podMonitorSelector "release"; set spec.prometheus.prometheusOperator.labels to match`}},
		{"other namespace without namespace selector", FromPrometheus(ptr.To(prom("mon", "p", func(p *promv1.Prometheus) { p.Spec.ScrapeConfigSelector = all }))), []Monitor{sc},
			[]string{"ScrapeConfig other/s: namespace other is not selected: the Prometheus has no scrapeConfigNamespaceSelector, so it looks in its own namespace mon only"}},
		{"namespace selector matches", FromPrometheus(ptr.To(prom("mon", "p", func(p *promv1.Prometheus) {
			p.Spec.ScrapeConfigSelector = all
			p.Spec.ScrapeConfigNamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "apps"}}
		}))), []Monitor{sc}, nil},
		{"an agent's missing labels name the PrometheusAgent", FromAgent(ptr.To(agent("mon", "p"))), []Monitor{pm},
			[]string{"PodMonitor mon/a: the PrometheusAgent has no podMonitorSelector, so it selects none"}},
		{"an agent in DaemonSet mode runs PodMonitors only", FromAgent(ptr.To(agent("mon", "p", func(a *promv1alpha1.PrometheusAgent) {
			a.Spec.Mode = ptr.To(promv1alpha1.DaemonSetPrometheusAgentMode)
			a.Spec.PodMonitorSelector, a.Spec.ServiceMonitorSelector = all, all
		}))), []Monitor{sm, {Kind: "PodMonitor", Namespace: "mon", Name: "a"}},
			[]string{"ServiceMonitor mon/c: PrometheusAgent mon/p runs in DaemonSet mode, which runs PodMonitors only (each pod scrapes its own Node's pods); leave its spec.mode unset (StatefulSet) to scrape antrea-controller too"}},
		{"namespace selector does not match", FromPrometheus(ptr.To(prom("mon", "p", func(p *promv1.Prometheus) {
			p.Spec.ServiceMonitorSelector = release
			p.Spec.ServiceMonitorNamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "apps"}}
		}))), []Monitor{sm},
			[]string{`ServiceMonitor mon/c: namespace mon does not match serviceMonitorNamespaceSelector "team=apps"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SelectionProblems(&tt.p, tt.monitors, nsLabels)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SelectionProblems() (-want +got):\n%s", diff)
			}
		})
	}
}
