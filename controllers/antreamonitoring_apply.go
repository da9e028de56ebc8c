package controllers

import (
	"context"
	"fmt"

	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/ssa"
)

// applyAll creates, or repairs, each object through server-side apply
// (internal/ssa: created only when absent, an object the operator did not
// make never touched, and no API call when the fields it owns hold the
// render).
func (r *AntreaMonitoringReconciler) applyAll(ctx context.Context, objs []client.Object, owns ssa.Ownership) error {
	for _, obj := range objs {
		if gvk := obj.GetObjectKind().GroupVersionKind(); !render.IsKind(gvk) {
			return fmt.Errorf("rendered %s %s, a kind missing from render.Kinds", gvk.Kind, klog.KObj(obj))
		}
	}
	a := ssa.Applier{Client: r.Client, APIReader: r.APIReader, Scheme: r.Scheme, FieldOwner: FieldOwner, OwnerLabel: render.OwnerLabel}
	return a.ApplyAll(ctx, objs, owns)
}

// ownedBy is the ownership of one AntreaMonitoring's objects.
func ownedBy(owner string) ssa.Ownership {
	return func(o client.Object) bool { return o.GetLabels()[render.OwnerLabel] == owner }
}

// sharedOwnership is the ownership of objects all AntreaMonitorings share.
func sharedOwnership(o client.Object) bool {
	return o.GetLabels()[render.ManagedByLabel] == render.ManagedByValue
}
