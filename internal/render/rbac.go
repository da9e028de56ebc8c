// Package render builds the objects the operator wants from plain inputs:
// no client, clock or randomness; deterministic names and order.
package render

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/types"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
)

// Labels every object the operator creates carries; the operator's cache
// selects its own objects by ManagedByLabel.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "antrea-monitoring-operator"
	PartOfLabel    = "app.kubernetes.io/part-of"
	PartOfValue    = "antrea-monitoring"
)

// ClusterRole names, as Antrea's Prometheus guide names them.
const (
	PrometheusClusterRole       = "prometheus"
	PrometheusAntreaClusterRole = "prometheus-antrea"
)

// Owner is an AntreaMonitoring that owns cluster-wide objects.
type Owner struct {
	APIVersion, Kind, Name string
	UID                    types.UID
}

// PrometheusRules are the rules Prometheus needs for Kubernetes service
// discovery and to read /metrics (Antrea's guide, ClusterRole prometheus).
func PrometheusRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{
			APIGroups: []string{""},
			Resources: []string{"nodes", "nodes/proxy", "services", "endpoints", "pods"},
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

// ClusterRoles renders both ClusterRoles, owned by every live AntreaMonitoring
// (so the garbage collector removes them with the last one).
func ClusterRoles(owners []Owner) []*rbacv1ac.ClusterRoleApplyConfiguration {
	return []*rbacv1ac.ClusterRoleApplyConfiguration{
		clusterRole(PrometheusClusterRole, PrometheusRules(), owners),
		clusterRole(PrometheusAntreaClusterRole, PrometheusAntreaRules(), owners),
	}
}

func clusterRole(name string, rules []rbacv1.PolicyRule, owners []Owner) *rbacv1ac.ClusterRoleApplyConfiguration {
	cr := rbacv1ac.ClusterRole(name).WithLabels(Labels())
	for _, o := range sortedOwners(owners) {
		cr.WithOwnerReferences(metav1ac.OwnerReference().
			WithAPIVersion(o.APIVersion).WithKind(o.Kind).WithName(o.Name).WithUID(o.UID).
			WithBlockOwnerDeletion(true))
	}
	for _, r := range rules {
		rule := rbacv1ac.PolicyRule().WithVerbs(r.Verbs...)
		if r.APIGroups != nil {
			rule.WithAPIGroups(r.APIGroups...)
		}
		if r.Resources != nil {
			rule.WithResources(r.Resources...)
		}
		if r.NonResourceURLs != nil {
			rule.WithNonResourceURLs(r.NonResourceURLs...)
		}
		cr.WithRules(rule)
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
