//go:build envtest

package skew

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

// TestOperatorRefusesTooOldPrometheusOperator runs the operator's real
// manager against a real API server serving the CRDs of a prometheus-operator
// older than it supports (PROMETHEUS_OPERATOR_CRDS_OLD, generated from that
// release's pkg/apis by hack/tools.sh), where an AntreaMonitoring in mode
// PrometheusOperator asks for ScrapeConfig objects, whose spec.jobName that
// CRD lacks. ScrapeConfigured must turn False, PrometheusOperatorTooOld,
// naming the CRD, its release, the field and the minimum, and not one
// object of that AntreaMonitoring may be written:
//   - while the CRDs carry operator.prometheus.io/version, the operator
//     judges them from its table (render.TooOld) before rendering;
//   - once they carry none (as the CRDs prometheus-operator released up to
//     v0.68), the API server's "field not declared in schema" says it, and
//     the operator must hear it before it applies anything (a server-side
//     dry run), not half-way through.
//
// An AntreaMonitoring beside it with ServiceMonitor and PodMonitor, whose
// fields that release takes, is applied in both cases: the verdict is the
// field's, not the release's.
func TestOperatorRefusesTooOldPrometheusOperator(t *testing.T) {
	if err := fixtures.RequireEnv("make test-envtest", "KUBEBUILDER_ASSETS", "PROMETHEUS_OPERATOR_CRDS_OLD"); err != nil {
		t.Fatal(err)
	}
	g := newG(t)
	crds := os.Getenv("PROMETHEUS_OPERATOR_CRDS_OLD")
	w := startOperator(t, crds)
	ctx := context.Background()

	release := servedRelease(g, w.admin, render.ScrapeConfigCRD)
	t.Logf("prometheus-operator's CRDs of release %s (the oldest supported is %s)", release, render.MinimumPrometheusOperator)
	g.Expect(release).NotTo(BeEmpty(), "%s: the CRDs must carry %s", crds, promop.VersionAnnotation)
	g.Expect(version.MustParseGeneric(release).LessThan(version.MustParseGeneric(render.MinimumPrometheusOperator))).To(BeTrue(),
		"PROMETHEUS_OPERATOR_CRDS_OLD must be older than the oldest supported release")

	// Antrea, with the CA the controller job verifies TLS with, and a
	// Prometheus selecting every monitor, rule and ScrapeConfig of its namespace.
	g.Expect(fixtures.Antrea(ctx, w.admin, "kube-system", "antrea-config", fixtures.AgentConfOff, fixtures.ControllerConfOff)).To(Succeed())
	g.Expect(w.admin.Create(ctx, fixtures.Namespace("monitoring"))).To(Succeed())
	all := &metav1.LabelSelector{}
	prom := &promv1.Prometheus{ObjectMeta: metav1.ObjectMeta{Namespace: "monitoring", Name: "k8s"}}
	prom.Spec.ServiceAccountName = "prometheus-k8s"
	prom.Spec.ServiceMonitorSelector, prom.Spec.PodMonitorSelector, prom.Spec.RuleSelector, prom.Spec.ScrapeConfigSelector = all, all, all, all
	g.Expect(w.admin.Create(ctx, prom)).To(Succeed())

	promOperator := func(useScrapeConfig bool) *monitoringv1alpha1.AntreaMonitoring {
		return &monitoringv1alpha1.AntreaMonitoring{
			Spec: monitoringv1alpha1.AntreaMonitoringSpec{
				Antrea:      monitoringv1alpha1.AntreaSpec{Namespace: "kube-system"},
				HealthCheck: monitoringv1alpha1.HealthCheckSpec{Enabled: ptr.To(false)}, // no Prometheus runs here
				Prometheus: monitoringv1alpha1.PrometheusSpec{Mode: monitoringv1alpha1.ModePrometheusOperator,
					PrometheusOperator: &monitoringv1alpha1.PrometheusOperatorTarget{UseScrapeConfig: useScrapeConfig}},
			},
		}
	}
	old := promOperator(true)
	old.Name = "old"
	monitors := promOperator(false)
	monitors.Name = "monitors"
	g.Expect(w.admin.Create(ctx, old)).To(Succeed())
	g.Expect(w.admin.Create(ctx, monitors)).To(Succeed())

	// The monitors are applied and selected, in both cases.
	monitorsApplied := func() {
		t.Helper()
		g.Eventually(func(g Gomega) {
			c := condition(g, w.admin, "monitors", monitoringv1alpha1.ConditionScrapeConfigured)
			g.Expect(c.Reason).To(Equal(monitoringv1alpha1.ReasonScrapeApplied), c.Message)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(c.Message).To(Equal("The monitors in namespace monitoring are selected by the Prometheus monitoring/k8s."))
			g.Expect(ownedObjects(g, w.admin, "monitors")).To(ContainElements(
				"ServiceMonitor monitoring/monitors-controllers", "PodMonitor monitoring/monitors-agents", "PrometheusRule monitoring/monitors-antrea-rules"))
		}).Should(Succeed())
	}

	t.Run("CRDs that say their release: refused from the operator's table, nothing applied", func(t *testing.T) {
		g := newG(t)
		var msg string
		g.Eventually(func(g Gomega) {
			c := tooOld(g, w.admin, "old")
			msg = c.Message
			g.Expect(c.Message).To(Equal(fmt.Sprintf("prometheus-operator's CRDs are too old for what the operator writes: "+
				"CRD scrapeconfigs.monitoring.coreos.com is prometheus-operator %s, and ScrapeConfig spec.jobName needs 0.75.0 or later. "+
				"Upgrade prometheus-operator and its CRDs (the oldest supported is v0.75.0); nothing was applied.", release)))
		}).Should(Succeed())
		t.Logf("ScrapeConfigured False %s: %s", monitoringv1alpha1.ReasonPrometheusOperatorTooOld, msg)
		monitorsApplied()
		g.Expect(ownedObjects(g, w.admin, "old")).To(BeEmpty(), "objects of AntreaMonitoring old on the API server")
		g.Expect(w.writes.Of("old")).To(BeEmpty(), "writes the operator made to objects of AntreaMonitoring old")
	})

	t.Run("CRDs that do not say their release: refused by the API server before anything is applied", func(t *testing.T) {
		g := newG(t)
		// The same CRDs as prometheus-operator shipped them up to v0.68:
		// without the annotation, installed over the annotated ones.
		g.Expect(installWithoutRelease(t, w.cfg, crds)).To(Succeed())
		g.Expect(servedRelease(g, w.admin, render.ScrapeConfigCRD)).To(BeEmpty())
		var msg string
		g.Eventually(func(g Gomega) {
			c := tooOld(g, w.admin, "old")
			msg = c.Message
			g.Expect(c.Message).To(HavePrefix("The API server refused a field its prometheus-operator CRD lacks ("))
			g.Expect(c.Message).To(MatchRegexp(`\(trying ScrapeConfig monitoring/old-(controllers|agents) by a server-side dry run before applying anything: `), "the object refused, before anything was applied")
			g.Expect(c.Message).To(ContainSubstring(".spec.jobName: field not declared in schema"), "the field refused")
			g.Expect(c.Message).To(ContainSubstring("installed: " + strings.Join([]string{
				"podmonitors.monitoring.coreos.com (release not said)", "prometheusagents.monitoring.coreos.com (release not said)",
				"prometheuses.monitoring.coreos.com (release not said)", "prometheusrules.monitoring.coreos.com (release not said)",
				"scrapeconfigs.monitoring.coreos.com (release not said)", "servicemonitors.monitoring.coreos.com (release not said)"}, ", ")))
			g.Expect(c.Message).To(HaveSuffix("Upgrade prometheus-operator and its CRDs (the oldest supported is v0.75.0)."))
		}).Should(Succeed())
		t.Logf("ScrapeConfigured False %s: %s", monitoringv1alpha1.ReasonPrometheusOperatorTooOld, msg)
		monitorsApplied()
		g.Expect(ownedObjects(g, w.admin, "old")).To(BeEmpty(), "objects of AntreaMonitoring old on the API server")
		g.Expect(w.writes.Of("old")).To(BeEmpty(), "writes the operator made to objects of AntreaMonitoring old")
	})
}

// newG is Gomega for t, waiting up to a minute for the operator.
func newG(t *testing.T) *WithT {
	g := NewWithT(t)
	g.SetDefaultEventuallyTimeout(60 * time.Second)
	g.SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	return g
}

// operatorWorld is a kube-apiserver with the operator's manager running.
type operatorWorld struct {
	cfg    *rest.Config
	admin  client.Client // uncached: every assertion reads the API server
	writes *fixtures.WriteLog
}

const operatorUser = "system:serviceaccount:antrea-monitoring-system:antrea-monitoring-controller-manager"

// startOperator starts kube-apiserver and etcd with the operator's CRD and
// crds, and the operator's manager as its own ServiceAccount with exactly
// the generated ClusterRole (config/rbac/role.yaml), its writes recorded.
func startOperator(t *testing.T, crds string) *operatorWorld {
	t.Helper()
	root := filepath.Join("..", "..", "..")
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases"), crds}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	admin, err := client.New(cfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(raw, &role); err != nil {
		t.Fatal(err)
	}
	if err := admin.Create(ctx, &role); err != nil {
		t.Fatal(err)
	}
	if err := admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "antrea-monitoring-manager"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: operatorUser}},
	}); err != nil {
		t.Fatal(err)
	}
	logf.SetLogger(zap.New(zap.WriteTo(testWriter{t}), zap.UseDevMode(true)))
	operatorCfg := rest.CopyConfig(cfg)
	operatorCfg.Impersonate = rest.ImpersonationConfig{UserName: operatorUser}
	w := &operatorWorld{cfg: cfg, admin: admin, writes: fixtures.NewWriteLog()}
	mgr, _, err := manager.New(operatorCfg, manager.Options{MetricsAddr: "0", ProbeAddr: "0", AntreaNamespaces: []string{"kube-system"},
		WrapClient: func(c client.Client) client.Client { return &recordingClient{Client: c, log: w.writes} }})
	if err != nil {
		t.Fatal(err)
	}
	mctx, cancel := context.WithCancel(ctrl.LoggerInto(ctx, logf.Log))
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the operator's manager: %v", err)
		}
	})
	return w
}

// testWriter sends the operator's log to the test's, shown with -v or on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// servedRelease is the release the served CRD says (promop.VersionAnnotation).
func servedRelease(g Gomega, c client.Client, name string) string {
	var crd apiextensionsv1.CustomResourceDefinition
	g.Expect(c.Get(context.Background(), client.ObjectKey{Name: name}, &crd)).To(Succeed())
	return crd.Annotations[promop.VersionAnnotation]
}

// condition is the AntreaMonitoring's condition of type condType, computed
// for its current generation.
func condition(g Gomega, c client.Client, name, condType string) metav1.Condition {
	var am monitoringv1alpha1.AntreaMonitoring
	g.Expect(c.Get(context.Background(), client.ObjectKey{Name: name}, &am)).To(Succeed())
	cond := meta.FindStatusCondition(am.Status.Conditions, condType)
	g.Expect(cond).NotTo(BeNil(), "condition %s missing", condType)
	g.Expect(cond.ObservedGeneration).To(Equal(am.Generation))
	return *cond
}

// tooOld is ScrapeConfigured, which must be False, PrometheusOperatorTooOld.
func tooOld(g Gomega, c client.Client, name string) metav1.Condition {
	cond := condition(g, c, name, monitoringv1alpha1.ConditionScrapeConfigured)
	g.Expect(cond.Reason).To(Equal(monitoringv1alpha1.ReasonPrometheusOperatorTooOld), cond.Message)
	g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
	return cond
}

// ownedObjects lists, as "Kind namespace/name", the objects on the API
// server, of every kind the operator creates, that carry owner's label
// (this API server serves no grafana-operator CRD).
func ownedObjects(g Gomega, c client.Client, owner string) []string {
	var out []string
	for _, k := range render.Kinds {
		if k.CRD != "" && !k.PrometheusOperator {
			continue
		}
		list := k.NewList()
		g.Expect(c.List(context.Background(), list, client.MatchingLabels{render.OwnerLabel: owner})).To(Succeed(), k.GVK.Kind)
		items, err := meta.ExtractList(list)
		g.Expect(err).NotTo(HaveOccurred())
		for _, item := range items {
			o := item.(client.Object)
			out = append(out, k.GVK.Kind+" "+klog.KObj(o).String())
		}
	}
	sort.Strings(out)
	return out
}

// releaseLine is the annotation's line in a generated CRD's YAML.
var releaseLine = regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(promop.VersionAnnotation) + `: .*\n`)

// installWithoutRelease installs the CRDs of dir over the served ones,
// with the annotation that says their release deleted.
func installWithoutRelease(t *testing.T, cfg *rest.Config, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no CRDs in %s", dir)
	}
	out := t.TempDir()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if !releaseLine.Match(raw) {
			return fmt.Errorf("%s carries no %s", f, promop.VersionAnnotation)
		}
		if err := os.WriteFile(filepath.Join(out, filepath.Base(f)), releaseLine.ReplaceAll(raw, nil), 0o644); err != nil {
			return err
		}
	}
	_, err = envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{out}, ErrorIfPathMissing: true})
	return err
}

// recordingClient records the writes (not dry runs) the operator makes to
// the objects of each AntreaMonitoring (by its owner label).
type recordingClient struct {
	client.Client
	log *fixtures.WriteLog
}

func (c *recordingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	err := c.Client.Create(ctx, obj, opts...)
	o := &client.CreateOptions{}
	c.log.Record(err, o.ApplyOptions(opts).DryRun, obj.GetLabels(), "create "+fixtures.KindOf(obj), obj.GetNamespace(), obj.GetName())
	return err
}

func (c *recordingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	err := c.Client.Update(ctx, obj, opts...)
	o := &client.UpdateOptions{}
	c.log.Record(err, o.ApplyOptions(opts).DryRun, obj.GetLabels(), "update "+fixtures.KindOf(obj), obj.GetNamespace(), obj.GetName())
	return err
}

func (c *recordingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	err := c.Client.Patch(ctx, obj, patch, opts...)
	o := &client.PatchOptions{}
	c.log.Record(err, o.ApplyOptions(opts).DryRun, obj.GetLabels(), "patch "+fixtures.KindOf(obj), obj.GetNamespace(), obj.GetName())
	return err
}

func (c *recordingClient) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	err := c.Client.Apply(ctx, obj, opts...)
	o := &client.ApplyOptions{}
	o.ApplyOptions(opts)
	if u, ok := obj.(interface {
		GetKind() string
		GetNamespace() string
		GetName() string
		GetLabels() map[string]string
	}); ok {
		c.log.Record(err, o.DryRun, u.GetLabels(), "apply "+u.GetKind(), u.GetNamespace(), u.GetName())
	}
	return err
}
