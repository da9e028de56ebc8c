package crdcheck

import (
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
)

// The embedded CRD is the operator's, and matches itself.
func TestExpected(t *testing.T) {
	c, err := Expected()
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "antreamonitorings.monitoring.antrea.io" || schemaOf(c, "v1alpha1") == nil {
		t.Fatalf("embedded CRD %q without version v1alpha1", c.Name)
	}
	if m := Missing(c, c, "v1alpha1"); len(m) != 0 {
		t.Errorf("the CRD misses %v of itself", m)
	}
}

// An older CRD (fields removed, as a CRD from an earlier release lacks
// them) is missing exactly those, topmost only; an unknown-preserving
// object prunes nothing; a served CRD without the version misses it.
func TestMissing(t *testing.T) {
	want, err := Expected()
	if err != nil {
		t.Fatal(err)
	}
	old := want.DeepCopy()
	root := schemaOf(old, "v1alpha1")
	spec := root.Properties["spec"]
	prom := spec.Properties["prometheus"]
	delete(prom.Properties, "series") // an object with fields of its own
	po := prom.Properties["prometheusOperator"]
	delete(po.Properties, "prometheusAgent")
	prom.Properties["prometheusOperator"] = po
	spec.Properties["prometheus"] = prom
	root.Properties["spec"] = spec
	status := root.Properties["status"]
	delete(status.Properties, "prometheusKind")
	targets := status.Properties["targets"]
	delete(targets.Items.Schema.Properties, "lastScrape") // a field of array items
	status.Properties["targets"] = targets
	root.Properties["status"] = status

	got := Missing(old, want, "v1alpha1")
	wantMissing := []string{"spec.prometheus.prometheusOperator.prometheusAgent", "spec.prometheus.series", "status.prometheusKind", "status.targets[].lastScrape"}
	if !slices.Equal(got, wantMissing) {
		t.Errorf("Missing() = %v\nwant %v", got, wantMissing)
	}

	status.XPreserveUnknownFields = ptr.To(true)
	root.Properties["status"] = status
	if got := Missing(old, want, "v1alpha1"); slices.Contains(got, "status.prometheusKind") {
		t.Errorf("Missing() = %v: a status that keeps unknown fields prunes none", got)
	}
	other := want.DeepCopy()
	other.Spec.Versions = []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1alpha0"}}
	if got := Missing(other, want, "v1alpha1"); !slices.Equal(got, []string{"version v1alpha1"}) {
		t.Errorf("Missing() without the version = %v", got)
	}
}
