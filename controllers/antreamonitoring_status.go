package controllers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// falseCond is a False condition (ObservedGeneration is set by setConditions).
func falseCond(condType, reason, message string) metav1.Condition {
	return metav1.Condition{Type: condType, Status: metav1.ConditionFalse, Reason: reason, Message: message}
}

// metricsCondition turns the outcome of the Antrea phase into the
// AntreaMetricsEnabled condition. Messages name objects and settings only,
// never times or revisions, so an unchanged world gives an unchanged condition.
func metricsCondition(am *monitoringv1alpha1.AntreaMonitoring, ns string, o syncOutcome) metav1.Condition {
	t := monitoringv1alpha1.ConditionAntreaMetricsEnabled
	switch {
	case o.failed != nil:
		return falseCond(t, monitoringv1alpha1.ReasonUpdateFailed, o.failed.Error())
	case o.invalid != nil:
		return falseCond(t, monitoringv1alpha1.ReasonInvalidAntreaConfig, o.invalid.Error()+"; the ConfigMap was left untouched.")
	}
	var on, off []string
	for _, k := range slices.Sorted(maps.Keys(o.effective)) {
		if o.effective[k] {
			on = append(on, ns+"/"+k)
		} else {
			off = append(off, ns+"/"+k)
		}
	}
	if !am.MetricsWanted() {
		if len(off) > 0 {
			return falseCond(t, monitoringv1alpha1.ReasonMetricsNotManaged, fmt.Sprintf(
				"spec.antrea.enableMetrics is false, so the operator leaves Antrea's configuration alone; enablePrometheusMetrics is off in %s.", strings.Join(off, ", ")))
		}
		return trueCond(t, monitoringv1alpha1.ReasonMetricsNotManaged, fmt.Sprintf(
			"spec.antrea.enableMetrics is false, so the operator leaves Antrea's configuration alone; enablePrometheusMetrics is on in %s.", strings.Join(on, ", ")))
	}
	if len(off) > 0 { // cannot happen after a successful sync; reported rather than hidden
		return falseCond(t, monitoringv1alpha1.ReasonUpdateFailed, fmt.Sprintf("enablePrometheusMetrics is still off in %s.", strings.Join(off, ", ")))
	}
	msg := fmt.Sprintf("enablePrometheusMetrics is on in %s.", strings.Join(on, ", "))
	switch {
	case len(o.reverted) > 0:
		return trueCond(t, monitoringv1alpha1.ReasonMetricsReapplied, fmt.Sprintf(
			"enablePrometheusMetrics was turned off again in %s by another writer%s and the operator re-applied it. %s",
			strings.Join(o.reverted, ", "), withManager(o.managedBy), msg))
	case len(o.pending) > 0:
		return trueCond(t, monitoringv1alpha1.ReasonMetricsEnabledRestartRequired, fmt.Sprintf(
			"%s spec.antrea.restartOnChange is false: %s apply it at their next restart.", msg, strings.Join(o.pending, ", ")))
	}
	return trueCond(t, monitoringv1alpha1.ReasonMetricsEnabled, msg)
}

// keepReapplied keeps a MetricsReapplied condition (which names who turned
// metrics off) in place of MetricsEnabled until something really changes: the
// spec's generation, or what the confs say. Otherwise the next reconcile,
// which finds metrics on, would hide the revert a fraction of a second after
// it was reported.
func keepReapplied(prev *metav1.Condition, generation int64, now metav1.Condition) metav1.Condition {
	if prev == nil || prev.Reason != monitoringv1alpha1.ReasonMetricsReapplied || prev.ObservedGeneration != generation ||
		now.Reason != monitoringv1alpha1.ReasonMetricsEnabled || !strings.HasSuffix(prev.Message, now.Message) {
		return now
	}
	return metav1.Condition{Type: prev.Type, Status: prev.Status, Reason: prev.Reason, Message: prev.Message}
}

// notOwnedCondition is condType False with reason ObjectNotOwned when err
// says an object in the operator's way is not its own (not an error to
// retry: the user must act).
func notOwnedCondition(condType string, err error) (metav1.Condition, bool) {
	var notOwned *NotOwnedError
	if !errors.As(err, &notOwned) {
		return metav1.Condition{}, false
	}
	return falseCond(condType, monitoringv1alpha1.ReasonObjectNotOwned, err.Error()+"."), true
}

func trueCond(condType, reason, message string) metav1.Condition {
	return metav1.Condition{Type: condType, Status: metav1.ConditionTrue, Reason: reason, Message: message}
}

// progressing are the reasons of a condition that is not True yet while
// nothing is wrong: a fresh install goes through them.
var progressing = map[string]bool{
	monitoringv1alpha1.ReasonPrometheusStarting:  true,
	monitoringv1alpha1.ReasonScrapePending:       true,
	monitoringv1alpha1.ReasonProgressing:         true,
	monitoringv1alpha1.ReasonRestartInProgress:   true,
	monitoringv1alpha1.ReasonAntreaCAPropagating: true,
}

// readyCondition sums up the other conditions: Progressing when every one
// not True is on its way, NotReady otherwise.
func readyCondition(conds []metav1.Condition) metav1.Condition {
	var notReady []string
	reason := monitoringv1alpha1.ReasonProgressing
	for _, c := range conds {
		if c.Type != monitoringv1alpha1.ConditionReady && c.Status != metav1.ConditionTrue {
			notReady = append(notReady, fmt.Sprintf("%s is %s (%s)", c.Type, c.Status, c.Reason))
			if !progressing[c.Reason] {
				reason = monitoringv1alpha1.ReasonNotReady
			}
		}
	}
	if len(notReady) > 0 {
		sort.Strings(notReady)
		return falseCond(monitoringv1alpha1.ConditionReady, reason, strings.Join(notReady, "; ")+".")
	}
	return trueCond(monitoringv1alpha1.ConditionReady, monitoringv1alpha1.ReasonReady, "Antrea's metrics are enabled, Prometheus's RBAC is in place and the scrape configuration is applied.")
}

// optionalConditions exist only in some setups: PrometheusReady in mode
// Managed, TargetsHealthy while the health check is enabled.
var optionalConditions = []string{monitoringv1alpha1.ConditionPrometheusReady, monitoringv1alpha1.ConditionTargetsHealthy}

// setConditions sets the given conditions and Ready on status, each with the
// generation they were computed for, and drops optional conditions that no
// longer apply.
func setConditions(status *monitoringv1alpha1.AntreaMonitoringStatus, generation int64, conds ...metav1.Condition) {
	for _, t := range optionalConditions {
		if !slices.ContainsFunc(conds, func(c metav1.Condition) bool { return c.Type == t }) {
			meta.RemoveStatusCondition(&status.Conditions, t)
		}
	}
	for _, c := range conds {
		c.ObservedGeneration = generation
		meta.SetStatusCondition(&status.Conditions, c)
	}
	ready := readyCondition(status.Conditions)
	ready.ObservedGeneration = generation
	meta.SetStatusCondition(&status.Conditions, ready)
}

// patchStatus writes the status only when it changed.
func (r *AntreaMonitoringReconciler) patchStatus(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, status *monitoringv1alpha1.AntreaMonitoringStatus) error {
	if equality.Semantic.DeepEqual(am.Status, *status) {
		return nil
	}
	patch := client.MergeFrom(am.DeepCopy())
	am.Status = *status
	if err := r.Status().Patch(ctx, am, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("patching status: %w", err)
	}
	return nil
}
