package controllers

import (
	"context"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/crdcheck"
)

// crdPhase compares the AntreaMonitoring CRD the API server serves with
// the one the operator was built with (crdcheck). Its condition,
// CRDUpToDate, is informational; none while the served CRD is unknown.
func (r *AntreaMonitoringReconciler) crdPhase(_ context.Context, s *scope) result {
	if s.crdErr != nil {
		return result{err: s.crdErr}
	}
	if s.crd == nil {
		return result{}
	}
	missing, err := r.crdCheck.missing(s.crd)
	if err != nil {
		return result{err: err}
	}
	return result{conditions: []metav1.Condition{crdUpToDate(missing)}}
}

// crdCheck remembers the last comparison, by the served CRD's
// resourceVersion: the schema is walked once per CRD change.
type crdCheck struct {
	mu       sync.Mutex
	version  string
	lacks    []string
	expected *apiextensionsv1.CustomResourceDefinition
}

func (c *crdCheck) missing(served *apiextensionsv1.CustomResourceDefinition) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expected == nil {
		e, err := crdcheck.Expected()
		if err != nil {
			return nil, err
		}
		c.expected = e
	}
	if served.ResourceVersion == "" || served.ResourceVersion != c.version {
		c.version, c.lacks = served.ResourceVersion, crdcheck.Missing(served, c.expected, monitoringv1alpha1.GroupVersion.Version)
	}
	return c.lacks, nil
}
