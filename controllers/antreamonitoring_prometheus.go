package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// PrometheusCRD is the CRD whose presence means prometheus-operator is installed.
const PrometheusCRD = "prometheuses.monitoring.coreos.com"

// prometheusResult is what the Prometheus phase found and did.
type prometheusResult struct {
	mode       v1alpha1.PrometheusMode
	prometheus *v1alpha1.ObjectReference
	conditions []metav1.Condition // ModeResolved, ScrapeConfigured, PrometheusReady (Managed only)
	// requeueAfter asks for another look soon: a CRD is established but
	// the API server's discovery does not serve its kinds yet.
	requeueAfter time.Duration
	// pools are the scrape pools Prometheus should have, once applied.
	pools []string
}

// promOperatorState is what the cluster says about prometheus-operator.
type promOperatorState struct {
	// served: the Prometheus kind is served and its objects are watched.
	served       bool
	prometheuses []monitoringv1.Prometheus
	// established are prometheus-operator's CRDs (by name) that are established.
	established map[string]bool
	// pending: the CRD is established but its kind is not discoverable yet.
	pending bool
}

// serves says whether objects of a kind can be read and written.
func (s promOperatorState) serves(k render.Kind) bool {
	return !k.PrometheusOperator || (s.served && s.established[k.CRD])
}

// gatherPromOperator reads from the cache which of prometheus-operator's
// CRDs are established (the CRD watch notices them coming and going),
// starts watching their kinds, and lists the Prometheus objects.
func (r *AntreaMonitoringReconciler) gatherPromOperator(ctx context.Context) (promOperatorState, error) {
	var crds apiextensionsv1.CustomResourceDefinitionList
	if err := r.List(ctx, &crds); err != nil {
		return promOperatorState{}, fmt.Errorf("listing CRDs: %w", err)
	}
	st := promOperatorState{established: map[string]bool{}}
	for _, crd := range crds.Items {
		if crd.Spec.Group != monitoringv1.SchemeGroupVersion.Group || !crd.DeletionTimestamp.IsZero() {
			continue
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				st.established[crd.Name] = true
			}
		}
	}
	if !st.established[PrometheusCRD] {
		return st, nil
	}
	if err := r.ensurePrometheusOperatorWatches(ctx, st.established); err != nil {
		if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
			st.pending = true
			return st, nil
		}
		return st, err
	}
	proms, err := r.prometheuses(ctx)
	if err != nil {
		if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
			st.pending = true
			return st, nil
		}
		return st, fmt.Errorf("listing Prometheus objects: %w", err)
	}
	st.served, st.prometheuses = true, proms
	return st, nil
}

// resolveMode turns Auto into a mode, with the condition saying why.
func resolveMode(am *v1alpha1.AntreaMonitoring, po promOperatorState) (v1alpha1.PrometheusMode, metav1.Condition) {
	t := v1alpha1.ConditionModeResolved
	mode := am.Spec.Prometheus.Mode
	if mode != "" && mode != v1alpha1.ModeAuto {
		return mode, trueCond(t, v1alpha1.ReasonModeExplicit, fmt.Sprintf("spec.prometheus.mode is %s.", mode))
	}
	if po.served && len(po.prometheuses) > 0 {
		return v1alpha1.ModePrometheusOperator, trueCond(t, v1alpha1.ReasonAutoPrometheusOperator,
			"Mode Auto chose PrometheusOperator: prometheus-operator's CRDs are installed and a Prometheus object exists.")
	}
	why := "prometheus-operator's CRDs are not installed"
	if po.served {
		why = "no Prometheus object exists"
	}
	return v1alpha1.ModeManaged, trueCond(t, v1alpha1.ReasonAutoManaged, "Mode Auto chose Managed: "+why+".")
}

// reconcilePrometheus resolves the mode, checks its preconditions, renders
// its objects, applies them and only then prunes the previous mode's, so a
// mode that cannot be applied never replaces a working one half-way.
func (r *AntreaMonitoringReconciler) reconcilePrometheus(ctx context.Context, am *v1alpha1.AntreaMonitoring) (prometheusResult, error) {
	po, err := r.gatherPromOperator(ctx)
	if err != nil {
		return prometheusResult{conditions: []metav1.Condition{falseCond(v1alpha1.ConditionScrapeConfigured, v1alpha1.ReasonApplyFailed, err.Error())}}, err
	}
	mode, modeCond := resolveMode(am, po)
	res := prometheusResult{mode: mode, conditions: []metav1.Condition{modeCond}}
	if po.pending {
		res.requeueAfter = 2 * time.Second
	}
	in := render.Input{
		Owner:              render.Owner{APIVersion: v1alpha1.GroupVersion.String(), Kind: "AntreaMonitoring", Name: am.Name, UID: am.UID},
		AntreaNamespace:    am.AntreaNamespace(),
		ScrapeInterval:     defaultString(string(am.Spec.Prometheus.ScrapeInterval), "30s"),
		Mode:               mode,
		Alerts:             am.AlertsEnabled(),
		Dashboard:          am.Spec.Dashboard.Enabled,
		DashboardNamespace: am.Spec.Dashboard.Namespace,
	}
	var blocked *metav1.Condition
	var selectionProblems []string
	switch mode {
	case v1alpha1.ModeManaged:
		in.Managed = managedDefaults(am.Spec.Prometheus.Managed)
		res.prometheus = &v1alpha1.ObjectReference{Namespace: in.Managed.Namespace, Name: render.NamesFor(am.Name).Prometheus()}
		err = r.ensureNamespace(ctx, in.Managed.Namespace)
	case v1alpha1.ModeScrapeConfig:
		in.ScrapeConfig = *am.Spec.Prometheus.ScrapeConfig
		blocked, err = r.checkScrapeConfigTarget(ctx, in.ScrapeConfig)
	case v1alpha1.ModePrometheusOperator:
		blocked, selectionProblems, err = r.preparePromOperator(ctx, am, po, &in, &res)
	}
	if err != nil {
		res.conditions = append(res.conditions, falseCond(v1alpha1.ConditionScrapeConfigured, v1alpha1.ReasonApplyFailed, err.Error()))
		return res, err
	}
	if blocked != nil {
		res.conditions = append(res.conditions, *blocked)
		return res, nil
	}
	objs, err := render.Prometheus(in)
	if err == nil {
		err = r.applyAll(ctx, objs, ownedBy(am.Name))
	}
	var notOwned *NotOwnedError
	if errors.As(err, &notOwned) {
		res.conditions = append(res.conditions, falseCond(v1alpha1.ConditionScrapeConfigured, v1alpha1.ReasonObjectNotOwned, err.Error()+"."))
		return res, nil
	}
	if err == nil {
		err = r.prune(ctx, am.Name, objs, po.serves)
	}
	if err != nil {
		res.conditions = append(res.conditions, falseCond(v1alpha1.ConditionScrapeConfigured, v1alpha1.ReasonApplyFailed, err.Error()))
		return res, err
	}
	res.conditions = append(res.conditions, scrapeCondition(mode, in, selectionProblems))
	res.pools = render.ScrapePools(in)
	if mode == v1alpha1.ModeManaged {
		cond, err := r.managedReadiness(ctx, res.prometheus, in.Managed.Image)
		if err != nil {
			return res, err
		}
		res.conditions = append(res.conditions, cond)
	}
	return res, nil
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// managedDefaults applies the API defaults to a possibly absent spec.prometheus.managed.
func managedDefaults(m *v1alpha1.ManagedPrometheus) v1alpha1.ManagedPrometheus {
	var out v1alpha1.ManagedPrometheus
	if m != nil {
		out = *m.DeepCopy()
	}
	out.Namespace = defaultString(out.Namespace, "monitoring")
	out.Image = defaultString(out.Image, "quay.io/prometheus/prometheus:v2.46.0")
	out.Retention = v1alpha1.Duration(defaultString(string(out.Retention), "15d"))
	return out
}

// ensureNamespace creates the managed Prometheus's namespace when missing.
// It is not labelled or owned: a namespace may hold more than Prometheus,
// so the operator never deletes it.
func (r *AntreaMonitoringReconciler) ensureNamespace(ctx context.Context, name string) error {
	var ns corev1.Namespace
	err := r.Get(ctx, types.NamespacedName{Name: name}, &ns)
	if !apierrors.IsNotFound(err) {
		return err
	}
	ns = corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := r.Create(ctx, &ns); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// checkScrapeConfigTarget refuses to deliver to a namespace or bind a
// ServiceAccount that does not exist.
func (r *AntreaMonitoringReconciler) checkScrapeConfigTarget(ctx context.Context, t v1alpha1.ScrapeConfigTarget) (*metav1.Condition, error) {
	t2 := v1alpha1.ConditionScrapeConfigured
	exists := func(obj client.Object, ns, name string) (bool, error) {
		err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	}
	if ok, err := exists(&corev1.Namespace{}, "", t.Namespace); err != nil || !ok {
		c := falseCond(t2, v1alpha1.ReasonNamespaceNotFound, fmt.Sprintf("Namespace %s (spec.prometheus.scrapeConfig.namespace) does not exist.", t.Namespace))
		return &c, err
	}
	sa := t.ServiceAccount
	if ok, err := exists(&corev1.ServiceAccount{}, sa.Namespace, sa.Name); err != nil || !ok {
		c := falseCond(t2, v1alpha1.ReasonServiceAccountNotFound, fmt.Sprintf("ServiceAccount %s/%s (spec.prometheus.scrapeConfig.serviceAccount) does not exist.", sa.Namespace, sa.Name))
		return &c, err
	}
	return nil, nil
}

// preparePromOperator chooses the Prometheus object, fills the render
// input, and checks that the Prometheus would select the monitors.
func (r *AntreaMonitoringReconciler) preparePromOperator(ctx context.Context, am *v1alpha1.AntreaMonitoring, po promOperatorState, in *render.Input, res *prometheusResult) (*metav1.Condition, []string, error) {
	t := v1alpha1.ConditionScrapeConfigured
	spec := am.Spec.Prometheus.PrometheusOperator
	if spec == nil {
		spec = &v1alpha1.PrometheusOperatorTarget{}
	}
	if !po.served {
		c := falseCond(t, v1alpha1.ReasonPrometheusNotFound, "prometheus-operator's CRDs (monitoring.coreos.com) are not installed.")
		return &c, nil, nil
	}
	var refNS, refName string
	if spec.Prometheus != nil {
		refNS, refName = spec.Prometheus.Namespace, spec.Prometheus.Name
	}
	prom, ambiguous, why := promop.Choose(po.prometheuses, refNS, refName)
	if prom == nil {
		reason := v1alpha1.ReasonPrometheusNotFound
		if ambiguous {
			reason = v1alpha1.ReasonAmbiguousPrometheus
		}
		c := falseCond(t, reason, why)
		return &c, nil, nil
	}
	res.prometheus = &v1alpha1.ObjectReference{Namespace: prom.Namespace, Name: prom.Name}
	in.PrometheusOperator = render.PrometheusOperatorInput{
		Namespace:                defaultString(spec.Namespace, prom.Namespace),
		Labels:                   labelMap(spec.Labels),
		UseScrapeConfig:          spec.UseScrapeConfig,
		PrometheusServiceAccount: v1alpha1.ObjectReference{Namespace: prom.Namespace, Name: promop.ServiceAccount(prom)},
	}
	var ns corev1.Namespace
	if err := r.Get(ctx, types.NamespacedName{Name: in.PrometheusOperator.Namespace}, &ns); err != nil {
		if apierrors.IsNotFound(err) {
			c := falseCond(t, v1alpha1.ReasonNamespaceNotFound, fmt.Sprintf("Namespace %s for the monitors (spec.prometheus.prometheusOperator.namespace, or the Prometheus's namespace) does not exist.", in.PrometheusOperator.Namespace))
			return &c, nil, nil
		}
		return nil, nil, err
	}
	n := render.NamesFor(am.Name)
	labels := render.MonitorLabels(am.Name, labelMap(spec.Labels))
	monitors := []promop.Monitor{
		{Kind: "ServiceMonitor", Namespace: ns.Name, Name: n.ControllerMonitor(), Labels: labels},
		{Kind: "PodMonitor", Namespace: ns.Name, Name: n.AgentMonitor(), Labels: labels},
	}
	if spec.UseScrapeConfig {
		monitors = []promop.Monitor{
			{Kind: "ScrapeConfig", Namespace: ns.Name, Name: n.ControllerMonitor(), Labels: labels},
			{Kind: "ScrapeConfig", Namespace: ns.Name, Name: n.AgentMonitor(), Labels: labels},
		}
	}
	if am.AlertsEnabled() {
		monitors = append(monitors, promop.Monitor{Kind: "PrometheusRule", Namespace: ns.Name, Name: n.Rules(), Labels: labels})
	}
	return nil, promop.SelectionProblems(prom, monitors, map[string]map[string]string{ns.Name: ns.Labels}), nil
}

// scrapeCondition is ScrapeConfigured after a successful apply.
func scrapeCondition(mode v1alpha1.PrometheusMode, in render.Input, selectionProblems []string) metav1.Condition {
	t := v1alpha1.ConditionScrapeConfigured
	n := render.NamesFor(in.Owner.Name)
	switch mode {
	case v1alpha1.ModeManaged:
		return trueCond(t, v1alpha1.ReasonScrapeApplied, fmt.Sprintf("Prometheus %s/%s is configured with jobs %s and %s.",
			in.Managed.Namespace, n.Prometheus(), render.ControllersJob, render.AgentsJob))
	case v1alpha1.ModeScrapeConfig:
		return trueCond(t, v1alpha1.ReasonScrapeApplied, fmt.Sprintf(
			"Jobs %s and %s are in Secret and ConfigMap %s/%s (key %s); ServiceAccount %s/%s is bound to ClusterRoles %s and %s.",
			render.ControllersJob, render.AgentsJob, in.ScrapeConfig.Namespace, n.ScrapeConfigs(), render.ScrapeConfigsKey,
			in.ScrapeConfig.ServiceAccount.Namespace, in.ScrapeConfig.ServiceAccount.Name, render.PrometheusClusterRole, render.PrometheusAntreaClusterRole))
	}
	if len(selectionProblems) > 0 {
		return falseCond(t, v1alpha1.ReasonNotSelectedByPrometheus, strings.Join(selectionProblems, "; ")+".")
	}
	return trueCond(t, v1alpha1.ReasonScrapeApplied, fmt.Sprintf("The monitors in namespace %s are selected by the Prometheus.", in.PrometheusOperator.Namespace))
}

// managedReadiness is PrometheusReady from the managed Deployment's Available condition.
// While it is not, the message names the image (spec.prometheus.managed.image):
// an image that cannot be pulled is the usual cause admission cannot catch.
func (r *AntreaMonitoringReconciler) managedReadiness(ctx context.Context, ref *v1alpha1.ObjectReference, image string) (metav1.Condition, error) {
	t := v1alpha1.ConditionPrometheusReady
	d, err := getOptional[appsv1.Deployment](ctx, r.Client, ref.Namespace, ref.Name)
	if err != nil {
		return falseCond(t, v1alpha1.ReasonPrometheusUnavailable, err.Error()), err
	}
	if d != nil {
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
				return trueCond(t, v1alpha1.ReasonPrometheusAvailable, fmt.Sprintf("Deployment %s/%s is available.", ref.Namespace, ref.Name)), nil
			}
		}
	}
	return falseCond(t, v1alpha1.ReasonPrometheusUnavailable, fmt.Sprintf(
		"Deployment %s/%s is not available yet; if its pod cannot pull spec.prometheus.managed.image (%s), set an image your nodes can pull.",
		ref.Namespace, ref.Name, image)), nil
}

func labelMap(in map[string]v1alpha1.LabelValue) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = string(v)
	}
	return out
}
