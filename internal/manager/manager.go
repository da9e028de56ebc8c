// Package manager builds the operator's controller-runtime manager, for
// main and for the envtest suite alike, so tests run the real wiring.
package manager

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
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
	// WrapClient, when set, wraps the client the reconciler writes with
	// (tests count writes with it).
	WrapClient func(client.Client) client.Client
}

// Scheme holds every type the operator reads or writes.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(monitoringv1alpha1.AddToScheme(s))
	return s
}

// CacheOptions keeps the cache to what the operator reads: ConfigMaps,
// DaemonSets and Deployments in the Antrea namespaces (workloads only with
// Antrea's app=antrea label), and its own ClusterRoles by label. Its memory
// does not grow with the rest of the cluster.
func CacheOptions(antreaNamespaces []string) cache.Options {
	nsConfig := map[string]cache.Config{}
	antreaWorkloads := map[string]cache.Config{}
	for _, ns := range antreaNamespaces {
		nsConfig[ns] = cache.Config{}
		antreaWorkloads[ns] = cache.Config{LabelSelector: labels.SelectorFromSet(labels.Set{"app": "antrea"})}
	}
	strip := cache.TransformStripManagedFields()
	return cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}:   {Namespaces: nsConfig, Transform: strip},
			&appsv1.DaemonSet{}:   {Namespaces: antreaWorkloads, Transform: strip},
			&appsv1.Deployment{}:  {Namespaces: antreaWorkloads, Transform: strip},
			&rbacv1.ClusterRole{}: {Label: labels.SelectorFromSet(labels.Set{render.ManagedByLabel: render.ManagedByValue})},
		},
	}
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
