package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/promop"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/watch"
)

// otherScraper is a kind of collector, besides Prometheus, that may already
// scrape the cluster: mode Auto deploys no second scraper next to one.
type otherScraper struct {
	crd string
	gvk schema.GroupVersionKind
}

// otherScrapers are the collectors of other projects than
// prometheus-operator: VictoriaMetrics' VMAgent, read as unstructured
// objects (the operator reads only their names). prometheus-operator's
// PrometheusAgent objects are read with its Prometheus objects
// (gatherPromOperator).
var otherScrapers = []otherScraper{
	{crd: "vmagents.operator.victoriametrics.com", gvk: schema.GroupVersionKind{Group: "operator.victoriametrics.com", Version: "v1beta1", Kind: "VMAgent"}},
}

// VictoriaMetricsCRDGroup is the API group of VictoriaMetrics' operator.
const VictoriaMetricsCRDGroup = "operator.victoriametrics.com"

// gatherScrapers lists the collectors that are not a Prometheus: the
// PrometheusAgent objects gathered with prometheus-operator's state, then
// the other projects' objects, from the cache of Prometheus objects, once
// their CRDs are established (starting the watches that wake every
// AntreaMonitoring when one comes or goes).
func (r *AntreaMonitoringReconciler) gatherScrapers(ctx context.Context, po observed.PrometheusOperator) ([]observed.Scraper, error) {
	var out []observed.Scraper
	for _, a := range po.Agents {
		out = append(out, observed.Scraper{Kind: promop.PrometheusAgentKind, Namespace: a.Namespace, Name: a.Name})
	}
	names := make([]string, len(otherScrapers))
	for i, k := range otherScrapers {
		names[i] = k.crd
	}
	established, _, err := r.crdStates(ctx, names...)
	if err != nil {
		return nil, err
	}
	for _, k := range otherScrapers {
		if !established[k.crd] {
			continue
		}
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(k.gvk)
		w := watch.Watch{CRD: k.crd, Object: obj, Cache: prometheusCache, CacheOptions: r.PrometheusCache, Handler: handler.EnqueueRequestsFromMapFunc(r.enqueueAll)}
		if err := r.tracker.Ensure(ctx, func(string) bool { return true }, w); err != nil {
			return nil, err
		}
		c := r.tracker.Cache(prometheusCache)
		if c == nil { // not set up with a manager (unit tests)
			continue
		}
		if err := waitSynced(ctx, c, k.gvk.Kind+" objects"); err != nil {
			return nil, err
		}
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(k.gvk.GroupVersion().WithKind(k.gvk.Kind + "List"))
		if err := c.List(ctx, list); err != nil {
			return nil, fmt.Errorf("listing %s objects: %w", k.gvk.Kind, err)
		}
		for _, o := range list.Items {
			out = append(out, observed.Scraper{Kind: k.gvk.Kind, Namespace: o.GetNamespace(), Name: o.GetName()})
		}
	}
	return out, nil
}
