package promop

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
)

// ConfigKind is a kind of prometheus-operator's configuration resources
// (ServiceMonitor, PodMonitor, PrometheusRule, ScrapeConfig) whose verdict
// is read.
type ConfigKind struct {
	GVK     schema.GroupVersionKind
	NewList func() client.ObjectList
}

// Verdicts are prometheus-operator's verdicts on a set of objects.
type Verdicts struct {
	// Bindings are the objects' status.bindings (written with the
	// StatusForConfigurationResources feature gate), by observed.ObjectKey.
	Bindings map[string][]promv1.WorkloadBinding
	// Rejections are the confirmed InvalidConfiguration events on the
	// objects without a binding, by observed.ObjectKey.
	Rejections map[string][]observed.Rejection
}

// ReadVerdicts reads prometheus-operator's verdict on every object of
// kinds that carries label: its status.bindings from cached, and, for the
// objects it wrote none on (its StatusForConfigurationResources gate off,
// or not yet looked at), its InvalidConfiguration events about them from
// cached, each confirmed by the object's absence from the configuration
// prometheus-operator generated for the Prometheus the event relates to,
// read from direct (uncached: the only direct reads, and only while such
// an event exists), so the event of a rejection since mended, which the API
// server keeps for an hour, is not reported.
func ReadVerdicts(ctx context.Context, cached, direct client.Reader, kinds []ConfigKind, label string) (Verdicts, error) {
	bindings, unbound, err := readBindings(ctx, cached, kinds, label)
	if err != nil {
		return Verdicts{}, err
	}
	rejections, err := eventRejections(ctx, cached, direct, unbound)
	return Verdicts{Bindings: bindings, Rejections: rejections}, err
}

// readBindings returns the objects' bindings, and the objects with none.
func readBindings(ctx context.Context, cached client.Reader, kinds []ConfigKind, label string) (map[string][]promv1.WorkloadBinding, []client.Object, error) {
	out := map[string][]promv1.WorkloadBinding{}
	var unbound []client.Object
	for _, k := range kinds {
		list := k.NewList()
		if err := cached.List(ctx, list, client.HasLabels{label}); err != nil {
			return nil, nil, fmt.Errorf("listing %s: %w", k.GVK.Kind, err)
		}
		add := func(o client.Object, s promv1.ConfigResourceStatus) {
			if len(s.Bindings) > 0 {
				out[observed.Key(k.GVK.Kind, o.GetNamespace(), o.GetName())] = s.Bindings
				return
			}
			o.GetObjectKind().SetGroupVersionKind(k.GVK)
			unbound = append(unbound, o)
		}
		switch l := list.(type) {
		case *promv1.ServiceMonitorList:
			for i := range l.Items {
				add(&l.Items[i], l.Items[i].Status)
			}
		case *promv1.PodMonitorList:
			for i := range l.Items {
				add(&l.Items[i], l.Items[i].Status)
			}
		case *promv1.PrometheusRuleList:
			for i := range l.Items {
				add(&l.Items[i], l.Items[i].Status)
			}
		case *promv1alpha1.ScrapeConfigList:
			for i := range l.Items {
				add(&l.Items[i], l.Items[i].Status)
			}
		}
	}
	return out, unbound, nil
}

// eventRejections reads the InvalidConfiguration events about the unbound
// objects (cached by that reason, so a cluster without rejections costs no
// read), and keeps, per object and Prometheus, the latest one that the
// generated configuration confirms (read once per Prometheus).
func eventRejections(ctx context.Context, cached, direct client.Reader, unbound []client.Object) (map[string][]observed.Rejection, error) {
	if len(unbound) == 0 {
		return nil, nil
	}
	var events corev1.EventList
	if err := cached.List(ctx, &events); err != nil {
		return nil, fmt.Errorf("listing %s events: %w", InvalidConfigurationReason, err)
	}
	byUID := map[types.UID][]corev1.Event{}
	for _, e := range events.Items {
		if aboutCollector(e) {
			byUID[e.InvolvedObject.UID] = append(byUID[e.InvolvedObject.UID], e)
		}
	}
	out := map[string][]observed.Rejection{}
	generated := map[Ref]*generatedConfig{}
	for _, o := range unbound {
		latest := map[Ref]corev1.Event{}
		for _, e := range byUID[o.GetUID()] {
			prom := Ref{Kind: e.Related.Kind, Namespace: e.Related.Namespace, Name: e.Related.Name}
			if l, ok := latest[prom]; !ok || eventTime(e).After(eventTime(l)) {
				latest[prom] = e
			}
		}
		for prom, e := range latest {
			g, ok := generated[prom]
			if !ok {
				var err error
				if g, err = readGenerated(ctx, direct, prom); err != nil {
					return nil, err
				}
				generated[prom] = g
			}
			if g.has(o) {
				continue
			}
			key := observed.ObjectKey(o)
			out[key] = append(out[key], observed.Rejection{Kind: prom.Kind, Prometheus: monitoringv1alpha1.ObjectReference{Namespace: prom.Namespace, Name: prom.Name}, Message: e.Message})
		}
	}
	return out, nil
}

// aboutCollector says whether e is an InvalidConfiguration event relating
// to a Prometheus or a PrometheusAgent.
func aboutCollector(e corev1.Event) bool {
	return e.Reason == InvalidConfigurationReason && e.Related != nil && (e.Related.Kind == PrometheusKind || e.Related.Kind == PrometheusAgentKind)
}

// eventTime is when an event was last seen, whichever API wrote it.
func eventTime(e corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	}
	return e.EventTime.Time
}

// generatedConfig is what prometheus-operator generated for one collector:
// its scrape jobs and its rule files (nil when it wrote none yet).
type generatedConfig struct {
	jobs      []string
	ruleFiles map[string]bool
}

// has says whether object o made it into the generated configuration.
func (g *generatedConfig) has(o client.Object) bool {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if kind == promv1.PrometheusRuleKind {
		return g.ruleFiles[RuleFileKey(o.GetNamespace(), o.GetName(), string(o.GetUID()))]
	}
	return slices.ContainsFunc(g.jobs, func(j string) bool { return JobOf(j, kind, o.GetNamespace(), o.GetName()) })
}

// readGenerated reads the configuration prometheus-operator generated for
// collector prom (only its Kind, Namespace and Name are read): Secret
// prometheus-<name> (prom-agent-<name>) and, for a Prometheus, the
// prometheus-<name>-rulefiles-<n> ConfigMaps. None yet means nothing is in.
func readGenerated(ctx context.Context, direct client.Reader, prom Ref) (*generatedConfig, error) {
	g := &generatedConfig{ruleFiles: map[string]bool{}}
	var s corev1.Secret
	switch err := direct.Get(ctx, types.NamespacedName{Namespace: prom.Namespace, Name: prom.ConfigSecret()}, &s); {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("reading the configuration prometheus-operator generated for %s: %w", prom, err)
	default:
		jobs, err := GeneratedJobs(&s)
		if err != nil {
			return nil, err
		}
		g.jobs = jobs
	}
	if prom.Agent() { // it evaluates no rules
		return g, nil
	}
	var cms corev1.ConfigMapList
	if err := direct.List(ctx, &cms, client.InNamespace(prom.Namespace), client.MatchingLabels{RuleFilesLabel: prom.Name}); err != nil {
		return nil, fmt.Errorf("listing the rule files prometheus-operator generated for %s: %w", prom, err)
	}
	for _, cm := range cms.Items {
		if strings.HasPrefix(cm.Name, RuleFilesPrefix(prom.Name)) {
			for k := range cm.Data {
				g.ruleFiles[k] = true
			}
		}
	}
	return g, nil
}
