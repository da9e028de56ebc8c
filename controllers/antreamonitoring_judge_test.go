package controllers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

func runningPod(name, node, component string, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: name, Labels: map[string]string{"app": "antrea", "component": component}, Annotations: annotations},
		Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

// threeAgents runs agents on node-a, node-b and node-c, and one controller.
func threeAgents() fleet {
	f := fleet{namespace: "kube-system", running: map[string][]*corev1.Pod{}, desired: map[string]int32{render.ComponentAgent: 3, render.ComponentController: 1}}
	for _, n := range []string{"a", "b", "c"} {
		f.running[render.ComponentAgent] = append(f.running[render.ComponentAgent], runningPod("antrea-agent-"+n, "node-"+n, render.ComponentAgent, nil))
	}
	f.running[render.ComponentController] = []*corev1.Pod{runningPod("antrea-controller-x", "node-a", render.ComponentController, nil)}
	return f
}

func report(up, down, unknown, never int, instances map[string]bool, errs map[health.ErrorClass]int) *health.PoolReport {
	return &health.PoolReport{Health: monitoringv1alpha1.TargetHealth{ScrapePool: "antrea-agents", Up: int32(up), Down: int32(down), Unknown: int32(unknown)},
		Instances: instances, Errors: errs, NeverScraped: never}
}

func TestJudgePool(t *testing.T) {
	agents := render.Pool{Name: "antrea-agents", Component: render.ComponentAgent}
	all := map[string]bool{"node-a;antrea-agent-a": true, "node-b;antrea-agent-b": true, "node-c;antrea-agent-c": true}
	j := judge{fleet: threeAgents(), scrapeAs: "monitoring/prometheus", configMap: &monitoringv1alpha1.ObjectReference{Namespace: "kube-system", Name: "antrea-config"}}
	none := judge{fleet: fleet{namespace: "kube-system"}}
	tests := []struct {
		name    string
		j       judge
		rep     *health.PoolReport
		status  metav1.ConditionStatus
		reason  string
		message []string
		pending bool
	}{
		{"every agent up", j, report(3, 0, 0, 0, all, nil), metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp, nil, false},
		{"no target while three agents run: never healthy, looked at again soon", j, report(0, 0, 0, 0, nil, nil), metav1.ConditionFalse, monitoringv1alpha1.ReasonNoTargets,
			[]string{"no target although Antrea runs 3 agent(s) in kube-system"}, true},
		{"no target yet while the managed Prometheus has just started: on its way", func() judge { j := j; j.settling = true; return j }(),
			report(0, 0, 0, 0, nil, nil), metav1.ConditionUnknown, monitoringv1alpha1.ReasonScrapePending, []string{"has just started", "3 agent(s)"}, true},
		{"no target and no Antrea", none, report(0, 0, 0, 0, nil, nil), metav1.ConditionFalse, monitoringv1alpha1.ReasonNoTargets, []string{"no running antrea-agent pod"}, false},
		{"two of three scraped: names the node without a target", j,
			report(2, 0, 0, 0, map[string]bool{"node-a;antrea-agent-a": true, "node-c;antrea-agent-c": true}, nil), metav1.ConditionFalse, monitoringv1alpha1.ReasonTargetsMissing,
			[]string{"2 of 3 agent(s) scraped", "no target for node-b (pod antrea-agent-b)"}, false},
		{"the DaemonSet wants more agents than run", judge{fleet: func() fleet { f := threeAgents(); f.desired[render.ComponentAgent] = 5; return f }()},
			report(3, 0, 0, 0, all, nil), metav1.ConditionFalse, monitoringv1alpha1.ReasonTargetsMissing, []string{"3 of 5 agent(s) scraped"}, false},
		{"nothing scraped yet", j, report(0, 0, 3, 3, all, nil), metav1.ConditionUnknown, monitoringv1alpha1.ReasonScrapePending, []string{"3 of 3 targets are not scraped yet"}, true},
		{"401", j, report(0, 3, 0, 0, all, map[health.ErrorClass]int{health.ClassUnauthorized: 3}), metav1.ConditionFalse, monitoringv1alpha1.ReasonTokenRejected,
			[]string{"3 of 3 agent(s) down", "Antrea answers 401", "ServiceAccount monitoring/prometheus"}, false},
		{"403", j, report(1, 2, 0, 0, all, map[health.ErrorClass]int{health.ClassForbidden: 2}), metav1.ConditionFalse, monitoringv1alpha1.ReasonMetricsForbidden,
			[]string{"2 of 3 agent(s) down", "Antrea answers 403", "may not get the non-resource URL /metrics", "binds ServiceAccount monitoring/prometheus to a ClusterRole that allows it (antrea-monitoring:prometheus-antrea"}, false},
		{"404", j, report(0, 3, 0, 0, all, map[health.ErrorClass]int{health.ClassNotFound: 3}), metav1.ConditionFalse, monitoringv1alpha1.ReasonMetricsDisabled,
			[]string{"Antrea answers 404 on /metrics", "enablePrometheusMetrics: false", "ConfigMap kube-system/antrea-config"}, false},
		{"TLS name", j, report(0, 1, 0, 0, all, map[health.ErrorClass]int{health.ClassTLSName: 1}), metav1.ConditionFalse, monitoringv1alpha1.ReasonTLSVerificationFailed,
			[]string{"does not name antrea.kube-system.svc", "selfSignedCert: false", "not ...svc.cluster.local"}, false},
		{"TLS authority", j, report(0, 1, 0, 0, all, map[health.ErrorClass]int{health.ClassTLSAuthority: 1}), metav1.ConditionFalse, monitoringv1alpha1.ReasonTLSVerificationFailed,
			[]string{"ConfigMap antrea-ca in namespace kube-system"}, false},
		// antrea-controller restarted by the operator's own rollout serves a
		// new self-signed CA; the mounted copy follows later (real node).
		{"TLS authority while antrea-ca propagates: on its way, looked at again soon", func() judge {
			j := j
			j.now = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
			j.caChanged = j.now.Add(-40 * time.Second)
			return j
		}(), report(0, 1, 0, 0, all, map[health.ErrorClass]int{health.ClassTLSAuthority: 1}), metav1.ConditionUnknown, monitoringv1alpha1.ReasonAntreaCAPropagating,
			[]string{"changed 40s ago", "follows within the kubelet's sync period"}, true},
		{"TLS authority long after antrea-ca changed", func() judge {
			j := j
			j.now = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
			j.caChanged = j.now.Add(-caPropagation)
			return j
		}(), report(0, 1, 0, 0, all, map[health.ErrorClass]int{health.ClassTLSAuthority: 1}), metav1.ConditionFalse, monitoringv1alpha1.ReasonTLSVerificationFailed,
			[]string{"ConfigMap antrea-ca in namespace kube-system"}, false},
		{"refused", j, report(2, 1, 0, 0, all, map[health.ErrorClass]int{health.ClassRefused: 1}), metav1.ConditionFalse, monitoringv1alpha1.ReasonConnectionRefused,
			[]string{"1 of 3 agent(s) down", "connection refused"}, false},
		{"timeout", j, report(2, 1, 0, 0, all, map[health.ErrorClass]int{health.ClassTimeout: 1}), metav1.ConditionFalse, monitoringv1alpha1.ReasonScrapeTimeout,
			[]string{"time out", "hostNetwork"}, false},
		{"mixed errors", j, report(0, 3, 0, 0, all, map[health.ErrorClass]int{health.ClassTimeout: 1, health.ClassForbidden: 2}), metav1.ConditionFalse, monitoringv1alpha1.ReasonTargetsDown,
			[]string{"errors differ (1 Timeout, 2 Forbidden)"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.j.pool(agents, tt.rep)
			if v.status != tt.status || v.reason != tt.reason || v.pending != tt.pending {
				t.Errorf("got %s/%s pending=%v, want %s/%s pending=%v (%s)", v.status, v.reason, v.pending, tt.status, tt.reason, tt.pending, v.message)
			}
			for _, m := range tt.message {
				if !strings.Contains(v.message, m) {
					t.Errorf("message %q lacks %q", v.message, m)
				}
			}
		})
	}
}

func TestJudgeOverall(t *testing.T) {
	up := verdict{status: metav1.ConditionTrue, reason: monitoringv1alpha1.ReasonTargetsUp, counts: "antrea-controllers 1/1"}
	missing := verdict{status: metav1.ConditionFalse, reason: monitoringv1alpha1.ReasonTargetsMissing, message: "2 of 3 agent(s) scraped.", counts: "antrea-agents 2/2"}
	pending := verdict{status: metav1.ConditionUnknown, reason: monitoringv1alpha1.ReasonScrapePending, message: "not yet.", pending: true, counts: "antrea-agents 0/2"}
	forbidden := verdict{status: metav1.ConditionFalse, reason: monitoringv1alpha1.ReasonMetricsForbidden, message: "403.", counts: "antrea-controllers 0/1"}
	tests := []struct {
		name    string
		vs      []verdict
		status  metav1.ConditionStatus
		reason  string
		pending bool
	}{
		{"all up", []verdict{up, up}, metav1.ConditionTrue, monitoringv1alpha1.ReasonTargetsUp, false},
		{"one pool missing targets: the 2/2 pool does not make it healthy", []verdict{up, missing}, metav1.ConditionFalse, monitoringv1alpha1.ReasonTargetsMissing, false},
		{"pending and up", []verdict{up, pending}, metav1.ConditionUnknown, monitoringv1alpha1.ReasonScrapePending, true},
		{"False wins over pending", []verdict{pending, forbidden}, metav1.ConditionFalse, monitoringv1alpha1.ReasonMetricsForbidden, true},
		{"two different problems", []verdict{forbidden, missing}, metav1.ConditionFalse, monitoringv1alpha1.ReasonTargetsDown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, p := judge{}.overall(tt.vs)
			if c.Status != tt.status || c.Reason != tt.reason || p != tt.pending {
				t.Errorf("got %s/%s pending=%v, want %s/%s pending=%v (%s)", c.Status, c.Reason, p, tt.status, tt.reason, tt.pending, c.Message)
			}
		})
	}
}

func TestRestartPending(t *testing.T) {
	hash := map[string]string{antrea.ConfigHashAnnotation: "new"}
	old := map[string]string{antrea.ConfigHashAnnotation: "old"}
	pods := []corev1.Pod{*runningPod("antrea-agent-a", "node-a", render.ComponentAgent, hash), *runningPod("antrea-agent-b", "node-b", render.ComponentAgent, old),
		*runningPod("antrea-agent-c", "node-c", render.ComponentAgent, nil), *runningPod("other", "node-c", "other", nil)}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"component": render.ComponentAgent}}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Annotations: hash}}
	stale := stalePods(pods, sel, tmpl)
	if want := []string{"kube-system/antrea-agent-b", "kube-system/antrea-agent-c"}; fmt.Sprint(stale) != fmt.Sprint(want) {
		t.Fatalf("stale pods %v, want %v", stale, want)
	}
	if got := stalePods(pods, sel, corev1.PodTemplateSpec{}); got != nil {
		t.Errorf("a template the operator never rolled out has no stale pods, got %v", got)
	}
	enabled := trueCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonMetricsEnabled, "on")
	c := restartPending(enabled, fleet{stale: stale})
	if c.Status != metav1.ConditionFalse || c.Reason != monitoringv1alpha1.ReasonRestartInProgress || !strings.Contains(c.Message, "kube-system/antrea-agent-b, kube-system/antrea-agent-c") {
		t.Errorf("got %+v", c)
	}
	if c := restartPending(enabled, fleet{}); c != enabled {
		t.Errorf("no stale pod: condition changed to %+v", c)
	}
	// A real rollout deletes the old pod first: while it terminates it
	// still runs the old conf, and RestartInProgress names it until it is
	// gone (seen on a real node: the DaemonSet controller leaves no moment
	// where an undeleted pod has the old hash).
	terminating := runningPod("antrea-agent-d", "node-d", render.ComponentAgent, old)
	terminating.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	if got := stalePods([]corev1.Pod{pods[0], *terminating}, sel, tmpl); fmt.Sprint(got) != "[kube-system/antrea-agent-d]" {
		t.Errorf("a terminating pod with the old conf: stale pods %v, want [kube-system/antrea-agent-d]", got)
	}
	notManaged := trueCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonMetricsEnabledRestartRequired, "later")
	if c := restartPending(notManaged, fleet{stale: stale}); c != notManaged {
		t.Errorf("restartOnChange false already says so: got %+v", c)
	}
}

// TestPendingCheckRetriesAfterOneScrapeInterval: a check that finds the
// targets not scraped yet is repeated after one scrape interval, not a
// whole check interval; once healthy, the check interval applies.
func TestPendingCheckRetriesAfterOneScrapeInterval(t *testing.T) {
	var scraped atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		health, last := "unknown", "0001-01-01T00:00:00Z"
		if scraped.Load() {
			health, last = "up", time.Now().UTC().Format(time.RFC3339)
		}
		pool := r.URL.Query().Get("scrapePool")
		inst := "node-a;antrea-agent-a"
		if pool == render.ControllersJob {
			inst = "node-a;antrea-controller-x"
		}
		if r.URL.Path == "/api/v1/query" {
			_, _ = fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
			return
		}
		_, _ = fmt.Fprintf(w, `{"status":"success","data":{"activeTargets":[{"labels":{"instance":%q},"scrapePool":%q,"health":%q,"lastError":"","lastScrape":%q}],"droppedTargets":[]}}`,
			inst, pool, health, last)
	}))
	defer srv.Close()
	am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "a", UID: types.UID("u")}}
	am.Spec.Prometheus.URL = srv.URL
	am.Spec.Prometheus.ScrapeInterval = "2s"
	am.Spec.HealthCheck = monitoringv1alpha1.HealthCheckSpec{Enabled: ptr.To(true), Interval: "5m"}
	f := fleet{namespace: "kube-system", running: map[string][]*corev1.Pod{
		render.ComponentAgent:      {runningPod("antrea-agent-a", "node-a", render.ComponentAgent, nil)},
		render.ComponentController: {runningPod("antrea-controller-x", "node-a", render.ComponentController, nil)}}}
	prom := prometheusResult{pools: []render.Pool{{Name: render.ControllersJob, Component: render.ComponentController}, {Name: render.AgentsJob, Component: render.ComponentAgent}}}
	r := &AntreaMonitoringReconciler{}
	// The reconcile's clock (scope.now) decides when a check is due.
	start := time.Now()
	sc := func(after time.Duration) *scope {
		return &scope{am: am, fleet: f, now: start.Add(after), status: &monitoringv1alpha1.AntreaMonitoringStatus{}, decided: decided{prometheus: prom}}
	}
	res := r.checkHealth(context.Background(), sc(0))
	if res.condition.Reason != monitoringv1alpha1.ReasonScrapePending || res.requeueAfter != 2*time.Second {
		t.Fatalf("first check: %s, next in %s; want ScrapePending, next in one scrape interval (2s)", res.condition.Reason, res.requeueAfter)
	}
	scraped.Store(true)
	if res := r.checkHealth(context.Background(), sc(1999*time.Millisecond)); res.condition.Reason != monitoringv1alpha1.ReasonScrapePending {
		t.Fatalf("a reconcile within the scrape interval must reuse the last check, got %s", res.condition.Reason)
	}
	res = r.checkHealth(context.Background(), sc(2*time.Second)) // one scrape interval later
	if res.condition.Reason != monitoringv1alpha1.ReasonTargetsUp || res.requeueAfter != 5*time.Minute {
		t.Fatalf("second check: %s (%s), next in %s; want TargetsUp, next in the check interval", res.condition.Reason, res.condition.Message, res.requeueAfter)
	}
}

// With 50,000 agents and one scraped, the verdict names a few of the
// missing and counts the rest: the status does not grow with the cluster.
func TestJudgePoolMessageBounded(t *testing.T) {
	const n = 50000
	f := fleet{namespace: "kube-system", running: map[string][]*corev1.Pod{}, desired: map[string]int32{render.ComponentAgent: n}}
	for i := range n {
		f.running[render.ComponentAgent] = append(f.running[render.ComponentAgent], runningPod(fmt.Sprintf("antrea-agent-%d", i), fmt.Sprintf("node-%d", i), render.ComponentAgent, nil))
	}
	v := judge{fleet: f}.pool(render.Pool{Name: "antrea-agents", Component: render.ComponentAgent},
		report(1, 0, 0, 0, map[string]bool{"node-0;antrea-agent-0": true}, nil))
	if v.reason != monitoringv1alpha1.ReasonTargetsMissing || !strings.Contains(v.message, fmt.Sprintf("1 of %d agent(s) scraped", n)) || !strings.Contains(v.message, fmt.Sprintf("and %d more", n-1-5)) {
		t.Errorf("%s: %q", v.reason, v.message)
	}
	if len(v.message) > 512 {
		t.Errorf("message of %d bytes for %d missing agents: not bounded", len(v.message), n-1)
	}
}

func TestUnroutedYet(t *testing.T) {
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	pod := func(readySince time.Time, terminating bool) corev1.Pod {
		p := corev1.Pod{}
		if !readySince.IsZero() {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(readySince)}}
		}
		if terminating {
			p.DeletionTimestamp = &metav1.Time{Time: now}
		}
		return p
	}
	for name, tc := range map[string]struct {
		pods []corev1.Pod
		want bool
	}{
		"turned Ready a second ago (kube-proxy not there yet)": {[]corev1.Pod{pod(now.Add(-time.Second), false)}, true},
		"Ready for long": {[]corev1.Pod{pod(now.Add(-routeGrace), false)}, false},
		"the old pod terminating, the new not Ready": {[]corev1.Pod{pod(now.Add(-time.Hour), true), pod(time.Time{}, false)}, true},
		"no pod Ready": {[]corev1.Pod{pod(time.Time{}, false)}, true},
		"no pod at all (an available Deployment whose Service refuses: a real problem)": {nil, false},
	} {
		if got := settling(tc.pods, now); got != tc.want {
			t.Errorf("%s: settling = %v, want %v", name, got, tc.want)
		}
	}
	refused := unreachable("dial tcp 10.96.20.183:9090: connect: connection refused")
	down := healthResult{condition: &metav1.Condition{Type: monitoringv1alpha1.ConditionTargetsHealthy, Status: metav1.ConditionFalse, Reason: monitoringv1alpha1.ReasonTargetsDown}}
	if !unroutedYet(refused, true) || unroutedYet(refused, false) || unroutedYet(down, true) || unroutedYet(healthResult{}, true) {
		t.Error("unroutedYet: only a refused check while settling is PrometheusStarting")
	}
}

func TestReadyConditionProgressing(t *testing.T) {
	c := func(t, status, reason string) metav1.Condition {
		return metav1.Condition{Type: t, Status: metav1.ConditionStatus(status), Reason: reason}
	}
	metricsRestarting := c(monitoringv1alpha1.ConditionAntreaMetricsEnabled, "False", monitoringv1alpha1.ReasonRestartInProgress)
	starting := c(monitoringv1alpha1.ConditionPrometheusReady, "False", monitoringv1alpha1.ReasonPrometheusStarting)
	caPropagating := c(monitoringv1alpha1.ConditionTargetsHealthy, "Unknown", monitoringv1alpha1.ReasonAntreaCAPropagating)
	tlsFailed := c(monitoringv1alpha1.ConditionTargetsHealthy, "False", monitoringv1alpha1.ReasonTLSVerificationFailed)
	rbac := c(monitoringv1alpha1.ConditionRBACReady, "True", monitoringv1alpha1.ReasonClusterRolesApplied)
	for name, tc := range map[string]struct {
		conds []metav1.Condition
		want  string
	}{
		// A fresh install with metrics off goes through all of these; none is a Warning.
		"the operator's own rollout and Prometheus starting": {[]metav1.Condition{metricsRestarting, starting, rbac}, monitoringv1alpha1.ReasonProgressing},
		"antrea-ca propagating":                              {[]metav1.Condition{caPropagating, rbac}, monitoringv1alpha1.ReasonProgressing},
		"a real TLS failure":                                 {[]metav1.Condition{metricsRestarting, tlsFailed}, monitoringv1alpha1.ReasonNotReady},
		"all True":                                           {[]metav1.Condition{rbac}, monitoringv1alpha1.ReasonReady},
	} {
		if got := readyCondition(tc.conds); got.Reason != tc.want {
			t.Errorf("%s: Ready reason %s, want %s (%s)", name, got.Reason, tc.want, got.Message)
		}
	}
}

func TestCAUpdated(t *testing.T) {
	created := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	cm := func(times ...time.Time) *corev1.ConfigMap {
		c := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)}}
		for _, at := range times {
			c.ManagedFields = append(c.ManagedFields, metav1.ManagedFieldsEntry{Manager: "antrea-controller", Time: ptr.To(metav1.NewTime(at))})
		}
		return c
	}
	if got := caUpdated(cm(created)); !got.IsZero() {
		t.Errorf("created, never updated: %v, want zero (a copy made since holds it)", got)
	}
	if got, want := caUpdated(cm(created, created.Add(time.Minute))), created.Add(time.Minute); !got.Equal(want) {
		t.Errorf("republished a minute later: %v, want %v", got, want)
	}
	if got := caUpdated(cm()); !got.IsZero() {
		t.Errorf("no managedFields: %v, want zero", got)
	}
}

// TestAgentHealthFromTargetsOnly: a Prometheus in agent mode is judged by
// its targets API alone (it has no query API), and the condition says so.
func TestAgentHealthFromTargetsOnly(t *testing.T) {
	var queried atomic.Bool
	srv := onePodEachPrometheus(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/api/v1/query" {
			queried.Store(true)
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = fmt.Fprint(w, `{"status":"error","errorType":"execution","error":"unavailable with Prometheus Agent"}`)
			return true
		}
		return false
	})
	defer srv.Close()
	am := checkedAt(srv.URL)
	f := onePodEach()
	for _, agent := range []bool{false, true} {
		prom := prometheusResult{pools: []render.Pool{{Name: render.ControllersJob, Component: render.ComponentController}, {Name: render.AgentsJob, Component: render.ComponentAgent}},
			endpoint: &render.Endpoint{Agent: agent}}
		queried.Store(false)
		r := &AntreaMonitoringReconciler{}
		res := r.checkHealth(context.Background(), &scope{am: am, fleet: f, now: time.Now(), status: &monitoringv1alpha1.AntreaMonitoringStatus{}, decided: decided{prometheus: prom}})
		if agent {
			if res.condition.Status != metav1.ConditionTrue || res.condition.Reason != monitoringv1alpha1.ReasonTargetsUp || queried.Load() ||
				!strings.Contains(res.condition.Message, "agent mode: health is read from its targets API") {
				t.Errorf("agent: %s %s %q, query API asked: %v; want TargetsUp from the targets API alone, saying so", res.condition.Status, res.condition.Reason, res.condition.Message, queried.Load())
			}
			continue
		}
		// A server is asked for the families: its failing query API fails the check.
		if res.condition.Reason != monitoringv1alpha1.ReasonPrometheusUnreachable || !queried.Load() {
			t.Errorf("server: %s %q; want PrometheusUnreachable after asking the query API", res.condition.Reason, res.condition.Message)
		}
	}
}

// TestNoTargetsAPI: a collector that answers 404 without Prometheus's API
// on /api/v1/targets (Grafana Alloy, an OpenTelemetry Collector) gives
// TargetsHealthy Unknown NoTargetsAPI, never False; Prometheus's own 404
// (JSON) and a refusal are other matters.
func TestNoTargetsAPI(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(http.ResponseWriter)
		reason string
	}{
		{"a plain 404", func(w http.ResponseWriter) { http.Error(w, "404 page not found", http.StatusNotFound) }, monitoringv1alpha1.ReasonNoTargetsAPI},
		{"an HTML 404", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprint(w, "<html><body>Not Found</body></html>")
		}, monitoringv1alpha1.ReasonNoTargetsAPI},
		{"Prometheus's JSON 404", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprint(w, `{"status":"error","errorType":"not_found","error":"no such pool"}`)
		}, monitoringv1alpha1.ReasonPrometheusUnreachable},
		{"a 503", func(w http.ResponseWriter) { http.Error(w, "unavailable", http.StatusServiceUnavailable) }, monitoringv1alpha1.ReasonPrometheusUnreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { tc.answer(w) }))
			defer srv.Close()
			am := checkedAt(srv.URL)
			prom := prometheusResult{pools: []render.Pool{{Name: render.AgentsJob, Component: render.ComponentAgent}}, endpoint: &render.Endpoint{}}
			r := &AntreaMonitoringReconciler{}
			res := r.checkHealth(context.Background(), &scope{am: am, now: time.Now(), status: &monitoringv1alpha1.AntreaMonitoringStatus{}, decided: decided{prometheus: prom}})
			if res.condition.Status != metav1.ConditionUnknown || res.condition.Reason != tc.reason {
				t.Errorf("%s %s %q, want Unknown %s", res.condition.Status, res.condition.Reason, res.condition.Message, tc.reason)
			}
			if tc.reason == monitoringv1alpha1.ReasonNoTargetsAPI && (res.pending || !strings.Contains(res.condition.Message, "has no targets API")) {
				t.Errorf("pending %v, message %q: want a settled verdict that says there is no targets API", res.pending, res.condition.Message)
			}
		})
	}
}

// onePodEach is a fleet of one agent and one controller on node-a.
func onePodEach() fleet {
	return fleet{namespace: "kube-system", running: map[string][]*corev1.Pod{
		render.ComponentAgent:      {runningPod("antrea-agent-a", "node-a", render.ComponentAgent, nil)},
		render.ComponentController: {runningPod("antrea-controller-x", "node-a", render.ComponentController, nil)}}}
}

// onePodEachPrometheus is a Prometheus whose targets API has onePodEach's
// pods up in the guide's pools; other requests go to other first, which
// answers them when it returns true.
func onePodEachPrometheus(other func(http.ResponseWriter, *http.Request) bool) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if other(w, r) {
			return
		}
		pool := r.URL.Query().Get("scrapePool")
		inst := "node-a;antrea-agent-a"
		if pool == render.ControllersJob {
			inst = "node-a;antrea-controller-x"
		}
		_, _ = fmt.Fprintf(w, `{"status":"success","data":{"activeTargets":[{"labels":{"instance":%q},"scrapePool":%q,"health":"up","lastError":"","lastScrape":%q}],"droppedTargets":[]}}`,
			inst, pool, time.Now().UTC().Format(time.RFC3339))
	}))
}

// checkedAt is an AntreaMonitoring whose health check asks url.
func checkedAt(url string) *monitoringv1alpha1.AntreaMonitoring {
	am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "a", UID: types.UID("u")}}
	am.Spec.Prometheus.URL = url
	am.Spec.HealthCheck = monitoringv1alpha1.HealthCheckSpec{Enabled: ptr.To(true), Interval: "5m"}
	return am
}
