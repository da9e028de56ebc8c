// Package crdcheck says which fields of the CRD the operator was built
// with the CRD the API server serves lacks: the API server prunes such a
// field, silently, from what users write (spec) and from what the operator
// writes (status). Helm installs a chart's crds/ once and never upgrades
// them, which is how a cluster ends up serving an older CRD.
package crdcheck

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/config/crd"
)

// Expected is the AntreaMonitoring CRD the operator was built with.
func Expected() (*apiextensionsv1.CustomResourceDefinition, error) {
	var c apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(crd.AntreaMonitorings, &c); err != nil {
		return nil, fmt.Errorf("decoding the embedded CRD: %w", err)
	}
	return &c, nil
}

// Missing lists the fields of version of want that served lacks, each
// as its path (spec.prometheus.series, status.targets[].lastScrape), the
// topmost only (a missing object's own fields are not listed), sorted. A
// served version that does not exist at all is reported as that version.
func Missing(served, want *apiextensionsv1.CustomResourceDefinition, version string) []string {
	w := schemaOf(want, version)
	if w == nil {
		return nil
	}
	s := schemaOf(served, version)
	if s == nil {
		return []string{"version " + version}
	}
	var out []string
	missing("", w, s, &out)
	sort.Strings(out)
	return out
}

func schemaOf(c *apiextensionsv1.CustomResourceDefinition, version string) *apiextensionsv1.JSONSchemaProps {
	if c == nil {
		return nil
	}
	i := slices.IndexFunc(c.Spec.Versions, func(v apiextensionsv1.CustomResourceDefinitionVersion) bool { return v.Name == version })
	if i < 0 || c.Spec.Versions[i].Schema == nil {
		return nil
	}
	return c.Spec.Versions[i].Schema.OpenAPIV3Schema
}

// missing walks want's properties (and array items) against served's. A
// served object that keeps unknown fields prunes nothing below it.
func missing(path string, want, served *apiextensionsv1.JSONSchemaProps, out *[]string) {
	if served.XPreserveUnknownFields != nil && *served.XPreserveUnknownFields {
		return
	}
	if want.Items != nil && want.Items.Schema != nil {
		if served.Items == nil || served.Items.Schema == nil {
			*out = append(*out, path+"[]")
			return
		}
		missing(path+"[]", want.Items.Schema, served.Items.Schema, out)
	}
	if want.AdditionalProperties != nil && want.AdditionalProperties.Schema != nil && served.AdditionalProperties != nil && served.AdditionalProperties.Schema != nil {
		missing(path+"{}", want.AdditionalProperties.Schema, served.AdditionalProperties.Schema, out)
	}
	for name, w := range want.Properties {
		p := strings.TrimPrefix(path+"."+name, ".")
		s, ok := served.Properties[name]
		if !ok {
			*out = append(*out, p)
			continue
		}
		missing(p, &w, &s, out)
	}
}

// ApplyFieldOwner is the field manager of Apply's writes.
const ApplyFieldOwner = "antrea-monitoring-operator-crds"

// Apply makes the API server serve the CRD the operator was built with:
// a server-side apply of it, taking over the fields Helm's first install
// (crds/) created, then a wait until it is established with that
// generation. The chart's crds hook runs it (manager crds) on every
// helm install and upgrade, since Helm never upgrades crds/.
func Apply(ctx context.Context, c client.Client, interval time.Duration, logf func(string, ...any)) error {
	want, err := Expected()
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(crd.AntreaMonitorings, &u.Object); err != nil {
		return fmt.Errorf("decoding the embedded CRD: %w", err)
	}
	u.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(ApplyFieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying CRD %s: %w", want.Name, err)
	}
	logf("Applied CRD %s; waiting until the API server serves it, established, with every field", want.Name)
	var missing []string
	err = wait.PollUntilContextTimeout(ctx, interval, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		var got apiextensionsv1.CustomResourceDefinition
		if err := c.Get(ctx, client.ObjectKey{Name: want.Name}, &got); err != nil {
			return false, err
		}
		missing = Missing(&got, want, want.Spec.Versions[0].Name)
		return apihelpers.IsCRDConditionTrue(&got, apiextensionsv1.Established) && len(missing) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("CRD %s applied, but not served established with every field (still missing %v): %w", want.Name, missing, err)
	}
	logf("CRD %s is established with every field", want.Name)
	return nil
}
