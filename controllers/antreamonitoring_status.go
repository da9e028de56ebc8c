package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/selfmetrics"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/ssa"
)

// This file builds every condition of the status, from what the phases
// found, and writes the status once per reconcile (writeStatus). Messages
// name objects and settings only, never times or revisions, so an
// unchanged world gives an unchanged condition and no write.

// writeStatus sets the phases' conditions and Ready on the status being
// built, records an event when TargetsHealthy or Ready changes, moves
// observedGeneration only when every phase succeeded, and writes the status
// when it changed. A reconcile that failed returns its error alone (it is
// retried with backoff); one that succeeded asks for the earliest requeue a
// phase wants.
func (r *AntreaMonitoringReconciler) writeStatus(ctx context.Context, s *scope, results []result) (ctrl.Result, error) {
	var conds []metav1.Condition
	var errs []error
	var requeue time.Duration
	for _, res := range results {
		conds = append(conds, res.conditions...)
		errs = append(errs, res.err)
		requeue = minPositive(requeue, res.requeueAfter)
	}
	for _, err := range []error{s.infoErr, s.fleetErr} { // unless a phase returned it
		if !slices.Contains(errs, err) {
			errs = append(errs, err)
		}
	}
	setConditions(s.status, s.am.Generation, conds...)
	r.eventOnTransition(s.am, s.status)
	selfmetrics.Record(s.am.Name, s.status, expectedTargets(s))
	reconcileErr := errors.Join(errs...)
	if reconcileErr == nil {
		s.status.ObservedGeneration = s.am.Generation
	}
	if err := r.patchStatus(ctx, s.am, s.status); err != nil {
		return ctrl.Result{}, errors.Join(reconcileErr, err)
	}
	if reconcileErr != nil {
		return ctrl.Result{}, reconcileErr
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// expectedTargets is how many targets each of the mode's pools should have:
// what Antrea runs (fleet.expected).
func expectedTargets(s *scope) map[string]int {
	out := map[string]int{}
	for _, p := range s.decided.prometheus.pools {
		out[p.Name] = s.fleet.expected(p.Component)
	}
	return out
}

// minPositive is the smaller of two durations, ignoring zeros.
func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// eventOnTransition records an event when TargetsHealthy, Ready or
// CRDUpToDate changes status (never on an unchanged loop), of the type
// eventType says.
func (r *AntreaMonitoringReconciler) eventOnTransition(am *monitoringv1alpha1.AntreaMonitoring, status *monitoringv1alpha1.AntreaMonitoringStatus) {
	for _, t := range []string{monitoringv1alpha1.ConditionTargetsHealthy, monitoringv1alpha1.ConditionReady, monitoringv1alpha1.ConditionCRDUpToDate} {
		now := meta.FindStatusCondition(status.Conditions, t)
		if now == nil {
			continue
		}
		before := meta.FindStatusCondition(am.Status.Conditions, t)
		if before != nil && before.Status == now.Status && before.Reason == now.Reason {
			continue
		}
		r.Recorder.Eventf(am, nil, eventType(now, status), now.Reason, "Check"+t, "%s is %s: %s", t, now.Status, now.Message)
	}
}

// eventType is Warning for a condition that is not True, unless it is only
// on its way (a fresh install while Prometheus starts) or Antrea is being
// rolled out by the operator itself (AntreaMetricsEnabled is
// RestartInProgress): pods being replaced fail their scrapes (404 while
// they still run with metrics off, refused while they restart), which the
// conditions say, but nothing is wrong.
func eventType(c *metav1.Condition, status *monitoringv1alpha1.AntreaMonitoringStatus) string {
	if c.Status == metav1.ConditionTrue || progressing[c.Reason] {
		return corev1.EventTypeNormal
	}
	if m := meta.FindStatusCondition(status.Conditions, monitoringv1alpha1.ConditionAntreaMetricsEnabled); m != nil && m.Reason == monitoringv1alpha1.ReasonRestartInProgress {
		return corev1.EventTypeNormal
	}
	return corev1.EventTypeWarning
}

// falseCond is a False condition (ObservedGeneration is set by setConditions).
func falseCond(condType, reason, message string) metav1.Condition {
	return metav1.Condition{Type: condType, Status: metav1.ConditionFalse, Reason: reason, Message: message}
}

func unknownCond(condType, reason, message string) metav1.Condition {
	return metav1.Condition{Type: condType, Status: metav1.ConditionUnknown, Reason: reason, Message: message}
}

// AntreaMetricsEnabled.

func metricsNamespaceNotWatched(watched []string, ns string) metav1.Condition {
	return falseCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonNamespaceNotWatched,
		fmt.Sprintf("The operator watches Antrea in namespaces %s only; start it with --antrea-namespaces including %s.", strings.Join(watched, ","), ns))
}

func metricsUpdateFailed(err error) metav1.Condition {
	return falseCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonUpdateFailed, err.Error())
}

func metricsConfigMapNotFound(ns string, res antrea.Resolution) metav1.Condition {
	return falseCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonConfigMapNotFound,
		fmt.Sprintf("ConfigMap %s/%s (%s) was not found; the operator waits for it to be created.", ns, res.Name, res.How))
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

// restartPending turns an AntreaMetricsEnabled that says the confs are
// enabled into False while pods still run with the conf from before the
// operator's edit, naming them; it clears once they are replaced.
func restartPending(c metav1.Condition, f fleet) metav1.Condition {
	if len(f.stale) == 0 || c.Status != metav1.ConditionTrue ||
		(c.Reason != monitoringv1alpha1.ReasonMetricsEnabled && c.Reason != monitoringv1alpha1.ReasonMetricsReapplied) {
		return c
	}
	return falseCond(c.Type, monitoringv1alpha1.ReasonRestartInProgress, fmt.Sprintf(
		"The confs enable metrics, but %d Antrea pod(s) still run with the configuration from before the operator's edit (Antrea reads it only at start-up): %s. The rollout replaces them.",
		len(f.stale), listSome(f.stale, 5)))
}

// RBACReady.

// rbacReady is RBACReady after applying the ClusterRoles (err: what failed;
// returned when it is worth a retry).
func rbacReady(err error) (metav1.Condition, error) {
	t := monitoringv1alpha1.ConditionRBACReady
	if err != nil {
		if c, ok := notOwnedCondition(t, err); ok {
			return c, nil
		}
		return falseCond(t, monitoringv1alpha1.ReasonClusterRolesFailed, err.Error()), err
	}
	return trueCond(t, monitoringv1alpha1.ReasonClusterRolesApplied, fmt.Sprintf(
		"ClusterRoles %s and %s (the operator's own, with the rules of Antrea's guide) are in place; roles the operator did not create, such as the guide's prometheus and prometheus-antrea, are left alone.",
		render.PrometheusClusterRole, render.PrometheusAntreaClusterRole)), nil
}

// ModeResolved, ScrapeConfigured, PrometheusReady.

// modeResolved is ModeResolved True.
func modeResolved(reason, message string) metav1.Condition {
	return trueCond(monitoringv1alpha1.ConditionModeResolved, reason, message)
}

// otherScraperFound is ModeResolved False: Auto found another collector
// and no Prometheus.
func otherScraperFound(scrapers []observed.Scraper) metav1.Condition {
	names := make([]string, 0, len(scrapers))
	var agent *observed.Scraper
	for i, s := range scrapers {
		names = append(names, s.String())
		if s.Kind == promop.PrometheusAgentKind && agent == nil {
			agent = &scrapers[i]
		}
	}
	choose := "Set spec.prometheus.mode: ScrapeConfig to hand the jobs to that collector, or Managed to run a Prometheus anyway."
	if agent != nil {
		choose = fmt.Sprintf("Set spec.prometheus.mode: PrometheusOperator with spec.prometheus.prometheusOperator.prometheusAgent: {namespace: %s, name: %s} to hand that PrometheusAgent monitors, ScrapeConfig to hand the jobs to another collector, or Managed to run a Prometheus anyway.",
			agent.Namespace, agent.Name)
	}
	return falseCond(monitoringv1alpha1.ConditionModeResolved, monitoringv1alpha1.ReasonOtherScraperFound, fmt.Sprintf(
		"Mode Auto found no Prometheus object but %s already scraping the cluster, so it deploys no second scraper (a managed Prometheus would scrape every Node again). %s",
		listSome(names, 3), choose))
}

// scrapeNotResolved is ScrapeConfigured False while no mode is resolved.
func scrapeNotResolved(mode metav1.Condition) metav1.Condition {
	return falseCond(monitoringv1alpha1.ConditionScrapeConfigured, mode.Reason, "Nothing is applied until spec.prometheus.mode is set: see condition ModeResolved.")
}

// scrapeConfigured is ScrapeConfigured from a mode's verdict.
func scrapeConfigured(v render.Verdict) metav1.Condition {
	return verdictCondition(monitoringv1alpha1.ConditionScrapeConfigured, v)
}

// scrapeFailed is ScrapeConfigured False: reading, rendering or applying failed.
func scrapeFailed(err error) metav1.Condition {
	return falseCond(monitoringv1alpha1.ConditionScrapeConfigured, monitoringv1alpha1.ReasonApplyFailed, err.Error())
}

// prometheusReady is PrometheusReady from the mode's verdict.
func prometheusReady(v render.Verdict) metav1.Condition {
	return verdictCondition(monitoringv1alpha1.ConditionPrometheusReady, v)
}

func verdictCondition(condType string, v render.Verdict) metav1.Condition {
	if v.OK {
		return trueCond(condType, v.Reason, v.Message)
	}
	return falseCond(condType, v.Reason, v.Message)
}

// TargetsHealthy.

// targetsHealthy is TargetsHealthy as the health check judged it.
func targetsHealthy(status metav1.ConditionStatus, reason, message string) *metav1.Condition {
	return &metav1.Condition{Type: monitoringv1alpha1.ConditionTargetsHealthy, Status: status, Reason: reason, Message: message}
}

// targetsOfAnAgent is TargetsHealthy of a Prometheus in agent mode, which
// says where its health comes from and what cannot be known.
func targetsOfAnAgent(c *metav1.Condition) *metav1.Condition {
	out := *c
	out.Message += " Prometheus runs in agent mode: health is read from its targets API, and missing metric families cannot be queried there (ask the remote store)."
	return &out
}

// AlertsDelivered.

// alertsCondition is AlertsDelivered from Prometheus's Alertmanagers.
func alertsCondition(a health.Alertmanagers, where string) *metav1.Condition {
	t := monitoringv1alpha1.ConditionAlertsDelivered
	if len(a.Active) > 0 {
		c := trueCond(t, monitoringv1alpha1.ReasonAlertmanagersActive, fmt.Sprintf("Prometheus sends alerts to %d Alertmanager(s): %s.", len(a.Active), listSome(a.Active, 3)))
		return &c
	}
	msg := fmt.Sprintf("Prometheus has no Alertmanager to send alerts to (%s): the shipped alerts notify nobody.", where)
	if len(a.Dropped) > 0 {
		msg += fmt.Sprintf(" It dropped %s.", listSome(a.Dropped, 3))
	}
	c := falseCond(t, monitoringv1alpha1.ReasonNoAlertmanager, msg)
	return &c
}

// alertsUnknown is AlertsDelivered Unknown: Prometheus could not be asked.
func alertsUnknown(err error) *metav1.Condition {
	c := unknownCond(monitoringv1alpha1.ConditionAlertsDelivered, monitoringv1alpha1.ReasonPrometheusUnreachable, "Querying Prometheus's Alertmanagers failed: "+err.Error())
	return &c
}

// targetsUnknown is TargetsHealthy Unknown: the targets could not be asked.
func targetsUnknown(reason, message string) *metav1.Condition {
	c := unknownCond(monitoringv1alpha1.ConditionTargetsHealthy, reason, message)
	return &c
}

// notOwnedCondition is condType False with reason ObjectNotOwned when err
// says an object in the operator's way is not its own (not an error to
// retry: the user must act).
func notOwnedCondition(condType string, err error) (metav1.Condition, bool) {
	var notOwned *ssa.NotOwnedError
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

// Ready.

// readyCondition sums up the other conditions: Progressing when every one
// not True is on its way, NotReady otherwise.
func readyCondition(conds []metav1.Condition) metav1.Condition {
	var notReady []string
	reason := monitoringv1alpha1.ReasonProgressing
	for _, c := range conds {
		if c.Type != monitoringv1alpha1.ConditionReady && !informational[c.Type] && c.Status != metav1.ConditionTrue {
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
var optionalConditions = []string{monitoringv1alpha1.ConditionPrometheusReady, monitoringv1alpha1.ConditionTargetsHealthy, monitoringv1alpha1.ConditionAlertsDelivered,
	monitoringv1alpha1.ConditionDashboardDelivered}

// informational conditions are reported but not summed up in Ready: Ready
// says Antrea's metrics are enabled and scraped.
var informational = map[string]bool{monitoringv1alpha1.ConditionAlertsDelivered: true, monitoringv1alpha1.ConditionCRDUpToDate: true,
	monitoringv1alpha1.ConditionDashboardDelivered: true}

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

// crdUpToDate is CRDUpToDate from the fields the served CRD lacks.
func crdUpToDate(missing []string) metav1.Condition {
	t := monitoringv1alpha1.ConditionCRDUpToDate
	if len(missing) == 0 {
		return trueCond(t, monitoringv1alpha1.ReasonCRDMatches, fmt.Sprintf("The served CRD %s has every field this operator reads and writes.", monitoringv1alpha1.CRDName))
	}
	return falseCond(t, monitoringv1alpha1.ReasonCRDFieldsMissing, fmt.Sprintf(
		"The served CRD %s is older than this operator: it lacks %d field(s), %s, which the API server drops from what is written (settings in spec, reports in status). "+
			"Upgrade the CRD: helm upgrade does so with the chart's CRD hook (crds.upgradeHook.enabled, on by default); otherwise apply this release's CRD with kubectl apply --server-side.",
		monitoringv1alpha1.CRDName, len(missing), listSome(missing, 5)))
}

// schemaRefusal is what the API server says when server-side apply writes
// a field the served CRD's schema lacks.
const schemaRefusal = "field not declared in schema"

// tooOldCondition is ScrapeConfigured False PrometheusOperatorTooOld when
// err is the API server refusing a field its CRD lacks (a prometheus-operator
// whose release the CRDs do not say, or a field the table misses), naming
// the installed releases.
func tooOldCondition(err error, versions map[string]string) (metav1.Condition, bool) {
	if err == nil || !strings.Contains(err.Error(), schemaRefusal) {
		return metav1.Condition{}, false
	}
	var installed []string
	for _, crd := range slices.Sorted(maps.Keys(versions)) {
		installed = append(installed, crd+" "+cmp.Or(versions[crd], "(release not said)"))
	}
	return falseCond(monitoringv1alpha1.ConditionScrapeConfigured, monitoringv1alpha1.ReasonPrometheusOperatorTooOld, fmt.Sprintf(
		"The API server refused a field its prometheus-operator CRD lacks (%v): the CRDs are older than the operator needs (installed: %s). Upgrade prometheus-operator and its CRDs (the oldest supported is v%s).",
		err, strings.Join(installed, ", "), render.MinimumPrometheusOperator)), true
}

// dashboardDelivered is DashboardDelivered for what was rendered: where
// the dashboard is, what selects it, and whether grafana-operator serves
// (and matched a Grafana to) the GrafanaDashboard asked for.
func dashboardDelivered(in render.Input, rendered render.Rendered, c *observed.Cluster) metav1.Condition {
	t := monitoringv1alpha1.ConditionDashboardDelivered
	var parts []string
	var board *grafana.GrafanaDashboard
	for _, o := range rendered.Objects {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			if o.Name != render.NamesFor(in.Owner.Name).Dashboard() {
				continue
			}
			parts = append(parts, fmt.Sprintf("ConfigMap %s/%s holds it for Grafana's dashboard sidecar (%s)", o.Namespace, o.Name, labels.FormatLabels(in.SidecarLabels())))
		case *grafana.GrafanaDashboard:
			board = o
			parts = append(parts, fmt.Sprintf("GrafanaDashboard %s/%s for the Grafana objects matching %s", o.Namespace, o.Name, metav1.FormatLabelSelector(o.Spec.InstanceSelector)))
		}
	}
	where := strings.Join(parts, "; ")
	switch {
	case in.GrafanaOperator != nil && board == nil:
		return falseCond(t, monitoringv1alpha1.ReasonGrafanaOperatorNotInstalled, fmt.Sprintf(
			"spec.dashboard.grafanaOperator is set, but grafana-operator's CRD %s is not installed: no GrafanaDashboard was made. %s.", grafana.DashboardCRD, where))
	case board != nil:
		if seen := c.GrafanaDashboards[types.NamespacedName{Namespace: board.Namespace, Name: board.Name}]; seen != nil && seen.Status.NoMatchingInstances {
			return falseCond(t, monitoringv1alpha1.ReasonNoMatchingGrafana, fmt.Sprintf(
				"grafana-operator found no Grafana object matching spec.dashboard.grafanaOperator.instanceSelector (%s) for GrafanaDashboard %s/%s: label a Grafana so, or change the selector. %s.",
				metav1.FormatLabelSelector(board.Spec.InstanceSelector), board.Namespace, board.Name, where))
		}
	}
	return trueCond(t, monitoringv1alpha1.ReasonDashboardDelivered, where+".")
}
