package controllers

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// agentInfoObject is an AntreaAgentInfo as an agent writes it, heartbeat
// and OVS details included.
func agentInfoObject(node, version string, port int64, ca []byte) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "crd.antrea.io/v1beta1", "kind": "AntreaAgentInfo",
		"metadata": map[string]any{"name": node, "resourceVersion": "7", "uid": "u-" + node},
		"version":  version, "apiPort": port,
		"podRef":          map[string]any{"kind": "Pod", "namespace": "kube-system", "name": "antrea-agent-" + node},
		"nodeRef":         map[string]any{"kind": "Node", "name": node},
		"ovsInfo":         map[string]any{"version": "3.1.2", "flowTable": map[string]any{"0": int64(12)}},
		"agentConditions": []any{map[string]any{"type": "AgentHealthy", "status": "True", "lastHeartbeatTime": "2026-11-25T10:00:00Z"}},
		"localPodNum":     int64(4),
	}}
	if ca != nil {
		u.Object["apiCABundle"] = base64.StdEncoding.EncodeToString(ca)
	}
	return u
}

func TestParseAgentInfo(t *testing.T) {
	node, got := parseAgentInfo(agentInfoObject("win-1", "v2.7.0", 10350, []byte("PEM")))
	want := agentInfo{Version: "v2.7.0", APIPort: 10350, Pod: types.NamespacedName{Namespace: "kube-system", Name: "antrea-agent-win-1"}}
	if node != "win-1" || !cmp.Equal(want, got) {
		t.Errorf("parseAgentInfo() = %q, %+v; want win-1, %+v", node, got, want)
	}

	old := agentInfoObject("node-b", "v1.12.2", 0, nil) // before v1.13: no apiCABundle
	delete(old.Object, "nodeRef")
	old.Object["apiPort"] = int64(70000)
	node, got = parseAgentInfo(old)
	if node != "node-b" || got.APIPort != 0 || got.Version != "v1.12.2" {
		t.Errorf("an AntreaAgentInfo without nodeRef, CA or a valid port: %q, %+v", node, got)
	}
}

func TestStripAntreaInfoKeepsWhatIsRead(t *testing.T) {
	in := agentInfoObject("node-a", "v2.7.0", 10350, []byte("PEM"))
	out, err := stripAntreaInfo(in.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	u := out.(*unstructured.Unstructured)
	for _, dropped := range []string{"ovsInfo", "agentConditions", "localPodNum", "apiCABundle"} {
		if _, ok := u.Object[dropped]; ok {
			t.Errorf("%s kept", dropped)
		}
	}
	if u.GetName() != "node-a" || u.GetResourceVersion() != "7" || u.GetKind() != "AntreaAgentInfo" || u.GetAPIVersion() != "crd.antrea.io/v1beta1" {
		t.Errorf("identity lost: %v", u.Object)
	}
	_, before := parseAgentInfo(in)
	_, after := parseAgentInfo(u)
	if !cmp.Equal(before, after) {
		t.Errorf("stripping changed what is read: %+v, then %+v", before, after)
	}
	if same, _ := stripAntreaInfo(&corev1.Pod{}); same == nil {
		t.Errorf("other objects pass through")
	}
}

func TestAntreaInfoChangedIgnoresHeartbeats(t *testing.T) {
	p := antreaInfoChanged()
	strip := func(u *unstructured.Unstructured) *unstructured.Unstructured {
		o, _ := stripAntreaInfo(u)
		return o.(*unstructured.Unstructured)
	}
	old := agentInfoObject("node-a", "v2.7.0", 10350, []byte("PEM"))
	beat := old.DeepCopy()
	beat.Object["agentConditions"] = []any{map[string]any{"type": "AgentHealthy", "status": "True", "lastHeartbeatTime": "2026-11-25T10:01:00Z"}}
	beat.SetResourceVersion("8")
	if p.Update(event.UpdateEvent{ObjectOld: strip(old), ObjectNew: strip(beat)}) {
		t.Errorf("a heartbeat passed")
	}
	rotated := old.DeepCopy()
	rotated.Object["apiCABundle"] = base64.StdEncoding.EncodeToString([]byte("NEW"))
	if p.Update(event.UpdateEvent{ObjectOld: strip(old), ObjectNew: strip(rotated)}) {
		t.Errorf("a new apiCABundle passed: the operator does not read it")
	}
	for name, mutate := range map[string]func(*unstructured.Unstructured){
		"version": func(u *unstructured.Unstructured) { u.Object["version"] = "v2.7.1" },
		"apiPort": func(u *unstructured.Unstructured) { u.Object["apiPort"] = int64(10351) },
		"podRef": func(u *unstructured.Unstructured) {
			u.Object["podRef"] = map[string]any{"namespace": "kube-system", "name": "antrea-agent-x"}
		},
	} {
		changed := old.DeepCopy()
		mutate(changed)
		if !p.Update(event.UpdateEvent{ObjectOld: strip(old), ObjectNew: strip(changed)}) {
			t.Errorf("a change of %s was dropped", name)
		}
	}
	if !p.Create(event.CreateEvent{Object: old}) || !p.Delete(event.DeleteEvent{Object: old}) {
		t.Errorf("creations and deletions must pass")
	}
}

// Confs shaped like Antrea's (written for these tests).
const (
	agentConfDefault      = "featureGates:\n  AntreaProxy: true\n#  FlowExporter: false\nenablePrometheusMetrics: true\n"
	agentConfFlowExporter = "featureGates:\n  FlowExporter: true\nflowExporter:\n  enable: true\nenablePrometheusMetrics: true\n"
	controllerConfDefault = "enablePrometheusMetrics: true\nselfSignedCert: true\n"
	confBroken            = "featureGates:\n  FlowExporter: true\n apiPort: [10350\n"
)

func antreaConfigMap(agentConf, controllerConf string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "antrea-config"},
		Data: map[string]string{"antrea-agent.conf": agentConf, "antrea-controller.conf": controllerConf}}
}

func TestRunningAntrea(t *testing.T) {
	agents := func(versions ...string) map[string]agentInfo {
		m := map[string]agentInfo{}
		for i, v := range versions {
			m[fmt.Sprintf("node-%d", i)] = agentInfo{Version: v}
		}
		return m
	}
	tests := []struct {
		name         string
		info         antreaInfo
		cm           *corev1.ConfigMap
		version      string // "" for nil
		flowExporter bool
	}{
		{"nothing known: unknown version, default features", antreaInfo{}, nil, "", false},
		{"the controller's version", antreaInfo{known: true, controllerVersion: "v2.4.1", agents: agents("v2.3.0")}, antreaConfigMap(agentConfDefault, controllerConfDefault), "2.4.1", false},
		{"a development build: its release", antreaInfo{known: true, controllerVersion: "v2.8.0-dev-0a1b2c3"}, nil, "2.8.0", false},
		{"no controller: the agents' version when they agree", antreaInfo{known: true, agents: agents("v1.15.1", "v1.15.1")}, nil, "1.15.1", false},
		{"no controller and agents disagree: unknown", antreaInfo{known: true, agents: agents("v1.15.1", "v2.0.0")}, nil, "", false},
		{"UNKNOWN reported: unknown", antreaInfo{known: true, controllerVersion: "UNKNOWN"}, nil, "", false},
		{"FlowExporter turned on in the agent's conf", antreaInfo{known: true, controllerVersion: "v2.7.0"}, antreaConfigMap(agentConfFlowExporter, controllerConfDefault), "2.7.0", true},
		{"a conf that does not parse counts as absent", antreaInfo{known: true, controllerVersion: "v2.7.0"}, antreaConfigMap(confBroken, controllerConfDefault), "2.7.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := runningAntrea(tt.info, tt.cm)
			got := ""
			if a.Version != nil {
				got = a.Version.String()
			}
			if got != tt.version {
				t.Errorf("version = %q, want %q", got, tt.version)
			}
			if a.Features.FlowExporter != tt.flowExporter || !a.Features.AntreaProxy || !a.Features.AntreaPolicy {
				t.Errorf("features = %+v, want FlowExporter %v with AntreaProxy and AntreaPolicy on", a.Features, tt.flowExporter)
			}
		})
	}
}

func TestReportAntrea(t *testing.T) {
	v27 := catalog.Antrea{Version: catalog.ParseVersion("v2.7.0")}
	long := "v2.8.0-dev-" + strings.Repeat("0123456789", 10)
	tests := []struct {
		name      string
		info      antreaInfo
		a         catalog.Antrea
		confsRead bool
		want      monitoringv1alpha1.AntreaMonitoringStatus
	}{
		{name: "CRDs absent, Antrea's ConfigMap not found: nothing", info: antreaInfo{}, a: catalog.Antrea{}},
		{name: "every agent runs the controller's version", a: v27, confsRead: true,
			info: antreaInfo{known: true, controllerVersion: "v2.7.0", agents: map[string]agentInfo{"a": {Version: "v2.7.0"}, "b": {Version: "v2.7.0"}}},
			want: monitoringv1alpha1.AntreaMonitoringStatus{AntreaVersion: "v2.7.0", InactiveMetrics: []monitoringv1alpha1.InactiveMetrics{{
				Condition: "FlowExporter",
				Families: []string{"antrea_agent_conntrack_antrea_connection_count", "antrea_agent_conntrack_max_connection_count",
					"antrea_agent_conntrack_poll_cycle_duration_seconds", "antrea_agent_conntrack_total_connection_count",
					"antrea_agent_denied_connection_count", "antrea_agent_flow_collector_reconnection_count"},
				Message: v27.Dormant()[0].Message,
			}}}},
		{name: "an upgrade under way: the agents' versions", a: v27,
			info: antreaInfo{known: true, controllerVersion: "v2.7.0", agents: map[string]agentInfo{"a": {Version: "v2.6.3"}, "b": {Version: "v2.7.0"}, "c": {Version: "v2.6.3"}}},
			want: monitoringv1alpha1.AntreaMonitoringStatus{AntreaVersion: "v2.7.0", AgentVersions: []string{"v2.6.3", "v2.7.0"}}},
		{name: "no AntreaControllerInfo yet: the agents' versions", a: v27,
			info: antreaInfo{known: true, agents: map[string]agentInfo{"a": {Version: "v2.7.0"}}},
			want: monitoringv1alpha1.AntreaMonitoringStatus{AgentVersions: []string{"v2.7.0"}}},
		{name: "bounded", a: catalog.Antrea{},
			info: antreaInfo{known: true, controllerVersion: long, agents: func() map[string]agentInfo {
				m := map[string]agentInfo{}
				for i := range 12 {
					m[fmt.Sprint(i)] = agentInfo{Version: fmt.Sprintf("v2.%d.0", 10+i)}
				}
				return m
			}()},
			want: monitoringv1alpha1.AntreaMonitoringStatus{AntreaVersion: long[:maxVersionLength],
				AgentVersions: []string{"v2.10.0", "v2.11.0", "v2.12.0", "v2.13.0", "v2.14.0", "v2.15.0", "v2.16.0", "v2.17.0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := &monitoringv1alpha1.AntreaMonitoringStatus{AntreaVersion: "v0.0.1", AgentVersions: []string{"stale"},
				InactiveMetrics: []monitoringv1alpha1.InactiveMetrics{{Condition: "stale"}}}
			reportAntrea(status, tt.info, tt.a, tt.confsRead)
			if diff := cmp.Diff(tt.want, *status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

// seriesNames are the series Prometheus holds of the given families, as
// their Antrea's agents and controller expose them.
func seriesNames(families ...string) []string {
	var out []string
	for _, f := range families {
		if strings.Contains(f, "duration") || strings.Contains(f, "latency") {
			out = append(out, f+"_bucket", f+"_sum", f+"_count")
			continue
		}
		out = append(out, f)
	}
	return out
}

// v1_12Series are the families a default Antrea v1.12 serves (Antrea's
// docs/prometheus-integration.md at v1.12.0: 30 names).
var v1_12Series = seriesNames(
	"antrea_agent_conntrack_antrea_connection_count", "antrea_agent_conntrack_max_connection_count",
	"antrea_agent_conntrack_total_connection_count", "antrea_agent_denied_connection_count",
	"antrea_agent_egress_networkpolicy_rule_count", "antrea_agent_flow_collector_reconnection_count",
	"antrea_agent_ingress_networkpolicy_rule_count", "antrea_agent_local_pod_count", "antrea_agent_networkpolicy_count",
	"antrea_agent_ovs_flow_count", "antrea_agent_ovs_flow_ops_count", "antrea_agent_ovs_flow_ops_error_count",
	"antrea_agent_ovs_flow_ops_latency_milliseconds", "antrea_agent_ovs_total_flow_count",
	"antrea_proxy_sync_proxy_rules_duration_seconds", "antrea_proxy_total_endpoints_installed", "antrea_proxy_total_endpoints_updates",
	"antrea_proxy_total_services_installed", "antrea_proxy_total_services_updates",
	"antrea_controller_acnp_status_updates", "antrea_controller_anp_status_updates", "antrea_controller_address_group_processed",
	"antrea_controller_address_group_sync_duration_milliseconds", "antrea_controller_applied_to_group_processed",
	"antrea_controller_applied_to_group_sync_duration_milliseconds", "antrea_controller_length_address_group_queue",
	"antrea_controller_length_applied_to_group_queue", "antrea_controller_length_network_policy_queue",
	"antrea_controller_network_policy_processed", "antrea_controller_network_policy_sync_duration_milliseconds",
)

// TestMissingMetricsFollowTheRelease runs the health check against a
// Prometheus holding what a default Antrea v1.12 serves: judged as v1.12,
// nothing is missing (no annp_status_updates, no meter family, which that
// release does not have); judged as v2.7.0, exactly the families v2.7.0
// adds are; the conntrack families, held at zero without FlowExporter, are
// never missing.
func TestMissingMetricsFollowTheRelease(t *testing.T) {
	names := v1_12Series
	srv := onePodEachPrometheus(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/api/v1/query" {
			var res []string
			for _, n := range names {
				res = append(res, fmt.Sprintf(`{"metric":{"__name__":%q},"value":[0,"1"]}`, n))
			}
			_, _ = fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, strings.Join(res, ","))
			return true
		}
		return false
	})
	defer srv.Close()
	am := checkedAt(srv.URL)
	f := onePodEach()
	prom := prometheusResult{pools: []render.Pool{{Name: render.ControllersJob, Component: render.ComponentController}, {Name: render.AgentsJob, Component: render.ComponentAgent}}}
	r := &AntreaMonitoringReconciler{}
	check := func(running catalog.Antrea) healthResult {
		return r.checkHealth(context.Background(), &scope{am: am, fleet: f, running: running, now: time.Now(),
			status: &monitoringv1alpha1.AntreaMonitoringStatus{}, decided: decided{prometheus: prom}})
	}

	for _, tt := range []struct {
		version string
		missing []string
	}{
		{"v1.12.2", nil},
		{"v1.13.0", []string{"antrea_controller_annp_status_updates"}}, // its meter family has no series before the first poll
		{"v2.7.0", []string{"antrea_agent_fqdn_cache_eviction_count", "antrea_agent_fqdn_cache_size", "antrea_agent_ovs_meter_packet_dropped_count", "antrea_controller_annp_status_updates"}},
		{"", nil}, // unknown: only what every release serves
	} {
		res := check(runningAntrea(antreaInfo{known: true, controllerVersion: tt.version}, antreaConfigMap(agentConfDefault, controllerConfDefault))) // a new Antrea re-checks at once
		if res.condition.Reason != monitoringv1alpha1.ReasonTargetsUp {
			t.Fatalf("%s: %s (%s)", tt.version, res.condition.Reason, res.condition.Message)
		}
		if diff := cmp.Diff(tt.missing, res.missing); diff != "" {
			t.Errorf("Antrea %q: missing (-want +got):\n%s", tt.version, diff)
		}
	}

	// The same v2.7.0 with FlowExporter on: its families must move, and the
	// poll histogram (v2.5.0+) is missing too.
	res := check(runningAntrea(antreaInfo{known: true, controllerVersion: "v2.7.0"}, antreaConfigMap(agentConfFlowExporter, controllerConfDefault)))
	if !slices.Contains(res.missing, "antrea_agent_conntrack_poll_cycle_duration_seconds") {
		t.Errorf("with FlowExporter on, the poll histogram is expected: missing %v", res.missing)
	}

	// A family spec.prometheus.series drops is never missing.
	am.Spec.Prometheus.Series.Drop = []monitoringv1alpha1.MetricName{"antrea_agent_conntrack_poll_cycle_duration_seconds", "antrea_agent_fqdn_cache_size"}
	res = check(runningAntrea(antreaInfo{known: true, controllerVersion: "v2.7.0"}, antreaConfigMap(agentConfFlowExporter, controllerConfDefault)))
	for _, dropped := range am.Spec.Prometheus.Series.Drop {
		if slices.Contains(res.missing, string(dropped)) {
			t.Errorf("%s is dropped by spec.prometheus.series, yet reported missing: %v", dropped, res.missing)
		}
	}
	if !slices.Contains(res.missing, "antrea_agent_fqdn_cache_eviction_count") {
		t.Errorf("a family not dropped is still reported missing: %v", res.missing)
	}
}

func TestExpectedFamiliesLeaveOutDormantOnes(t *testing.T) {
	a := catalog.Antrea{Version: catalog.ParseVersion("v2.7.0")}
	got := expectedFamilies(a)
	if !slices.IsSorted(got) {
		t.Errorf("not sorted: %v", got)
	}
	for _, d := range a.Dormant() {
		for _, f := range d.Families {
			if slices.Contains(got, f) {
				t.Errorf("%s is held at zero by %s but expected", f, d.Condition)
			}
		}
	}
	if !slices.Contains(got, "antrea_controller_acnp_status_updates") || slices.Contains(got, "antrea_controller_anp_status_updates") {
		t.Errorf("v2.7.0 expects acnp and annp, not anp: %v", got)
	}
}

// TestLastReportedKeepsTheStatus: after a failed read, applying what the
// status last reported changes nothing (no write, no other version for the
// rules).
func TestLastReportedKeepsTheStatus(t *testing.T) {
	for _, before := range []monitoringv1alpha1.AntreaMonitoringStatus{
		{},
		{AntreaVersion: "v2.7.0"},
		{AntreaVersion: "v2.7.0", AgentVersions: []string{"v2.6.3", "v2.7.0"}},
		{AgentVersions: []string{"v2.7.0"}},
	} {
		info := lastReported(&before)
		after := before.DeepCopy()
		reportAntrea(after, info, runningAntrea(info, nil), false)
		if diff := cmp.Diff(before, *after); diff != "" {
			t.Errorf("status changed (-before +after):\n%s", diff)
		}
		if got, want := runningAntrea(info, nil).Version, catalog.ParseVersion(before.AntreaVersion); fmt.Sprint(got) != fmt.Sprint(want) && before.AntreaVersion != "" {
			t.Errorf("version %v, want %v", got, want)
		}
	}
}
