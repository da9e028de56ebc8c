package controllers

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// rbacPhase applies the ClusterRoles Prometheus is bound to. Its condition
// is RBACReady.
func (r *AntreaMonitoringReconciler) rbacPhase(ctx context.Context, s *scope) result {
	c, err := r.reconcileRBAC(ctx, s.all)
	return result{conditions: []metav1.Condition{c}, err: err}
}

// reconcileRBAC creates the operator's own ClusterRoles with the rules of
// Antrea's guide, owned by every live AntreaMonitoring, and repairs them
// when edited. Roles it did not create (such as the guide's prometheus and
// prometheus-antrea, made by hand) are never changed, owned or deleted.
func (r *AntreaMonitoringReconciler) reconcileRBAC(ctx context.Context, all []monitoringv1alpha1.AntreaMonitoring) (metav1.Condition, error) {
	err := r.releaseLegacyRoles(ctx)
	if err == nil {
		err = r.applyAll(ctx, render.ClusterRoles(owners(all)), sharedOwnership)
	}
	return rbacReady(err)
}

// releaseLegacyRoles lets go of the ClusterRoles prometheus and
// prometheus-antrea that earlier versions of the operator applied (and
// labelled and owned) under the guide's names, which an admin may have
// created by hand and may bind elsewhere: it drops its labels and
// ownerReferences, so the garbage collector never deletes them and the
// operator never sees them again, and keeps their rules.
func (r *AntreaMonitoringReconciler) releaseLegacyRoles(ctx context.Context) error {
	for _, name := range render.LegacyClusterRoles {
		var role rbacv1.ClusterRole
		if err := r.Get(ctx, types.NamespacedName{Name: name}, &role); err != nil {
			if apierrors.IsNotFound(err) { // absent, or not labelled by the operator
				continue
			}
			return fmt.Errorf("reading ClusterRole %s: %w", name, err)
		}
		if !sharedOwnership(&role) {
			continue
		}
		rules := make([]any, 0, len(role.Rules))
		for _, rule := range role.Rules {
			u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&rule)
			if err != nil {
				return fmt.Errorf("converting a rule of ClusterRole %s: %w", name, err)
			}
			rules = append(rules, u)
		}
		release := &unstructured.Unstructured{Object: map[string]any{"rules": rules}}
		release.SetGroupVersionKind(rbacv1.SchemeGroupVersion.WithKind("ClusterRole"))
		release.SetName(name)
		if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(release), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("releasing ClusterRole %s made by an earlier version of the operator: %w", name, err)
		}
		logf.FromContext(ctx).Info("Released a ClusterRole an earlier version of the operator had labelled and owned; it keeps its rules and is left alone from now on", "clusterRole", name)
	}
	return nil
}

// owners are the live AntreaMonitoring objects, as owners of cluster-wide objects.
func owners(all []monitoringv1alpha1.AntreaMonitoring) []render.Owner {
	var out []render.Owner
	for _, am := range all {
		if am.DeletionTimestamp.IsZero() {
			out = append(out, render.Owner{APIVersion: monitoringv1alpha1.GroupVersion.String(), Kind: "AntreaMonitoring", Name: am.Name, UID: am.UID})
		}
	}
	return out
}
