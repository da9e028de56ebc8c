// Package manager builds the operator's controller-runtime manager, for
// main and for the envtest suite alike, so tests run the real wiring.
package manager

import (
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/controllers"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// Options are the operator's settings.
type Options struct {
	MetricsAddr      string
	ProbeAddr        string
	LeaderElect      bool
	AntreaNamespaces []string
	// InCluster: the operator runs in a pod and dials Prometheus's Service
	// directly; otherwise it goes through the API server's service proxy.
	InCluster bool
	// WrapClient, when set, wraps the client the reconciler writes with
	// (tests count writes with it).
	WrapClient func(client.Client) client.Client
}

// Scheme holds every type the operator reads or writes.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(monitoringv1alpha1.AddToScheme(s))
	utilruntime.Must(promv1.AddToScheme(s))
	utilruntime.Must(promv1alpha1.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	return s
}

// CacheOptions keeps the cache to what the operator reads: ConfigMaps,
// DaemonSets and Deployments in the Antrea namespaces (workloads only with
// Antrea's app=antrea label), the objects it created (by label) anywhere,
// and prometheus-operator's Prometheus CRD (by name, without its large
// schema). prometheus-operator's own kinds may not exist when the operator
// starts, so they are read uncached (and Prometheus objects watched once
// their CRD is established). Its memory does not grow with the rest of the cluster.
func CacheOptions(antreaNamespaces []string) cache.Options {
	ours := labels.SelectorFromSet(labels.Set{render.ManagedByLabel: render.ManagedByValue})
	antreaConfigMaps := map[string]cache.Config{cache.AllNamespaces: {LabelSelector: ours}}
	antreaWorkloads := map[string]cache.Config{cache.AllNamespaces: {LabelSelector: ours}}
	for _, ns := range antreaNamespaces {
		antreaConfigMaps[ns] = cache.Config{}
		antreaWorkloads[ns] = cache.Config{LabelSelector: labels.SelectorFromSet(labels.Set{"app": "antrea"})}
	}
	strip := cache.TransformStripManagedFields()
	return cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}:             {Namespaces: antreaConfigMaps, Transform: strip},
			&appsv1.DaemonSet{}:             {Namespaces: antreaWorkloads, Transform: strip},
			&appsv1.Deployment{}:            {Namespaces: antreaWorkloads, Transform: strip},
			&rbacv1.ClusterRole{}:           {Label: ours},
			&rbacv1.ClusterRoleBinding{}:    {Label: ours, Transform: strip},
			&corev1.ServiceAccount{}:        {Label: ours, Transform: strip},
			&corev1.Secret{}:                {Label: ours, Transform: strip},
			&corev1.Service{}:               {Label: ours, Transform: strip},
			&corev1.PersistentVolumeClaim{}: {Label: ours, Transform: strip},
			&apiextensionsv1.CustomResourceDefinition{}: {
				Field:     fields.OneTermEqualSelector("metadata.name", controllers.PrometheusCRD),
				Transform: stripCRD,
			},
		},
	}
}

// stripCRD keeps a CRD's metadata and status: its schema (about 1 MB for
// prometheus-operator's Prometheus) is never read.
func stripCRD(obj any) (any, error) {
	if crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition); ok {
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
		Access:           &controllers.PrometheusAccess{InCluster: o.InCluster, Config: cfg},
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
