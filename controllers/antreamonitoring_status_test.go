package controllers

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
)

func TestKeepReapplied(t *testing.T) {
	const onMsg = "enablePrometheusMetrics is on in kube-system/antrea-config/antrea-agent.conf."
	reapplied := metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonMetricsReapplied,
		Message:            "enablePrometheusMetrics was turned off again in antrea-config/antrea-agent.conf by another writer (managed by Helm) and the operator re-applied it. " + onMsg,
		ObservedGeneration: 3, LastTransitionTime: metav1.Now()}
	enabled := metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonMetricsEnabled, Message: onMsg}
	kept := reapplied
	kept.ObservedGeneration, kept.LastTransitionTime = 0, metav1.Time{}
	failed := metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonUpdateFailed, Message: "timeout"}
	otherConfs := metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonMetricsEnabled,
		Message: "enablePrometheusMetrics is on in kube-system/antrea-config/antrea-agent.conf, kube-system/antrea-windows-config/antrea-agent.conf."}
	tests := []struct {
		name       string
		prev       *metav1.Condition
		generation int64
		now, want  metav1.Condition
	}{
		{"no previous condition", nil, 3, enabled, enabled},
		{"reapplied, nothing changed since: kept", &reapplied, 3, enabled, kept},
		{"reapplied, then the spec changed", &reapplied, 4, enabled, enabled},
		{"reapplied, then a failure", &reapplied, 3, failed, failed},
		{"reapplied, then other confs", &reapplied, 3, otherConfs, otherConfs},
		{"previously enabled", &enabled, 3, enabled, enabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, keepReapplied(tt.prev, tt.generation, tt.now)); diff != "" {
				t.Errorf("keepReapplied() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetricsCondition(t *testing.T) {
	wanted := &monitoringv1alpha1.AntreaMonitoring{}
	noRestart := &monitoringv1alpha1.AntreaMonitoring{Spec: monitoringv1alpha1.AntreaMonitoringSpec{Antrea: monitoringv1alpha1.AntreaSpec{RestartOnChange: ptr.To(false)}}}
	unmanaged := &monitoringv1alpha1.AntreaMonitoring{Spec: monitoringv1alpha1.AntreaMonitoringSpec{Antrea: monitoringv1alpha1.AntreaSpec{EnableMetrics: ptr.To(false)}}}
	on := map[string]bool{"antrea-config/antrea-agent.conf": true, "antrea-config/antrea-controller.conf": true}
	mixed := map[string]bool{"antrea-config/antrea-agent.conf": false, "antrea-config/antrea-controller.conf": true}
	const onMsg = "enablePrometheusMetrics is on in kube-system/antrea-config/antrea-agent.conf, kube-system/antrea-config/antrea-controller.conf."
	tests := []struct {
		name string
		am   *monitoringv1alpha1.AntreaMonitoring
		o    syncOutcome
		want metav1.Condition
	}{
		{"enabled", wanted, syncOutcome{effective: on},
			metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonMetricsEnabled, Message: onMsg}},
		{"api failure", wanted, syncOutcome{effective: on, failed: errors.New("writing ConfigMap kube-system/antrea-config: timeout")},
			metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonUpdateFailed, Message: "writing ConfigMap kube-system/antrea-config: timeout"}},
		{"invalid conf", wanted, syncOutcome{invalid: &antrea.InvalidConfError{ConfigMap: "antrea-config", Key: "antrea-agent.conf", Err: errors.New("yaml: bad")}},
			metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonInvalidAntreaConfig,
				Message: "antrea-agent.conf in ConfigMap antrea-config: yaml: bad; the ConfigMap was left untouched."}},
		{"reverted", wanted, syncOutcome{effective: on, reverted: []string{"antrea-config/antrea-agent.conf"}, managedBy: "managed by Helm"},
			metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonMetricsReapplied,
				Message: "enablePrometheusMetrics was turned off again in antrea-config/antrea-agent.conf by another writer (managed by Helm) and the operator re-applied it. " + onMsg}},
		{"restart pending", noRestart, syncOutcome{effective: on, pending: []string{"DaemonSet/antrea-agent"}},
			metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonMetricsEnabledRestartRequired,
				Message: onMsg + " spec.antrea.restartOnChange is false: DaemonSet/antrea-agent apply it at their next restart."}},
		{"not managed, off", unmanaged, syncOutcome{effective: mixed},
			metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonMetricsNotManaged,
				Message: "spec.antrea.enableMetrics is false, so the operator leaves Antrea's configuration alone; enablePrometheusMetrics is off in kube-system/antrea-config/antrea-agent.conf."}},
		{"not managed, on", unmanaged, syncOutcome{effective: on},
			metav1.Condition{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonMetricsNotManaged,
				Message: "spec.antrea.enableMetrics is false, so the operator leaves Antrea's configuration alone; " + onMsg}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := metricsCondition(tt.am, "kube-system", tt.o)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("metricsCondition() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetConditions(t *testing.T) {
	ignoreTime := cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")
	status := &monitoringv1alpha1.AntreaMonitoringStatus{}
	metrics := falseCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonConfigMapNotFound, "ConfigMap kube-system/antrea-config was not found.")
	rbac := trueCond(monitoringv1alpha1.ConditionRBACReady, monitoringv1alpha1.ReasonClusterRolesApplied, "ok")
	setConditions(status, 3, metrics, rbac)
	want := []metav1.Condition{
		{Type: monitoringv1alpha1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonConfigMapNotFound, Message: "ConfigMap kube-system/antrea-config was not found.", ObservedGeneration: 3},
		{Type: monitoringv1alpha1.ConditionRBACReady, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonClusterRolesApplied, Message: "ok", ObservedGeneration: 3},
		{Type: monitoringv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonNotReady, Message: "AntreaMetricsEnabled is False (ConfigMapNotFound).", ObservedGeneration: 3},
	}
	if diff := cmp.Diff(want, status.Conditions, ignoreTime); diff != "" {
		t.Fatalf("setConditions() mismatch (-want +got):\n%s", diff)
	}

	// Same inputs again: nothing changes, not even the transition times.
	before := status.DeepCopy()
	setConditions(status, 3, metrics, rbac)
	if diff := cmp.Diff(before, status); diff != "" {
		t.Fatalf("setConditions() with unchanged inputs changed the status:\n%s", diff)
	}

	// A health condition that stops being reported (check disabled) goes away.
	setConditions(status, 4, trueCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonMetricsEnabled, "on"), rbac,
		falseCond(monitoringv1alpha1.ConditionTargetsHealthy, monitoringv1alpha1.ReasonTargetsDown, "1 of 2 targets are not up"))
	if c := meta.FindStatusCondition(status.Conditions, monitoringv1alpha1.ConditionTargetsHealthy); c == nil {
		t.Fatalf("TargetsHealthy not set")
	}
	setConditions(status, 4, trueCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonMetricsEnabled, "on"), rbac)
	if c := meta.FindStatusCondition(status.Conditions, monitoringv1alpha1.ConditionTargetsHealthy); c != nil {
		t.Errorf("TargetsHealthy kept after the check stopped: %+v", c)
	}
	wantReady := metav1.Condition{Type: monitoringv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonReady,
		Message: "Antrea's metrics are enabled, Prometheus's RBAC is in place and the scrape configuration is applied.", ObservedGeneration: 4}
	if diff := cmp.Diff(wantReady, status.Conditions[2], ignoreTime); diff != "" {
		t.Errorf("Ready mismatch (-want +got):\n%s", diff)
	}
}

func TestResolveMode(t *testing.T) {
	withMode := func(m monitoringv1alpha1.PrometheusMode) *monitoringv1alpha1.AntreaMonitoring {
		return &monitoringv1alpha1.AntreaMonitoring{Spec: monitoringv1alpha1.AntreaMonitoringSpec{Prometheus: monitoringv1alpha1.PrometheusSpec{Mode: m}}}
	}
	one := []promv1.Prometheus{{}}
	agentAndVM := []observed.Scraper{{Kind: "PrometheusAgent", Namespace: "monitoring", Name: "agent"}, {Kind: "VMAgent", Namespace: "vm", Name: "vmagent"}}
	tests := []struct {
		name     string
		am       *monitoringv1alpha1.AntreaMonitoring
		po       observed.PrometheusOperator
		scrapers []observed.Scraper
		want     monitoringv1alpha1.PrometheusMode
		cond     metav1.Condition
	}{
		{"auto without CRDs", withMode(monitoringv1alpha1.ModeAuto), observed.PrometheusOperator{}, nil, monitoringv1alpha1.ModeManaged,
			metav1.Condition{Type: monitoringv1alpha1.ConditionModeResolved, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonAutoNoPrometheusOperator,
				Message: "Mode Auto chose Managed: prometheus-operator's CRDs are not installed."}},
		{"auto with CRDs but no Prometheus", withMode(""), observed.PrometheusOperator{Served: true}, nil, monitoringv1alpha1.ModeManaged,
			metav1.Condition{Type: monitoringv1alpha1.ConditionModeResolved, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonAutoNoPrometheusOperator,
				Message: "Mode Auto chose Managed: no Prometheus object exists."}},
		{"auto with a Prometheus", withMode(monitoringv1alpha1.ModeAuto), observed.PrometheusOperator{Served: true, Prometheuses: one}, agentAndVM, monitoringv1alpha1.ModePrometheusOperator,
			metav1.Condition{Type: monitoringv1alpha1.ConditionModeResolved, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonAutoFoundPrometheusOperator,
				Message: "Mode Auto chose PrometheusOperator: prometheus-operator's CRDs are installed and a Prometheus object exists."}},
		{"auto with a PrometheusAgent and a VMAgent, no Prometheus: no second scraper", withMode(monitoringv1alpha1.ModeAuto), observed.PrometheusOperator{Served: true}, agentAndVM, "",
			metav1.Condition{Type: monitoringv1alpha1.ConditionModeResolved, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonOtherScraperFound,
				Message: "Mode Auto found no Prometheus object but PrometheusAgent monitoring/agent, VMAgent vm/vmagent already scraping the cluster, so it deploys no second scraper (a managed Prometheus would scrape every Node again). Set spec.prometheus.mode: PrometheusOperator with spec.prometheus.prometheusOperator.prometheusAgent: {namespace: monitoring, name: agent} to hand that PrometheusAgent monitors, ScrapeConfig to hand the jobs to another collector, or Managed to run a Prometheus anyway."}},
		{"explicit Managed next to a VMAgent", withMode(monitoringv1alpha1.ModeManaged), observed.PrometheusOperator{}, agentAndVM[1:], monitoringv1alpha1.ModeManaged,
			metav1.Condition{Type: monitoringv1alpha1.ConditionModeResolved, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonModeExplicit,
				Message: "spec.prometheus.mode is Managed."}},
		{"explicit", withMode(monitoringv1alpha1.ModeScrapeConfig), observed.PrometheusOperator{Served: true, Prometheuses: one}, nil, monitoringv1alpha1.ModeScrapeConfig,
			metav1.Condition{Type: monitoringv1alpha1.ConditionModeResolved, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonModeExplicit,
				Message: "spec.prometheus.mode is ScrapeConfig."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cond := resolveMode(tt.am, &observed.Cluster{PrometheusOperator: tt.po, Scrapers: tt.scrapers})
			if got != tt.want {
				t.Errorf("resolveMode() = %q, want %q", got, tt.want)
			}
			if diff := cmp.Diff(tt.cond, cond); diff != "" {
				t.Errorf("condition (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReportHealthWritesLastScrapeRarely(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { return &metav1.Time{Time: now.Add(-d)} }
	cond := &metav1.Condition{Type: monitoringv1alpha1.ConditionTargetsHealthy, Status: metav1.ConditionTrue}
	status := &monitoringv1alpha1.AntreaMonitoringStatus{Targets: []monitoringv1alpha1.TargetHealth{{ScrapePool: "a", Up: 1, LastScrape: at(time.Minute)}}}

	// Same counts, a newer scrape, stored one a minute old (< 10 intervals): kept.
	reportHealth(status, healthResult{condition: cond, targets: []monitoringv1alpha1.TargetHealth{{ScrapePool: "a", Up: 1, LastScrape: at(0)}}, summary: "1/1"}, 30*time.Second, now)
	if !status.Targets[0].LastScrape.Equal(at(time.Minute)) {
		t.Errorf("lastScrape refreshed although nothing else changed")
	}
	// Stored one older than ten intervals: refreshed.
	status.Targets[0].LastScrape = at(6 * time.Minute)
	reportHealth(status, healthResult{condition: cond, targets: []monitoringv1alpha1.TargetHealth{{ScrapePool: "a", Up: 1, LastScrape: at(0)}}, summary: "1/1"}, 30*time.Second, now)
	if !status.Targets[0].LastScrape.Equal(at(0)) {
		t.Errorf("stale lastScrape not refreshed")
	}
	// Counts changed: written at once.
	reportHealth(status, healthResult{condition: cond, targets: []monitoringv1alpha1.TargetHealth{{ScrapePool: "a", Down: 1, LastError: "x", LastScrape: at(0)}}, summary: "0/1"}, 30*time.Second, now)
	if status.Targets[0].Down != 1 || status.TargetsSummary != "0/1" {
		t.Errorf("changed health not written: %+v", status)
	}
	// Check disabled: health fields cleared.
	reportHealth(status, healthResult{}, 30*time.Second, now)
	if status.Targets != nil || status.TargetsSummary != "" {
		t.Errorf("disabled check left health in status: %+v", status)
	}
}

func TestEventType(t *testing.T) {
	cond := func(typ, status, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionStatus(status), Reason: reason}
	}
	restarting := &monitoringv1alpha1.AntreaMonitoringStatus{Conditions: []metav1.Condition{
		cond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, "False", monitoringv1alpha1.ReasonRestartInProgress)}}
	enabled := &monitoringv1alpha1.AntreaMonitoringStatus{Conditions: []metav1.Condition{
		cond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, "True", monitoringv1alpha1.ReasonMetricsEnabled)}}
	disabled := cond(monitoringv1alpha1.ConditionTargetsHealthy, "False", monitoringv1alpha1.ReasonMetricsDisabled)
	for name, tc := range map[string]struct {
		c      metav1.Condition
		status *monitoringv1alpha1.AntreaMonitoringStatus
		want   string
	}{
		"404 while the operator's rollout replaces the pods": {disabled, restarting, corev1.EventTypeNormal},
		"404 with the rollout done":                          {disabled, enabled, corev1.EventTypeWarning},
		"on its way":                                         {cond(monitoringv1alpha1.ConditionTargetsHealthy, "Unknown", monitoringv1alpha1.ReasonPrometheusStarting), enabled, corev1.EventTypeNormal},
		"True":                                               {cond(monitoringv1alpha1.ConditionReady, "True", monitoringv1alpha1.ReasonReady), enabled, corev1.EventTypeNormal},
	} {
		if got := eventType(&tc.c, tc.status); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
}

// TestAlertsDelivered: True naming the Alertmanagers Prometheus sends to,
// False saying the alerts fire into nothing; never part of Ready.
func TestAlertsDelivered(t *testing.T) {
	on := alertsCondition(health.Alertmanagers{Active: []string{"http://10.0.0.1:9093/api/v2/alerts"}}, "spec.prometheus.managed.alerting")
	if on.Status != metav1.ConditionTrue || on.Reason != monitoringv1alpha1.ReasonAlertmanagersActive || !strings.Contains(on.Message, "http://10.0.0.1:9093/api/v2/alerts") {
		t.Errorf("active: %+v", on)
	}
	off := alertsCondition(health.Alertmanagers{Dropped: []string{"http://10.0.0.9:9093/api/v2/alerts"}}, "spec.alerting of Prometheus kps/kps")
	if off.Status != metav1.ConditionFalse || off.Reason != monitoringv1alpha1.ReasonNoAlertmanager || !strings.Contains(off.Message, "notify nobody") || !strings.Contains(off.Message, "spec.alerting of Prometheus kps/kps") ||
		!strings.Contains(off.Message, "10.0.0.9") {
		t.Errorf("none active: %+v", off)
	}
	ready := readyCondition([]metav1.Condition{*off, trueCond(monitoringv1alpha1.ConditionRBACReady, monitoringv1alpha1.ReasonClusterRolesApplied, "")})
	if ready.Status != metav1.ConditionTrue {
		t.Errorf("Ready waits for AlertsDelivered: %+v", ready)
	}
}
