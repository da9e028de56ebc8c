// Package v1alpha1 contains the AntreaMonitoring API, group monitoring.antrea.io.
// +kubebuilder:object:generate=true
// +groupName=monitoring.antrea.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is group version used to register these objects.
	GroupVersion = schema.GroupVersion{Group: "monitoring.antrea.io", Version: "v1alpha1"}

	// SchemeBuilder registers the API's types.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types in this group-version to the given scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &AntreaMonitoring{}, &AntreaMonitoringList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}

// CRDName is the name of the AntreaMonitoring CRD.
const CRDName = "antreamonitorings.monitoring.antrea.io"
