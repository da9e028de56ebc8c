package render

import (
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
)

// Kind is a kind of object the operator may create. The registry (Kinds)
// is the one list the cache, the watches and pruning are built from: a
// rendered object of a kind not listed here is a bug (a test checks it).
type Kind struct {
	GVK schema.GroupVersionKind
	// New and NewList return empty typed objects of the kind.
	New     func() client.Object
	NewList func() client.ObjectList
	// Pruned: objects of this kind that the current render no longer wants
	// are deleted. PersistentVolumeClaims are not: they hold Prometheus's
	// data, and deleting data is the user's call.
	Pruned bool
	// Shared objects (the ClusterRoles) belong to every AntreaMonitoring,
	// not to one: they are owned by all of them and never pruned per object.
	Shared bool
	// Retained objects get no ownerReference, so the garbage collector
	// keeps them when their AntreaMonitoring is deleted.
	Retained bool
	// PrometheusOperator kinds are prometheus-operator's.
	PrometheusOperator bool
	// CRD is the name of the CRD serving the kind, for the kinds of other
	// projects (prometheus-operator's, grafana-operator's): they are read,
	// written and watched only once it is established.
	CRD string
}

func kind[T any, L any, PT interface {
	*T
	client.Object
}, PL interface {
	*L
	client.ObjectList
}](gv schema.GroupVersion, name string) Kind {
	return Kind{
		GVK:     gv.WithKind(name),
		New:     func() client.Object { return PT(new(T)) },
		NewList: func() client.ObjectList { return PL(new(L)) },
		Pruned:  true,
	}
}

func crdKind[T any, L any, PT interface {
	*T
	client.Object
}, PL interface {
	*L
	client.ObjectList
}](gv schema.GroupVersion, name, crd string) Kind {
	k := kind[T, L, PT, PL](gv, name)
	k.CRD = crd
	return k
}

func promOpKind[T any, L any, PT interface {
	*T
	client.Object
}, PL interface {
	*L
	client.ObjectList
}](gv schema.GroupVersion, name, crd string) Kind {
	k := crdKind[T, L, PT, PL](gv, name, crd)
	k.PrometheusOperator = true
	return k
}

// The CRDs of the prometheus-operator kinds whose version decides a field.
const (
	ServiceMonitorCRD = "servicemonitors.monitoring.coreos.com"
	PodMonitorCRD     = "podmonitors.monitoring.coreos.com"
	ScrapeConfigCRD   = "scrapeconfigs.monitoring.coreos.com"
)

// Kinds lists every kind the operator may create.
var Kinds = func() []Kind {
	pvc := kind[corev1.PersistentVolumeClaim, corev1.PersistentVolumeClaimList](corev1.SchemeGroupVersion, "PersistentVolumeClaim")
	pvc.Pruned, pvc.Retained = false, true
	roles := kind[rbacv1.ClusterRole, rbacv1.ClusterRoleList](rbacv1.SchemeGroupVersion, "ClusterRole")
	roles.Pruned, roles.Shared = false, true
	return []Kind{
		kind[corev1.ServiceAccount, corev1.ServiceAccountList](corev1.SchemeGroupVersion, "ServiceAccount"),
		kind[corev1.ConfigMap, corev1.ConfigMapList](corev1.SchemeGroupVersion, "ConfigMap"),
		kind[corev1.Secret, corev1.SecretList](corev1.SchemeGroupVersion, "Secret"),
		kind[corev1.Service, corev1.ServiceList](corev1.SchemeGroupVersion, "Service"),
		pvc,
		kind[appsv1.Deployment, appsv1.DeploymentList](appsv1.SchemeGroupVersion, "Deployment"),
		kind[rbacv1.ClusterRoleBinding, rbacv1.ClusterRoleBindingList](rbacv1.SchemeGroupVersion, "ClusterRoleBinding"),
		roles,
		promOpKind[promv1.ServiceMonitor, promv1.ServiceMonitorList](promv1.SchemeGroupVersion, "ServiceMonitor", ServiceMonitorCRD),
		promOpKind[promv1.PodMonitor, promv1.PodMonitorList](promv1.SchemeGroupVersion, "PodMonitor", "podmonitors.monitoring.coreos.com"),
		promOpKind[promv1.PrometheusRule, promv1.PrometheusRuleList](promv1.SchemeGroupVersion, "PrometheusRule", "prometheusrules.monitoring.coreos.com"),
		promOpKind[promv1alpha1.ScrapeConfig, promv1alpha1.ScrapeConfigList](promv1alpha1.SchemeGroupVersion, "ScrapeConfig", ScrapeConfigCRD),
		crdKind[grafana.GrafanaDashboard, grafana.GrafanaDashboardList](grafana.SchemeGroupVersion, "GrafanaDashboard", grafana.DashboardCRD),
	}
}()

// KindFor returns the registry entry of a GVK.
func KindFor(gvk schema.GroupVersionKind) (Kind, bool) {
	for _, k := range Kinds {
		if k.GVK == gvk {
			return k, true
		}
	}
	return Kind{}, false
}

// IsKind says whether gvk is in the registry.
func IsKind(gvk schema.GroupVersionKind) bool {
	_, ok := KindFor(gvk)
	return ok
}
