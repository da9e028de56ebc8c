//go:build packaging

package packaging

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
)

// readmeRelease is the release name the README's helm install uses.
func readmeRelease() string {
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	Expect(err).NotTo(HaveOccurred())
	m := regexp.MustCompile(`helm install (\S+) charts/antrea-monitoring-operator`).FindSubmatch(raw)
	Expect(m).NotTo(BeNil(), "the README's helm install command")
	return string(m[1])
}

// forbiddenLog records every request the API server refused with 403.
type forbiddenLog struct {
	sync.Mutex
	requests []string
	next     http.RoundTripper
}

func (f *forbiddenLog) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := f.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusForbidden {
		f.Lock()
		f.requests = append(f.requests, req.Method+" "+req.URL.Path)
		f.Unlock()
	}
	return resp, err
}

func (f *forbiddenLog) list() []string {
	f.Lock()
	defer f.Unlock()
	return append([]string(nil), f.requests...)
}

var _ = Describe("The chart's ServiceAccount", Ordered, func() {
	ctx := context.Background()

	It("names objects without doubling the README's release name", func() {
		release := readmeRelease()
		objs := decode(runHelm("template", release, chart, "--namespace", releaseNamespace, "--kube-version", kubeVersion))
		for _, o := range objs {
			Expect(o.GetName()).NotTo(ContainSubstring("antrea-monitoring-antrea-monitoring"), "%s %s", o.GetKind(), o.GetName())
		}
		Expect(deployment(objs).Name).To(Equal("antrea-monitoring-operator"))
		// Another release name keeps its own prefix.
		Expect(deployment(decode(runHelm("template", "amo", chart, "--namespace", releaseNamespace, "--kube-version", kubeVersion))).Name).
			To(Equal("amo-antrea-monitoring-operator"))
	})

	It("runs the operator with the chart's RBAC alone: leader election with its event, a reconcile, zero forbidden, and a lease released on stop", func() {
		release := readmeRelease()
		objs := decode(runHelm("template", release, chart, "--namespace", releaseNamespace, "--kube-version", kubeVersion))
		sa := deployment(objs).Spec.Template.Spec.ServiceAccountName
		for _, o := range objs {
			if _, hook := o.GetAnnotations()["helm.sh/hook"]; hook { // the hooks' own, not the operator's
				continue
			}
			switch o.GetKind() {
			case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
				Expect(k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("helm"), client.ForceOwnership)).To(Succeed(),
					"%s %s", o.GetKind(), o.GetName())
			}
		}
		Expect(sa).NotTo(BeEmpty())

		By("starting the operator as system:serviceaccount:" + releaseNamespace + ":" + sa)
		cfg := rest.CopyConfig(testEnv.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + releaseNamespace + ":" + sa,
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + releaseNamespace, "system:authenticated"}}
		forbidden := &forbiddenLog{}
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { forbidden.next = rt; return forbidden })
		mgr, _, err := manager.New(cfg, manager.Options{MetricsAddr: "0", ProbeAddr: "0", LeaderElect: true,
			LeaderElectionNamespace: releaseNamespace, AntreaNamespaces: []string{"kube-system"}})
		Expect(err).NotTo(HaveOccurred())
		mctx, stop := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(stopped)
			Expect(mgr.Start(mctx)).To(Succeed())
		}()
		Eventually(mgr.Elected(), 30*time.Second).Should(BeClosed())

		By("reconciling an AntreaMonitoring in mode Managed")
		am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "chart-rbac"}}
		am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeManaged
		am.Spec.HealthCheck.Enabled = ptr.To(false)
		am.Spec.Antrea.InsecureSkipVerify = true // no Antrea here publishes antrea-ca
		Expect(k8sClient.Create(ctx, am)).To(Succeed())
		Eventually(func(g Gomega) {
			var got monitoringv1alpha1.AntreaMonitoring
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(am), &got)).To(Succeed())
			c := meta.FindStatusCondition(got.Status.Conditions, monitoringv1alpha1.ConditionScrapeConfigured)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}, 30*time.Second, 100*time.Millisecond).Should(Succeed())

		By("recording the LeaderElection event in the release namespace")
		Eventually(func(g Gomega) {
			var events corev1.EventList
			g.Expect(k8sClient.List(ctx, &events, client.InNamespace(releaseNamespace))).To(Succeed())
			var reasons []string
			for _, e := range events.Items {
				reasons = append(reasons, e.Reason)
			}
			g.Expect(reasons).To(ContainElement("LeaderElection"))
		}, 30*time.Second, 200*time.Millisecond).Should(Succeed())
		Expect(forbidden.list()).To(BeEmpty(), "requests the chart's RBAC refused")

		By("stopping it: the leader releases its lease at once")
		Expect(k8sClient.Delete(ctx, am)).To(Succeed())
		Eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(am), am) }, 30*time.Second).ShouldNot(Succeed())
		stop()
		Eventually(stopped, 30*time.Second).Should(BeClosed())
		var lease coordinationv1.Lease
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: releaseNamespace, Name: "antrea-monitoring-operator.monitoring.antrea.io"}, &lease)).To(Succeed())
		Expect(ptr.Deref(lease.Spec.HolderIdentity, "")).To(BeEmpty(), "the stopped leader still holds the lease: the next replica waits it out")
		Expect(forbidden.list()).To(BeEmpty(), "requests the chart's RBAC refused")
	})
})
