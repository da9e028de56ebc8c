package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// PrometheusCRD is the CRD whose presence means prometheus-operator is installed.
const PrometheusCRD = "prometheuses.monitoring.coreos.com"

// prometheusResult is what the Prometheus phase found and did.
type prometheusResult struct {
	mode       monitoringv1alpha1.PrometheusMode
	prometheus *monitoringv1alpha1.ObjectReference
	conditions []metav1.Condition // ModeResolved, ScrapeConfigured, and the mode's own
	// requeueAfter asks for another look soon: a CRD is established but
	// the API server's discovery does not serve its kinds yet.
	requeueAfter time.Duration
	// pools are the scrape pools Prometheus should have, once applied.
	pools []render.Pool
	// scrapeAs is the ServiceAccount Prometheus scrapes as (namespace/name).
	scrapeAs string
	// endpoint is where the mode's Prometheus answers (nil when blocked).
	endpoint *render.Endpoint
}

// reconcilePrometheus gathers the cluster state, plans, and only then
// writes: the namespaces the mode needs, its objects, and the pruning of what
// it no longer wants. Pruning comes after the apply succeeded, so a mode that
// cannot be applied never replaces a working one half-way.
func (r *AntreaMonitoringReconciler) reconcilePrometheus(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, running catalog.Antrea,
	agents map[string]agentInfo, agentsErr error) (prometheusResult, error) {
	c, err := r.gatherPrometheus(ctx, am, agents, agentsErr)
	if err != nil {
		return prometheusResult{conditions: []metav1.Condition{falseCond(monitoringv1alpha1.ConditionScrapeConfigured, monitoringv1alpha1.ReasonApplyFailed, err.Error())}}, err
	}
	p := planPrometheus(am, c, running)
	res := prometheusResult{mode: p.mode, prometheus: p.prometheus, conditions: p.conditions, requeueAfter: p.requeueAfter}
	if p.rendered == nil {
		return res, p.err
	}
	res.pools, res.endpoint = p.rendered.Pools, &p.rendered.Endpoint
	if sa := p.rendered.ScrapeAs; sa.Name != "" {
		res.scrapeAs = sa.Namespace + "/" + sa.Name
	}
	err = r.ensureNamespaces(ctx, c, p.rendered.Namespaces)
	if err == nil {
		err = r.applyAll(ctx, p.rendered.Objects, ownedBy(am.Name))
	}
	if c, ok := notOwnedCondition(monitoringv1alpha1.ConditionScrapeConfigured, err); ok {
		res.conditions = append(res.conditions, c)
		return res, nil
	}
	if err == nil {
		err = r.prune(ctx, am.Name, p.rendered, c.PrometheusOperator.Serves)
	}
	if err != nil {
		res.conditions = append(res.conditions, falseCond(monitoringv1alpha1.ConditionScrapeConfigured, monitoringv1alpha1.ReasonApplyFailed, err.Error()))
		return res, err
	}
	res.conditions = append(res.conditions, p.applied...)
	return res, nil
}

// gatherPrometheus reads, from the cache only, everything the modes plan
// with: prometheus-operator's state, the namespaces, the ServiceAccount the
// spec names, the managed Prometheus's Deployment, Antrea's antrea-ca, and
// the Windows agents' apiPort (from agents, read once per reconcile).
func (r *AntreaMonitoringReconciler) gatherPrometheus(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, agents map[string]agentInfo, agentsErr error) (*render.Cluster, error) {
	po, err := r.gatherPromOperator(ctx)
	if err != nil {
		return nil, err
	}
	c := &render.Cluster{PrometheusOperator: po, Namespaces: map[string]*corev1.Namespace{},
		ServiceAccounts: map[types.NamespacedName]bool{}, Deployments: map[types.NamespacedName]*appsv1.Deployment{}}
	var nss corev1.NamespaceList
	if err := r.List(ctx, &nss); err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	for i := range nss.Items {
		c.Namespaces[nss.Items[i].Name] = &nss.Items[i]
	}
	if t := am.Spec.Prometheus.ScrapeConfig; t != nil {
		key := types.NamespacedName{Namespace: t.ServiceAccount.Namespace, Name: t.ServiceAccount.Name}
		sa, err := getOptional[corev1.ServiceAccount](ctx, r.Client, key.Namespace, key.Name)
		if err != nil {
			return nil, err
		}
		c.ServiceAccounts[key] = sa != nil
	}
	managed := render.ManagedDefaults(am.Spec.Prometheus.Managed)
	key := types.NamespacedName{Namespace: managed.Namespace, Name: render.NamesFor(am.Name).Prometheus()}
	d, err := getOptional[appsv1.Deployment](ctx, r.Client, key.Namespace, key.Name)
	if err != nil {
		return nil, err
	}
	c.Deployments[key] = d
	if d != nil {
		// Cached by the operator's labels its pod template carries.
		var pods corev1.PodList
		if err := r.List(ctx, &pods, client.InNamespace(key.Namespace), client.MatchingLabels(render.NamesFor(am.Name).ManagedPrometheusSelector())); err != nil {
			return nil, fmt.Errorf("listing the managed Prometheus's pods: %w", err)
		}
		c.ManagedPods = pods.Items
	}
	// Cached with Antrea's ConfigMaps (antrea-controller labels it
	// app=antrea); a change, such as a rotation, wakes every AntreaMonitoring.
	if r.watches(am.AntreaNamespace()) {
		if c.AntreaCA, err = getOptional[corev1.ConfigMap](ctx, r.Client, am.AntreaNamespace(), render.AntreaCAConfigMap); err != nil {
			return nil, err
		}
		if c.AgentAPIPort, err = r.gatherAgentAPIPort(ctx, am.AntreaNamespace(), agents, agentsErr); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// prometheusPlan is what planPrometheus decided.
type prometheusPlan struct {
	mode       monitoringv1alpha1.PrometheusMode
	prometheus *monitoringv1alpha1.ObjectReference
	// conditions hold ModeResolved and, when the mode is blocked or its
	// render failed, ScrapeConfigured (then rendered is nil).
	conditions []metav1.Condition
	rendered   *render.Rendered
	// applied are the mode's conditions once rendered is applied.
	applied      []metav1.Condition
	requeueAfter time.Duration
	err          error
}

// planPrometheus resolves the mode, lets it check its preconditions and
// render, and says which conditions hold once applied. Pure: it reads only
// the AntreaMonitoring and the gathered cluster state.
func planPrometheus(am *monitoringv1alpha1.AntreaMonitoring, c *render.Cluster, running catalog.Antrea) prometheusPlan {
	mode, modeCond := resolveMode(am, c.PrometheusOperator)
	p := prometheusPlan{mode: mode, conditions: []metav1.Condition{modeCond}}
	if c.PrometheusOperator.Pending {
		p.requeueAfter = 2 * time.Second
	}
	m, ok := render.Modes[mode]
	if !ok {
		p.err = fmt.Errorf("no mode %q is registered", mode)
		p.conditions = append(p.conditions, falseCond(monitoringv1alpha1.ConditionScrapeConfigured, monitoringv1alpha1.ReasonApplyFailed, p.err.Error()))
		return p
	}
	in := render.Input{
		Owner:              render.Owner{APIVersion: monitoringv1alpha1.GroupVersion.String(), Kind: "AntreaMonitoring", Name: am.Name, UID: am.UID},
		AntreaNamespace:    am.AntreaNamespace(),
		ScrapeInterval:     string(am.Spec.Prometheus.ScrapeInterval),
		Mode:               mode,
		Alerts:             am.AlertsEnabled(),
		Dashboard:          am.Spec.Dashboard.Enabled,
		DashboardNamespace: am.Spec.Dashboard.Namespace,
		Antrea:             running,
	}
	if in.ScrapeInterval == "" {
		in.ScrapeInterval = "30s"
	}
	blocked := m.Plan(am, c, &in)
	p.prometheus = in.Prometheus
	in.AgentAPIPort = c.AgentAPIPort
	if in.InsecureSkipVerify = am.Spec.Antrea.InsecureSkipVerify; blocked == nil && !in.InsecureSkipVerify {
		in.ControllerCA, blocked = render.ControllerCA(c.AntreaCA, in.AntreaNamespace)
	}
	if blocked != nil {
		p.conditions = append(p.conditions, *blocked)
		return p
	}
	rendered, err := render.Render(in)
	if err != nil {
		p.err = err
		p.conditions = append(p.conditions, falseCond(monitoringv1alpha1.ConditionScrapeConfigured, monitoringv1alpha1.ReasonApplyFailed, err.Error()))
		return p
	}
	p.rendered = &rendered
	p.applied = m.Conditions(in, rendered, c)
	return p
}

// gatherPromOperator reads from the cache which of prometheus-operator's
// CRDs the operator uses are established (the CRD watch notices them coming
// and going), starts watching their kinds, lists the Prometheus objects, and
// reads prometheus-operator's verdict on the operator's objects.
func (r *AntreaMonitoringReconciler) gatherPromOperator(ctx context.Context) (render.PrometheusOperatorState, error) {
	st := render.PrometheusOperatorState{}
	var err error
	if st.Established, st.Versions, err = r.establishedCRDs(ctx); err != nil || !st.Established[PrometheusCRD] {
		return st, err
	}
	err = r.ensurePrometheusOperatorWatches(ctx, st.Established)
	if err == nil {
		st.Prometheuses, err = r.prometheuses(ctx)
	}
	switch {
	case meta.IsNoMatchError(err) || apierrors.IsNotFound(err):
		st.Pending = true
		return st, nil
	case err != nil:
		return st, fmt.Errorf("watching or listing Prometheus objects: %w", err)
	}
	st.Served = true
	var unbound []client.Object
	if st.Bindings, unbound, err = r.bindings(ctx, st); err != nil {
		return st, err
	}
	st.Rejections, err = r.eventRejections(ctx, unbound)
	return st, err
}

// establishedCRDs says which of prometheus-operator's CRDs the operator
// uses are established, and their release (promop.VersionAnnotation), from
// the cache.
func (r *AntreaMonitoringReconciler) establishedCRDs(ctx context.Context) (map[string]bool, map[string]string, error) {
	established, versions := map[string]bool{}, map[string]string{}
	names := []string{PrometheusCRD}
	for _, k := range render.Kinds {
		if k.PrometheusOperator {
			names = append(names, k.CRD)
		}
	}
	for _, name := range names {
		crd, err := getOptional[apiextensionsv1.CustomResourceDefinition](ctx, r.Client, "", name)
		if err != nil {
			return established, versions, fmt.Errorf("reading CRD %s: %w", name, err)
		}
		if crd == nil || !crd.DeletionTimestamp.IsZero() {
			continue
		}
		versions[name] = crd.Annotations[promop.VersionAnnotation]
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				established[name] = true
			}
		}
	}
	return established, versions, nil
}

// bindings reads prometheus-operator's verdict on each of the operator's
// monitors, rules and ScrapeConfig objects (status.bindings) from the cache,
// and returns the objects it has no binding on (its
// StatusForConfigurationResources gate off, or not yet looked at).
func (r *AntreaMonitoringReconciler) bindings(ctx context.Context, st render.PrometheusOperatorState) (map[string][]promv1.WorkloadBinding, []client.Object, error) {
	out := map[string][]promv1.WorkloadBinding{}
	var unbound []client.Object
	for _, k := range render.Kinds {
		if !k.PrometheusOperator || !st.Serves(k) {
			continue
		}
		list := k.NewList()
		if err := r.List(ctx, list, client.HasLabels{render.OwnerLabel}); err != nil {
			return nil, nil, fmt.Errorf("listing %s: %w", k.GVK.Kind, err)
		}
		add := func(o client.Object, s promv1.ConfigResourceStatus) {
			if len(s.Bindings) > 0 {
				out[render.Key(k.GVK.Kind, o.GetNamespace(), o.GetName())] = s.Bindings
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

// eventRejections reads prometheus-operator's verdict on the objects it
// wrote no status.bindings on: its InvalidConfiguration events about them
// (cached by that reason, so a cluster without rejections costs no read),
// each confirmed by the object's absence from the generated configuration
// of the Prometheus the event relates to (read only then, once per
// Prometheus), so the event of a rejection since mended, which the API
// server keeps for an hour, is not reported.
func (r *AntreaMonitoringReconciler) eventRejections(ctx context.Context, unbound []client.Object) (map[string][]render.Rejection, error) {
	if len(unbound) == 0 {
		return nil, nil
	}
	var events corev1.EventList
	if err := r.List(ctx, &events); err != nil {
		return nil, fmt.Errorf("listing %s events: %w", promop.InvalidConfigurationReason, err)
	}
	byUID := map[types.UID][]corev1.Event{}
	for _, e := range events.Items {
		if e.Reason == promop.InvalidConfigurationReason && e.Related != nil && e.Related.Kind == promv1.PrometheusesKind {
			byUID[e.InvolvedObject.UID] = append(byUID[e.InvolvedObject.UID], e)
		}
	}
	out := map[string][]render.Rejection{}
	generated := map[monitoringv1alpha1.ObjectReference]*generatedConfig{}
	for _, o := range unbound {
		latest := map[monitoringv1alpha1.ObjectReference]corev1.Event{}
		for _, e := range byUID[o.GetUID()] {
			prom := monitoringv1alpha1.ObjectReference{Namespace: e.Related.Namespace, Name: e.Related.Name}
			if l, ok := latest[prom]; !ok || eventTime(e).After(eventTime(l)) {
				latest[prom] = e
			}
		}
		for prom, e := range latest {
			g, ok := generated[prom]
			if !ok {
				var err error
				if g, err = r.readGenerated(ctx, prom); err != nil {
					return nil, err
				}
				generated[prom] = g
			}
			if g.has(o) {
				continue
			}
			key := render.ObjectKey(o)
			out[key] = append(out[key], render.Rejection{Prometheus: prom, Message: e.Message})
		}
	}
	return out, nil
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

// generatedConfig is what prometheus-operator generated for one Prometheus:
// its scrape jobs and its rule files (nil when it wrote none yet).
type generatedConfig struct {
	jobs      []string
	ruleFiles map[string]bool
}

// has says whether object o made it into the generated configuration.
func (g *generatedConfig) has(o client.Object) bool {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if kind == promv1.PrometheusRuleKind {
		return g.ruleFiles[promop.RuleFileKey(o.GetNamespace(), o.GetName(), string(o.GetUID()))]
	}
	return slices.ContainsFunc(g.jobs, func(j string) bool { return promop.JobOf(j, kind, o.GetNamespace(), o.GetName()) })
}

// readGenerated reads, uncached, the configuration prometheus-operator
// generated for Prometheus prom: Secret prometheus-<name> and the
// prometheus-<name>-rulefiles-<n> ConfigMaps. None yet means nothing is in.
func (r *AntreaMonitoringReconciler) readGenerated(ctx context.Context, prom monitoringv1alpha1.ObjectReference) (*generatedConfig, error) {
	g := &generatedConfig{ruleFiles: map[string]bool{}}
	var s corev1.Secret
	switch err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: prom.Namespace, Name: promop.ConfigSecretName(prom.Name)}, &s); {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("reading the configuration prometheus-operator generated for Prometheus %s/%s: %w", prom.Namespace, prom.Name, err)
	default:
		jobs, err := promop.GeneratedJobs(&s)
		if err != nil {
			return nil, err
		}
		g.jobs = jobs
	}
	var cms corev1.ConfigMapList
	if err := r.APIReader.List(ctx, &cms, client.InNamespace(prom.Namespace), client.MatchingLabels{promop.RuleFilesLabel: prom.Name}); err != nil {
		return nil, fmt.Errorf("listing the rule files prometheus-operator generated for Prometheus %s/%s: %w", prom.Namespace, prom.Name, err)
	}
	for _, cm := range cms.Items {
		if strings.HasPrefix(cm.Name, promop.RuleFilesPrefix(prom.Name)) {
			for k := range cm.Data {
				g.ruleFiles[k] = true
			}
		}
	}
	return g, nil
}

// resolveMode turns Auto into a mode, with the condition saying why.
func resolveMode(am *monitoringv1alpha1.AntreaMonitoring, po render.PrometheusOperatorState) (monitoringv1alpha1.PrometheusMode, metav1.Condition) {
	t := monitoringv1alpha1.ConditionModeResolved
	mode := am.Spec.Prometheus.Mode
	if mode != "" && mode != monitoringv1alpha1.ModeAuto {
		return mode, trueCond(t, monitoringv1alpha1.ReasonModeExplicit, fmt.Sprintf("spec.prometheus.mode is %s.", mode))
	}
	if po.Served && len(po.Prometheuses) > 0 {
		return monitoringv1alpha1.ModePrometheusOperator, trueCond(t, monitoringv1alpha1.ReasonAutoPrometheusOperator,
			"Mode Auto chose PrometheusOperator: prometheus-operator's CRDs are installed and a Prometheus object exists.")
	}
	why := "prometheus-operator's CRDs are not installed"
	if po.Served {
		why = "no Prometheus object exists"
	}
	return monitoringv1alpha1.ModeManaged, trueCond(t, monitoringv1alpha1.ReasonAutoManaged, "Mode Auto chose Managed: "+why+".")
}

// reconcilePrometheus resolves the mode, checks its preconditions, renders
// its objects, applies them and only then prunes the previous mode's, so a
// mode that cannot be applied never replaces a working one half-way.

// ensureNamespaces creates the namespaces the mode needs that do not exist
// yet. They are not labelled or owned: a namespace may hold more than
// Prometheus, so the operator never deletes it.
func (r *AntreaMonitoringReconciler) ensureNamespaces(ctx context.Context, c *render.Cluster, names []string) error {
	for _, name := range names {
		if c.Namespaces[name] != nil {
			continue
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if err := r.Create(ctx, ns); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("creating namespace %s: %w", name, err)
		}
	}
	return nil
}
