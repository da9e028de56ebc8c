package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// AppliedHashAnnotation holds the hash of the desired state the operator
// last applied to an object: an unchanged render makes no API write.
const AppliedHashAnnotation = "monitoring.antrea.io/applied-hash"

// applyAll server-side applies each object whose desired state changed
// since it was last applied (or that is missing).
func (r *AntreaMonitoringReconciler) applyAll(ctx context.Context, objs []client.Object) error {
	for _, obj := range objs {
		if err := r.applyObject(ctx, obj); err != nil {
			return err
		}
	}
	return nil
}

func (r *AntreaMonitoringReconciler) applyObject(ctx context.Context, obj client.Object) error {
	gvk := obj.GetObjectKind().GroupVersionKind()
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return fmt.Errorf("converting %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	delete(u, "status")
	unstructured.RemoveNestedField(u, "metadata", "creationTimestamp")
	raw, err := json.Marshal(u)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	want := hex.EncodeToString(sum[:8])

	live, err := r.Scheme.New(gvk)
	if err != nil {
		return fmt.Errorf("no Go type for %s: %w", gvk, err)
	}
	liveObj := live.(client.Object)
	switch err := r.readerFor(gvk).Get(ctx, client.ObjectKeyFromObject(obj), liveObj); {
	case err == nil:
		if liveObj.GetAnnotations()[AppliedHashAnnotation] == want {
			return nil
		}
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("reading %s %s: %w", gvk.Kind, klog.KObj(obj), err)
	}
	desired := &unstructured.Unstructured{Object: u}
	annotations := desired.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AppliedHashAnnotation] = want
	desired.SetAnnotations(annotations)
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(desired), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s: %w", gvk.Kind, klog.KObj(obj), err)
	}
	logf.FromContext(ctx).Info("Applied object", "kind", gvk.Kind, "object", klog.KObj(obj))
	return nil
}

// ownedLists are the kinds the operator creates per AntreaMonitoring and
// prunes when they are no longer wanted. PersistentVolumeClaims are left:
// they hold Prometheus's data, and deleting data is the user's call.
// readerFor reads prometheus-operator's kinds uncached (they may be
// installed after the operator started) and everything else from the cache.
func (r *AntreaMonitoringReconciler) readerFor(gvk schema.GroupVersionKind) client.Reader {
	if gvk.Group == monitoringv1.SchemeGroupVersion.Group {
		return r.APIReader
	}
	return r.Client
}

// prometheus-operator's kinds are listed only when its CRDs are served.
func ownedLists(prometheusOperatorServed bool) []client.ObjectList {
	lists := []client.ObjectList{
		&corev1.ServiceAccountList{}, &corev1.ConfigMapList{}, &corev1.SecretList{}, &corev1.ServiceList{},
		&appsv1.DeploymentList{}, &rbacv1.ClusterRoleBindingList{},
	}
	if prometheusOperatorServed {
		lists = append(lists, &monitoringv1.ServiceMonitorList{}, &monitoringv1.PodMonitorList{}, &promv1alpha1.ScrapeConfigList{},
			&monitoringv1.PrometheusRuleList{})
	}
	return lists
}

type objectKey struct {
	gvk       schema.GroupVersionKind
	namespace string
	name      string
}

// prune deletes the objects labelled as the AntreaMonitoring's that the
// current render does not want (a mode switch, a changed namespace).
func (r *AntreaMonitoringReconciler) prune(ctx context.Context, owner string, desired []client.Object, prometheusOperatorServed bool) error {
	keep := map[objectKey]bool{}
	for _, o := range desired {
		keep[objectKey{o.GetObjectKind().GroupVersionKind(), o.GetNamespace(), o.GetName()}] = true
	}
	for _, list := range ownedLists(prometheusOperatorServed) {
		gvk, err := apiutil.GVKForObject(list, r.Scheme)
		if err != nil {
			return err
		}
		if err := r.readerFor(gvk).List(ctx, list, client.MatchingLabels{render.OwnerLabel: owner}); err != nil {
			return fmt.Errorf("listing owned objects: %w", err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return err
		}
		for _, item := range items {
			obj := item.(client.Object)
			gvk, err := r.GroupVersionKindFor(obj)
			if err != nil {
				return err
			}
			if keep[objectKey{gvk, obj.GetNamespace(), obj.GetName()}] {
				continue
			}
			if err := r.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("pruning %s %s: %w", gvk.Kind, klog.KObj(obj), err)
			}
			logf.FromContext(ctx).Info("Pruned object the current mode no longer wants", "kind", gvk.Kind, "object", klog.KObj(obj))
		}
	}
	return nil
}
