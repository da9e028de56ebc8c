package promop

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
)

// verdictLabel is the label the operator's objects carry.
const verdictLabel = "monitoring.antrea.io/antreamonitoring"

// The objects live in namespace monitoring; the Prometheus the events
// relate to is kps/kps (or monitoring/k8s), its generated configuration in
// namespace kps.
const objNS = "monitoring"

var verdictT0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func verdictScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, promv1.AddToScheme, promv1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

var verdictKinds = []ConfigKind{
	{GVK: promv1.SchemeGroupVersion.WithKind(promv1.ServiceMonitorsKind), NewList: func() client.ObjectList { return &promv1.ServiceMonitorList{} }},
	{GVK: promv1.SchemeGroupVersion.WithKind(promv1.PodMonitorsKind), NewList: func() client.ObjectList { return &promv1.PodMonitorList{} }},
	{GVK: promv1.SchemeGroupVersion.WithKind(promv1.PrometheusRuleKind), NewList: func() client.ObjectList { return &promv1.PrometheusRuleList{} }},
	{GVK: promv1alpha1.SchemeGroupVersion.WithKind(promv1alpha1.ScrapeConfigsKind), NewList: func() client.ObjectList { return &promv1alpha1.ScrapeConfigList{} }},
}

func objMeta(name, uid string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: objNS, Name: name, UID: types.UID(uid), Labels: map[string]string{verdictLabel: "antrea"}}
}

func sm(name, uid string, b ...promv1.WorkloadBinding) *promv1.ServiceMonitor {
	return &promv1.ServiceMonitor{ObjectMeta: objMeta(name, uid), Status: promv1.ConfigResourceStatus{Bindings: b}}
}

func pm(name, uid string, b ...promv1.WorkloadBinding) *promv1.PodMonitor {
	return &promv1.PodMonitor{ObjectMeta: objMeta(name, uid), Status: promv1.ConfigResourceStatus{Bindings: b}}
}

func rule(name, uid string, b ...promv1.WorkloadBinding) *promv1.PrometheusRule {
	return &promv1.PrometheusRule{ObjectMeta: objMeta(name, uid), Status: promv1.ConfigResourceStatus{Bindings: b}}
}

func scrapeConfig(name, uid string, b ...promv1.WorkloadBinding) *promv1alpha1.ScrapeConfig {
	return &promv1alpha1.ScrapeConfig{ObjectMeta: objMeta(name, uid), Status: promv1.ConfigResourceStatus{Bindings: b}}
}

// unlabelled drops the operator's label from o.
func unlabelled[T client.Object](o T) T {
	o.SetLabels(nil)
	return o
}

func binding(promNS, promName string) promv1.WorkloadBinding {
	return promv1.WorkloadBinding{Group: "monitoring.coreos.com", Resource: "prometheuses", Namespace: promNS, Name: promName,
		Conditions: []promv1.ConfigResourceCondition{{Type: promv1.Accepted, Status: promv1.ConditionTrue, LastTransitionTime: metav1.NewTime(verdictT0), ObservedGeneration: 1}}}
}

// invalid is prometheus-operator's InvalidConfiguration event about the
// object kind objNS/name (uid) relating to Prometheus promNS/promName, with
// its time set by at.
func invalid(name, kind, objName, uid, promNS, promName, msg string, at func(*corev1.Event)) *corev1.Event {
	e := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: objNS, Name: name},
		InvolvedObject: corev1.ObjectReference{APIVersion: "monitoring.coreos.com/v1", Kind: kind, Namespace: objNS, Name: objName, UID: types.UID(uid)},
		Related:        &corev1.ObjectReference{APIVersion: "monitoring.coreos.com/v1", Kind: promv1.PrometheusesKind, Namespace: promNS, Name: promName},
		Reason:         InvalidConfigurationReason,
		Type:           corev1.EventTypeWarning,
		Message:        msg,
	}
	if at != nil {
		at(e)
	}
	return e
}

func lastTimestamp(d time.Duration) func(*corev1.Event) {
	return func(e *corev1.Event) { e.LastTimestamp = metav1.NewTime(verdictT0.Add(d)) }
}

func eventTimeAt(d time.Duration) func(*corev1.Event) {
	return func(e *corev1.Event) { e.EventTime = metav1.NewMicroTime(verdictT0.Add(d)) }
}

// seriesAt is an events.k8s.io event first seen at first, last at last.
func seriesAt(first, last time.Duration) func(*corev1.Event) {
	return func(e *corev1.Event) {
		e.EventTime = metav1.NewMicroTime(verdictT0.Add(first))
		e.Series = &corev1.EventSeries{Count: 3, LastObservedTime: metav1.NewMicroTime(verdictT0.Add(last))}
	}
}

// generatedSecret is Secret prometheus-<promName> of namespace promNS, as
// prometheus-operator writes it, with jobs.
func generatedSecret(t *testing.T, promNS, promName string, jobs ...string) *corev1.Secret {
	t.Helper()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 30s\nscrape_configs:\n")
	for _, j := range jobs {
		fmt.Fprintf(&cfg, "- job_name: %s\n  honor_labels: false\n", j)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	if _, err := w.Write([]byte(cfg.String())); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: promNS, Name: Ref{Kind: PrometheusKind, Name: promName}.ConfigSecret()}, Data: map[string][]byte{ConfigSecretKey: gz.Bytes()}}
}

// agentSecret is Secret prom-agent-<name> of namespace ns, with jobs.
func agentSecret(t *testing.T, ns, name string, jobs ...string) *corev1.Secret {
	s := generatedSecret(t, ns, name, jobs...)
	s.Name = Ref{Kind: PrometheusAgentKind, Name: name}.ConfigSecret()
	return s
}

// ruleFiles is a ConfigMap name of namespace promNS labelled
// prometheus-name=promName, holding rule files keys.
func ruleFiles(promNS, promName, name string, keys ...string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: promNS, Name: name, Labels: map[string]string{RuleFilesLabel: promName}}, Data: map[string]string{}}
	for _, k := range keys {
		cm.Data[k] = "groups: []\n"
	}
	return cm
}

// countingReader is a fake client holding objs whose every Get and List is
// recorded in reads, as "Get <type> ns/name" or "List <type> ns=<ns>
// labels=<selector>".
func countingReader(t *testing.T, s *runtime.Scheme, reads *[]string, getErr error, objs ...client.Object) client.Reader {
	t.Helper()
	return interceptor.NewClient(fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build(), interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			*reads = append(*reads, fmt.Sprintf("Get %T %s", obj, key))
			if getErr != nil {
				return getErr
			}
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			lo := (&client.ListOptions{}).ApplyOptions(opts)
			sel := ""
			if lo.LabelSelector != nil {
				sel = lo.LabelSelector.String()
			}
			*reads = append(*reads, fmt.Sprintf("List %T ns=%s labels=%s", list, lo.Namespace, sel))
			return c.List(ctx, list, opts...)
		},
	})
}

const (
	readKpsSecret    = "Get *v1.Secret kps/prometheus-kps"
	readKpsRuleFiles = "List *v1.ConfigMapList ns=kps labels=prometheus-name=kps"
	readK8sSecret    = "Get *v1.Secret monitoring/prometheus-k8s"
	readK8sRuleFiles = "List *v1.ConfigMapList ns=monitoring labels=prometheus-name=k8s"
)

// sortRejections orders each object's rejections by Prometheus: the
// function builds them from a map (ordered by namespace/name).
func sortRejections(r map[string][]observed.Rejection) {
	for _, l := range r {
		slices.SortFunc(l, func(a, b observed.Rejection) int {
			return strings.Compare(a.Prometheus.Namespace+"/"+a.Prometheus.Name, b.Prometheus.Namespace+"/"+b.Prometheus.Name)
		})
	}
}

var kps = monitoringv1alpha1.ObjectReference{Namespace: "kps", Name: "kps"}

func TestReadVerdicts(t *testing.T) {
	k8s := monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "k8s"}
	smJob := "serviceMonitor/monitoring/antrea-controller/0"
	ruleKey := RuleFileKey(objNS, "antrea-rules", "uid-rule")
	for _, tc := range []struct {
		name           string
		cached         []client.Object
		direct         []client.Object
		wantBindings   map[string][]promv1.WorkloadBinding
		wantRejections map[string][]observed.Rejection
		// wantReads are the direct reads, in any order.
		wantReads []string
	}{
		{
			name: "bound objects give their bindings and no direct read, even with a stale event",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm", binding("kps", "kps")),
				pm("antrea-agents", "uid-pm", binding("kps", "kps"), binding("monitoring", "k8s")),
				rule("antrea-rules", "uid-rule", binding("kps", "kps")),
				scrapeConfig("antrea-windows", "uid-sc", binding("monitoring", "k8s")),
				invalid("e1", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "stale", lastTimestamp(0)),
			},
			direct: []client.Object{generatedSecret(t, "kps", "kps")},
			wantBindings: map[string][]promv1.WorkloadBinding{
				"ServiceMonitor/monitoring/antrea-controller": {binding("kps", "kps")},
				"PodMonitor/monitoring/antrea-agents":         {binding("kps", "kps"), binding("monitoring", "k8s")},
				"PrometheusRule/monitoring/antrea-rules":      {binding("kps", "kps")},
				"ScrapeConfig/monitoring/antrea-windows":      {binding("monitoring", "k8s")},
			},
		},
		{
			name:   "an unbound object without an event makes no direct read",
			cached: []client.Object{sm("antrea-controller", "uid-sm"), pm("antrea-agents", "uid-pm"), rule("antrea-rules", "uid-rule")},
			direct: []client.Object{generatedSecret(t, "kps", "kps")},
		},
		{
			name: "events of another reason, without a related object, relating to no Prometheus or about another UID make no direct read",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm"),
				invalid("e1", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "other reason", func(e *corev1.Event) { e.Reason = "SomethingElse" }),
				invalid("e2", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "no related", func(e *corev1.Event) { e.Related = nil }),
				invalid("e3", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "alertmanager", func(e *corev1.Event) { e.Related.Kind = "Alertmanager" }),
				invalid("e4", "ServiceMonitor", "antrea-controller", "uid-old", "kps", "kps", "previous incarnation", nil),
			},
			direct: []client.Object{generatedSecret(t, "kps", "kps")},
		},
		{
			name: "an unbound ServiceMonitor with an event and absent from the generated configuration is rejected",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm"),
				invalid("e1", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "bearer token file not allowed", lastTimestamp(0)),
			},
			direct: []client.Object{generatedSecret(t, "kps", "kps", "serviceMonitor/monitoring/other/0", "serviceMonitor/monitoring/antrea-controller-old/0")},
			wantRejections: map[string][]observed.Rejection{
				"ServiceMonitor/monitoring/antrea-controller": {{Kind: PrometheusKind, Prometheus: kps, Message: "bearer token file not allowed"}},
			},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "an unbound ServiceMonitor with an event but in the generated configuration is not rejected",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm"),
				invalid("e1", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "bearer token file not allowed", lastTimestamp(0)),
			},
			direct:    []client.Object{generatedSecret(t, "kps", "kps", "serviceMonitor/monitoring/other/0", smJob)},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "no generated configuration yet: rejected",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm"),
				invalid("e1", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "bad", nil),
			},
			wantRejections: map[string][]observed.Rejection{
				"ServiceMonitor/monitoring/antrea-controller": {{Kind: PrometheusKind, Prometheus: kps, Message: "bad"}},
			},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "a PrometheusRule in a rulefiles ConfigMap is not rejected",
			cached: []client.Object{
				rule("antrea-rules", "uid-rule"),
				invalid("e1", "PrometheusRule", "antrea-rules", "uid-rule", "kps", "kps", "invalid rule", nil),
			},
			direct: []client.Object{
				generatedSecret(t, "kps", "kps"),
				ruleFiles("kps", "kps", RuleFilesPrefix("kps")+"0", RuleFileKey(objNS, "other", "uid-other")),
				ruleFiles("kps", "kps", RuleFilesPrefix("kps")+"1", ruleKey),
			},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "a PrometheusRule whose rule file is absent, of another UID, of another Prometheus or in a ConfigMap not named as rule files is rejected",
			cached: []client.Object{
				rule("antrea-rules", "uid-rule"),
				invalid("e1", "PrometheusRule", "antrea-rules", "uid-rule", "kps", "kps", "invalid rule", nil),
			},
			direct: []client.Object{
				generatedSecret(t, "kps", "kps"),
				ruleFiles("kps", "kps", RuleFilesPrefix("kps")+"0", RuleFileKey(objNS, "antrea-rules", "uid-old")),
				ruleFiles("kps", "other", RuleFilesPrefix("other")+"0", ruleKey),
				ruleFiles("kps", "kps", "not-rule-files", ruleKey),
			},
			wantRejections: map[string][]observed.Rejection{
				"PrometheusRule/monitoring/antrea-rules": {{Kind: PrometheusKind, Prometheus: kps, Message: "invalid rule"}},
			},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "the latest event by lastTimestamp gives the message (newest listed first)",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm"),
				invalid("a", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "new", lastTimestamp(2*time.Minute)),
				invalid("b", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "old", lastTimestamp(time.Minute)),
			},
			wantRejections: map[string][]observed.Rejection{
				"ServiceMonitor/monitoring/antrea-controller": {{Kind: PrometheusKind, Prometheus: kps, Message: "new"}},
			},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "the latest event by lastTimestamp gives the message (newest listed last)",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm"),
				invalid("a", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "old", lastTimestamp(time.Minute)),
				invalid("b", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "new", lastTimestamp(2*time.Minute)),
			},
			wantRejections: map[string][]observed.Rejection{
				"ServiceMonitor/monitoring/antrea-controller": {{Kind: PrometheusKind, Prometheus: kps, Message: "new"}},
			},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "a series' lastObservedTime beats an older lastTimestamp, though its eventTime is older",
			cached: []client.Object{
				pm("antrea-agents", "uid-pm"),
				invalid("a", "PodMonitor", "antrea-agents", "uid-pm", "kps", "kps", "series", seriesAt(0, 3*time.Minute)),
				invalid("b", "PodMonitor", "antrea-agents", "uid-pm", "kps", "kps", "legacy", lastTimestamp(2*time.Minute)),
			},
			wantRejections: map[string][]observed.Rejection{
				"PodMonitor/monitoring/antrea-agents": {{Kind: PrometheusKind, Prometheus: kps, Message: "series"}},
			},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "an eventTime (no series, no lastTimestamp) beats an older lastTimestamp, an older series beats neither",
			cached: []client.Object{
				pm("antrea-agents", "uid-pm"),
				invalid("a", "PodMonitor", "antrea-agents", "uid-pm", "kps", "kps", "legacy", lastTimestamp(time.Minute)),
				invalid("b", "PodMonitor", "antrea-agents", "uid-pm", "kps", "kps", "single", eventTimeAt(3*time.Minute)),
				invalid("c", "PodMonitor", "antrea-agents", "uid-pm", "kps", "kps", "old series", seriesAt(4*time.Minute, 2*time.Minute)),
			},
			wantRejections: map[string][]observed.Rejection{
				"PodMonitor/monitoring/antrea-agents": {{Kind: PrometheusKind, Prometheus: kps, Message: "single"}},
			},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "one rejection per Prometheus, each confirmed by its own generated configuration",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm"),
				scrapeConfig("antrea-windows", "uid-sc"),
				invalid("a", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "for kps", nil),
				invalid("b", "ServiceMonitor", "antrea-controller", "uid-sm", "monitoring", "k8s", "for k8s", nil),
				invalid("c", "ScrapeConfig", "antrea-windows", "uid-sc", "kps", "kps", "sc for kps", nil),
				invalid("d", "ScrapeConfig", "antrea-windows", "uid-sc", "monitoring", "k8s", "sc for k8s", nil),
			},
			direct: []client.Object{
				generatedSecret(t, "kps", "kps"),
				generatedSecret(t, "monitoring", "k8s", "scrapeConfig/monitoring/antrea-windows"),
			},
			wantRejections: map[string][]observed.Rejection{
				"ServiceMonitor/monitoring/antrea-controller": {{Kind: PrometheusKind, Prometheus: kps, Message: "for kps"}, {Kind: PrometheusKind, Prometheus: k8s, Message: "for k8s"}},
				"ScrapeConfig/monitoring/antrea-windows":      {{Kind: PrometheusKind, Prometheus: kps, Message: "sc for kps"}},
			},
			wantReads: []string{readK8sRuleFiles, readK8sSecret, readKpsRuleFiles, readKpsSecret},
		},
		{
			name: "the generated configuration of one Prometheus is read once for several objects",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm"),
				sm("antrea-controller-2", "uid-sm2"),
				pm("antrea-agents", "uid-pm"),
				rule("antrea-rules", "uid-rule"),
				invalid("a", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "sm", nil),
				invalid("b", "ServiceMonitor", "antrea-controller-2", "uid-sm2", "kps", "kps", "sm2", nil),
				invalid("c", "PodMonitor", "antrea-agents", "uid-pm", "kps", "kps", "pm", nil),
				invalid("d", "PrometheusRule", "antrea-rules", "uid-rule", "kps", "kps", "rule", nil),
			},
			direct: []client.Object{
				generatedSecret(t, "kps", "kps", "podMonitor/monitoring/antrea-agents/0"),
				ruleFiles("kps", "kps", RuleFilesPrefix("kps")+"0", ruleKey),
			},
			wantRejections: map[string][]observed.Rejection{
				"ServiceMonitor/monitoring/antrea-controller":   {{Kind: PrometheusKind, Prometheus: kps, Message: "sm"}},
				"ServiceMonitor/monitoring/antrea-controller-2": {{Kind: PrometheusKind, Prometheus: kps, Message: "sm2"}},
			},
			wantReads: []string{readKpsSecret, readKpsRuleFiles},
		},
		{
			name: "an event relating to a PrometheusAgent is confirmed against the agent's configuration (no rule files)",
			cached: []client.Object{
				sm("antrea-controller", "uid-sm"),
				invalid("e1", "ServiceMonitor", "antrea-controller", "uid-sm", "fwd", "k8s", "bad for the agent", func(e *corev1.Event) {
					e.Related.APIVersion, e.Related.Kind = "monitoring.coreos.com/v1alpha1", PrometheusAgentKind
				}),
			},
			direct: []client.Object{agentSecret(t, "fwd", "k8s", "serviceMonitor/monitoring/other/0")},
			wantRejections: map[string][]observed.Rejection{
				"ServiceMonitor/monitoring/antrea-controller": {{Kind: PrometheusAgentKind, Prometheus: monitoringv1alpha1.ObjectReference{Namespace: "fwd", Name: "k8s"}, Message: "bad for the agent"}},
			},
			wantReads: []string{"Get *v1.Secret fwd/prom-agent-k8s"},
		},
		{
			name: "objects without the label are ignored",
			cached: []client.Object{
				unlabelled(sm("foreign-bound", "uid-f1", binding("kps", "kps"))),
				unlabelled(sm("foreign", "uid-f2")),
				unlabelled(rule("foreign-rule", "uid-f3")),
				invalid("a", "ServiceMonitor", "foreign", "uid-f2", "kps", "kps", "not ours", nil),
				invalid("b", "PrometheusRule", "foreign-rule", "uid-f3", "kps", "kps", "not ours", nil),
			},
			direct: []client.Object{generatedSecret(t, "kps", "kps")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := verdictScheme(t)
			var cachedReads, reads []string
			cached := countingReader(t, s, &cachedReads, nil, tc.cached...)
			direct := countingReader(t, s, &reads, nil, tc.direct...)
			got, err := ReadVerdicts(context.Background(), cached, direct, verdictKinds, verdictLabel)
			if err != nil {
				t.Fatal(err)
			}
			sortRejections(got.Rejections)
			if d := cmp.Diff(tc.wantBindings, got.Bindings, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("bindings (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantRejections, got.Rejections, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("rejections (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantReads, reads, cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
				t.Errorf("direct reads (-want +got):\n%s", d)
			}
			for _, r := range cachedReads {
				if strings.HasPrefix(r, "Get ") {
					t.Errorf("cached reader: %s, want lists only", r)
				}
			}
		})
	}
}

// A failing direct read is an error, naming the Prometheus, not a silent
// "not rejected".
func TestReadVerdictsDirectError(t *testing.T) {
	s := verdictScheme(t)
	var cachedReads, reads []string
	cached := countingReader(t, s, &cachedReads, nil,
		sm("antrea-controller", "uid-sm"),
		invalid("e1", "ServiceMonitor", "antrea-controller", "uid-sm", "kps", "kps", "bad", nil))
	boom := errors.New("boom")
	direct := countingReader(t, s, &reads, boom)
	_, err := ReadVerdicts(context.Background(), cached, direct, verdictKinds, verdictLabel)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "Prometheus kps/kps") {
		t.Errorf("error %v, want one wrapping %v and naming Prometheus kps/kps", err, boom)
	}
}
