package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// healthResult is the outcome of a scrape-health check.
type healthResult struct {
	condition *metav1.Condition // nil when the check is disabled
	targets   []monitoringv1alpha1.TargetHealth
	summary   string
	missing   []string
	// requeueAfter is when the next check is due.
	requeueAfter time.Duration
	// pending: Prometheus has not scraped (or found) the targets yet; the
	// next check comes after one scrape interval.
	pending bool
	// alerts is AlertsDelivered, when the managed Prometheus sends alerts.
	alerts *metav1.Condition
}

// healthChecks remembers the last check per AntreaMonitoring, so checks run
// on spec.healthCheck.interval and never faster, however often it reconciles.
type healthChecks struct {
	mu      sync.Mutex
	entries map[types.UID]healthEntry
}

type healthEntry struct {
	at  time.Time
	key string
	res healthResult
}

// shards returns who to ask for the mode's Prometheus: spec.prometheus.url;
// in mode PrometheusOperator the pods of the Prometheus object, one group
// per shard (found by the labels prometheus-operator puts on them, on the
// container port its spec.portName names, so no Service is guessed); or the
// managed Prometheus's Service. When there is none it says why.
func (r *AntreaMonitoringReconciler) shards(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, prom prometheusResult) ([]health.Shard, string, error) {
	if u := am.Spec.Prometheus.URL; u != "" {
		return []health.Shard{{Replicas: []*health.Client{health.URL(u)}}}, "", nil
	}
	e := prom.endpoint
	switch {
	case e == nil:
		return nil, "No Prometheus to ask yet.", nil
	case e.PrometheusObject != "":
		return r.prometheusOperatorShards(ctx, *e)
	case e.Service == "":
		return nil, e.Unknown, nil
	}
	c, err := r.Access.Service(e.Namespace, e.Service, e.PortName, e.Port)
	if err != nil {
		return nil, "", err
	}
	return []health.Shard{{Replicas: []*health.Client{c}}}, "", nil
}

// prometheusOperatorShards finds the ready pods of each shard of the
// Prometheus (or PrometheusAgent) ns/name. Every shard must have one: a
// shard nobody can ask leaves part of the targets unseen, so the check says
// so instead of judging half.
func (r *AntreaMonitoringReconciler) prometheusOperatorShards(ctx context.Context, e render.Endpoint) ([]health.Shard, string, error) {
	ref := promop.Ref{Kind: cmp.Or(e.Kind, promop.PrometheusKind), Namespace: e.Namespace, Name: e.PrometheusObject}
	count := e.Shards
	var pods corev1.PodList
	if err := r.APIReader.List(ctx, &pods, client.InNamespace(ref.Namespace), client.MatchingLabels{promop.NameLabel: ref.Name}); err != nil {
		return nil, "", fmt.Errorf("listing the pods of %s: %w", ref, err)
	}
	pods.Items = slices.DeleteFunc(pods.Items, func(p corev1.Pod) bool { return !ref.OwnsPod(p.Labels) })
	byShard := promop.ReadyPodsByShard(pods.Items, e.PortName)
	out := make([]health.Shard, 0, count)
	var missing []string
	for i := range count {
		s := health.Shard{Name: fmt.Sprintf("shard %d", i)}
		for _, p := range byShard[i] {
			c, err := r.Access.Pod(p.Namespace, p.Name, p.IP, p.Port)
			if err != nil {
				return nil, "", err
			}
			s.Replicas = append(s.Replicas, c)
		}
		if len(s.Replicas) == 0 {
			missing = append(missing, strconv.Itoa(int(i)))
		}
		out = append(out, s)
	}
	if len(missing) > 0 {
		return nil, fmt.Sprintf("%s has %d shard(s); no ready pod serves shard %s, so its targets cannot be checked.",
			ref, count, strings.Join(missing, ", ")), nil
	}
	return out, "", nil
}

// healthPhase checks scrape health (checkHealth) and writes it into the
// status. Its condition is TargetsHealthy, while the check is enabled. It
// fails the reconcile when reading Antrea's pods failed.
func (r *AntreaMonitoringReconciler) healthPhase(ctx context.Context, s *scope) result {
	hc := r.checkHealth(ctx, s)
	reportHealth(s.status, hc, s.am.Spec.HealthCheck.IntervalDuration(), s.now)
	res := result{requeueAfter: hc.requeueAfter, err: s.fleetErr}
	if hc.condition != nil {
		res.conditions = []metav1.Condition{*hc.condition}
	}
	if hc.alerts != nil {
		res.conditions = append(res.conditions, *hc.alerts)
	}
	return res
}

// checkHealth asks Prometheus when the interval has passed (or what to
// check changed), and otherwise returns the last result. A check that
// finds the targets not scraped yet is repeated after one scrape interval
// rather than a whole check interval.
func (r *AntreaMonitoringReconciler) checkHealth(ctx context.Context, s *scope) healthResult {
	am, prom := s.am, s.decided.prometheus
	if !am.HealthCheckEnabled() {
		return healthResult{}
	}
	if c := managedNotAvailable(am, prom); c != nil {
		// Not asked while it starts (its Service has no endpoint yet); the
		// Deployment turning Available wakes the reconcile, and with no last
		// check remembered the check runs at once.
		r.forget(am.UID)
		return healthResult{condition: c}
	}
	interval := am.Spec.HealthCheck.IntervalDuration()
	shards, why, err := r.shards(ctx, am, prom)
	agent := prom.endpoint != nil && prom.endpoint.Agent
	key := why + fmt.Sprint(prom.pools) + antreaKey(s.running) + fmt.Sprint(am.Spec.Prometheus.Series) + fmt.Sprint(agent)
	for _, sh := range shards {
		for _, c := range sh.Replicas {
			key += " " + c.BaseURL
		}
	}
	if res, ok := r.recentCheck(am, key, s.now); ok {
		return res
	}
	var res healthResult
	switch {
	case err != nil:
		res = unreachable(err.Error())
	case len(shards) == 0:
		reason := monitoringv1alpha1.ReasonPrometheusUnreachable
		if prom.endpoint != nil && prom.endpoint.Unknown != "" {
			reason = monitoringv1alpha1.ReasonPrometheusURLNotSet
		}
		res = healthResult{condition: targetsUnknown(reason, why)}
	default:
		settles := settling(managedPods(s), s.now)
		res = check(ctx, shards, prom.pools, judge{fleet: s.fleet, antrea: s.running, agent: agent, alerting: sendsAlerts(s), series: render.SeriesFor(am.Spec.Prometheus.Series), scrapeAs: prom.scrapeAs, configMap: s.status.AntreaConfigMap,
			caChanged: antreaCAChanged(s.cluster), now: s.now, caWindow: r.CAPropagation, settling: settles})
		if unroutedYet(res, settles) {
			res = healthResult{pending: true, condition: targetsUnknown(monitoringv1alpha1.ReasonPrometheusStarting, fmt.Sprintf(
				"The managed Prometheus's pod is being replaced or has just turned Ready, and its Service does not route to it yet (kube-proxy follows its endpoints); its targets are checked again shortly. (%s)",
				res.condition.Message))}
		}
	}
	res.requeueAfter = interval
	if res.pending {
		res.requeueAfter = min(interval, scrapeInterval(am))
	}
	r.health.mu.Lock()
	r.health.entries[am.UID] = healthEntry{at: s.now, key: key, res: res}
	r.health.mu.Unlock()
	return res
}

// routeGrace is how long after the managed Prometheus's pod became Ready
// its Service may still not route to it: kube-proxy programs the route
// once the EndpointSlice lists the pod (about a second here; seen refused
// on a real node when the check ran at once).
const routeGrace = 30 * time.Second

// unroutedYet says whether a check that could not reach the managed
// Prometheus ran while it was settling (see settling).
func unroutedYet(res healthResult, settling bool) bool {
	return settling && res.condition != nil && res.condition.Reason == monitoringv1alpha1.ReasonPrometheusUnreachable
}

// settling says whether the managed Prometheus's pods are between one
// and the next, so its Service may refuse although PrometheusReady (read
// from the Deployment a moment earlier) said it was available: a pod
// terminating (a rollout: its Deployment recreates it), none Ready, or the
// newest turned Ready less than routeGrace ago. With no pod at all nothing
// is on its way: a refusal then is a real one.
func settling(pods []corev1.Pod, now time.Time) bool {
	if len(pods) == 0 {
		return false
	}
	var newest time.Time
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			return true
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && c.LastTransitionTime.After(newest) {
				newest = c.LastTransitionTime.Time
			}
		}
	}
	return newest.IsZero() || now.Sub(newest) < routeGrace
}

// sendsAlerts says to where Prometheus should send the shipped alerts, ""
// when it is not asked: mode Managed with spec.prometheus.managed.alerting
// (not an agent), or mode PrometheusOperator with the rules shipped (the
// Prometheus object's spec.alerting decides; a PrometheusAgent sends none).
func sendsAlerts(s *scope) string {
	e := s.decided.prometheus.endpoint
	switch m := s.am.Spec.Prometheus.Managed; {
	case e == nil:
		return ""
	case s.status.Mode == monitoringv1alpha1.ModeManaged && m != nil && m.Alerting != nil && !m.Agent && e.Service != "":
		return "spec.prometheus.managed.alerting"
	case s.status.Mode == monitoringv1alpha1.ModePrometheusOperator && s.am.AlertsEnabled() && e.PrometheusObject != "" && !e.Agent:
		return fmt.Sprintf("spec.alerting of Prometheus %s/%s", e.Namespace, e.PrometheusObject)
	}
	return ""
}

// alertsDelivered asks Prometheus which Alertmanagers it sends alerts to.
func alertsDelivered(ctx context.Context, shards []health.Shard, where string) *metav1.Condition {
	answers, err := health.Ask(shards, func(c *health.Client) (health.Alertmanagers, error) { return c.Alertmanagers(ctx) })
	if err != nil {
		return alertsUnknown(err)
	}
	var all health.Alertmanagers
	for _, a := range answers {
		all.Active, all.Dropped = append(all.Active, a.Active...), append(all.Dropped, a.Dropped...)
	}
	return alertsCondition(all, where)
}

// managedPods are the managed Prometheus's pods, as gathered; nil when
// the mode is not Managed (or Prometheus is reached by spec.prometheus.url).
func managedPods(s *scope) []corev1.Pod {
	e := s.decided.prometheus.endpoint
	if s.cluster == nil || s.am.Spec.Prometheus.URL != "" || e == nil || e.Service == "" {
		return nil
	}
	return s.cluster.ManagedPods
}

// antreaCAChanged is when ConfigMap antrea-ca was last updated (see
// caUpdated), as gathered; zero when unknown or never updated.
func antreaCAChanged(c *observed.Cluster) time.Time {
	if c == nil || c.AntreaCA == nil {
		return time.Time{}
	}
	return caUpdated(c.AntreaCA)
}

// caUpdated is when antrea-ca was last changed after its creation: the
// newest time of its managedFields (the cache keeps them for Antrea's
// ConfigMaps), zero when that is its creation. Only an update makes a
// mounted copy lag (antrea-controller restarting with a new self-signed CA
// republishes it); a copy made after antrea-ca was created holds it
// already, and a controller serving a CA antrea-ca never held fails for
// real.
func caUpdated(cm *corev1.ConfigMap) time.Time {
	var changed time.Time
	for _, m := range cm.ManagedFields {
		if m.Time != nil && m.Time.After(changed) {
			changed = m.Time.Time
		}
	}
	if !changed.After(cm.CreationTimestamp.Time) {
		return time.Time{}
	}
	return changed
}

// managedNotAvailable is TargetsHealthy while the managed Prometheus the
// check would ask is not available: Unknown, PrometheusStarting while it
// starts (no warning), PrometheusUnreachable when PrometheusReady says
// something is wrong. Nil when the check may ask.
func managedNotAvailable(am *monitoringv1alpha1.AntreaMonitoring, prom prometheusResult) *metav1.Condition {
	if am.Spec.Prometheus.URL != "" || prom.endpoint == nil || prom.endpoint.Service == "" {
		return nil
	}
	i := slices.IndexFunc(prom.conditions, func(c metav1.Condition) bool { return c.Type == monitoringv1alpha1.ConditionPrometheusReady })
	if i < 0 || prom.conditions[i].Status == metav1.ConditionTrue {
		return nil
	}
	if prom.conditions[i].Reason != monitoringv1alpha1.ReasonPrometheusStarting {
		return targetsUnknown(monitoringv1alpha1.ReasonPrometheusUnreachable, "The managed Prometheus is not available, so its targets cannot be checked: see condition PrometheusReady.")
	}
	return targetsUnknown(monitoringv1alpha1.ReasonPrometheusStarting, "The managed Prometheus is starting; its targets are checked as soon as it is available.")
}

// recentCheck is the last check of am when it is still fresh: made for the
// same key less than an interval ago (one scrape interval when it found
// the targets not scraped yet), with the time left until the next.
func (r *AntreaMonitoringReconciler) recentCheck(am *monitoringv1alpha1.AntreaMonitoring, key string, now time.Time) (healthResult, bool) {
	r.health.mu.Lock()
	if r.health.entries == nil {
		r.health.entries = map[types.UID]healthEntry{}
	}
	e, ok := r.health.entries[am.UID]
	r.health.mu.Unlock()
	wait := am.Spec.HealthCheck.IntervalDuration()
	if ok && e.res.pending {
		wait = min(wait, scrapeInterval(am))
	}
	if !ok || e.key != key || now.Sub(e.at) >= wait {
		return healthResult{}, false
	}
	res := e.res
	res.requeueAfter = wait - now.Sub(e.at)
	return res, true
}

// scrapeInterval is spec.prometheus.scrapeInterval (its default when unset).
func scrapeInterval(am *monitoringv1alpha1.AntreaMonitoring) time.Duration {
	if d, err := am.Spec.Prometheus.ScrapeInterval.Duration(); err == nil && d > 0 {
		return d
	}
	return monitoringv1alpha1.DefaultScrapeInterval
}

// forget drops a deleted AntreaMonitoring's last check.
func (r *AntreaMonitoringReconciler) forget(uid types.UID) {
	r.health.mu.Lock()
	delete(r.health.entries, uid)
	r.health.mu.Unlock()
}

// unreachable is a failed query. A Prometheus that is just starting is
// asked again after one scrape interval, like a check that found nothing
// scraped yet.
func unreachable(msg string) healthResult {
	return healthResult{pending: true, condition: targetsUnknown(monitoringv1alpha1.ReasonPrometheusUnreachable, "Querying Prometheus failed: "+msg)}
}

// check asks for each pool, judges it against what Antrea runs, then (when
// every pool is healthy) asks which metric families Prometheus holds, and
// lists those this Antrea serves that it lacks.
func check(ctx context.Context, shards []health.Shard, pools []render.Pool, j judge) healthResult {
	var res healthResult
	var verdicts []verdict
	for _, pool := range pools {
		rep, err := health.Pool(ctx, shards, pool.Name)
		if errors.Is(err, health.ErrNoAPI) {
			return healthResult{condition: targetsUnknown(monitoringv1alpha1.ReasonNoTargetsAPI, fmt.Sprintf(
				"The collector asked has no targets API (%v), so the operator cannot see scrape health; this is not a failed scrape. Point spec.prometheus.url at a Prometheus-compatible API (Prometheus, a Prometheus agent, vmagent), or set spec.healthCheck.enabled: false.", err))}
		}
		if err != nil {
			return unreachable(err.Error())
		}
		res.targets = append(res.targets, rep.Health)
		verdicts = append(verdicts, j.pool(pool, rep))
	}
	_, _, res.summary = health.Summary(res.targets)
	res.condition, res.pending = j.overall(verdicts)
	if j.alerting != "" {
		res.alerts = alertsDelivered(ctx, shards, j.alerting)
	}
	if j.agent {
		// An agent serves its targets API but no query API.
		res.condition = targetsOfAnAgent(res.condition)
		return res
	}
	if res.condition.Status == metav1.ConditionTrue {
		perShard, err := health.Ask(shards, func(c *health.Client) ([]string, error) { return c.MetricNames(ctx) })
		if err != nil {
			return unreachable(err.Error())
		}
		res.missing = health.Missing(slices.DeleteFunc(expectedFamilies(j.antrea), func(f string) bool { return !j.series.Keeps(f) }), slices.Concat(perShard...))
		if len(res.missing) > maxMissingMetrics {
			res.missing = res.missing[:maxMissingMetrics]
		}
	}
	return res
}

// reportHealth writes the check into status; lastScrape alone refreshes at
// most every ten intervals, so a steady healthy state writes rarely.
func reportHealth(status *monitoringv1alpha1.AntreaMonitoringStatus, res healthResult, interval time.Duration, now time.Time) {
	if res.condition == nil {
		status.Targets, status.TargetsSummary, status.MissingMetrics = nil, "", nil
		return
	}
	if !health.SameHealth(status.Targets, res.targets) || stale(status.Targets, now, 10*interval) {
		status.Targets = res.targets
	}
	status.TargetsSummary = res.summary
	status.MissingMetrics = res.missing
}

func stale(targets []monitoringv1alpha1.TargetHealth, now time.Time, maxAge time.Duration) bool {
	for _, t := range targets {
		if t.LastScrape != nil && now.Sub(t.LastScrape.Time) > maxAge {
			return true
		}
	}
	return false
}
