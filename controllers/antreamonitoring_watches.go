package controllers

import (
	"context"
	"slices"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubectl/pkg/util/podutils"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/watch"
)

// The caches the tracker starts beside the manager's.
const (
	// prometheusCache holds every Prometheus object (the manager's cache
	// keeps only objects with the operator's labels).
	prometheusCache = "Prometheus objects"
	// antreaInfoCache holds Antrea's AntreaControllerInfo and
	// AntreaAgentInfo objects, stripped to what the operator reads.
	antreaInfoCache = "Antrea's info objects"
)

// SetupWithManager registers the controller: AntreaMonitoring objects;
// Antrea's ConfigMaps and workloads (every change concerns every
// AntreaMonitoring); every kind the operator creates (render.Kinds: a change
// or deletion wakes its owner, which repairs it); namespaces and
// ServiceAccounts appearing or going (a mode may wait for them); and
// prometheus-operator's CRDs (mode Auto, and the watches on its kinds) and
// Antrea's AntreaControllerInfo and AntreaAgentInfo CRDs (the watches on
// the objects that report Antrea's version), whose kinds the tracker
// watches once they are established (see dynamicWatches).
func (r *AntreaMonitoringReconciler) SetupWithManager(mgr ctrl.Manager) error {
	objects := handler.EnqueueRequestsFromMapFunc(r.enqueueFor)
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
			return ok && (crd.Spec.Group == promv1.SchemeGroupVersion.Group || crd.Spec.Group == VictoriaMetricsCRDGroup || antreaInfoCRDs[crd.Name] != schema.GroupVersionKind{} ||
				crd.Name == monitoringv1alpha1.CRDName || crd.Name == grafana.DashboardCRD)
		})))
	for _, k := range render.Kinds {
		switch {
		case k.CRD != "": // watched once their CRD is established
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
	r.tracker, r.agentIndex = watch.NewTracker(mgr, c, r.NewWatchCache), newAgentIndex()
	return nil
}

// prometheusOperatorWatches are the watches on prometheus-operator's kinds:
// Prometheus and PrometheusAgent objects from a cache of their own, the operator's monitors,
// rules and ScrapeConfig objects from the manager's.
func (r *AntreaMonitoringReconciler) prometheusOperatorWatches() []watch.Watch {
	objects := handler.EnqueueRequestsFromMapFunc(r.enqueueFor)
	ws := []watch.Watch{{CRD: PrometheusCRD, Object: &promv1.Prometheus{}, Cache: prometheusCache, CacheOptions: r.PrometheusCache, Handler: objects},
		{CRD: PrometheusAgentCRD, Object: &promv1alpha1.PrometheusAgent{}, Cache: prometheusCache, CacheOptions: r.PrometheusCache, Handler: objects}}
	for _, k := range render.Kinds {
		if k.PrometheusOperator {
			ws = append(ws, watch.Watch{CRD: k.CRD, Object: k.New(), Handler: objects})
		}
	}
	return ws
}

// antreaInfoWatches are the watches on Antrea's info objects, from a cache
// that keeps only the fields the operator reads (stripAntreaInfo); a
// change of a version, API port or CA (not a heartbeat) wakes every
// AntreaMonitoring.
func (r *AntreaMonitoringReconciler) antreaInfoWatches() []watch.Watch {
	var ws []watch.Watch
	for _, crd := range []string{AntreaAgentInfoCRD, AntreaControllerInfoCRD} {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(antreaInfoCRDs[crd])
		ws = append(ws, watch.Watch{CRD: crd, Object: obj, Cache: antreaInfoCache, CacheOptions: cache.Options{DefaultTransform: stripAntreaInfo},
			Handler: handler.EnqueueRequestsFromMapFunc(r.enqueueAll), Predicates: []predicate.Predicate{antreaInfoChanged()}})
	}
	return ws
}

// prometheuses lists the Prometheus objects, and the PrometheusAgent
// objects when their CRD is established (agents), from their cache (none
// before the Prometheus CRD is established), once it has started.
func (r *AntreaMonitoringReconciler) prometheuses(ctx context.Context, agents bool) ([]promv1.Prometheus, []promv1alpha1.PrometheusAgent, error) {
	c := r.tracker.Cache(prometheusCache)
	if c == nil {
		return nil, nil, nil
	}
	if err := waitSynced(ctx, c, prometheusCache); err != nil {
		return nil, nil, err
	}
	var list promv1.PrometheusList
	if err := c.List(ctx, &list); err != nil {
		return nil, nil, err
	}
	if !agents {
		return list.Items, nil, nil
	}
	var agentList promv1alpha1.PrometheusAgentList
	if err := c.List(ctx, &agentList); err != nil {
		return nil, nil, err
	}
	return list.Items, agentList.Items, nil
}

// watches says whether the cache holds Antrea's objects in namespace.
func (r *AntreaMonitoringReconciler) watches(namespace string) bool {
	return slices.Contains(r.AntreaNamespaces, namespace)
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
