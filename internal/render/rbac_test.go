package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/types"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/utils/ptr"
)

func TestClusterRoles(t *testing.T) {
	owners := []Owner{
		{APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring", Name: "b", UID: types.UID("uid-b")},
		{APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring", Name: "a", UID: types.UID("uid-a")},
	}
	got := ClusterRoles(owners)
	ref := func(name, uid string) metav1ac.OwnerReferenceApplyConfiguration {
		return metav1ac.OwnerReferenceApplyConfiguration{APIVersion: ptr.To("monitoring.antrea.io/v1alpha1"), Kind: ptr.To("AntreaMonitoring"),
			Name: ptr.To(name), UID: ptr.To(types.UID(uid)), BlockOwnerDeletion: ptr.To(true)}
	}
	rule := func(groups, resources, urls, verbs []string) rbacv1ac.PolicyRuleApplyConfiguration {
		return rbacv1ac.PolicyRuleApplyConfiguration{APIGroups: groups, Resources: resources, NonResourceURLs: urls, Verbs: verbs}
	}
	role := func(name string, rules ...rbacv1ac.PolicyRuleApplyConfiguration) *rbacv1ac.ClusterRoleApplyConfiguration {
		cr := rbacv1ac.ClusterRole(name)
		cr.Labels = map[string]string{"app.kubernetes.io/managed-by": "antrea-monitoring-operator", "app.kubernetes.io/part-of": "antrea-monitoring"}
		cr.OwnerReferences = []metav1ac.OwnerReferenceApplyConfiguration{ref("a", "uid-a"), ref("b", "uid-b")}
		cr.Rules = rules
		return cr
	}
	rw := []string{"get", "list", "watch"}
	want := []*rbacv1ac.ClusterRoleApplyConfiguration{
		role("prometheus",
			rule([]string{""}, []string{"nodes", "nodes/proxy", "services", "endpoints", "pods"}, nil, rw),
			rule([]string{"networking.k8s.io"}, []string{"ingresses"}, nil, rw),
			rule(nil, nil, []string{"/metrics"}, []string{"get"})),
		role("prometheus-antrea", rule(nil, nil, []string{"/metrics"}, []string{"get"})),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ClusterRoles() mismatch (-want +got):\n%s", diff)
	}
	if owners[0].Name != "b" {
		t.Errorf("ClusterRoles() reordered its input")
	}
}

func TestRulesArePolicyRules(t *testing.T) {
	// The rules must be valid RBAC: every rule has verbs, and resource rules
	// have API groups.
	for _, rules := range [][]rbacv1.PolicyRule{PrometheusRules(), PrometheusAntreaRules()} {
		for _, r := range rules {
			if len(r.Verbs) == 0 || (len(r.Resources) > 0 && r.APIGroups == nil) || (len(r.Resources) == 0 && len(r.NonResourceURLs) == 0) {
				t.Errorf("invalid rule %+v", r)
			}
		}
	}
}
