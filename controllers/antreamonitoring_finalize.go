package controllers

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/selfmetrics"
)

// restoreAntrea puts back the original setting in every Antrea ConfigMap
// the operator edited (found by its record annotation, not only the one it
// resolves today: Antrea may have been upgraded from antrea-config-<hash> to
// antrea-config meanwhile) that no other AntreaMonitoring still wants. Only
// the ConfigMap Antrea reads is followed by a rollout; a ConfigMap no
// workload reads any more is restored without restarting anything.
func (r *AntreaMonitoringReconciler) restoreAntrea(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, all []monitoringv1alpha1.AntreaMonitoring, ns string) error {
	in, err := r.gatherAntrea(ctx, ns)
	if err != nil {
		return err
	}
	in.ConfigMapName = am.Spec.Antrea.ConfigMapName
	res := antrea.ResolveConfigMap(in)
	var targets []antrea.Target
	if res.Found {
		targets = antrea.Targets(in, res.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(in.ConfigMaps)) {
		cm := in.ConfigMaps[name]
		if _, edited := cm.Annotations[antrea.OriginalAnnotation]; !edited || slices.Contains(targetConfigMaps(targets), name) {
			continue
		}
		targets = append(targets, antrea.StaleTargets(cm)...)
	}
	for _, cmName := range targetConfigMaps(targets) {
		if metricsWanted(all, in, ns, cmName) {
			continue
		}
		outcome, err := r.syncConfigMaps(ctx, am, in, ns, targetsOf(targets, cmName), false)
		if err != nil {
			return err
		}
		if outcome.invalid != nil {
			logf.FromContext(ctx).Info("Left an Antrea ConfigMap as it is: it cannot be restored safely", "configMap", klog.KRef(ns, cmName), "reason", outcome.invalid.Error())
		}
	}
	return nil
}

func targetsOf(ts []antrea.Target, cm string) []antrea.Target {
	var out []antrea.Target
	for _, t := range ts {
		if t.ConfigMap == cm {
			out = append(out, t)
		}
	}
	return out
}

// finalize restores Antrea's configuration when no other AntreaMonitoring
// wants metrics, drops this object from the ClusterRoles' owners, and removes
// the finalizer. It forgets the object's last health check.
func (r *AntreaMonitoringReconciler) finalize(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, all []monitoringv1alpha1.AntreaMonitoring) error {
	r.forget(am.UID)
	if !controllerutil.ContainsFinalizer(am, Finalizer) {
		return nil
	}
	if ns := am.AntreaNamespace(); r.watches(ns) {
		if err := r.restoreAntrea(ctx, am, all, ns); err != nil {
			return fmt.Errorf("restoring Antrea's configuration: %w", err)
		}
	}
	if len(owners(all)) > 0 {
		legacy, err := r.gatherLegacyRoles(ctx)
		if _, err := r.reconcileRBAC(ctx, all, legacy, err); err != nil {
			return fmt.Errorf("dropping this AntreaMonitoring from the ClusterRoles' owners: %w", err)
		}
	}
	patch := client.MergeFrom(am.DeepCopy())
	controllerutil.RemoveFinalizer(am, Finalizer)
	if err := r.Patch(ctx, am, patch); err != nil {
		return client.IgnoreNotFound(err)
	}
	selfmetrics.Forget(am.Name)
	logf.FromContext(ctx).Info("Removed finalizer after restoring Antrea's configuration")
	return nil
}
