package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/grafana"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/observed"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/watch"
)

// gatherGrafana reads whether grafana-operator's GrafanaDashboard CRD is
// established (the CRD watch notices it coming and going), starts watching
// the operator's GrafanaDashboard objects once it is, and reads them (their
// status says whether a Grafana imports them).
func (r *AntreaMonitoringReconciler) gatherGrafana(ctx context.Context, c *observed.Cluster) error {
	established, _, err := r.crdStates(ctx, grafana.DashboardCRD)
	if err != nil {
		return err
	}
	c.Established, c.GrafanaDashboards = established, map[types.NamespacedName]*grafana.GrafanaDashboard{}
	if !established[grafana.DashboardCRD] {
		return nil
	}
	w := watch.Watch{CRD: grafana.DashboardCRD, Object: &grafana.GrafanaDashboard{}, Handler: handler.EnqueueRequestsFromMapFunc(r.enqueueFor)}
	if err := r.tracker.Ensure(ctx, func(string) bool { return true }, w); err != nil {
		return fmt.Errorf("watching GrafanaDashboard objects: %w", err)
	}
	var list grafana.GrafanaDashboardList
	if err := r.List(ctx, &list, client.HasLabels{render.OwnerLabel}); err != nil {
		return fmt.Errorf("listing GrafanaDashboard objects: %w", err)
	}
	for i := range list.Items {
		d := &list.Items[i]
		c.GrafanaDashboards[types.NamespacedName{Namespace: d.Namespace, Name: d.Name}] = d
	}
	return nil
}
