// Package controllers holds the operator's reconcile loop: Reconcile (this
// file) lists its steps; each phase has a file of its own, named after it,
// and antreamonitoring_status.go builds every condition.
package controllers

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/watch"
)

const (
	// FieldOwner is the server-side apply field manager of every write.
	FieldOwner = "antrea-monitoring-operator"
	// Finalizer makes deletion restore Antrea's configuration first.
	Finalizer = "monitoring.antrea.io/restore-antrea-config"
)

// AntreaMonitoringReconciler enables Antrea's metrics and the RBAC Prometheus
// needs, configures Prometheus to scrape Antrea, checks that it does, and
// reports it all in the AntreaMonitoring status.
type AntreaMonitoringReconciler struct {
	// Client reads from the cache and writes to the API server.
	client.Client
	// APIReader reads the API server directly; see scope for the few reads
	// that do.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  recorder.EventRecorder
	// AntreaNamespaces are the namespaces the cache holds Antrea's
	// ConfigMaps and workloads for (flag --antrea-namespaces).
	AntreaNamespaces []string
	// Access says how to reach in-cluster Prometheus for health checks.
	Access *health.Access
	// CAPropagation: see manager.Options.
	CAPropagation time.Duration
	// PrometheusCache configures the cache of Prometheus objects (all of
	// them, not only the operator's), started once their CRD exists.
	PrometheusCache cache.Options
	// NewWatchCache makes the caches started once a CRD is established
	// (Prometheus objects, Antrea's info objects; see the tracker):
	// cache.New when nil.
	NewWatchCache cache.NewCacheFunc
	// Clock tells the time of a reconcile (the real clock when nil).
	Clock clock.PassiveClock

	// health remembers the last scrape-health check of each AntreaMonitoring.
	health healthChecks
	// tracker starts the watches (and caches) of the kinds Antrea's and
	// prometheus-operator's CRDs serve, once those are established.
	tracker *watch.Tracker
	// agentIndex follows the AntreaAgentInfo objects of the tracker's cache.
	agentIndex *agentIndex
	// crdCheck remembers what the served CRD lacks, by its resourceVersion.
	crdCheck crdCheck
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
// +kubebuilder:rbac:groups=grafana.integreatly.org,resources=grafanadashboards,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=prometheuses;prometheusagents,verbs=get;list;watch
// Other collectors mode Auto deploys no second scraper next to:
// +kubebuilder:rbac:groups=operator.victoriametrics.com,resources=vmagents,verbs=get;list;watch
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch
// Scrape health through the API server's service proxy (when the operator runs outside the cluster):
// +kubebuilder:rbac:groups="",resources=services/proxy;pods/proxy,verbs=get
// The operator holds every permission it grants Prometheus (Kubernetes refuses escalation otherwise):
// +kubebuilder:rbac:groups="",resources=nodes;nodes/proxy;services;endpoints;pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch
// +kubebuilder:rbac:urls=/metrics,verbs=get

// Reconcile is the table of contents of one reconcile: read the
// AntreaMonitoring, finalize it when it is being deleted, gather every read
// of the cluster into one scope, run the phases over it in order, and write
// the status they produced, once.
func (r *AntreaMonitoringReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	am, all, err := r.fetch(ctx, req)
	if am == nil || err != nil {
		return ctrl.Result{}, err
	}
	if !am.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, am, all)
	}
	if err := r.ensureFinalizer(ctx, am); err != nil {
		return ctrl.Result{}, err
	}
	s := r.gather(ctx, am, all)
	phases := []phase{
		r.antreaMetricsPhase, // antreamonitoring_antreametrics.go
		r.antreaInfoPhase,    // antreamonitoring_antreainfo.go
		r.rbacPhase,          // antreamonitoring_rbac.go
		r.prometheusPhase,    // antreamonitoring_prometheus.go
		r.healthPhase,        // antreamonitoring_health.go
		r.crdPhase,           // antreamonitoring_crd.go
	}
	results := make([]result, 0, len(phases))
	for _, p := range phases {
		results = append(results, p(ctx, s))
	}
	return r.writeStatus(ctx, s, results) // antreamonitoring_status.go
}

// phase is one step of a reconcile: it reads the scope (and what earlier
// phases decided), makes its writes, fills its fields of the status being
// built, and returns its conditions.
type phase func(ctx context.Context, s *scope) result

// result is what every phase returns.
type result struct {
	// conditions are the phase's conditions (made in antreamonitoring_status.go).
	conditions []metav1.Condition
	// requeueAfter asks for another reconcile that soon (0: no need).
	requeueAfter time.Duration
	// err fails the reconcile: it is retried with backoff, and
	// status.observedGeneration stays behind.
	err error
}

// fetch reads the AntreaMonitoring (nil when it is gone) and every other
// one: their wishes are combined.
func (r *AntreaMonitoringReconciler) fetch(ctx context.Context, req ctrl.Request) (*monitoringv1alpha1.AntreaMonitoring, []monitoringv1alpha1.AntreaMonitoring, error) {
	var am monitoringv1alpha1.AntreaMonitoring
	if err := r.Get(ctx, req.NamespacedName, &am); err != nil {
		return nil, nil, client.IgnoreNotFound(err)
	}
	var list monitoringv1alpha1.AntreaMonitoringList
	if err := r.List(ctx, &list); err != nil {
		return nil, nil, fmt.Errorf("listing AntreaMonitoring objects: %w", err)
	}
	return &am, list.Items, nil
}

// ensureFinalizer adds the finalizer that restores Antrea's configuration
// on deletion, before anything is changed.
func (r *AntreaMonitoringReconciler) ensureFinalizer(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring) error {
	if controllerutil.ContainsFinalizer(am, Finalizer) {
		return nil
	}
	patch := client.MergeFrom(am.DeepCopy())
	controllerutil.AddFinalizer(am, Finalizer)
	if err := r.Patch(ctx, am, patch); err != nil {
		return fmt.Errorf("adding finalizer %s: %w", Finalizer, err)
	}
	logf.FromContext(ctx).Info("Added finalizer", "finalizer", Finalizer)
	return nil
}

// clock is the reconciler's clock, the real one by default.
func (r *AntreaMonitoringReconciler) clock() clock.PassiveClock {
	if r.Clock == nil {
		return clock.RealClock{}
	}
	return r.Clock
}
