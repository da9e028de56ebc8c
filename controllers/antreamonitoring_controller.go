// Package controllers holds the operator's reconcile loops.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubectl/pkg/util/podutils"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

const (
	// FieldOwner is the server-side apply field manager of every write.
	FieldOwner = "antrea-monitoring-operator"
	// Finalizer makes deletion restore Antrea's configuration first.
	Finalizer = "monitoring.antrea.io/restore-antrea-config"
)

// AntreaMonitoringReconciler enables Antrea's metrics and the RBAC Prometheus
// needs, and reports it in the AntreaMonitoring status.
type AntreaMonitoringReconciler struct {
	// Client reads from the cache and writes to the API server.
	client.Client
	// APIReader reads the API server directly: fresh reads before a write
	// with a resourceVersion precondition.
	APIReader client.Reader
	// CAPropagation: see manager.Options.
	CAPropagation time.Duration
	Scheme        *runtime.Scheme
	Recorder      recorder.EventRecorder
	// AntreaNamespaces are the namespaces the cache holds Antrea's
	// ConfigMaps and workloads for (flag --antrea-namespaces).
	AntreaNamespaces []string

	// Access says how to reach in-cluster Prometheus for health checks.
	Access *PrometheusAccess
	health healthChecks

	// controller and cache let the watches on prometheus-operator's kinds
	// start once their CRDs exist; watching holds the CRDs watched.
	controller controller.Controller
	cache      cache.Cache
	mgr        ctrl.Manager
	watchMu    sync.Mutex
	watching   map[string]bool
	// PrometheusCache configures the cache of Prometheus objects (all of
	// them, not only the operator's), started once their CRD exists.
	PrometheusCache cache.Options
	promCache       cache.Cache
	// antreaCache holds Antrea's AntreaControllerInfo and AntreaAgentInfo
	// objects, started once their CRDs are established.
	antreaCache cache.Cache
}

// +kubebuilder:rbac:groups=monitoring.antrea.io,resources=antreamonitorings,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=monitoring.antrea.io,resources=antreamonitorings/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=monitoring.antrea.io,resources=antreamonitorings/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=apps,resources=daemonsets;deployments,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// Granted to Prometheus by ClusterRole antrea-monitoring:prometheus (one can grant only what one holds):
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=get;list;watch
// Prometheus provisioning (objects the operator creates, labelled, pruned by label):
// +kubebuilder:rbac:groups="",resources=serviceaccounts;secrets;services,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=create;delete
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=create;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterrolebindings,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=servicemonitors;podmonitors;scrapeconfigs;prometheusrules,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=prometheuses,verbs=get;list;watch
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch
// Scrape health through the API server's service proxy (when the operator runs outside the cluster):
// +kubebuilder:rbac:groups="",resources=services/proxy;pods/proxy,verbs=get
// The operator holds every permission it grants Prometheus (Kubernetes refuses escalation otherwise):
// +kubebuilder:rbac:groups="",resources=nodes;nodes/proxy;services;endpoints;pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch
// +kubebuilder:rbac:urls=/metrics,verbs=get

// Reconcile gathers the state of Antrea and the operator's objects, enables
// metrics, applies RBAC and writes the status when it changed.
func (r *AntreaMonitoringReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	var am monitoringv1alpha1.AntreaMonitoring
	if err := r.Get(ctx, req.NamespacedName, &am); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	all, err := r.listMonitorings(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !am.DeletionTimestamp.IsZero() {
		r.forget(am.UID)
		return ctrl.Result{}, r.finalize(ctx, &am, all)
	}
	if !controllerutil.ContainsFinalizer(&am, Finalizer) {
		patch := client.MergeFrom(am.DeepCopy())
		controllerutil.AddFinalizer(&am, Finalizer)
		if err := r.Patch(ctx, &am, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding finalizer %s: %w", Finalizer, err)
		}
		log.Info("Added finalizer", "finalizer", Finalizer)
	}

	status := am.Status.DeepCopy()
	metrics, metricsErr := r.reconcileAntreaMetrics(ctx, &am, all)
	status.AntreaConfigMap = metrics.configMap
	info, infoErr := r.gatherAntreaInfo(ctx)
	agents := info.agents
	if infoErr != nil {
		info = lastReported(status)
	}
	running := runningAntrea(info, metrics.confs)
	applyAntrea(status, info, running, metrics.confs != nil)
	rbacCond, rbacErr := r.reconcileRBAC(ctx, all)
	prom, promErr := r.reconcilePrometheus(ctx, &am, running, agents, infoErr)
	status.Mode, status.Prometheus = prom.mode, prom.prometheus
	f, fleetErr := r.gatherFleet(ctx, am.AntreaNamespace())
	f.antrea = running
	metrics.condition = restartPending(metrics.condition, f)
	hc := r.reconcileHealth(ctx, &am, prom, f)
	applyHealth(status, hc, am.Spec.HealthCheck.IntervalDuration(), time.Now())

	conds := append([]metav1.Condition{metrics.condition, rbacCond}, prom.conditions...)
	if hc.condition != nil {
		conds = append(conds, *hc.condition)
	}
	setConditions(status, am.Generation, conds...)
	r.eventOnTransition(&am, status)
	reconcileErr := errors.Join(metricsErr, infoErr, rbacErr, promErr, fleetErr)
	if reconcileErr == nil {
		status.ObservedGeneration = am.Generation
	}
	if err := r.patchStatus(ctx, &am, status); err != nil {
		return ctrl.Result{}, errors.Join(reconcileErr, err)
	}
	return ctrl.Result{RequeueAfter: minPositive(prom.requeueAfter, hc.requeueAfter)}, reconcileErr
}

func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// eventOnTransition records an event when TargetsHealthy or Ready changes
// status (never on an unchanged loop), of the type eventType says.
func (r *AntreaMonitoringReconciler) eventOnTransition(am *monitoringv1alpha1.AntreaMonitoring, status *monitoringv1alpha1.AntreaMonitoringStatus) {
	for _, t := range []string{monitoringv1alpha1.ConditionTargetsHealthy, monitoringv1alpha1.ConditionReady} {
		now := meta.FindStatusCondition(status.Conditions, t)
		if now == nil {
			continue
		}
		before := meta.FindStatusCondition(am.Status.Conditions, t)
		if before != nil && before.Status == now.Status && before.Reason == now.Reason {
			continue
		}
		r.Recorder.Eventf(am, nil, eventType(now, status), now.Reason, "Check"+t, "%s is %s: %s", t, now.Status, now.Message)
	}
}

// eventType is Warning for a condition that is not True, unless it is only
// on its way (a fresh install while Prometheus starts) or Antrea is being
// rolled out by the operator itself (AntreaMetricsEnabled is
// RestartInProgress): pods being replaced fail their scrapes (404 while
// they still run with metrics off, refused while they restart), which the
// conditions say, but nothing is wrong.
func eventType(c *metav1.Condition, status *monitoringv1alpha1.AntreaMonitoringStatus) string {
	if c.Status == metav1.ConditionTrue || progressing[c.Reason] {
		return corev1.EventTypeNormal
	}
	if m := meta.FindStatusCondition(status.Conditions, monitoringv1alpha1.ConditionAntreaMetricsEnabled); m != nil && m.Reason == monitoringv1alpha1.ReasonRestartInProgress {
		return corev1.EventTypeNormal
	}
	return corev1.EventTypeWarning
}

// listMonitorings returns every AntreaMonitoring: their wishes are combined.
func (r *AntreaMonitoringReconciler) listMonitorings(ctx context.Context) ([]monitoringv1alpha1.AntreaMonitoring, error) {
	var list monitoringv1alpha1.AntreaMonitoringList
	if err := r.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing AntreaMonitoring objects: %w", err)
	}
	return list.Items, nil
}

func (r *AntreaMonitoringReconciler) watches(namespace string) bool {
	return slices.Contains(r.AntreaNamespaces, namespace)
}

// SetupWithManager registers the controller: AntreaMonitoring objects;
// Antrea's ConfigMaps and workloads (every change concerns every
// AntreaMonitoring); every kind the operator creates (render.Kinds: a change
// or deletion wakes its owner, which repairs it); namespaces and
// ServiceAccounts appearing or going (a mode may wait for them); and
// prometheus-operator's CRDs (mode Auto, and the watches on its kinds) and
// Antrea's AntreaControllerInfo and AntreaAgentInfo CRDs (the watches on
// the objects that report Antrea's version).
func (r *AntreaMonitoringReconciler) SetupWithManager(mgr ctrl.Manager) error {
	objects := handler.EnqueueRequestsFromMapFunc(r.enqueueFor)
	r.cache, r.mgr = mgr.GetCache(), mgr
	b := ctrl.NewControllerManagedBy(mgr).
		For(&monitoringv1alpha1.AntreaMonitoring{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{},
			deletionPredicate()))).
		Watches(&appsv1.DaemonSet{}, objects).
		// Antrea's pods: replaced pods clear RestartInProgress at once.
		Watches(&corev1.Pod{}, objects, builder.WithPredicates(podChanged())).
		Watches(&corev1.Namespace{}, objects, builder.WithPredicates(predicate.LabelChangedPredicate{})).
		// prometheus-operator rejecting an object (its InvalidConfiguration
		// events, the only ones cached) where it writes no status.bindings.
		Watches(&corev1.Event{}, handler.EnqueueRequestsFromMapFunc(r.enqueueAll), builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			e, ok := o.(*corev1.Event)
			return ok && e.Reason == promop.InvalidConfigurationReason
		}))).
		Watches(&apiextensionsv1.CustomResourceDefinition{}, objects, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			crd, ok := o.(*apiextensionsv1.CustomResourceDefinition)
			return ok && (crd.Spec.Group == promv1.SchemeGroupVersion.Group || antreaInfoCRDs[crd.Name] != schema.GroupVersionKind{})
		})))
	for _, k := range render.Kinds {
		switch {
		case k.PrometheusOperator: // watched once their CRD is established
		case k.GVK.Kind == "ServiceAccount":
			// Also the user's Prometheus ServiceAccount (mode ScrapeConfig)
			// appearing or going; other ServiceAccount updates are not ours.
			b = b.Watches(k.New(), objects, builder.WithPredicates(predicate.Or[client.Object](ownPredicate(), predicate.LabelChangedPredicate{})))
		default:
			b = b.Watches(k.New(), objects)
		}
	}
	c, err := b.Named("antreamonitoring").Build(r)
	if err != nil {
		return err
	}
	r.controller = c
	return nil
}

// ensurePrometheusOperatorWatches starts watching Prometheus objects and the
// operator's prometheus-operator kinds once their CRDs are established (a
// watch on a kind the API server does not serve cannot start).
func (r *AntreaMonitoringReconciler) ensurePrometheusOperatorWatches(ctx context.Context, established map[string]bool) error {
	r.watchMu.Lock()
	defer r.watchMu.Unlock()
	if r.controller == nil {
		return nil
	}
	if r.watching == nil {
		r.watching = map[string]bool{}
	}
	objects := handler.EnqueueRequestsFromMapFunc(r.enqueueFor)
	watch := func(crd string, obj client.Object) error {
		if r.watching[crd] || !established[crd] {
			return nil
		}
		from := r.cache
		if crd == PrometheusCRD {
			if err := r.startPrometheusCache(); err != nil {
				return err
			}
			from = r.promCache
		}
		if err := r.controller.Watch(source.Kind(from, obj, objects)); err != nil {
			return fmt.Errorf("watching %s: %w", crd, err)
		}
		r.watching[crd] = true
		logf.FromContext(ctx).Info("Started watching a prometheus-operator kind: its CRD is established", "crd", crd)
		return nil
	}
	if err := watch(PrometheusCRD, &promv1.Prometheus{}); err != nil {
		return err
	}
	for _, k := range render.Kinds {
		if k.PrometheusOperator {
			if err := watch(k.CRD, k.New()); err != nil {
				return err
			}
		}
	}
	return nil
}

// startPrometheusCache starts the cache of Prometheus objects beside the
// manager's (whose default label selector keeps only the operator's objects).
func (r *AntreaMonitoringReconciler) startPrometheusCache() error {
	if r.promCache != nil {
		return nil
	}
	opts := r.PrometheusCache
	opts.Scheme, opts.Mapper = r.mgr.GetScheme(), r.mgr.GetRESTMapper()
	c, err := cache.New(r.mgr.GetConfig(), opts)
	if err != nil {
		return fmt.Errorf("creating the cache of Prometheus objects: %w", err)
	}
	if err := r.mgr.Add(c); err != nil {
		return fmt.Errorf("starting the cache of Prometheus objects: %w", err)
	}
	r.promCache = c
	return nil
}

// prometheuses lists the Prometheus objects from their cache.
func (r *AntreaMonitoringReconciler) prometheuses(ctx context.Context) ([]promv1.Prometheus, error) {
	r.watchMu.Lock()
	c := r.promCache
	r.watchMu.Unlock()
	if c == nil {
		return nil, nil
	}
	var list promv1.PrometheusList
	if err := c.List(ctx, &list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// ownPredicate passes events of objects the operator created.
func ownPredicate() predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetLabels()[render.OwnerLabel] != "" })
}

// enqueueFor maps an object to the AntreaMonitoring objects it concerns: an
// object the operator created for one of them to that one; anything else
// (Antrea's ConfigMaps and workloads, the shared ClusterRoles, namespaces,
// prometheus-operator's CRDs and Prometheus objects) to all of them.
func (r *AntreaMonitoringReconciler) enqueueFor(ctx context.Context, obj client.Object) []reconcile.Request {
	if reqs := enqueueOwner(ctx, obj); reqs != nil {
		return reqs
	}
	return r.enqueueAll(ctx, obj)
}

// enqueueOwner maps an object the operator created to its AntreaMonitoring.
func enqueueOwner(_ context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetLabels()[render.OwnerLabel]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: name}}}
}

// podChanged passes a pod's creation and deletion, and updates that change
// what the health check reads (phase, readiness, the config hash) or, for
// the managed Prometheus's pods, what PrometheusReady quotes (containers'
// states, scheduling: the cache keeps nothing else of them), not every
// status heartbeat.
func podChanged() predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*corev1.Pod)
		n, ok2 := e.ObjectNew.(*corev1.Pod)
		return !ok1 || !ok2 || o.Status.Phase != n.Status.Phase || podutils.IsPodReady(o) != podutils.IsPodReady(n) ||
			o.Annotations[monitoringv1alpha1.ConfigHashAnnotation] != n.Annotations[monitoringv1alpha1.ConfigHashAnnotation] ||
			o.DeletionTimestamp.IsZero() != n.DeletionTimestamp.IsZero() ||
			(n.Labels[render.OwnerLabel] != "" && !equality.Semantic.DeepEqual(
				[]any{o.Status.Conditions, o.Status.InitContainerStatuses, o.Status.ContainerStatuses},
				[]any{n.Status.Conditions, n.Status.InitContainerStatuses, n.Status.ContainerStatuses}))
	}}
}

// deletionPredicate passes updates that start a deletion (deletionTimestamp
// set), which do not change the generation of every kind.
func deletionPredicate() predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero()
	}}
}

func (r *AntreaMonitoringReconciler) enqueueAll(ctx context.Context, _ client.Object) []reconcile.Request {
	var list monitoringv1alpha1.AntreaMonitoringList
	if err := r.List(ctx, &list); err != nil {
		logf.FromContext(ctx).Error(err, "Failed to list AntreaMonitoring objects to enqueue")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, am := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: am.Name}})
	}
	return reqs
}
