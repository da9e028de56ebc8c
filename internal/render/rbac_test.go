package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestClusterRoles(t *testing.T) {
	owners := []Owner{
		{APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring", Name: "b", UID: types.UID("uid-b")},
		{APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring", Name: "a", UID: types.UID("uid-a")},
	}
	got := ClusterRoles(owners)
	ref := func(name, uid string) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring",
			Name: name, UID: types.UID(uid), BlockOwnerDeletion: ptr.To(true)}
	}
	role := func(name string, rules ...rbacv1.PolicyRule) client.Object {
		return &rbacv1.ClusterRole{
			TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: name,
				Labels:          map[string]string{"app.kubernetes.io/managed-by": "antrea-monitoring-operator", "app.kubernetes.io/part-of": "antrea-monitoring"},
				OwnerReferences: []metav1.OwnerReference{ref("a", "uid-a"), ref("b", "uid-b")}},
			Rules: rules,
		}
	}
	rw := []string{"get", "list", "watch"}
	want := []client.Object{
		// Never the guide's own names (prometheus, prometheus-antrea): an
		// admin who followed the guide by hand owns those.
		role("antrea-monitoring:prometheus",
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes", "nodes/proxy", "services", "endpoints", "pods"}, Verbs: rw},
			rbacv1.PolicyRule{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: rw},
			rbacv1.PolicyRule{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: rw},
			rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}),
		role("antrea-monitoring:prometheus-antrea", rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}),
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
