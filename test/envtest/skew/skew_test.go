//go:build envtest

// Package skew applies the objects the operator renders for
// prometheus-operator to a real API server serving the CRDs of the oldest
// prometheus-operator it supports (PROMETHEUS_OPERATOR_CRDS_MIN, generated
// from that release's pkg/apis by hack/tools.sh): every one must be
// accepted as rendered. And it runs the operator against the CRDs of an
// older release (PROMETHEUS_OPERATOR_CRDS_OLD), which it must refuse
// without applying anything (tooold_test.go).
package skew

import (
	"context"
	"os"
	"testing"

	// The envtest tier runs with -ginkgo.v: its flags must be known here too.
	_ "github.com/onsi/ginkgo/v2"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

func TestOldestPrometheusOperatorAcceptsTheRender(t *testing.T) {
	if err := fixtures.RequireEnv("make test-envtest", "KUBEBUILDER_ASSETS", "PROMETHEUS_OPERATOR_CRDS_MIN"); err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{os.Getenv("PROMETHEUS_OPERATOR_CRDS_MIN")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var sm apiextensionsv1.CustomResourceDefinition
	if err := c.Get(ctx, client.ObjectKey{Name: "servicemonitors.monitoring.coreos.com"}, &sm); err != nil {
		t.Fatal(err)
	}
	version := sm.Annotations[promop.VersionAnnotation]
	t.Logf("prometheus-operator's CRDs of release %s", version)
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}}); err != nil {
		t.Fatal(err)
	}
	owner := render.Owner{APIVersion: monitoringv1alpha1.GroupVersion.String(), Kind: "AntreaMonitoring", Name: "antrea", UID: "6d1f4a52-0000-4000-8000-000000000001"}
	series := render.SeriesFor(monitoringv1alpha1.SeriesSpec{SampleLimit: 5000})
	for _, tc := range []struct {
		name            string
		useScrapeConfig bool
	}{{"ServiceMonitor and PodMonitor", false}, {"ScrapeConfig objects", true}} {
		t.Run(tc.name, func(t *testing.T) {
			in := render.Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "30s", Mode: monitoringv1alpha1.ModePrometheusOperator,
				Alerts: true, InsecureSkipVerify: true, Series: series,
				PrometheusOperator: render.PrometheusOperatorInput{Namespace: "monitoring", UseScrapeConfig: tc.useScrapeConfig,
					Labels: map[string]string{"release": "kube-prometheus-stack"}, Prometheus: promop.Ref{Kind: promop.PrometheusKind, Namespace: "monitoring", Name: "k8s"},
					PrometheusServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "prometheus-k8s"},
					// What the operator decides from the CRD's release.
					EndpointSlice: promop.EndpointSliceDiscovery(version)}}
			r, err := render.Render(in)
			if err != nil {
				t.Fatal(err)
			}
			applied := 0
			for _, o := range r.Objects {
				if o.GetObjectKind().GroupVersionKind().Group != "monitoring.coreos.com" {
					continue
				}
				m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
				if err != nil {
					t.Fatal(err)
				}
				u := &unstructured.Unstructured{Object: m}
				if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("skew"), client.DryRunAll, client.ForceOwnership); err != nil {
					t.Errorf("prometheus-operator %s refuses %s %s/%s as rendered: %v", version, o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), err)
					continue
				}
				applied++
			}
			if applied < 3 {
				t.Errorf("%d prometheus-operator objects applied, want the monitors (or ScrapeConfig objects) and the rule", applied)
			}
		})
	}
}
