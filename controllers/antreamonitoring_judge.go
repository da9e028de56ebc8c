package controllers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// judge decides what Prometheus's answer means, against what Antrea runs,
// and says what to fix, naming the objects to change.
type judge struct {
	fleet fleet
	// antrea is the running Antrea: which metric families a scrape must find.
	antrea catalog.Antrea
	// series is which of them the scrape keeps: a family dropped is not missing.
	series render.Series
	// agent: Prometheus runs in agent mode (no query API: no family is
	// asked for).
	agent bool
	// alerting is the setting that says where Prometheus sends alerts
	// (see sendsAlerts); when set, it is asked to which Alertmanagers.
	alerting string
	// scrapeAs is the ServiceAccount Prometheus scrapes as (namespace/name).
	scrapeAs string
	// configMap is Antrea's ConfigMap, when known.
	configMap *monitoringv1alpha1.ObjectReference
	// caChanged is when ConfigMap antrea-ca was last updated after its
	// creation (zero: never, or unknown), now the time of the check.
	caChanged, now time.Time
	// caWindow is caPropagation, or the reconciler's CAPropagation.
	caWindow time.Duration
	// settling: the managed Prometheus's pods are between one and the next
	// or have just turned Ready (see settling): its discovery may not have
	// found the targets yet.
	settling bool
}

// caPropagation is how long a changed antrea-ca may take to reach the copy
// Prometheus reads from a mounted volume: the kubelet's sync period and its
// ConfigMap cache, a minute each by default (the reconciler's
// CAPropagation, when set, instead).
const caPropagation = 2 * time.Minute

// caPropagating says whether antrea-ca changed so recently that Prometheus
// may still verify with the CA from before (the controller restarted with a
// new self-signed CA, or rotated it).
func (j judge) caPropagating() bool {
	window := j.caWindow
	if window <= 0 {
		window = caPropagation
	}
	return !j.caChanged.IsZero() && j.now.Sub(j.caChanged) < window
}

// verdict is one pool's judgement.
type verdict struct {
	status  metav1.ConditionStatus
	reason  string
	message string
	// pending: nothing scraped (or discovered) yet, so look again soon.
	pending bool
	// counts is "pool up/total".
	counts string
}

// noun names a component's pods in messages.
func noun(component string) string {
	if component == render.ComponentController {
		return "controller(s)"
	}
	return "agent(s)"
}

// pool judges one pool. Zero targets while Antrea runs pods is never
// healthy, and neither is a pool with fewer targets than Antrea runs pods.
func (j judge) pool(p render.Pool, rep *health.PoolReport) verdict {
	h := rep.Health
	total := int(h.Up + h.Down + h.Unknown)
	expected := j.fleet.expected(p.Component)
	v := verdict{status: metav1.ConditionFalse, counts: fmt.Sprintf("%s %d/%d", p.Name, h.Up, total)}
	what := noun(p.Component)
	switch {
	case total == 0 && expected == 0:
		v.reason, v.message = monitoringv1alpha1.ReasonNoTargets, fmt.Sprintf(
			"Pool %s has no target, and no running %s pod (label component=%s) was found in namespace %s.", p.Name, p.Component, p.Component, j.fleet.namespace)
	case total == 0 && j.settling:
		v.status, v.reason, v.pending = metav1.ConditionUnknown, monitoringv1alpha1.ReasonScrapePending, true
		v.message = fmt.Sprintf("Pool %s has no target yet: the managed Prometheus has just started and its discovery has not found the %d %s in %s yet.",
			p.Name, expected, what, j.fleet.namespace)
	case total == 0:
		v.reason, v.pending = monitoringv1alpha1.ReasonNoTargets, true
		v.message = fmt.Sprintf("Pool %s has no target although Antrea runs %d %s in %s: Prometheus has not loaded the job yet, or its discovery finds none of them.",
			p.Name, expected, what, j.fleet.namespace)
	case h.Down > 0:
		v.reason, v.message = j.down(p, rep)
		if v.reason == monitoringv1alpha1.ReasonAntreaCAPropagating {
			v.status, v.pending = metav1.ConditionUnknown, true
		}
	case rep.NeverScraped > 0:
		v.status, v.reason, v.pending = metav1.ConditionUnknown, monitoringv1alpha1.ReasonScrapePending, true
		v.message = fmt.Sprintf("Pool %s: %d of %d targets are not scraped yet.", p.Name, rep.NeverScraped, total)
	case int(h.Up) < expected:
		v.reason = monitoringv1alpha1.ReasonTargetsMissing
		v.message = fmt.Sprintf("%d of %d %s scraped (pool %s)", h.Up, expected, what, p.Name)
		if gone := j.fleet.unscraped(p.Component, rep.Instances); len(gone) > 0 {
			v.message += "; no target for " + listSome(gone, 5)
		}
		v.message += "."
	case h.Unknown > 0:
		v.status, v.reason, v.pending = metav1.ConditionUnknown, monitoringv1alpha1.ReasonScrapePending, true
		v.message = fmt.Sprintf("Pool %s: %d of %d targets have no result yet.", p.Name, h.Unknown, total)
	default:
		v.status, v.reason = metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp
	}
	return v
}

// down explains down targets: one reason when they fail alike, with the fix.
func (j judge) down(p render.Pool, rep *health.PoolReport) (string, string) {
	var classes []health.ErrorClass
	for c := range rep.Errors {
		classes = append(classes, c)
	}
	total := rep.Health.Up + rep.Health.Down + rep.Health.Unknown
	prefix := fmt.Sprintf("%d of %d %s down (pool %s): ", rep.Health.Down, total, noun(p.Component), p.Name)
	if len(classes) != 1 {
		var parts []string
		for c, n := range rep.Errors {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
		return monitoringv1alpha1.ReasonTargetsDown, prefix + "errors differ (" + strings.Join(slices.Sorted(slices.Values(parts)), ", ") + "); status.targets has the last one."
	}
	if classes[0] == health.ClassTLSAuthority && j.caPropagating() {
		return monitoringv1alpha1.ReasonAntreaCAPropagating, prefix + fmt.Sprintf(
			"TLS verification failed, but ConfigMap antrea-ca in namespace %s changed %s ago (antrea-controller restarted with a new self-signed CA, or rotated it): the copy Prometheus reads from a mounted volume follows within the kubelet's sync period.",
			j.fleet.namespace, j.now.Sub(j.caChanged).Round(time.Second))
	}
	reason, fix := j.explain(classes[0])
	return reason, prefix + fix
}

// explain gives an error class its reason and the fix, naming what to change.
func (j judge) explain(c health.ErrorClass) (string, string) {
	cm := "Antrea's ConfigMap"
	if j.configMap != nil {
		cm = "ConfigMap " + j.configMap.Namespace + "/" + j.configMap.Name
	}
	sa := "the ServiceAccount Prometheus scrapes as"
	if j.scrapeAs != "" {
		sa = "ServiceAccount " + j.scrapeAs
	}
	switch c {
	case health.ClassUnauthorized:
		return monitoringv1alpha1.ReasonTokenRejected, fmt.Sprintf(
			"Antrea answers 401: the bearer token Prometheus sends is invalid or expired. Prometheus must send a current token of %s (a token Secret of a deleted and recreated ServiceAccount is invalid; a token file must be re-read).", sa)
	case health.ClassForbidden:
		return monitoringv1alpha1.ReasonMetricsForbidden, fmt.Sprintf(
			"Antrea answers 403: the token Prometheus sends may not get the non-resource URL /metrics (with no token at all, Antrea sees system:anonymous). The operator binds %s to a ClusterRole that allows it (%s, or %s for its managed Prometheus): Prometheus must scrape with that ServiceAccount's token.",
			sa, render.PrometheusAntreaClusterRole, render.PrometheusClusterRole)
	case health.ClassNotFound:
		return monitoringv1alpha1.ReasonMetricsDisabled, fmt.Sprintf(
			"Antrea answers 404 on /metrics: the pods started with enablePrometheusMetrics: false. Set it to true in %s (spec.antrea.enableMetrics does) and restart the Antrea pods (spec.antrea.restartOnChange does).", cm)
	case health.ClassTLSName:
		return monitoringv1alpha1.ReasonTLSVerificationFailed, fmt.Sprintf(
			"TLS verification failed: antrea-controller's certificate does not name antrea.%[1]s.svc, the server name the controller job verifies (status.targets' lastError lists the names it has). Antrea's self-signed certificate names antrea and antrea.%[1]s.svc; a certificate you provide (selfSignedCert: false, Secret antrea-controller-tls) must name antrea.%[1]s.svc too, or set spec.antrea.insecureSkipVerify: true (insecure). A job of your own must verify antrea.%[1]s.svc, not ...svc.cluster.local.",
			j.fleet.namespace)
	case health.ClassTLSAuthority:
		return monitoringv1alpha1.ReasonTLSVerificationFailed, fmt.Sprintf(
			"TLS verification failed: the CA Prometheus trusts did not sign antrea-controller's certificate. The controller job verifies with ca.crt of ConfigMap antrea-ca in namespace %s, which the operator copies to where Prometheus reads it and updates when antrea-controller rotates it (a mounted copy follows within the kubelet's sync period). A controller serving a certificate whose CA is not in antrea-ca (selfSignedCert: false) needs that CA published there, or spec.antrea.insecureSkipVerify: true (insecure).", j.fleet.namespace)
	case health.ClassRefused:
		return monitoringv1alpha1.ReasonConnectionRefused,
			"connection refused: nothing listens on Antrea's api port at the target's address. The pod is not running there (see the pods' status), or the port differs from its api port."
	case health.ClassTimeout:
		return monitoringv1alpha1.ReasonScrapeTimeout,
			"scrapes time out: packets to Antrea's api port (on the node's address: Antrea runs with hostNetwork) are dropped, by a NetworkPolicy or a firewall, or Antrea answers too slowly for the scrape timeout."
	}
	return monitoringv1alpha1.ReasonTargetsDown, "status.targets has the last error."
}

// overall combines the pools' verdicts into TargetsHealthy: False when any
// pool is unhealthy, Unknown while one is still pending, True only when
// every pool has every target up.
func (j judge) overall(vs []verdict) (*metav1.Condition, bool) {
	status, reason := metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp
	var counts, problems []string
	pending := false
	for _, v := range vs {
		counts = append(counts, v.counts)
		pending = pending || v.pending
		if v.status == metav1.ConditionTrue {
			continue
		}
		problems = append(problems, v.message)
		switch {
		case status == metav1.ConditionTrue, status == metav1.ConditionUnknown && v.status == metav1.ConditionFalse:
			status, reason = v.status, v.reason
		case status == v.status && reason != v.reason && v.status == metav1.ConditionFalse:
			reason = monitoringv1alpha1.ReasonTargetsDown
		}
	}
	if len(problems) == 0 {
		return targetsHealthy(status, reason, fmt.Sprintf("Every Antrea pod is scraped and up (%s).", strings.Join(counts, ", "))), false
	}
	return targetsHealthy(status, reason, strings.Join(problems, " ")+" ("+strings.Join(counts, ", ")+")"), pending
}
