// Package render builds the objects the operator wants from plain inputs:
// no client, clock or randomness; deterministic names and order.
package render

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Labels every object the operator creates carries; the operator's cache
// selects its own objects by ManagedByLabel.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "antrea-monitoring-operator"
	PartOfLabel    = "app.kubernetes.io/part-of"
	PartOfValue    = "antrea-monitoring"
)

// ClusterRole names. Antrea's Prometheus guide calls its roles prometheus
// and prometheus-antrea; an admin who followed it by hand has them, so the
// operator never uses those names: it creates, binds and owns roles with the
// same rules under names of its own, and leaves any other role alone.
const (
	PrometheusClusterRole       = "antrea-monitoring:prometheus"
	PrometheusAntreaClusterRole = "antrea-monitoring:prometheus-antrea"
)

// LegacyClusterRoles are the guide's role names, which versions of the
// operator applied, labelled and owned in earlier versions; it now only
// releases them (see the controller).
var LegacyClusterRoles = []string{"prometheus", "prometheus-antrea"}

// Owner is an AntreaMonitoring that owns cluster-wide objects.
type Owner struct {
	APIVersion, Kind, Name string
	UID                    types.UID
}

// PrometheusRules are the rules Prometheus needs for Kubernetes service
// discovery and to read /metrics (Antrea's guide, ClusterRole prometheus),
// plus EndpointSlices, which the controllers job discovers with.
func PrometheusRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{
			APIGroups: []string{""},
			Resources: []string{"nodes", "nodes/proxy", "services", "endpoints", "pods"},
			Verbs:     []string{"get", "list", "watch"},
		},
		{
			APIGroups: []string{"discovery.k8s.io"},
			Resources: []string{"endpointslices"},
			Verbs:     []string{"get", "list", "watch"},
		},
		{
			APIGroups: []string{"networking.k8s.io"},
			Resources: []string{"ingresses"},
			Verbs:     []string{"get", "list", "watch"},
		},
		{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}},
	}
}

// PrometheusAntreaRules let a subject read Antrea's /metrics, which Antrea's
// apiservers authorize with a SubjectAccessReview (ClusterRole prometheus-antrea).
func PrometheusAntreaRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}
}

// ClusterRoles renders both ClusterRoles, owned (not as controller) by every
// live AntreaMonitoring, so the garbage collector removes them with the last one.
func ClusterRoles(owners []Owner) []client.Object {
	return []client.Object{
		clusterRole(PrometheusClusterRole, PrometheusRules(), owners),
		clusterRole(PrometheusAntreaClusterRole, PrometheusAntreaRules(), owners),
	}
}

func clusterRole(name string, rules []rbacv1.PolicyRule, owners []Owner) *rbacv1.ClusterRole {
	cr := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: Labels()},
		Rules:      rules,
	}
	for _, o := range sortedOwners(owners) {
		cr.OwnerReferences = append(cr.OwnerReferences, metav1.OwnerReference{
			APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, UID: o.UID, BlockOwnerDeletion: ptr.To(true)})
	}
	return cr
}

// Labels are the labels of every object the operator creates.
func Labels() map[string]string {
	return map[string]string{ManagedByLabel: ManagedByValue, PartOfLabel: PartOfValue}
}

func sortedOwners(owners []Owner) []Owner {
	out := append([]Owner(nil), owners...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
