package promop

import (
	"k8s.io/apimachinery/pkg/util/version"
)

// VersionAnnotation is the annotation on every CRD prometheus-operator
// ships that names its release (for example 0.93.1).
const VersionAnnotation = "operator.prometheus.io/version"

// endpointSliceSince is the first prometheus-operator release whose
// ServiceMonitor takes spec.serviceDiscoveryRole (v0.86.0, #7982): before
// it, server-side apply of the field fails ("field not declared in schema").
var endpointSliceSince = version.MustParseSemantic("0.86.0")

// EndpointSliceDiscovery says whether the controllers job may discover with
// role EndpointSlice, given the version annotation of the CRD that carries
// it. An unknown version (no annotation, or one that does not parse) says
// no: the job then discovers with Endpoints, which every version takes.
func EndpointSliceDiscovery(crdVersion string) bool {
	v, err := version.ParseGeneric(crdVersion)
	return err == nil && v.AtLeast(endpointSliceSince)
}
