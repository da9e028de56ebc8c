package controllers

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// rbacPhase applies the ClusterRoles Prometheus is bound to. Its condition
// is RBACReady.
func (r *AntreaMonitoringReconciler) rbacPhase(ctx context.Context, s *scope) result {
	c, err := r.reconcileRBAC(ctx, s.all, s.legacyRoles, s.legacyRolesErr)
	return result{conditions: []metav1.Condition{c}, err: err}
}

// reconcileRBAC creates the operator's own ClusterRoles with the rules of
// Antrea's guide, owned by every live AntreaMonitoring, and repairs them
// when edited. Roles it did not create (such as the guide's prometheus and
// prometheus-antrea, made by hand) are never changed, owned or deleted.
func (r *AntreaMonitoringReconciler) reconcileRBAC(ctx context.Context, all []monitoringv1alpha1.AntreaMonitoring, legacy []*rbacv1.ClusterRole, legacyErr error) (metav1.Condition, error) {
	err := legacyErr
	if err == nil {
		err = r.releaseLegacyRoles(ctx, legacy)
	}
	if err == nil {
		err = r.applyAll(ctx, render.ClusterRoles(owners(all)), sharedOwnership)
	}
	return rbacReady(err)
}

// gatherLegacyRoles reads, from the cache, the ClusterRoles prometheus and
// prometheus-antrea that earlier versions of the operator applied (and
// labelled and owned) under the guide's names. The cache holds only
// ClusterRoles with the operator's labels: a role of that name made by hand
// is not found.
func (r *AntreaMonitoringReconciler) gatherLegacyRoles(ctx context.Context) ([]*rbacv1.ClusterRole, error) {
	var out []*rbacv1.ClusterRole
	for _, name := range render.LegacyClusterRoles {
		role, err := getOptional[rbacv1.ClusterRole](ctx, r.Client, "", name)
		if err != nil {
			return nil, fmt.Errorf("reading ClusterRole %s: %w", name, err)
		}
		if role != nil && sharedOwnership(role) {
			out = append(out, role)
		}
	}
	return out, nil
}

// releaseLegacyRoles lets go of the legacy roles (see gatherLegacyRoles),
// which an admin may have created by hand and may bind elsewhere: it drops
// their labels and ownerReferences, so the garbage collector never deletes
// them and the operator never sees them again, and keeps their rules.
func (r *AntreaMonitoringReconciler) releaseLegacyRoles(ctx context.Context, legacy []*rbacv1.ClusterRole) error {
	for _, role := range legacy {
		name := role.Name
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
