// Package manager builds the operator's controller-runtime manager, for
// main and for the envtest suite alike, so tests run the real wiring.
package manager

import (
	"time"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/controllers"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// Options are the operator's settings.
type Options struct {
	MetricsAddr string
	ProbeAddr   string
	LeaderElect bool
	// LeaderElectionNamespace holds the Lease; empty in a pod means the
	// pod's own namespace.
	LeaderElectionNamespace string
	AntreaNamespaces        []string
	// InCluster: the operator runs in a pod and dials Prometheus's Service
	// directly; otherwise it goes through the API server's service proxy.
	InCluster bool
	// WrapClient, when set, wraps the client the reconciler writes with
	// (tests count writes with it).
	WrapClient func(client.Client) client.Client
	// CAPropagation is how long after antrea-ca is updated a TLS failure
	// reads as its copy still propagating (0: two minutes, a kubelet's
	// default sync; a test world that syncs copies at once sets less).
	CAPropagation time.Duration
	// NewWatchCache, when set, makes the caches the operator starts once a
	// CRD is established (Prometheus objects, Antrea's info objects)
	// instead of cache.New: a test holds one back to find the reads made
	// before the manager started it (test/envtest/cachesync).
	NewWatchCache cache.NewCacheFunc
	// SkipNameValidation lets one process build more than one manager (a
	// test that starts the operator afresh for each case): controller-runtime
	// refuses a second controller named antreamonitoring otherwise.
	SkipNameValidation bool
}

// Scheme holds every type the operator reads or writes.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(monitoringv1alpha1.AddToScheme(s))
	utilruntime.Must(promv1.AddToScheme(s))
	utilruntime.Must(promv1alpha1.AddToScheme(s))
	utilruntime.Must(grafana.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	return s
}

// AntreaLabel is the label every object of Antrea's manifests carries
// (app=antrea): its ConfigMaps and workloads are cached by it, so the
// namespace's other ConfigMaps are neither held in memory nor wake the
// operator.
var AntreaLabel = labels.Set{"app": "antrea"}

// CacheOptions keeps the cache to what the operator reads, so its memory
// does not grow with the rest of the cluster:
//   - every kind it creates (render.Kinds), by its managed-by label, with
//     managedFields (drift is found by comparing what its apply owns);
//   - Antrea's ConfigMaps, workloads and pods (label app=antrea) in the
//     Antrea namespaces (pods stripped to what the health check reads);
//   - namespaces and ServiceAccounts (small, managedFields stripped): the
//     modes wait for the ones they deliver to;
//   - CRDs without their schema (prometheus-operator's say whether it is
//     installed), and Prometheus objects once their CRD exists;
//   - prometheus-operator's InvalidConfiguration events, and no others.
func CacheOptions(antreaNamespaces []string) cache.Options {
	ours := labels.SelectorFromSet(labels.Set{render.ManagedByLabel: render.ManagedByValue})
	antrea := labels.SelectorFromSet(AntreaLabel)
	// In the Antrea namespaces: Antrea's own objects (and no others).
	inAntrea := func() map[string]cache.Config {
		m := map[string]cache.Config{cache.AllNamespaces: {LabelSelector: ours}}
		for _, ns := range antreaNamespaces {
			m[ns] = cache.Config{LabelSelector: antrea}
		}
		return m
	}
	strip := cache.TransformStripManagedFields()
	all := labels.Everything()
	special := map[string]cache.ByObject{
		"ConfigMap":      {Namespaces: inAntrea()},
		"Deployment":     {Namespaces: inAntrea()},
		"ServiceAccount": {Label: all, Transform: stripUnlessOurs},
	}
	// Every kind of render.Kinds is cached by the operator's label (the
	// default selector), with its managedFields; the kinds of other projects
	// (prometheus-operator, grafana-operator) cannot be listed here (their
	// CRDs may not exist yet): their informers start once their CRDs exist
	// and get DefaultLabelSelector.
	byObject := map[client.Object]cache.ByObject{}
	for _, k := range render.Kinds {
		if k.CRD != "" {
			continue
		}
		if b, ok := special[k.GVK.Kind]; ok {
			byObject[k.New()] = b
		} else {
			byObject[k.New()] = cache.ByObject{Label: ours}
		}
	}
	byObject[&monitoringv1alpha1.AntreaMonitoring{}] = cache.ByObject{Label: all}
	byObject[&appsv1.DaemonSet{}] = cache.ByObject{Namespaces: inAntrea(), Transform: strip}
	byObject[&corev1.Pod{}] = cache.ByObject{Namespaces: inAntrea(), Transform: stripPod}
	byObject[&corev1.Namespace{}] = cache.ByObject{Label: all, Transform: strip}
	byObject[&apiextensionsv1.CustomResourceDefinition{}] = cache.ByObject{Label: all, Transform: stripCRD}
	// prometheus-operator's InvalidConfiguration events (its verdict when
	// it writes no status.bindings), only those: the API server filters.
	byObject[&corev1.Event{}] = cache.ByObject{Label: all, Field: fields.OneTermEqualSelector("reason", promop.InvalidConfigurationReason), Transform: strip}
	return cache.Options{DefaultLabelSelector: ours, ByObject: byObject}
}

// PrometheusCacheOptions is the cache of prometheus-operator's Prometheus
// and PrometheusAgent objects, and of the other collectors' (not the
// operator's: all of them), started once their CRD exists; every object
// without its managedFields. No kind is named (ByObject): cache.New maps
// each one named, and fails while prometheus-operator's CRDs are not
// installed, when this cache may hold VMAgent objects alone.
func PrometheusCacheOptions() cache.Options {
	return cache.Options{DefaultTransform: cache.TransformStripManagedFields()}
}

// stripUnlessOurs drops the managedFields of objects the operator did not
// create; its own keep them for drift detection.
func stripUnlessOurs(obj any) (any, error) {
	if o, ok := obj.(client.Object); ok && o.GetLabels()[render.OwnerLabel] == "" {
		o.SetManagedFields(nil)
	}
	return obj, nil
}

// stripPod keeps what the health check reads of a pod: its name, labels,
// the config-hash annotation, node, phase and readiness.
func stripPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	kept := &corev1.Pod{TypeMeta: p.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Namespace: p.Namespace, Name: p.Name, UID: p.UID, ResourceVersion: p.ResourceVersion, Labels: p.Labels,
		CreationTimestamp: p.CreationTimestamp, DeletionTimestamp: p.DeletionTimestamp, OwnerReferences: p.OwnerReferences,
	}}
	if h, ok := p.Annotations[monitoringv1alpha1.ConfigHashAnnotation]; ok {
		kept.Annotations = map[string]string{monitoringv1alpha1.ConfigHashAnnotation: h}
	}
	kept.Spec.NodeName = p.Spec.NodeName
	// Whether a container declares ports: the Windows agent's declare none,
	// so it is scraped on its AntreaAgentInfo's apiPort.
	for _, c := range p.Spec.Containers {
		kept.Spec.Containers = append(kept.Spec.Containers, corev1.Container{Name: c.Name, Ports: c.Ports})
	}
	kept.Status.Phase = p.Status.Phase
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			kept.Status.Conditions = []corev1.PodCondition{{Type: c.Type, Status: c.Status}}
		}
	}
	if p.Labels[render.OwnerLabel] != "" {
		// The managed Prometheus's pods: what PrometheusReady reports while
		// it is not available (unschedulable, image pull, crash and why).
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue {
				kept.Status.Conditions = append(kept.Status.Conditions, corev1.PodCondition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message})
			}
		}
		keep := func(all []corev1.ContainerStatus) []corev1.ContainerStatus {
			var out []corev1.ContainerStatus
			for _, cs := range all {
				out = append(out, corev1.ContainerStatus{Name: cs.Name, Ready: cs.Ready, State: cs.State, LastTerminationState: cs.LastTerminationState})
			}
			return out
		}
		kept.Status.InitContainerStatuses = keep(p.Status.InitContainerStatuses)
		kept.Status.ContainerStatuses = keep(p.Status.ContainerStatuses)
	}
	return kept, nil
}

// stripCRD keeps a CRD's metadata and status: its schema (about 1 MB for
// prometheus-operator's Prometheus) is never read, but for the operator's
// own CRD, whose served schema is compared with the one it was built with
// (internal/crdcheck).
func stripCRD(obj any) (any, error) {
	if crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition); ok && crd.Name != monitoringv1alpha1.CRDName {
		crd.Spec = apiextensionsv1.CustomResourceDefinitionSpec{Group: crd.Spec.Group, Names: crd.Spec.Names}
		crd.ManagedFields = nil
	}
	return obj, nil
}

// New builds the manager with the AntreaMonitoring controller and probes.
func New(cfg *rest.Config, o Options) (ctrl.Manager, *controllers.AntreaMonitoringReconciler, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 Scheme(),
		Cache:                  CacheOptions(o.AntreaNamespaces),
		Metrics:                metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress: o.ProbeAddr,
		LeaderElection:         o.LeaderElect,
		LeaderElectionID:       "antrea-monitoring-operator.monitoring.antrea.io",
		// The leader steps down when it stops (a rollout, a drained node):
		// the next replica leads at once instead of waiting out the lease.
		// Safe because main returns as soon as the manager stops.
		LeaderElectionReleaseOnCancel: true,
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		Controller:                    config.Controller{SkipNameValidation: ptr.To(o.SkipNameValidation)},
	})
	if err != nil {
		return nil, nil, err
	}
	c := mgr.GetClient()
	if o.WrapClient != nil {
		c = o.WrapClient(c)
	}
	r := &controllers.AntreaMonitoringReconciler{
		Client:           c,
		APIReader:        mgr.GetAPIReader(),
		Scheme:           mgr.GetScheme(),
		Recorder:         mgr.GetEventRecorder(controllers.FieldOwner),
		AntreaNamespaces: o.AntreaNamespaces,
		Access:           &health.Access{InCluster: o.InCluster, Config: cfg},
		PrometheusCache:  PrometheusCacheOptions(),
		CAPropagation:    o.CAPropagation,
		NewWatchCache:    o.NewWatchCache,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, nil, err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, nil, err
	}
	return mgr, r, nil
}
