package controllers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
)

// healthResult is the outcome of a scrape-health check.
type healthResult struct {
	condition *metav1.Condition // nil when the check is disabled
	targets   []monitoringv1alpha1.TargetHealth
	summary   string
	missing   []string
	// requeueAfter is when the next check is due.
	requeueAfter time.Duration
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

// PrometheusAccess says how the operator reaches a Prometheus Service.
type PrometheusAccess struct {
	// InCluster: the operator runs in the cluster and dials Services directly.
	InCluster bool
	// Config is the API server's, for its service proxy when not in cluster.
	Config *rest.Config

	once     sync.Once
	proxy    *http.Client
	proxyErr error
}

// directClient dials Prometheus itself; one for all checks, so connections are reused.
var directClient = &http.Client{Timeout: 10 * time.Second}

// proxyClient is the API server's HTTP client, built once.
func (a *PrometheusAccess) proxyClient() (*http.Client, error) {
	a.once.Do(func() { a.proxy, a.proxyErr = rest.HTTPClientFor(a.Config) })
	return a.proxy, a.proxyErr
}

// endpoint returns the client for the mode's Prometheus (spec.prometheus.url,
// or the Service the mode rendered), or why there is none.
func (r *AntreaMonitoringReconciler) endpoint(am *monitoringv1alpha1.AntreaMonitoring, prom prometheusResult) (*health.Client, string, error) {
	if u := am.Spec.Prometheus.URL; u != "" {
		return &health.Client{HTTP: directClient, BaseURL: u}, "", nil
	}
	e := prom.endpoint
	switch {
	case e == nil:
		return nil, "No Prometheus to ask yet.", nil
	case e.Service == "":
		return nil, e.Unknown, nil
	}
	if r.Access == nil || r.Access.InCluster || r.Access.Config == nil {
		return &health.Client{HTTP: directClient, BaseURL: fmt.Sprintf("http://%s.%s.svc:%d", e.Service, e.Namespace, e.Port)}, "", nil
	}
	hc, err := r.Access.proxyClient()
	if err != nil {
		return nil, "", fmt.Errorf("building the API server's proxy client: %w", err)
	}
	return &health.Client{HTTP: hc, BaseURL: fmt.Sprintf("%s/api/v1/namespaces/%s/services/http:%s:%s/proxy",
		strings.TrimSuffix(r.Access.Config.Host, "/"), e.Namespace, e.Service, e.PortName)}, "", nil
}

// reconcileHealth checks scrape health when the interval has passed (or
// what to check changed), and otherwise returns the last result.
func (r *AntreaMonitoringReconciler) reconcileHealth(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, prom prometheusResult) healthResult {
	if !am.HealthCheckEnabled() {
		return healthResult{}
	}
	interval := am.Spec.HealthCheck.IntervalDuration()
	client, why, err := r.endpoint(am, prom)
	key := why + fmt.Sprint(prom.pools)
	if client != nil {
		key = client.BaseURL + key
	}
	r.health.mu.Lock()
	if r.health.entries == nil {
		r.health.entries = map[types.UID]healthEntry{}
	}
	e, ok := r.health.entries[am.UID]
	r.health.mu.Unlock()
	now := time.Now()
	if ok && e.key == key && now.Sub(e.at) < interval {
		res := e.res
		res.requeueAfter = interval - now.Sub(e.at)
		return res
	}
	var res healthResult
	switch {
	case err != nil:
		res = unreachable(err.Error())
	case client == nil:
		c := metav1.Condition{Type: monitoringv1alpha1.ConditionTargetsHealthy, Status: metav1.ConditionUnknown, Reason: monitoringv1alpha1.ReasonPrometheusUnreachable, Message: why}
		if prom.endpoint != nil && prom.endpoint.Unknown != "" {
			c.Reason = monitoringv1alpha1.ReasonPrometheusURLNotSet
		}
		res = healthResult{condition: &c}
	default:
		res = check(ctx, client, prom.pools)
	}
	res.requeueAfter = interval
	r.health.mu.Lock()
	r.health.entries[am.UID] = healthEntry{at: now, key: key, res: res}
	r.health.mu.Unlock()
	return res
}

// forget drops a deleted AntreaMonitoring's last check.
func (r *AntreaMonitoringReconciler) forget(uid types.UID) {
	r.health.mu.Lock()
	delete(r.health.entries, uid)
	r.health.mu.Unlock()
}

func unreachable(msg string) healthResult {
	return healthResult{condition: &metav1.Condition{Type: monitoringv1alpha1.ConditionTargetsHealthy, Status: metav1.ConditionUnknown,
		Reason: monitoringv1alpha1.ReasonPrometheusUnreachable, Message: "Querying Prometheus failed: " + msg}}
}

// check queries each pool, then (when every target is up) the metric families.
func check(ctx context.Context, c *health.Client, pools []string) healthResult {
	var res healthResult
	for _, pool := range pools {
		targets, err := c.Targets(ctx, pool)
		if err != nil {
			return unreachable(err.Error())
		}
		res.targets = append(res.targets, health.Summarize(pool, targets))
	}
	up, total, summary := health.Summary(res.targets)
	res.summary = summary
	var parts []string
	for _, t := range res.targets {
		parts = append(parts, fmt.Sprintf("%s %d/%d", t.ScrapePool, t.Up, t.Up+t.Down+t.Unknown))
	}
	detail := strings.Join(parts, ", ")
	t := monitoringv1alpha1.ConditionTargetsHealthy
	switch {
	case total == 0:
		res.condition = &metav1.Condition{Type: t, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonNoTargets,
			Message: fmt.Sprintf("Prometheus has no active target in pools %s.", strings.Join(pools, ", "))}
	case up < total:
		res.condition = &metav1.Condition{Type: t, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonTargetsDown,
			Message: fmt.Sprintf("%d of %d targets are not up (%s); status.targets has the last errors.", total-up, total, detail)}
	default:
		res.condition = &metav1.Condition{Type: t, Status: metav1.ConditionTrue, Reason: monitoringv1alpha1.ReasonTargetsUp,
			Message: fmt.Sprintf("All %d targets are up (%s).", total, detail)}
		names, err := c.MetricNames(ctx)
		if err != nil {
			return unreachable(err.Error())
		}
		res.missing = health.Missing(health.AntreaFamilies, names)
		if len(res.missing) > 40 {
			res.missing = res.missing[:40]
		}
	}
	return res
}

// applyHealth writes the check into status; lastScrape alone refreshes at
// most every ten intervals, so a steady healthy state writes rarely.
func applyHealth(status *monitoringv1alpha1.AntreaMonitoringStatus, res healthResult, interval time.Duration, now time.Time) {
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
