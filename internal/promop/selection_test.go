package promop

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func prom(ns, name string, mutate ...func(*promv1.Prometheus)) promv1.Prometheus {
	p := promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, m := range mutate {
		m(&p)
	}
	return p
}

func TestChoose(t *testing.T) {
	a, b := prom("mon", "a"), prom("mon", "b")
	tests := []struct {
		name          string
		all           []promv1.Prometheus
		ns, ref       string
		want          string
		wantAmbiguous bool
		wantWhy       string
	}{
		{"the only one", []promv1.Prometheus{a}, "", "", "a", false, ""},
		{"named", []promv1.Prometheus{a, b}, "mon", "b", "b", false, ""},
		{"named, absent", []promv1.Prometheus{a}, "mon", "c", "", false, "Prometheus mon/c named in spec.prometheus.prometheusOperator.prometheus does not exist."},
		{"none", nil, "", "", "", false, "No Prometheus object exists; create one, or use mode Managed."},
		{"several", []promv1.Prometheus{b, a}, "", "", "", true, "Several Prometheus objects exist (mon/a, mon/b); name one in spec.prometheus.prometheusOperator.prometheus."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ambiguous, why := Choose(tt.all, tt.ns, tt.ref)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want || ambiguous != tt.wantAmbiguous || why != tt.wantWhy {
				t.Errorf("Choose() = %q, %v, %q; want %q, %v, %q", name, ambiguous, why, tt.want, tt.wantAmbiguous, tt.wantWhy)
			}
		})
	}
}

func TestServiceAccount(t *testing.T) {
	if got := ServiceAccount(&promv1.Prometheus{}); got != "default" {
		t.Errorf("ServiceAccount() = %q, want default", got)
	}
	p := prom("m", "p", func(p *promv1.Prometheus) { p.Spec.ServiceAccountName = "prom" })
	if got := ServiceAccount(&p); got != "prom" {
		t.Errorf("ServiceAccount() = %q, want prom", got)
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
		p        promv1.Prometheus
		monitors []Monitor
		want     []string
	}{
		{"selected in own namespace", prom("mon", "p", func(p *promv1.Prometheus) { p.Spec.ServiceMonitorSelector = release }),
			[]Monitor{sm}, nil},
		{"nil selector selects none", prom("mon", "p"), []Monitor{sm},
			[]string{"ServiceMonitor mon/c: the Prometheus has no serviceMonitorSelector, so it selects none"}},
		{"empty selector selects all", prom("mon", "p", func(p *promv1.Prometheus) { p.Spec.PodMonitorSelector = all }), []Monitor{pm}, nil},
		{"missing labels are named", prom("mon", "p", func(p *promv1.Prometheus) { p.Spec.PodMonitorSelector = release }), []Monitor{pm},
			[]string{"PodMonitor mon/a: labels release=kps missing (podMonitorSelector); add them to spec.prometheus.prometheusOperator.labels"}},
		{"expressions are quoted", prom("mon", "p", func(p *promv1.Prometheus) {
			p.Spec.PodMonitorSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "release", Operator: metav1.LabelSelectorOpExists}}}
		}), []Monitor{pm},
			[]string{`PodMonitor mon/a: labels do not match podMonitorSelector "release"; set spec.prometheus.prometheusOperator.labels to match`}},
		{"other namespace without namespace selector", prom("mon", "p", func(p *promv1.Prometheus) { p.Spec.ScrapeConfigSelector = all }), []Monitor{sc},
			[]string{"ScrapeConfig other/s: namespace other is not selected: the Prometheus has no scrapeConfigNamespaceSelector, so it looks in its own namespace mon only"}},
		{"namespace selector matches", prom("mon", "p", func(p *promv1.Prometheus) {
			p.Spec.ScrapeConfigSelector = all
			p.Spec.ScrapeConfigNamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "apps"}}
		}), []Monitor{sc}, nil},
		{"namespace selector does not match", prom("mon", "p", func(p *promv1.Prometheus) {
			p.Spec.ServiceMonitorSelector = release
			p.Spec.ServiceMonitorNamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "apps"}}
		}), []Monitor{sm},
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
