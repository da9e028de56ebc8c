package controllers

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
)

func TestMetricsCondition(t *testing.T) {
	wanted := &v1.AntreaMonitoring{}
	noRestart := &v1.AntreaMonitoring{Spec: v1.AntreaMonitoringSpec{Antrea: v1.AntreaSpec{RestartOnChange: ptr.To(false)}}}
	unmanaged := &v1.AntreaMonitoring{Spec: v1.AntreaMonitoringSpec{Antrea: v1.AntreaSpec{EnableMetrics: ptr.To(false)}}}
	on := map[string]bool{"antrea-config/antrea-agent.conf": true, "antrea-config/antrea-controller.conf": true}
	mixed := map[string]bool{"antrea-config/antrea-agent.conf": false, "antrea-config/antrea-controller.conf": true}
	const onMsg = "enablePrometheusMetrics is on in kube-system/antrea-config/antrea-agent.conf, kube-system/antrea-config/antrea-controller.conf."
	tests := []struct {
		name string
		am   *v1.AntreaMonitoring
		o    syncOutcome
		want metav1.Condition
	}{
		{"enabled", wanted, syncOutcome{effective: on},
			metav1.Condition{Type: v1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: v1.ReasonMetricsEnabled, Message: onMsg}},
		{"api failure", wanted, syncOutcome{effective: on, failed: errors.New("writing ConfigMap kube-system/antrea-config: timeout")},
			metav1.Condition{Type: v1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionFalse, Reason: v1.ReasonUpdateFailed, Message: "writing ConfigMap kube-system/antrea-config: timeout"}},
		{"invalid conf", wanted, syncOutcome{invalid: &antrea.InvalidConfError{ConfigMap: "antrea-config", Key: "antrea-agent.conf", Err: errors.New("yaml: bad")}},
			metav1.Condition{Type: v1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionFalse, Reason: v1.ReasonInvalidAntreaConfig,
				Message: "antrea-agent.conf in ConfigMap antrea-config: yaml: bad; the ConfigMap was left untouched."}},
		{"reverted", wanted, syncOutcome{effective: on, reverted: []string{"antrea-config/antrea-agent.conf"}, managedBy: "managed by Helm"},
			metav1.Condition{Type: v1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: v1.ReasonMetricsReapplied,
				Message: "enablePrometheusMetrics was turned off again in antrea-config/antrea-agent.conf by another writer (managed by Helm) and the operator re-applied it. " + onMsg}},
		{"restart pending", noRestart, syncOutcome{effective: on, pending: []string{"DaemonSet/antrea-agent"}},
			metav1.Condition{Type: v1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: v1.ReasonMetricsEnabledRestartRequired,
				Message: onMsg + " spec.antrea.restartOnChange is false: DaemonSet/antrea-agent apply it at their next restart."}},
		{"not managed, off", unmanaged, syncOutcome{effective: mixed},
			metav1.Condition{Type: v1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionFalse, Reason: v1.ReasonMetricsNotManaged,
				Message: "spec.antrea.enableMetrics is false, so the operator leaves Antrea's configuration alone; enablePrometheusMetrics is off in kube-system/antrea-config/antrea-agent.conf."}},
		{"not managed, on", unmanaged, syncOutcome{effective: on},
			metav1.Condition{Type: v1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionTrue, Reason: v1.ReasonMetricsNotManaged,
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
	status := &v1.AntreaMonitoringStatus{}
	metrics := falseCond(v1.ConditionAntreaMetricsEnabled, v1.ReasonConfigMapNotFound, "ConfigMap kube-system/antrea-config was not found.")
	rbac := trueCond(v1.ConditionRBACReady, v1.ReasonClusterRolesApplied, "ok")
	setConditions(status, 3, metrics, rbac)
	want := []metav1.Condition{
		{Type: v1.ConditionAntreaMetricsEnabled, Status: metav1.ConditionFalse, Reason: v1.ReasonConfigMapNotFound, Message: "ConfigMap kube-system/antrea-config was not found.", ObservedGeneration: 3},
		{Type: v1.ConditionRBACReady, Status: metav1.ConditionTrue, Reason: v1.ReasonClusterRolesApplied, Message: "ok", ObservedGeneration: 3},
		{Type: v1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1.ReasonNotReady, Message: "AntreaMetricsEnabled is False (ConfigMapNotFound).", ObservedGeneration: 3},
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

	setConditions(status, 4, trueCond(v1.ConditionAntreaMetricsEnabled, v1.ReasonMetricsEnabled, "on"), rbac)
	wantReady := metav1.Condition{Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1.ReasonReady,
		Message: "Antrea's metrics are enabled and Prometheus's RBAC is in place.", ObservedGeneration: 4}
	if diff := cmp.Diff(wantReady, status.Conditions[2], ignoreTime); diff != "" {
		t.Errorf("Ready mismatch (-want +got):\n%s", diff)
	}
}

func TestResolveMode(t *testing.T) {
	tests := []struct {
		mode   v1.PrometheusMode
		served bool
		want   v1.PrometheusMode
	}{
		{v1.ModeAuto, false, v1.ModeManaged},
		{v1.ModeAuto, true, v1.ModePrometheusOperator},
		{"", true, v1.ModePrometheusOperator},
		{v1.ModeScrapeConfig, true, v1.ModeScrapeConfig},
		{v1.ModeManaged, true, v1.ModeManaged},
	}
	for _, tt := range tests {
		if got := resolveMode(tt.mode, tt.served); got != tt.want {
			t.Errorf("resolveMode(%q, %v) = %q, want %q", tt.mode, tt.served, got, tt.want)
		}
	}
}
