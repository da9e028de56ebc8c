package render

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
)

// TestEveryModeRenders holds each registered mode (and so a new one) to the
// contract: with its preconditions met it plans without blocking, renders
// labelled objects of registered kinds, names its scrape pools, the kinds to
// prune (covering every kind its siblings render), where its Prometheus is
// (or what to set), and a ScrapeConfigured condition.
func TestEveryModeRenders(t *testing.T) {
	am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "antrea", UID: "uid-1"}}
	am.Spec.Prometheus.ScrapeConfig = &monitoringv1alpha1.ScrapeConfigTarget{Namespace: "prom", ServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "prom", Name: "prometheus"}}
	cluster := &observed.Cluster{
		Namespaces:      map[string]*corev1.Namespace{},
		ServiceAccounts: map[types.NamespacedName]bool{{Namespace: "prom", Name: "prometheus"}: true},
		PrometheusOperator: observed.PrometheusOperator{Served: true, Established: map[string]bool{},
			Prometheuses: []promv1.Prometheus{{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "kps"}}}},
	}
	for _, n := range []string{"prom", "kps", "monitoring"} {
		cluster.Namespaces[n] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}
	}
	if len(Modes) < 3 {
		t.Fatalf("Modes has %d entries, want Managed, ScrapeConfig and PrometheusOperator", len(Modes))
	}
	rendered := map[monitoringv1alpha1.PrometheusMode]Rendered{}
	for name, mode := range Modes {
		amBefore, clusterBefore := am.DeepCopy(), fmt.Sprintf("%+v", *cluster)
		target, blocked := mode.Plan(am, cluster)
		if blocked != nil {
			t.Fatalf("%s: Plan blocked with its preconditions met: %+v", name, blocked)
		}
		if !equality.Semantic.DeepEqual(am, amBefore) || fmt.Sprintf("%+v", *cluster) != clusterBefore {
			t.Errorf("%s: Plan changed its arguments: it must only return", name)
		}
		if target.Prometheus == nil && name != monitoringv1alpha1.ModeScrapeConfig {
			t.Errorf("%s: Plan names no Prometheus for status.prometheus", name)
		}
		in := Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "30s", Mode: name, Alerts: true, Dashboard: true}.For(target)
		r, err := Render(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rendered[name] = r
		if len(r.Objects) == 0 || len(r.Pools) == 0 || len(r.Prune) == 0 || r.Namespace == "" {
			t.Errorf("%s: objects %d, pools %v, prune kinds %d, namespace %q: each must be named", name, len(r.Objects), r.Pools, len(r.Prune), r.Namespace)
		}
		if r.Endpoint.Service == "" && r.Endpoint.PrometheusObject == "" && r.Endpoint.Unknown == "" {
			t.Errorf("%s: says neither where its Prometheus is nor what to set", name)
		}
		for _, o := range r.Objects {
			if _, ok := KindFor(o.GetObjectKind().GroupVersionKind()); !ok {
				t.Errorf("%s: renders %s %s, a kind missing from Kinds", name, o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
			}
			if o.GetLabels()[OwnerLabel] != "antrea" {
				t.Errorf("%s: %s %s lacks the owner label", name, o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
			}
		}
		v := mode.Verdicts(in, r, cluster)
		if v.Scrape.Reason == "" || v.Scrape.Message == "" {
			t.Errorf("%s: Verdicts = %+v, want a scrape verdict with a reason and a message", name, v)
		}
		if (v.PrometheusReady != nil) != (name == monitoringv1alpha1.ModeManaged) {
			t.Errorf("%s: PrometheusReady verdict %+v: only the mode that runs Prometheus has one", name, v.PrometheusReady)
		}
	}
	// A switch from any mode to any other prunes what the first rendered.
	for from, a := range rendered {
		for to, b := range rendered {
			for _, o := range a.Objects {
				k, _ := KindFor(o.GetObjectKind().GroupVersionKind())
				if !k.Pruned {
					continue
				}
				found := false
				for _, pk := range b.Prune {
					found = found || pk.GVK == k.GVK
				}
				if !found {
					t.Errorf("switching from %s to %s would leave %s %s behind: %s is not in %s's prune kinds", from, to, k.GVK.Kind, o.GetName(), k.GVK.Kind, to)
				}
			}
		}
	}
}

// The PrometheusOperator mode asks the chosen Prometheus's pods on the port
// its spec.portName names, every shard; a Prometheus listening on localhost
// only cannot be asked, and the endpoint says what to set instead.
func TestPrometheusOperatorEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec promv1.CommonPrometheusFields
		want Endpoint
	}{
		{"defaults", promv1.CommonPrometheusFields{}, Endpoint{Namespace: "kps", PrometheusObject: "kps", Kind: "Prometheus", Shards: 1, PortName: "web"}},
		{"kube-prometheus-stack", promv1.CommonPrometheusFields{PortName: "http-web", Shards: ptr.To(int32(3))}, Endpoint{Namespace: "kps", PrometheusObject: "kps", Kind: "Prometheus", Shards: 3, PortName: "http-web"}},
		{"listenLocal", promv1.CommonPrometheusFields{ListenLocal: true}, Endpoint{Unknown: "Prometheus kps/kps listens on localhost only (spec.listenLocal: true), so its pods cannot be asked from outside; set spec.prometheus.url to an address that reaches its API (e.g. a proxy beside it)."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _, _ := renderPrometheusOperator(t, tc.spec, observed.PrometheusOperator{})
			if r.Endpoint != tc.want {
				t.Errorf("endpoint\n got %+v\nwant %+v", r.Endpoint, tc.want)
			}
		})
	}
}

// renderPrometheusOperator plans and renders mode PrometheusOperator for
// Prometheus kps/kps with spec, prometheus-operator's state st (its
// verdicts) added to the cluster.
func renderPrometheusOperator(t *testing.T, spec promv1.CommonPrometheusFields, st observed.PrometheusOperator) (Rendered, Input, *observed.Cluster) {
	t.Helper()
	am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "antrea", UID: "uid-1"}}
	st.Served, st.Established = true, map[string]bool{}
	st.Prometheuses = []promv1.Prometheus{{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "kps"}, Spec: promv1.PrometheusSpec{CommonPrometheusFields: spec}}}
	cluster := &observed.Cluster{Namespaces: map[string]*corev1.Namespace{"kps": {ObjectMeta: metav1.ObjectMeta{Name: "kps"}}}, PrometheusOperator: st}
	target, blocked := Modes[monitoringv1alpha1.ModePrometheusOperator].Plan(am, cluster)
	if blocked != nil {
		t.Fatalf("Plan blocked: %+v", blocked)
	}
	in := Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "30s", Mode: monitoringv1alpha1.ModePrometheusOperator}.For(target)
	r, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	return r, in, cluster
}

// prometheus-operator's verdict on the rendered monitors: a binding to the
// chosen Prometheus whose Accepted is False (its StatusForConfigurationResources
// gate on), or, on an object it wrote no binding on (the gate off), a
// confirmed InvalidConfiguration event relating to that Prometheus, makes
// ScrapeConfigured False and names the object and why; a binding, when
// there is one, is the verdict, and verdicts about other Prometheuses are
// not this one's.
func TestPrometheusOperatorRejections(t *testing.T) {
	all := &metav1.LabelSelector{}
	selectsAll := promv1.CommonPrometheusFields{ServiceMonitorSelector: all, ServiceMonitorNamespaceSelector: all,
		PodMonitorSelector: all, PodMonitorNamespaceSelector: all, ScrapeConfigSelector: all, ScrapeConfigNamespaceSelector: all}
	kps := monitoringv1alpha1.ObjectReference{Namespace: "kps", Name: "kps"}
	binding := func(prom string, status promv1.ConditionStatus) []promv1.WorkloadBinding {
		return []promv1.WorkloadBinding{{Group: "monitoring.coreos.com", Resource: "prometheuses", Namespace: "kps", Name: prom,
			Conditions: []promv1.ConfigResourceCondition{{Type: promv1.Accepted, Status: status, Reason: "InvalidConfiguration", Message: "failed to get bearer token"}}}}
	}
	const agents = "PodMonitor/kps/antrea-agents"
	for _, tc := range []struct {
		name       string
		bindings   map[string][]promv1.WorkloadBinding
		rejections map[string][]observed.Rejection
		status     metav1.ConditionStatus
		reason     string
		message    string
	}{
		{"nothing said yet", nil, nil, metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied, "are selected by the Prometheus"},
		{"binding accepted", map[string][]promv1.WorkloadBinding{agents: binding("kps", promv1.ConditionTrue)}, nil,
			metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied, "are selected by the Prometheus"},
		{"binding rejected", map[string][]promv1.WorkloadBinding{agents: binding("kps", promv1.ConditionFalse)}, nil,
			metav1.ConditionFalse, monitoringv1alpha1.ReasonRejectedByPrometheusOperator,
			"prometheus-operator rejected PodMonitor kps/antrea-agents for Prometheus kps/kps, so it is not in its configuration (InvalidConfiguration: failed to get bearer token)."},
		{"rejected for another Prometheus", map[string][]promv1.WorkloadBinding{agents: binding("other", promv1.ConditionFalse)}, nil,
			metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied, "are selected by the Prometheus"},
		{"gate off: confirmed event", nil, map[string][]observed.Rejection{agents: {{Kind: promop.PrometheusKind, Prometheus: kps, Message: `"kps/antrea-agents" was rejected due to invalid configuration: bad`}}},
			metav1.ConditionFalse, monitoringv1alpha1.ReasonRejectedByPrometheusOperator,
			`prometheus-operator rejected PodMonitor kps/antrea-agents for Prometheus kps/kps, so it is not in its configuration (its InvalidConfiguration event: "kps/antrea-agents" was rejected due to invalid configuration: bad).`},
		{"gate off: event about another Prometheus", nil, map[string][]observed.Rejection{agents: {{Kind: promop.PrometheusKind, Prometheus: monitoringv1alpha1.ObjectReference{Namespace: "kps", Name: "other"}, Message: "bad"}}},
			metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied, "are selected by the Prometheus"},
		{"a binding outweighs an event", map[string][]promv1.WorkloadBinding{agents: binding("kps", promv1.ConditionTrue)}, map[string][]observed.Rejection{agents: {{Kind: promop.PrometheusKind, Prometheus: kps, Message: "bad"}}},
			metav1.ConditionTrue, monitoringv1alpha1.ReasonScrapeApplied, "are selected by the Prometheus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, in, cluster := renderPrometheusOperator(t, selectsAll, observed.PrometheusOperator{Bindings: tc.bindings, Rejections: tc.rejections})
			if !slices.ContainsFunc(r.Selected, func(o client.Object) bool { return observed.ObjectKey(o) == agents }) {
				t.Fatalf("rendered no %s", agents)
			}
			v := Modes[monitoringv1alpha1.ModePrometheusOperator].Verdicts(in, r, cluster)
			if v.PrometheusReady != nil {
				t.Errorf("PrometheusReady verdict %+v: the mode runs no Prometheus", v.PrometheusReady)
			}
			if c := v.Scrape; c.OK != (tc.status == metav1.ConditionTrue) || c.Reason != tc.reason || !strings.Contains(c.Message, tc.message) {
				t.Errorf("got OK=%v %s %q\nwant %s %s containing %q", c.OK, c.Reason, c.Message, tc.status, tc.reason, tc.message)
			}
		})
	}
}

// TestControllersDiscoveryFollowsCRDVersion: the controllers job's object
// asks for EndpointSlice discovery only where the installed CRD takes it
// (the ServiceMonitor's, or the ScrapeConfig's with useScrapeConfig).
func TestControllersDiscoveryFollowsCRDVersion(t *testing.T) {
	for _, tc := range []struct {
		name            string
		useScrapeConfig bool
		versions        map[string]string
		want            bool
	}{
		{"ServiceMonitor CRD 0.93.1", false, map[string]string{ServiceMonitorCRD: "0.93.1"}, true},
		{"ServiceMonitor CRD 0.85.0", false, map[string]string{ServiceMonitorCRD: "0.85.0"}, false},
		{"ServiceMonitor CRD without a version", false, nil, false},
		{"ScrapeConfig CRD decides with useScrapeConfig", true, map[string]string{ServiceMonitorCRD: "0.93.1", ScrapeConfigCRD: "0.80.0"}, false},
		{"ScrapeConfig CRD 0.93.1", true, map[string]string{ScrapeConfigCRD: "0.93.1"}, true},
	} {
		am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "antrea"}}
		am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{UseScrapeConfig: tc.useScrapeConfig}
		c := &observed.Cluster{Namespaces: map[string]*corev1.Namespace{"kps": {ObjectMeta: metav1.ObjectMeta{Name: "kps"}}},
			PrometheusOperator: observed.PrometheusOperator{Served: true, Versions: tc.versions,
				Prometheuses: []promv1.Prometheus{{ObjectMeta: metav1.ObjectMeta{Namespace: "kps", Name: "kps"}}}}}
		target, blocked := Modes[monitoringv1alpha1.ModePrometheusOperator].Plan(am, c)
		if blocked != nil {
			t.Fatalf("%s: blocked: %+v", tc.name, blocked)
		}
		in := Input{Owner: owner, AntreaNamespace: "kube-system", Mode: monitoringv1alpha1.ModePrometheusOperator}.For(target)
		if in.PrometheusOperator.EndpointSlice != tc.want {
			t.Errorf("%s: EndpointSlice = %v, want %v", tc.name, in.PrometheusOperator.EndpointSlice, tc.want)
		}
		objs, err := Prometheus(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			var role string
			switch v := o.(type) {
			case *promv1.ServiceMonitor:
				if v.Spec.ServiceDiscoveryRole != nil {
					role = string(*v.Spec.ServiceDiscoveryRole)
				}
			case *promv1alpha1.ScrapeConfig:
				if v.Name != NamesFor(owner.Name).ControllerMonitor() {
					continue // the agents job discovers pods
				}
				role = string(v.Spec.KubernetesSDConfigs[0].Role)
			default:
				continue
			}
			if got := role == "EndpointSlice"; got != tc.want {
				t.Errorf("%s: %T role %q, want EndpointSlice %v", tc.name, o, role, tc.want)
			}
		}
	}
}

// Mode PrometheusOperator serves a PrometheusAgent: named in
// spec.prometheus.prometheusOperator.prometheusAgent (or the only
// collector), it is asked to select the monitors but not the rules (it
// evaluates none; the PrometheusRule is still rendered, for a ruler), its
// pods answer the targets API only, status names its kind, its verdicts are
// those of its bindings (resource prometheusagents), and a Prometheus of the
// same name is not it.
func TestPrometheusOperatorAgent(t *testing.T) {
	all := &metav1.LabelSelector{}
	release := &metav1.LabelSelector{MatchLabels: map[string]string{"release": "kps"}}
	agent := promv1alpha1.PrometheusAgent{ObjectMeta: metav1.ObjectMeta{Namespace: "fwd", Name: "k8s"},
		Spec: promv1alpha1.PrometheusAgentSpec{CommonPrometheusFields: promv1.CommonPrometheusFields{ServiceAccountName: "agent", Shards: ptr.To(int32(2)),
			ServiceMonitorSelector: all, PodMonitorSelector: release}}}
	// A Prometheus of the same name whose selectors would pass: not chosen.
	prom := promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: "fwd", Name: "k8s"},
		Spec: promv1.PrometheusSpec{CommonPrometheusFields: promv1.CommonPrometheusFields{ServiceMonitorSelector: all, PodMonitorSelector: all}, RuleSelector: all}}
	am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "antrea", UID: "uid-1"}}
	am.Spec.Prometheus.PrometheusOperator = &monitoringv1alpha1.PrometheusOperatorTarget{PrometheusAgent: &monitoringv1alpha1.ObjectReference{Namespace: "fwd", Name: "k8s"}}
	plan := func(st observed.PrometheusOperator) (Rendered, Input, *observed.Cluster) {
		t.Helper()
		st.Served = true
		cluster := &observed.Cluster{Namespaces: map[string]*corev1.Namespace{"fwd": {ObjectMeta: metav1.ObjectMeta{Name: "fwd"}}}, PrometheusOperator: st}
		target, blocked := Modes[monitoringv1alpha1.ModePrometheusOperator].Plan(am, cluster)
		if blocked != nil {
			t.Fatalf("Plan blocked: %+v", blocked)
		}
		if target.PrometheusKind != "PrometheusAgent" || *target.Prometheus != (monitoringv1alpha1.ObjectReference{Namespace: "fwd", Name: "k8s"}) {
			t.Errorf("target %s %+v, want PrometheusAgent fwd/k8s", target.PrometheusKind, target.Prometheus)
		}
		in := Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "30s", Mode: monitoringv1alpha1.ModePrometheusOperator, Alerts: true}.For(target)
		r, err := Render(in)
		if err != nil {
			t.Fatal(err)
		}
		return r, in, cluster
	}
	r, in, cluster := plan(observed.PrometheusOperator{Prometheuses: []promv1.Prometheus{prom}, Agents: []promv1alpha1.PrometheusAgent{agent}})
	if want := (Endpoint{Namespace: "fwd", PrometheusObject: "k8s", Kind: "PrometheusAgent", Shards: 2, PortName: "web", Agent: true}); r.Endpoint != want {
		t.Errorf("endpoint\n got %+v\nwant %+v", r.Endpoint, want)
	}
	var selected []string
	for _, o := range r.Selected {
		selected = append(selected, observed.ObjectKey(o))
	}
	if want := []string{"ServiceMonitor/fwd/antrea-controllers", "PodMonitor/fwd/antrea-agents"}; !slices.Equal(selected, want) {
		t.Errorf("selected %v, want %v (no PrometheusRule: an agent selects no rules)", selected, want)
	}
	if !slices.ContainsFunc(r.Objects, func(o client.Object) bool { return o.GetObjectKind().GroupVersionKind().Kind == "PrometheusRule" }) {
		t.Error("no PrometheusRule rendered: a ruler beside the agent needs it")
	}
	if !slices.ContainsFunc(r.Objects, func(o client.Object) bool {
		b, ok := o.(*rbacv1.ClusterRoleBinding)
		return ok && slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool { return s.Namespace == "fwd" && s.Name == "agent" })
	}) {
		t.Error("the agent's ServiceAccount fwd/agent is bound to no role: it could not scrape Antrea")
	}
	v := Modes[monitoringv1alpha1.ModePrometheusOperator].Verdicts(in, r, cluster)
	if c := v.Scrape; c.OK || c.Reason != monitoringv1alpha1.ReasonNotSelectedByPrometheus || c.Message !=
		"PodMonitor fwd/antrea-agents: labels release=kps missing (podMonitorSelector); add them to spec.prometheus.prometheusOperator.labels." {
		t.Errorf("verdict %+v, want the agent's podMonitorSelector named", c)
	}

	agent.Spec.PodMonitorSelector = all
	const agents = "PodMonitor/fwd/antrea-agents"
	rejected := []promv1.WorkloadBinding{{Group: "monitoring.coreos.com", Resource: "prometheusagents", Namespace: "fwd", Name: "k8s",
		Conditions: []promv1.ConfigResourceCondition{{Type: promv1.Accepted, Status: promv1.ConditionFalse, Reason: "InvalidConfiguration", Message: "bad"}}}}
	// The only collector, not named: chosen too.
	am.Spec.Prometheus.PrometheusOperator = nil
	r, in, cluster = plan(observed.PrometheusOperator{Agents: []promv1alpha1.PrometheusAgent{agent}, Bindings: map[string][]promv1.WorkloadBinding{agents: rejected}})
	if c := Modes[monitoringv1alpha1.ModePrometheusOperator].Verdicts(in, r, cluster).Scrape; c.OK || c.Message !=
		"prometheus-operator rejected PodMonitor fwd/antrea-agents for PrometheusAgent fwd/k8s, so it is not in its configuration (InvalidConfiguration: bad)." {
		t.Errorf("verdict %+v, want the binding to the PrometheusAgent", c)
	}
	rejected[0].Resource = "prometheuses" // the same name, but a Prometheus's verdict
	if c := Modes[monitoringv1alpha1.ModePrometheusOperator].Verdicts(in, r, cluster).Scrape; !c.OK || c.Message !=
		"The monitors in namespace fwd are selected by the PrometheusAgent fwd/k8s. A PrometheusAgent evaluates no rules: PrometheusRule fwd/antrea-antrea-rules is there for a ruler that selects it (a ThanosRuler, or the remote store's ruler)." {
		t.Errorf("verdict %+v, want selected, with the rules' note", c)
	}
}
