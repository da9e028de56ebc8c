package controllers

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
)

// TestPlanPrometheus is the Prometheus phase's decision table: a gathered
// cluster state in, the conditions and the render (or its absence) out. No
// cluster, no client.
func TestPlanPrometheus(t *testing.T) {
	cond := func(typ string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message}
	}
	explicit := func(mode string) metav1.Condition {
		return cond(monitoringv1alpha1.ConditionModeResolved, metav1.ConditionTrue, monitoringv1alpha1.ReasonModeExplicit, "spec.prometheus.mode is "+mode+".")
	}
	am := func(mutate func(*monitoringv1alpha1.AntreaMonitoring)) *monitoringv1alpha1.AntreaMonitoring {
		a := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "antrea", UID: "uid-1", Generation: 2},
			Spec: monitoringv1alpha1.AntreaMonitoringSpec{Antrea: monitoringv1alpha1.AntreaSpec{Namespace: "kube-system"},
				Prometheus: monitoringv1alpha1.PrometheusSpec{ScrapeInterval: "30s"}}}
		mutate(a)
		return a
	}
	managed := func(a *monitoringv1alpha1.AntreaMonitoring) { a.Spec.Prometheus.Mode = monitoringv1alpha1.ModeManaged }
	scrapeConfig := func(a *monitoringv1alpha1.AntreaMonitoring) {
		a.Spec.Prometheus.Mode = monitoringv1alpha1.ModeScrapeConfig
		a.Spec.Prometheus.ScrapeConfig = &monitoringv1alpha1.ScrapeConfigTarget{Namespace: "prom",
			ServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "prom", Name: "prometheus"}}
	}
	promOp := func(labels map[string]monitoringv1alpha1.LabelValue) func(*monitoringv1alpha1.AntreaMonitoring) {
		return func(a *monitoringv1alpha1.AntreaMonitoring) {
			a.Spec.Prometheus.Mode = monitoringv1alpha1.ModePrometheusOperator
			a.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{Labels: labels}
		}
	}
	ns := func(names ...string) map[string]*corev1.Namespace {
		m := map[string]*corev1.Namespace{}
		for _, n := range names {
			m[n] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}
		}
		return m
	}
	kps := promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "kps-prometheus"}}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"release": "kps"}}
	kps.Spec.ServiceMonitorSelector, kps.Spec.PodMonitorSelector, kps.Spec.RuleSelector = sel, sel, sel
	served := observed.PrometheusOperator{Served: true, Established: map[string]bool{PrometheusCRD: true}, Prometheuses: []promv1.Prometheus{kps}}
	available := &appsv1.Deployment{Status: appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}}}

	type planCase struct {
		name     string
		am       *monitoringv1alpha1.AntreaMonitoring
		cluster  observed.Cluster
		want     []metav1.Condition // conditions, then the applied ones
		rendered bool
		pools    []string
		requeue  time.Duration
	}
	tests := []planCase{
		{name: "managed, Deployment not available yet", am: am(managed), cluster: observed.Cluster{Namespaces: ns()}, rendered: true,
			pools: []string{"antrea-controllers", "antrea-agents"},
			want: []metav1.Condition{explicit("Managed"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied, "Prometheus monitoring/antrea-prometheus is configured with jobs antrea-controllers and antrea-agents."),
				cond(monitoringv1alpha1.ConditionPrometheusReady, metav1.ConditionFalse, monitoringv1alpha1.ReasonPrometheusStarting,
					"Deployment monitoring/antrea-prometheus is starting.")}},
		{name: "managed, available", am: am(managed), rendered: true, pools: []string{"antrea-controllers", "antrea-agents"},
			cluster: observed.Cluster{Namespaces: ns("monitoring"), Deployments: map[types.NamespacedName]*appsv1.Deployment{{Namespace: "monitoring", Name: "antrea-prometheus"}: available}},
			want: []metav1.Condition{explicit("Managed"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied, "Prometheus monitoring/antrea-prometheus is configured with jobs antrea-controllers and antrea-agents."),
				cond(monitoringv1alpha1.ConditionPrometheusReady, metav1.ConditionTrue, monitoringv1alpha1.ReasonDeploymentAvailable, "Deployment monitoring/antrea-prometheus is available.")}},
		{name: "scrape config, namespace missing", am: am(scrapeConfig), cluster: observed.Cluster{Namespaces: ns()},
			want: []metav1.Condition{explicit("ScrapeConfig"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonNamespaceNotFound, "Namespace prom (spec.prometheus.scrapeConfig.namespace) does not exist.")}},
		{name: "scrape config, ServiceAccount missing", am: am(scrapeConfig), cluster: observed.Cluster{Namespaces: ns("prom")},
			want: []metav1.Condition{explicit("ScrapeConfig"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonServiceAccountNotFound, "ServiceAccount prom/prometheus (spec.prometheus.scrapeConfig.serviceAccount) does not exist.")}},
		{name: "scrape config, delivered", am: am(scrapeConfig), rendered: true, pools: []string{"antrea-controllers", "antrea-agents"},
			cluster: observed.Cluster{Namespaces: ns("prom"), ServiceAccounts: map[types.NamespacedName]bool{{Namespace: "prom", Name: "prometheus"}: true}},
			want: []metav1.Condition{explicit("ScrapeConfig"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied,
					"Jobs antrea-controllers and antrea-agents are in Secret and ConfigMap prom/antrea-scrape-configs (key antrea-scrape-configs.yaml); ServiceAccount prom/prometheus is bound to ClusterRoles antrea-monitoring:prometheus and antrea-monitoring:prometheus-antrea.")}},
		{name: "prometheus-operator not installed", am: am(promOp(nil)), cluster: observed.Cluster{Namespaces: ns("kps")},
			want: []metav1.Condition{explicit("PrometheusOperator"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonPrometheusNotFound, "prometheus-operator's CRDs (monitoring.coreos.com) are not installed.")}},
		{name: "prometheus-operator, CRD not discoverable yet", am: am(promOp(nil)), requeue: 2 * time.Second,
			cluster: observed.Cluster{Namespaces: ns("kps"), PrometheusOperator: observed.PrometheusOperator{Pending: true}},
			want: []metav1.Condition{explicit("PrometheusOperator"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonPrometheusNotFound, "prometheus-operator's CRDs (monitoring.coreos.com) are not installed.")}},
		{name: "prometheus-operator, monitors' namespace missing", am: am(promOp(nil)), cluster: observed.Cluster{Namespaces: ns(), PrometheusOperator: served},
			want: []metav1.Condition{explicit("PrometheusOperator"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonNamespaceNotFound,
					"Namespace kps for the monitors (spec.prometheus.prometheusOperator.namespace, or the Prometheus's namespace) does not exist.")}},
		{name: "prometheus-operator, not selected", am: am(promOp(nil)), rendered: true, cluster: observed.Cluster{Namespaces: ns("kps"), PrometheusOperator: served},
			pools: []string{"serviceMonitor/kps/antrea-controllers/0", "podMonitor/kps/antrea-agents/0"},
			want: []metav1.Condition{explicit("PrometheusOperator"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonNotSelectedByPrometheus,
					"ServiceMonitor kps/antrea-controllers: labels release=kps missing (serviceMonitorSelector); add them to spec.prometheus.prometheusOperator.labels; "+
						"PodMonitor kps/antrea-agents: labels release=kps missing (podMonitorSelector); add them to spec.prometheus.prometheusOperator.labels; "+
						"PrometheusRule kps/antrea-antrea-rules: labels release=kps missing (ruleSelector); add them to spec.prometheus.prometheusOperator.labels.")}},
		{name: "prometheus-operator, selected", am: am(promOp(map[string]monitoringv1alpha1.LabelValue{"release": "kps"})), rendered: true,
			cluster: observed.Cluster{Namespaces: ns("kps"), PrometheusOperator: served},
			pools:   []string{"serviceMonitor/kps/antrea-controllers/0", "podMonitor/kps/antrea-agents/0"},
			want: []metav1.Condition{explicit("PrometheusOperator"),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied, "The monitors in namespace kps are selected by the Prometheus kps/kps-prometheus.")}},
		{name: "auto resolves to prometheus-operator", am: am(func(a *monitoringv1alpha1.AntreaMonitoring) { a.Spec.Prometheus.Mode = monitoringv1alpha1.ModeAuto }),
			rendered: true, cluster: observed.Cluster{Namespaces: ns("kps"), PrometheusOperator: served},
			pools: []string{"serviceMonitor/kps/antrea-controllers/0", "podMonitor/kps/antrea-agents/0"},
			want: []metav1.Condition{
				cond(monitoringv1alpha1.ConditionModeResolved, metav1.ConditionTrue, monitoringv1alpha1.ReasonAutoFoundPrometheusOperator,
					"Mode Auto chose PrometheusOperator: prometheus-operator's CRDs are installed and a Prometheus object exists."),
				cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonNotSelectedByPrometheus,
					"ServiceMonitor kps/antrea-controllers: labels release=kps missing (serviceMonitorSelector); add them to spec.prometheus.prometheusOperator.labels; "+
						"PodMonitor kps/antrea-agents: labels release=kps missing (podMonitorSelector); add them to spec.prometheus.prometheusOperator.labels; "+
						"PrometheusRule kps/antrea-antrea-rules: labels release=kps missing (ruleSelector); add them to spec.prometheus.prometheusOperator.labels.")}},
	}
	pemCA, err := os.ReadFile(filepath.Join("..", "internal", "render", "testdata", "antrea-ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	antreaCA := &corev1.ConfigMap{Data: map[string]string{"ca.crt": string(pemCA)}}
	tests = append(tests, planCase{name: "antrea-ca missing", am: am(scrapeConfig), cluster: observed.Cluster{Namespaces: ns("prom"), ServiceAccounts: map[types.NamespacedName]bool{{Namespace: "prom", Name: "prometheus"}: true},
		AntreaCA: &corev1.ConfigMap{}},
		want: []metav1.Condition{cond(monitoringv1alpha1.ConditionModeResolved, metav1.ConditionTrue, monitoringv1alpha1.ReasonModeExplicit, "spec.prometheus.mode is ScrapeConfig."),
			cond(monitoringv1alpha1.ConditionScrapeConfigured, metav1.ConditionFalse, monitoringv1alpha1.ReasonAntreaCANotFound,
				"Key ca.crt of ConfigMap kube-system/antrea-ca holds no PEM certificate, so the controller job could not verify antrea-controller: antrea-controller publishes it at start-up and when it rotates its certificate; set spec.antrea.insecureSkipVerify: true to scrape the controller without verification (insecure).")}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cluster.AntreaCA == nil {
				tt.cluster.AntreaCA = antreaCA
			}
			p := planPrometheus(tt.am, &tt.cluster, catalog.Antrea{})
			got := append(append([]metav1.Condition{}, p.conditions...), p.applied...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if (p.rendered != nil) != tt.rendered {
				t.Fatalf("rendered = %v, want %v", p.rendered != nil, tt.rendered)
			}
			if p.requeueAfter != tt.requeue {
				t.Errorf("requeueAfter = %v, want %v", p.requeueAfter, tt.requeue)
			}
			if p.rendered == nil {
				return
			}
			var pools []string
			for _, pl := range p.rendered.Pools {
				pools = append(pools, pl.Name)
			}
			if diff := cmp.Diff(tt.pools, pools); diff != "" {
				t.Errorf("pools (-want +got):\n%s", diff)
			}
		})
	}
}
