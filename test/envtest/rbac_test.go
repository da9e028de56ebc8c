//go:build envtest

package envtest

import (
	"context"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

var _ = Describe("The operator's own ClusterRole", func() {
	It("has no wildcard and holds every permission the operator grants Prometheus", func() {
		raw, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "role.yaml"))
		Expect(err).NotTo(HaveOccurred())
		var role rbacv1.ClusterRole
		Expect(yaml.UnmarshalStrict(raw, &role)).To(Succeed())
		for _, r := range role.Rules {
			for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.NonResourceURLs, r.ResourceNames} {
				Expect(list).NotTo(ContainElement(ContainSubstring("*")), "rule %+v", r)
			}
		}
		// The API server itself refuses a grant the operator does not hold
		// (escalation): the operator runs impersonating its ServiceAccount
		// with this role, and still creates the ClusterRoles.
		ctx := context.Background()
		Expect(k8sClient.Create(ctx, monitoring("rbac", "kube-system"))).To(Succeed())
		Eventually(func(g Gomega) {
			expectCondition(g, getAM(g, ctx, "rbac"), monitoringv1alpha1.ConditionRBACReady, metav1.ConditionTrue, monitoringv1alpha1.ReasonClusterRolesApplied)
			for _, name := range []string{"antrea-monitoring:prometheus", "antrea-monitoring:prometheus-antrea"} {
				var cr rbacv1.ClusterRole
				g.Expect(k8sClient.Get(ctx, clientKey(name), &cr)).To(Succeed())
				g.Expect(cr.ManagedFields).To(ContainElement(HaveField("Manager", "antrea-monitoring-operator")))
			}
		}, timeout, interval).Should(Succeed())
		deleteAndWaitGone(ctx, "rbac")
	})
})
