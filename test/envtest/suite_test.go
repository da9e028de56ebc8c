//go:build envtest

// Package envtest runs the operator's real manager against a real
// kube-apiserver and etcd (controller-runtime's envtest), and asserts on live
// objects through an uncached client.
package envtest

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/controllers"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

// The Antrea namespaces the operator is started to watch; each scenario
// uses its own, so scenarios do not see each other's Antrea.
var watched = []string{"kube-system", "antrea-rotate", "antrea-enable", "antrea-missing", "antrea-hashed", "antrea-invalid",
	"antrea-default", "antrea-revert", "antrea-multi", "antrea-unmanaged", "antrea-norestart", "antrea-windows", "antrea-conflict", "antrea-upgrade", "antrea-version", "antrea-probe"}

var objectWrites = fixtures.NewWriteLog()

var (
	cfg        *rest.Config
	k8sClient  client.Client // uncached: every assertion reads the API server
	testEnv    *envtest.Environment
	reconciler *controllers.AntreaMonitoringReconciler
	mgrCache   cache.Cache
	writes     atomic.Int64 // writes the reconciler made through its client
	cancel     context.CancelFunc
	kcm        *fixtures.ControllerManager
)

func TestEnvtest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Operator envtest suite")
}

var _ = BeforeSuite(func() {
	if err := fixtures.RequireEnv("make test-envtest", "KUBEBUILDER_ASSETS", "KUBE_CONTROLLER_MANAGER", "PROMETHEUS_OPERATOR_CRDS"); err != nil {
		Fail(err.Error())
	}
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred(), "starting kube-apiserver and etcd (KUBEBUILDER_ASSETS, set by 'make test-envtest')")

	// Prove this is the real control plane the Makefile built.
	version, err := discovery.NewDiscoveryClientForConfigOrDie(cfg).ServerVersion()
	Expect(err).NotTo(HaveOccurred())
	Expect(version.GitVersion).To(Equal("v1.37.2"))
	GinkgoWriter.Printf("envtest: real kube-apiserver %s at %s\n", version.GitVersion, cfg.Host)
	AddReportEntry("kube-apiserver", version.GitVersion+" at "+cfg.Host)

	k8sClient, err = client.New(cfg, client.Options{Scheme: manager.Scheme()})
	Expect(err).NotTo(HaveOccurred())

	// The controllers envtest lacks: a real garbage collector, ServiceAccount
	// token controller and namespace controller (kube-controller-manager).
	kcm, err = fixtures.StartControllerManager(context.Background(), testEnv, k8sClient)
	Expect(err).NotTo(HaveOccurred(), "starting kube-controller-manager (KUBE_CONTROLLER_MANAGER, set by 'make test-envtest')")
	AddReportEntry("kube-controller-manager", strings.Join(fixtures.ControllerManagerControllers, ","))
	for _, ns := range watched[1:] {
		Expect(k8sClient.Create(context.Background(), fixtures.Namespace(ns))).To(Succeed())
	}
	// Specs that install no Antrea of their own use kube-system, where an
	// antrea-controller has published its CA (the controller job verifies
	// TLS with it).
	Expect(k8sClient.Create(context.Background(), fixtures.CAConfigMapWith("kube-system", staticCA()))).To(Succeed())

	// The operator runs as its own ServiceAccount, with exactly the
	// ClusterRole generated into config/rbac/role.yaml: a missing permission,
	// or a grant the API server sees as escalation, fails the suite.
	Expect(installOperatorRBAC(context.Background())).To(Succeed())
	operatorCfg := rest.CopyConfig(cfg)
	operatorCfg.Impersonate = rest.ImpersonationConfig{UserName: operatorUser}
	operatorCfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &countingTransport{next: rt} })

	mgr, r, err := manager.New(operatorCfg, manager.Options{
		MetricsAddr: "0", ProbeAddr: "0", LeaderElect: false,
		AntreaNamespaces: watched,
		WrapClient:       func(c client.Client) client.Client { return &countingClient{Client: c, writes: &writes} },
	})
	Expect(err).NotTo(HaveOccurred())
	reconciler = r
	mgrCache = mgr.GetCache()
	var ctx context.Context
	ctx, cancel = context.WithCancel(ctrl.SetupSignalHandler())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	kcm.Stop()
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

const operatorUser = "system:serviceaccount:antrea-monitoring-system:antrea-monitoring-controller-manager"

// installOperatorRBAC creates the generated manager-role and binds it to the
// operator's ServiceAccount user.
func installOperatorRBAC(ctx context.Context) error {
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "role.yaml"))
	if err != nil {
		return err
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(raw, &role); err != nil {
		return err
	}
	if err := k8sClient.Create(ctx, &role); err != nil {
		return err
	}
	return k8sClient.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "antrea-monitoring-manager"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: operatorUser}},
	})
}

// countingClient counts every write the reconciler makes, and lets a spec
// run something just before the reconciler's next Update (beforeUpdate).
type countingClient struct {
	client.Client
	writes *atomic.Int64
}

// beforeUpdate, when set, runs once before the reconciler's next Update.
var beforeUpdate atomic.Pointer[func(client.Object)]

func (c *countingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	c.writes.Add(1)
	err := c.Client.Create(ctx, obj, opts...)
	objectWrites.Record(err, nil, obj.GetLabels(), fixtures.KindOf(obj), obj.GetNamespace(), obj.GetName())
	return err
}

func (c *countingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	c.writes.Add(1)
	if hook := beforeUpdate.Swap(nil); hook != nil {
		(*hook)(obj)
	}
	return c.Client.Update(ctx, obj, opts...)
}

func (c *countingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	c.writes.Add(1)
	err := c.Client.Patch(ctx, obj, patch, opts...)
	objectWrites.Record(err, nil, obj.GetLabels(), fixtures.KindOf(obj), obj.GetNamespace(), obj.GetName())
	return err
}

func (c *countingClient) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	c.writes.Add(1)
	err := c.Client.Apply(ctx, obj, opts...)
	if u, ok := obj.(interface {
		GetKind() string
		GetNamespace() string
		GetName() string
		GetLabels() map[string]string
	}); ok {
		objectWrites.Record(err, nil, u.GetLabels(), u.GetKind(), u.GetNamespace(), u.GetName())
	}
	return err
}

func (c *countingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.writes.Add(1)
	return c.Client.Delete(ctx, obj, opts...)
}

func (c *countingClient) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	c.writes.Add(1)
	return c.Client.DeleteAllOf(ctx, obj, opts...)
}

func (c *countingClient) Status() client.SubResourceWriter {
	return &countingStatus{SubResourceWriter: c.Client.Status(), writes: c.writes}
}

type countingStatus struct {
	client.SubResourceWriter
	writes *atomic.Int64
}

func (s *countingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	s.writes.Add(1)
	return s.SubResourceWriter.Update(ctx, obj, opts...)
}

func (s *countingStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	s.writes.Add(1)
	return s.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

func (s *countingStatus) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
	s.writes.Add(1)
	return s.SubResourceWriter.Apply(ctx, obj, opts...)
}

// countKey marks the context of the requests a spec wants counted.
type countKey struct{}

type requestCounts struct{ reads, writes atomic.Int64 }

// countRequests returns a context whose API requests (made by the
// operator's clients) are counted, and a function returning the counts.
func countRequests(ctx context.Context) (context.Context, func() (reads, writes int64)) {
	c := &requestCounts{}
	return context.WithValue(ctx, countKey{}, c), func() (int64, int64) { return c.reads.Load(), c.writes.Load() }
}

// countingTransport counts the operator's API requests made with a
// context from countRequests: a read here is one that bypassed the cache.
type countingTransport struct{ next http.RoundTripper }

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if c, ok := req.Context().Value(countKey{}).(*requestCounts); ok {
		if req.Method == http.MethodGet {
			c.reads.Add(1)
		} else {
			c.writes.Add(1)
		}
	}
	return t.next.RoundTrip(req)
}

// reconcileTotal is how many reconciles the operator's controller ran.
func reconcileTotal() float64 {
	families, err := crmetrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	var n float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == "antreamonitoring" {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}
