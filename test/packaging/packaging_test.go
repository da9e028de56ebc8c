//go:build packaging

// Package packaging checks how users install the operator: the Helm chart
// (helm lint, helm template with default and non-default values) and the
// kustomize overlay config/default, each rendered manifest applied with a
// server-side dry run to a real kube-apiserver, so the API server validates
// them (schemas, CRD validation, RBAC escalation checks).
package packaging

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

var (
	root      = filepath.Join("..", "..")
	chart     = filepath.Join(root, "charts", "antrea-monitoring-operator")
	testEnv   *envtest.Environment
	k8sClient client.Client
	helm      string
)

const (
	releaseNamespace = "antrea-monitoring"
	// kubeVersion is the control plane's, for helm template's capabilities.
	kubeVersion = "v1.37.2"
)

var kubeconfig string

func TestPackaging(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Helm chart and kustomize")
}

var _ = BeforeSuite(func() {
	if err := fixtures.RequireEnv("make test-packaging", "HELM", "PROMETHEUS_OPERATOR_CRDS", "KUBEBUILDER_ASSETS"); err != nil {
		Fail(err.Error())
	}
	helm = os.Getenv("HELM")
	crds := os.Getenv("PROMETHEUS_OPERATOR_CRDS")
	testEnv = &envtest.Environment{
		// The chart's own CRD copy, and prometheus-operator's for the optional ServiceMonitor.
		CRDDirectoryPaths:     []string{filepath.Join(chart, "crds"), crds},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: manager.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	admin, err := testEnv.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	Expect(err).NotTo(HaveOccurred())
	kc, err := admin.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	kubeconfig = filepath.Join(GinkgoT().TempDir(), "kubeconfig")
	Expect(os.WriteFile(kubeconfig, kc, 0o600)).To(Succeed())
	for _, ns := range []string{releaseNamespace, "antrea-monitoring-system"} {
		Expect(k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: objectMeta(ns)})).To(Succeed())
	}
})

var _ = AfterSuite(func() {
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// decode splits a multi-document YAML stream into objects.
func decode(manifests []byte) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifests), 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			Expect(err.Error()).To(Equal("EOF"))
			return out
		}
		if len(m) > 0 {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}

// dryRunApply server-side applies each object with dryRun=All: the API
// server validates it fully and persists nothing.
func dryRunApply(objs []*unstructured.Unstructured) {
	for _, o := range objs {
		err := k8sClient.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(o),
			client.FieldOwner("packaging-test"), client.ForceOwnership, client.DryRunAll)
		Expect(err).NotTo(HaveOccurred(), "%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
	}
}

func runHelm(args ...string) []byte {
	cmd := exec.Command(helm, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	Expect(err).NotTo(HaveOccurred(), "helm %s: %s", strings.Join(args, " "), stderr.String())
	return out
}

func find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func deployment(objs []*unstructured.Unstructured) *appsv1.Deployment {
	ds := find(objs, "Deployment")
	Expect(ds).To(HaveLen(1))
	var d appsv1.Deployment
	Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(ds[0].Object, &d)).To(Succeed())
	return &d
}

func expectHardened(d *appsv1.Deployment) {
	pod := d.Spec.Template.Spec
	Expect(*pod.SecurityContext.RunAsNonRoot).To(BeTrue())
	Expect(string(pod.SecurityContext.SeccompProfile.Type)).To(Equal("RuntimeDefault"))
	c := pod.Containers[0]
	Expect(*c.SecurityContext.ReadOnlyRootFilesystem).To(BeTrue())
	Expect(*c.SecurityContext.AllowPrivilegeEscalation).To(BeFalse())
	Expect(c.SecurityContext.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
	Expect(c.Args).To(ContainElement(HavePrefix("--leader-elect")))
	Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
	Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
	Expect(c.Resources.Requests).NotTo(BeEmpty())
}

var _ = Describe("The Helm chart", func() {
	It("passes helm lint, with default and non-default values", func() {
		runHelm("lint", chart, "--strict")
		runHelm("lint", chart, "--strict", "-f", filepath.Join("testdata", "values-custom.yaml"))
	})

	It("keeps its CRDs identical to config/crd/bases", func() {
		want, err := os.ReadFile(filepath.Join(root, "config", "crd", "bases", "monitoring.antrea.io_antreamonitorings.yaml"))
		Expect(err).NotTo(HaveOccurred())
		got, err := os.ReadFile(filepath.Join(chart, "crds", "monitoring.antrea.io_antreamonitorings.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(got)).To(Equal(string(want)), "run make chart-sync")
	})

	It("renders default values the API server accepts", func() {
		out := runHelm("template", "amo", chart, "--namespace", releaseNamespace, "--kube-version", kubeVersion)
		objs := decode(out)
		AddReportEntry("helm template (default values)", formatSize(out, len(objs)))
		Expect(find(objs, "ServiceMonitor")).To(BeEmpty())
		Expect(find(objs, "AntreaMonitoring")).To(BeEmpty())
		d := deployment(objs)
		expectHardened(d)
		Expect(*d.Spec.Replicas).To(Equal(int32(1)))
		Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal("antrea-monitoring-operator:0.1.0"))
		roles := find(objs, "ClusterRole")
		Expect(roles).To(HaveLen(2))
		hookRole := roles[slices.IndexFunc(roles, func(r *unstructured.Unstructured) bool { return strings.HasSuffix(r.GetName(), "-crds") })]
		Expect(hookRole.Object["rules"]).To(Equal([]any{map[string]any{"apiGroups": []any{"apiextensions.k8s.io"}, "resources": []any{"customresourcedefinitions"},
			"resourceNames": []any{"antreamonitorings.monitoring.antrea.io"}, "verbs": []any{"get", "patch"}}}), "the CRD hook may get and patch that one CRD only")
		roles = slices.DeleteFunc(roles, func(r *unstructured.Unstructured) bool { return r == hookRole })
		generated, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(roles[0].Object["rules"]).To(Equal(decode(generated)[0].Object["rules"]), "the chart's rules are the generated ones")
		dryRunApply(objs)
	})

	It("renders non-default values the API server accepts", func() {
		out := runHelm("template", "amo", chart, "--namespace", releaseNamespace, "--kube-version", kubeVersion, "-f", filepath.Join("testdata", "values-custom.yaml"))
		objs := decode(out)
		AddReportEntry("helm template (non-default values)", formatSize(out, len(objs)))
		d := deployment(objs)
		expectHardened(d)
		Expect(*d.Spec.Replicas).To(Equal(int32(2)))
		c := d.Spec.Template.Spec.Containers[0]
		Expect(c.Image).To(Equal("registry.example.com/antrea-monitoring-operator:v9.9.9"))
		Expect(c.Args).To(ContainElements("--zap-log-level=debug", "--antrea-namespaces=kube-system,antrea"))
		Expect(d.Spec.Template.Spec.NodeSelector).To(HaveKeyWithValue("kubernetes.io/os", "linux"))
		Expect(d.Spec.Template.Spec.Tolerations).To(HaveLen(1))
		sm := find(objs, "ServiceMonitor")
		Expect(sm).To(HaveLen(1))
		Expect(sm[0].GetLabels()).To(HaveKeyWithValue("release", "kube-prometheus-stack"))
		rule := find(objs, "PrometheusRule")
		Expect(rule).To(HaveLen(1))
		Expect(rule[0].GetLabels()).To(HaveKeyWithValue("release", "kube-prometheus-stack"))
		groups, _, err := unstructured.NestedSlice(rule[0].Object, "spec", "groups")
		Expect(err).NotTo(HaveOccurred())
		Expect(groups).To(ConsistOf(And(HaveKeyWithValue("name", "antrea-monitoring-operator"),
			HaveKeyWithValue("rules", ContainElement(HaveKeyWithValue("alert", "AntreaMonitoringNotReady"))))), "its own group, from files/operator-rules.yaml")
		pdb := find(objs, "PodDisruptionBudget")
		Expect(pdb).To(HaveLen(1))
		selector, _, err := unstructured.NestedStringMap(pdb[0].Object, "spec", "selector", "matchLabels")
		Expect(err).NotTo(HaveOccurred())
		Expect(selector).To(Equal(d.Spec.Selector.MatchLabels), "the budget covers the operator's pods")
		Expect(pdb[0].Object["spec"]).To(HaveKeyWithValue("maxUnavailable", BeNumerically("==", 1)))
		am := find(objs, "AntreaMonitoring")
		Expect(am).To(HaveLen(1))
		retention, found, err := unstructured.NestedString(am[0].Object, "spec", "prometheus", "managed", "retention")
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeTrue())
		Expect(retention).To(Equal("7d"))
		// helm uninstall deletes it, with the operator still running, first.
		jobs := find(objs, "Job")
		Expect(jobs).To(HaveLen(2))
		crdsHook := jobs[slices.IndexFunc(jobs, func(j *unstructured.Unstructured) bool { return strings.HasSuffix(j.GetName(), "-crds") })]
		Expect(crdsHook.GetAnnotations()).To(HaveKeyWithValue("helm.sh/hook", "pre-install,pre-upgrade"), "Helm never upgrades crds/: the hook applies the CRD")
		crdsArgs, _, err := unstructured.NestedSlice(crdsHook.Object, "spec", "template", "spec", "containers")
		Expect(err).NotTo(HaveOccurred())
		Expect(crdsArgs[0]).To(HaveKeyWithValue("args", ConsistOf("crds")))
		hook := jobs[slices.IndexFunc(jobs, func(j *unstructured.Unstructured) bool { return strings.HasSuffix(j.GetName(), "-uninstall") })]
		Expect(hook.GetAnnotations()).To(HaveKeyWithValue("helm.sh/hook", "pre-delete"))
		args, _, err := unstructured.NestedSlice(hook.Object, "spec", "template", "spec", "containers")
		Expect(err).NotTo(HaveOccurred())
		Expect(args[0]).To(HaveKeyWithValue("args", ContainElements("uninstall", "--antreamonitoring="+am[0].GetName())))
		Expect(args[0]).To(HaveKeyWithValue("image", c.Image))
		dryRunApply(objs)
	})

	It("refuses a PodDisruptionBudget with one replica, naming the values to set", func() {
		cmd := exec.Command(helm, "template", "amo", chart, "--namespace", releaseNamespace, "--kube-version", kubeVersion,
			"--set", "podDisruptionBudget.enabled=true")
		out, err := cmd.CombinedOutput()
		Expect(err).To(HaveOccurred(), "helm rendered a budget that blocks every drain:\n%s", out)
		Expect(string(out)).To(ContainSubstring("podDisruptionBudget.enabled needs replicas of 2 or more (replicas is 1)"))
		Expect(find(decode(runHelm("template", "amo", chart, "--namespace", releaseNamespace, "--kube-version", kubeVersion)), "PodDisruptionBudget")).To(BeEmpty(), "off by default")
	})

	It("tells the user what to apply next", func() {
		// helm template does not render NOTES.txt; an install dry run does.
		out := string(runHelm("install", "amo", chart, "--namespace", releaseNamespace, "--kubeconfig", kubeconfig, "--dry-run=server"))
		Expect(out).To(ContainSubstring("Next, apply an AntreaMonitoring for your Prometheus setup"))
		Expect(out).To(ContainSubstring("kubectl get antreamonitoring"))
	})
})

var _ = Describe("config/default (kustomize)", func() {
	It("builds, and the API server accepts every object", func() {
		k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		res, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(root, "config", "default"))
		Expect(err).NotTo(HaveOccurred())
		out, err := res.AsYaml()
		Expect(err).NotTo(HaveOccurred())
		objs := decode(out)
		AddReportEntry("kustomize build config/default", formatSize(out, len(objs)))
		expectHardened(deployment(objs))
		for _, o := range objs {
			if o.GetNamespace() != "" {
				Expect(o.GetNamespace()).To(Equal("antrea-monitoring-system"), "%s %s", o.GetKind(), o.GetName())
			}
		}
		Expect(find(objs, "CustomResourceDefinition")).To(HaveLen(1))
		dryRunApply(objs)
	})
})
