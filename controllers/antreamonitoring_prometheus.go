package controllers

import (
	"cmp"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/catalog"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// PrometheusCRD is the CRD whose presence means prometheus-operator is installed.
const PrometheusCRD = "prometheuses.monitoring.coreos.com"

// PrometheusAgentCRD is prometheus-operator's CRD of PrometheusAgent
// objects (v0.64 and later).
const PrometheusAgentCRD = "prometheusagents.monitoring.coreos.com"

// prometheusResult is what the Prometheus phase decided and did: what the
// health check asks and judges.
type prometheusResult struct {
	// conditions are ModeResolved, ScrapeConfigured, and the mode's own.
	conditions []metav1.Condition
	// pools are the scrape pools Prometheus should have, once applied.
	pools []render.Pool
	// scrapeAs is the ServiceAccount Prometheus scrapes as (namespace/name).
	scrapeAs string
	// endpoint is where the mode's Prometheus answers (nil when blocked).
	endpoint *render.Endpoint
}

// prometheusPhase resolves the mode, lets it check its preconditions and
// render (planPrometheus, pure), and only then writes: the namespaces the
// mode needs, its objects, and the pruning of what it no longer wants.
// Pruning comes after the apply succeeded, so a mode that cannot be applied
// never replaces a working one half-way. Its conditions are ModeResolved,
// ScrapeConfigured and the mode's own (PrometheusReady).
func (r *AntreaMonitoringReconciler) prometheusPhase(ctx context.Context, s *scope) result {
	s.status.Mode, s.status.Prometheus, s.status.PrometheusKind = "", nil, ""
	s.status.SeriesProfile = render.SeriesFor(s.am.Spec.Prometheus.Series).String()
	if s.clusterErr != nil {
		c := scrapeFailed(s.clusterErr)
		s.decided.prometheus = prometheusResult{conditions: []metav1.Condition{c}}
		return result{conditions: []metav1.Condition{c}, err: s.clusterErr}
	}
	p := planPrometheus(s.am, s.cluster, s.running)
	s.status.Mode, s.status.Prometheus, s.status.PrometheusKind = p.mode, p.prometheus, p.prometheusKind
	res, err := r.applyPrometheus(ctx, s.am, s.cluster, p)
	s.decided.prometheus = res
	return result{conditions: res.conditions, requeueAfter: p.requeueAfter, err: err}
}

// applyPrometheus applies a plan that rendered, then prunes. What CRDs
// that do not say their release may refuse is tried first, by a dry run
// (tryUnknownReleases), so such a refusal applies nothing.
func (r *AntreaMonitoringReconciler) applyPrometheus(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, c *observed.Cluster, p prometheusPlan) (prometheusResult, error) {
	res := prometheusResult{conditions: p.conditions}
	if p.rendered == nil {
		return res, p.err
	}
	res.pools, res.endpoint = p.rendered.Pools, &p.rendered.Endpoint
	if sa := p.rendered.ScrapeAs; sa.Name != "" {
		res.scrapeAs = sa.Namespace + "/" + sa.Name
	}
	err := r.ensureNamespaces(ctx, c, p.rendered.Namespaces)
	if err == nil {
		err = r.tryUnknownReleases(ctx, p.rendered.Objects, c.PrometheusOperator.Versions, ownedBy(am.Name))
	}
	if err == nil {
		err = r.applyAll(ctx, p.rendered.Objects, ownedBy(am.Name))
	}
	if cond, ok := notOwnedCondition(monitoringv1alpha1.ConditionScrapeConfigured, err); ok {
		res.conditions = append(res.conditions, cond)
		return res, nil
	}
	if cond, ok := tooOldCondition(err, c.PrometheusOperator.Versions); ok {
		res.conditions = append(res.conditions, cond)
		return res, nil
	}
	if err == nil {
		err = r.prune(ctx, am.Name, p.rendered, c)
	}
	if err != nil {
		res.conditions = append(res.conditions, scrapeFailed(err))
		return res, err
	}
	res.conditions = append(res.conditions, p.applied...)
	return res, nil
}

// prometheusPlan is what planPrometheus decided.
type prometheusPlan struct {
	mode       monitoringv1alpha1.PrometheusMode
	prometheus *monitoringv1alpha1.ObjectReference
	// prometheusKind is prometheus's kind (status.prometheusKind).
	prometheusKind string
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
func planPrometheus(am *monitoringv1alpha1.AntreaMonitoring, c *observed.Cluster, running catalog.Antrea) prometheusPlan {
	mode, modeCond := resolveMode(am, c)
	p := prometheusPlan{mode: mode, conditions: []metav1.Condition{modeCond}}
	if mode == "" { // nothing to apply until a mode is chosen
		p.conditions = append(p.conditions, scrapeNotResolved(modeCond))
		return p
	}
	if c.PrometheusOperator.Pending {
		p.requeueAfter = 2 * time.Second
	}
	m, ok := render.Modes[mode]
	if !ok {
		p.err = fmt.Errorf("no mode %q is registered", mode)
		p.conditions = append(p.conditions, scrapeFailed(p.err))
		return p
	}
	target, blocked := m.Plan(am, c)
	p.prometheus, p.prometheusKind = target.Prometheus, target.PrometheusKind
	in := render.Input{
		Owner:              render.Owner{APIVersion: monitoringv1alpha1.GroupVersion.String(), Kind: "AntreaMonitoring", Name: am.Name, UID: am.UID},
		AntreaNamespace:    am.AntreaNamespace(),
		ScrapeInterval:     string(cmp.Or(am.Spec.Prometheus.ScrapeInterval, monitoringv1alpha1.DefaultScrapeIntervalSetting)),
		Mode:               mode,
		Alerts:             am.AlertsEnabled(),
		Dashboard:          am.Spec.Dashboard.Enabled,
		DashboardNamespace: am.Spec.Dashboard.Namespace,
		DashboardLabels:    am.Spec.Dashboard.Labels, DashboardAnnotations: am.Spec.Dashboard.Annotations,
		GrafanaOperator: am.Spec.Dashboard.GrafanaOperator, GrafanaDashboardServed: c.Established[grafana.DashboardCRD],
		Antrea:             running,
		AgentAPIPort:       c.AgentAPIPort,
		Series:             render.SeriesFor(am.Spec.Prometheus.Series),
		InsecureSkipVerify: am.Spec.Antrea.InsecureSkipVerify,
	}.For(target)
	if blocked == nil && !in.InsecureSkipVerify {
		in.ControllerCA, blocked = render.ControllerCA(c.AntreaCA, in.AntreaNamespace)
	}
	if blocked != nil {
		p.conditions = append(p.conditions, scrapeConfigured(*blocked))
		return p
	}
	rendered, err := render.Render(in)
	if err != nil {
		p.err = err
		p.conditions = append(p.conditions, scrapeFailed(err))
		return p
	}
	p.rendered = &rendered
	v := m.Verdicts(in, rendered, c)
	p.applied = []metav1.Condition{scrapeConfigured(v.Scrape)}
	if v.PrometheusReady != nil {
		p.applied = append(p.applied, prometheusReady(*v.PrometheusReady))
	}
	if in.Dashboard {
		p.applied = append(p.applied, dashboardDelivered(in, rendered, c))
	}
	return p
}

// gatherPromOperator reads from the cache which of prometheus-operator's
// CRDs the operator uses are established (the CRD watch notices them coming
// and going), starts watching their kinds, lists the Prometheus objects, and
// reads prometheus-operator's verdict on the operator's objects
// (promop.ReadVerdicts).
func (r *AntreaMonitoringReconciler) gatherPromOperator(ctx context.Context) (observed.PrometheusOperator, error) {
	st := observed.PrometheusOperator{}
	var err error
	if st.Established, st.Versions, err = r.establishedCRDs(ctx); err != nil || !st.Established[PrometheusCRD] {
		return st, err
	}
	established := func(crd string) bool { return st.Established[crd] }
	err = r.tracker.Ensure(ctx, established, r.prometheusOperatorWatches()...)
	if err == nil {
		st.Prometheuses, st.Agents, err = r.prometheuses(ctx, st.Established[PrometheusAgentCRD])
	}
	switch {
	case meta.IsNoMatchError(err) || apierrors.IsNotFound(err):
		st.Pending = true
		return st, nil
	case err != nil:
		return st, fmt.Errorf("watching or listing Prometheus objects: %w", err)
	}
	st.Served = true
	var kinds []promop.ConfigKind
	for _, k := range render.Kinds {
		if k.PrometheusOperator && st.ServesCRD(k.CRD) {
			kinds = append(kinds, promop.ConfigKind{GVK: k.GVK, NewList: k.NewList})
		}
	}
	v, err := promop.ReadVerdicts(ctx, r.Client, r.APIReader, kinds, render.OwnerLabel)
	st.Bindings, st.Rejections = v.Bindings, v.Rejections
	return st, err
}

// establishedCRDs says which of prometheus-operator's CRDs the operator
// uses are established, and their release (promop.VersionAnnotation).
func (r *AntreaMonitoringReconciler) establishedCRDs(ctx context.Context) (map[string]bool, map[string]string, error) {
	names := []string{PrometheusCRD, PrometheusAgentCRD}
	for _, k := range render.Kinds {
		if k.PrometheusOperator {
			names = append(names, k.CRD)
		}
	}
	return r.crdStates(ctx, names...)
}

// resolveMode turns Auto into a mode, with the condition saying why; ""
// when Auto finds another collector already scraping the cluster and no
// Prometheus (a managed one would scrape every Node a second time).
func resolveMode(am *monitoringv1alpha1.AntreaMonitoring, c *observed.Cluster) (monitoringv1alpha1.PrometheusMode, metav1.Condition) {
	po := c.PrometheusOperator
	mode := am.Spec.Prometheus.Mode
	if mode != "" && mode != monitoringv1alpha1.ModeAuto {
		return mode, modeResolved(monitoringv1alpha1.ReasonModeExplicit, fmt.Sprintf("spec.prometheus.mode is %s.", mode))
	}
	if po.Served && len(po.Prometheuses) > 0 {
		return monitoringv1alpha1.ModePrometheusOperator, modeResolved(monitoringv1alpha1.ReasonAutoFoundPrometheusOperator,
			"Mode Auto chose PrometheusOperator: prometheus-operator's CRDs are installed and a Prometheus object exists.")
	}
	if len(c.Scrapers) > 0 {
		return "", otherScraperFound(c.Scrapers)
	}
	why := "prometheus-operator's CRDs are not installed"
	if po.Served {
		why = "no Prometheus object exists"
	}
	return monitoringv1alpha1.ModeManaged, modeResolved(monitoringv1alpha1.ReasonAutoNoPrometheusOperator, "Mode Auto chose Managed: "+why+".")
}

// ensureNamespaces creates the namespaces the mode needs that do not exist
// yet. They are not labelled or owned: a namespace may hold more than
// Prometheus, so the operator never deletes it.
func (r *AntreaMonitoringReconciler) ensureNamespaces(ctx context.Context, c *observed.Cluster, names []string) error {
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

type objectKey struct {
	gvk       schema.GroupVersionKind
	namespace string
	name      string
}

// prune deletes the AntreaMonitoring's objects (by OwnerLabel, from the
// cache) of the kinds the render names to prune that it does not want: what
// a mode switch or a changed namespace left behind. Kinds whose CRD is not
// served are skipped.
func (r *AntreaMonitoringReconciler) prune(ctx context.Context, owner string, rendered *render.Rendered, c *observed.Cluster) error {
	keep := map[objectKey]bool{}
	for _, o := range rendered.Objects {
		keep[objectKey{o.GetObjectKind().GroupVersionKind(), o.GetNamespace(), o.GetName()}] = true
	}
	for _, kind := range rendered.Prune {
		if !kind.Served(c) {
			continue
		}
		list := kind.NewList()
		if err := r.List(ctx, list, client.MatchingLabels{render.OwnerLabel: owner}); err != nil {
			return fmt.Errorf("listing %s objects to prune: %w", kind.GVK.Kind, err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return err
		}
		for _, item := range items {
			obj := item.(client.Object)
			if keep[objectKey{kind.GVK, obj.GetNamespace(), obj.GetName()}] {
				continue
			}
			if err := r.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("pruning %s %s: %w", kind.GVK.Kind, klog.KObj(obj), err)
			}
			logf.FromContext(ctx).Info("Pruned object the current mode no longer wants", "kind", kind.GVK.Kind, "object", klog.KObj(obj))
		}
	}
	return nil
}
