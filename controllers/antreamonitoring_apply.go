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

// tryUnknownReleases tries, by a server-side dry run before anything is
// applied, the objects of prometheus-operator's kinds whose CRD does not
// say its release (render.ReleaseUnknown: the CRDs prometheus-operator
// released up to v0.68 carry none). render.TooOld could not judge them,
// and a field their schema lacks would otherwise be refused half-way
// through the batch, after the objects before it (the metrics reader, its
// token and binding, the rules) were written. CRDs that say their release
// cost no call: TooOld judged them before the render.
func (r *AntreaMonitoringReconciler) tryUnknownReleases(ctx context.Context, objs []client.Object, versions map[string]string, owns ssa.Ownership) error {
	var unknown []client.Object
	for _, obj := range objs {
		if k, ok := render.KindFor(obj.GetObjectKind().GroupVersionKind()); ok && k.PrometheusOperator && render.ReleaseUnknown(versions[k.CRD]) {
			unknown = append(unknown, obj)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	a := ssa.Applier{Client: r.Client, APIReader: r.APIReader, Scheme: r.Scheme, FieldOwner: FieldOwner, OwnerLabel: render.OwnerLabel}
	return a.DryRun(ctx, unknown, owns)
}

// ownedBy is the ownership of one AntreaMonitoring's objects.
func ownedBy(owner string) ssa.Ownership {
	return func(o client.Object) bool { return o.GetLabels()[render.OwnerLabel] == owner }
}

// sharedOwnership is the ownership of objects all AntreaMonitorings share.
func sharedOwnership(o client.Object) bool {
	return o.GetLabels()[render.ManagedByLabel] == render.ManagedByValue
}
