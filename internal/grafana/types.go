// Package grafana holds the part of grafana-operator's API the operator
// writes: a GrafanaDashboard (grafana.integreatly.org/v1beta1) holding the
// dashboard's JSON, for the Grafana instances its selector picks. Only the
// fields the operator sets are declared; the CRD is grafana-operator's.
//
// +kubebuilder:object:generate=true
// +kubebuilder:skip
package grafana

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SchemeGroupVersion is grafana-operator's API group and version.
var SchemeGroupVersion = schema.GroupVersion{Group: "grafana.integreatly.org", Version: "v1beta1"}

// DashboardCRD is the GrafanaDashboard CRD's name.
const DashboardCRD = "grafanadashboards.grafana.integreatly.org"

// AddToScheme adds GrafanaDashboard to a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion, &GrafanaDashboard{}, &GrafanaDashboardList{})
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}

// GrafanaDashboard is a dashboard grafana-operator imports into the
// Grafana instances its instanceSelector matches.
//
// +kubebuilder:object:root=true
type GrafanaDashboard struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GrafanaDashboardSpec   `json:"spec"`
	Status GrafanaDashboardStatus `json:"status,omitempty"`
}

// GrafanaDashboardSpec is the part of the spec the operator sets.
type GrafanaDashboardSpec struct {
	// InstanceSelector selects the Grafana objects that import the
	// dashboard (immutable in grafana-operator's CRD).
	InstanceSelector *metav1.LabelSelector `json:"instanceSelector"`
	// AllowCrossNamespaceImport lets Grafana objects of other namespaces
	// import it.
	AllowCrossNamespaceImport *bool `json:"allowCrossNamespaceImport,omitempty"`
	// Folder is the title of the Grafana folder it goes to.
	Folder string `json:"folder,omitempty"`
	// JSON is the dashboard's model.
	JSON string `json:"json,omitempty"`
}

// GrafanaDashboardStatus is the part of grafana-operator's status the
// operator reads.
type GrafanaDashboardStatus struct {
	// NoMatchingInstances: no Grafana object matches instanceSelector.
	NoMatchingInstances bool `json:"NoMatchingInstances,omitempty"`
	// Conditions are grafana-operator's conditions (v5.16 and later).
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// GrafanaDashboardList is a list of GrafanaDashboard objects.
//
// +kubebuilder:object:root=true
type GrafanaDashboardList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GrafanaDashboard `json:"items"`
}

var _ runtime.Object = &GrafanaDashboard{}
