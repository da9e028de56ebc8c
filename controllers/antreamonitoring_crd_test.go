package controllers

import (
	"context"
	"errors"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
)

// A prometheus-operator CRD being deleted (Terminating: the API server
// refuses to create its objects) is absent: mode Auto does not pick
// PrometheusOperator for it, and no watch or monitor is attempted.
func TestTerminatingCRDIsAbsent(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	crd := func(name string, terminating bool) *apiextensionsv1.CustomResourceDefinition {
		c := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{promop.VersionAnnotation: "0.93.1"}},
			Status: apiextensionsv1.CustomResourceDefinitionStatus{Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{
				{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue}}}}
		if terminating {
			now := metav1.Now()
			c.DeletionTimestamp = &now
			c.Finalizers = []string{"customresourcecleanup.apiextensions.k8s.io"}
			c.Status.Conditions = append(c.Status.Conditions, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating, Status: apiextensionsv1.ConditionTrue})
		}
		return c
	}
	r := &AntreaMonitoringReconciler{Client: fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(crd(PrometheusCRD, true), crd("servicemonitors.monitoring.coreos.com", false)).Build()}
	established, versions, err := r.crdStates(context.Background(), PrometheusCRD, "servicemonitors.monitoring.coreos.com")
	if err != nil {
		t.Fatal(err)
	}
	if established[PrometheusCRD] || versions[PrometheusCRD] != "" || !established["servicemonitors.monitoring.coreos.com"] {
		t.Errorf("crdStates() = %v, %v; want the Terminating CRD absent, the other established", established, versions)
	}
	po, err := r.gatherPromOperator(context.Background())
	if err != nil || po.Served {
		t.Fatalf("gatherPromOperator() = %+v, %v; want prometheus-operator not served", po, err)
	}
	am := &monitoringv1alpha1.AntreaMonitoring{}
	am.Spec.Prometheus.Mode = monitoringv1alpha1.ModeAuto
	mode, c := resolveMode(am, &observed.Cluster{PrometheusOperator: po})
	if mode != monitoringv1alpha1.ModeManaged || c.Message != "Mode Auto chose Managed: prometheus-operator's CRDs are not installed." {
		t.Errorf("resolveMode() = %s, %q; want Managed, the CRDs not installed", mode, c.Message)
	}
}

// The API server refusing a field its prometheus-operator CRD lacks is
// ScrapeConfigured False PrometheusOperatorTooOld, naming the releases
// installed; other errors are not.
func TestTooOldCondition(t *testing.T) {
	refused := errors.New(`applying ServiceMonitor monitoring/antrea-controllers: failed to create typed patch object: .spec.endpoints[0].authorization: field not declared in schema`)
	c, ok := tooOldCondition(refused, map[string]string{"servicemonitors.monitoring.coreos.com": "0.45.0", "podmonitors.monitoring.coreos.com": ""})
	if !ok || c.Status != metav1.ConditionFalse || c.Reason != monitoringv1alpha1.ReasonPrometheusOperatorTooOld ||
		!strings.Contains(c.Message, "installed: podmonitors.monitoring.coreos.com (release not said), servicemonitors.monitoring.coreos.com 0.45.0") ||
		!strings.Contains(c.Message, "authorization: field not declared in schema") || !strings.Contains(c.Message, "oldest supported is v0.75.0") {
		t.Errorf("tooOldCondition() = %+v, %v", c, ok)
	}
	if _, ok := tooOldCondition(errors.New("connection refused"), nil); ok {
		t.Error("another error was taken for an old CRD")
	}
}
