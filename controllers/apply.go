package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/applyconfigurations"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/csaupgrade"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// NotOwnedError says an object the operator would create already exists and
// was not made by it (it lacks the operator's labels). The operator never
// changes, adopts or deletes such an object.
type NotOwnedError struct {
	Kind, Namespace, Name string
}

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("%s %s exists and was not created by the operator (no label %s); the operator does not change or delete it: rename or remove it",
		e.Kind, klog.KRef(e.Namespace, e.Name), render.OwnerLabel)
}

// ownership says whether a live object is the operator's to change.
type ownership func(client.Object) bool

// ownedBy is the ownership of one AntreaMonitoring's objects.
func ownedBy(owner string) ownership {
	return func(o client.Object) bool { return o.GetLabels()[render.OwnerLabel] == owner }
}

// sharedOwnership is the ownership of objects all AntreaMonitorings share.
func sharedOwnership(o client.Object) bool {
	return o.GetLabels()[render.ManagedByLabel] == render.ManagedByValue
}

// applyAll creates, or repairs, each object (see applyObject).
func (r *AntreaMonitoringReconciler) applyAll(ctx context.Context, objs []client.Object, owns ownership) error {
	for _, obj := range objs {
		if err := r.applyObject(ctx, obj, owns); err != nil {
			return err
		}
	}
	return nil
}

// applyObject makes the live object hold what the render wants, through
// server-side apply alone, so the operator is the object's one field
// manager (operation Apply) and a later render that leaves a field out
// removes it:
//   - missing (not in the cache): it is created by an apply that only
//     creates (see create), so an existing object the operator did not make
//     is never taken over (it is reported, not changed);
//   - present: a stale Update entry of the operator's own is healed (see
//     heal), then the fields the operator owns (its Apply entry in
//     managedFields) are compared with the render, and only a difference
//     (someone edited or removed them) makes it apply again, forcing
//     ownership back. Fields others added are left to them.
//
// The cache holds the operator's objects with their managedFields, so an
// unchanged world makes no API call at all.
func (r *AntreaMonitoringReconciler) applyObject(ctx context.Context, obj client.Object, owns ownership) error {
	gvk := obj.GetObjectKind().GroupVersionKind()
	kind, ok := render.KindFor(gvk)
	if !ok {
		return fmt.Errorf("rendered %s %s, a kind missing from render.Kinds", gvk.Kind, klog.KObj(obj))
	}
	desired, err := applyContent(obj)
	if err != nil {
		return err
	}
	live := kind.New()
	err = r.Get(ctx, client.ObjectKeyFromObject(obj), live)
	switch {
	case apierrors.IsNotFound(err):
		if live, err = r.create(ctx, kind, obj, desired, owns); err != nil || live == nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("reading %s %s: %w", gvk.Kind, klog.KObj(obj), err)
	}
	if !owns(live) {
		return &NotOwnedError{Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
	}
	if err := r.heal(ctx, gvk, live); err != nil {
		return err
	}
	same, err := ownedFieldsEqual(kind, live, desired)
	if err != nil {
		return fmt.Errorf("comparing %s %s with its render: %w", gvk.Kind, klog.KObj(obj), err)
	}
	if same {
		return nil
	}
	if replace(live, obj) {
		if err := r.Delete(ctx, live, client.Preconditions{UID: ptrUID(live)}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting %s %s to change an immutable field: %w", gvk.Kind, klog.KObj(obj), err)
		}
		_, err := r.create(ctx, kind, obj, desired, owns)
		return err
	}
	return r.apply(ctx, gvk, obj, desired, "")
}

// absentVersion is a resourceVersion no stored object has (etcd's
// revisions never reach it). An apply that names it creates the object
// when it is absent (the API server wipes the version of an object it
// creates) and fails with a Conflict when it exists (the version of an
// existing object must match): server-side apply's create-only-if-absent.
const absentVersion = "9223372036854775807"

// create creates obj with one apply that only creates. It returns nil, nil
// when the object was created; the live object when it already existed (a
// stale cache) and is the operator's; a NotOwnedError when it is not.
func (r *AntreaMonitoringReconciler) create(ctx context.Context, kind render.Kind, obj client.Object, desired map[string]any, owns ownership) (client.Object, error) {
	gvk := kind.GVK
	err := r.apply(ctx, gvk, obj, desired, absentVersion)
	if err == nil {
		return nil, nil
	}
	if !apierrors.IsConflict(err) {
		return nil, err
	}
	// Not in the cache but on the server: someone else's object, or one the
	// cache has not seen yet. Only this rare path reads the API server.
	live := kind.New()
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", gvk.Kind, klog.KObj(obj), err)
	}
	if !owns(live) {
		return nil, &NotOwnedError{Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
	}
	return live, nil
}

// apply server-side applies desired as obj's kind and name, forcing the
// operator's ownership of every field it sets. A resourceVersion, when not
// empty, is the apply's precondition (see absentVersion).
func (r *AntreaMonitoringReconciler) apply(ctx context.Context, gvk schema.GroupVersionKind, obj client.Object, desired map[string]any, resourceVersion string) error {
	u := &unstructured.Unstructured{Object: desired}
	u.SetGroupVersionKind(gvk)
	u.SetName(obj.GetName())
	u.SetNamespace(obj.GetNamespace())
	u.SetResourceVersion(resourceVersion)
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		if resourceVersion == absentVersion && apierrors.IsConflict(err) {
			return err
		}
		return fmt.Errorf("applying %s %s: %w", gvk.Kind, klog.KObj(obj), err)
	}
	msg := "Applied object"
	if resourceVersion == absentVersion {
		msg = "Created object"
	}
	logf.FromContext(ctx).Info(msg, "kind", gvk.Kind, "object", klog.KObj(obj))
	return nil
}

// heal merges a stale Update entry of the operator's own into its Apply
// entry (client-go's csaupgrade, as kubectl does when it moves to
// server-side apply). Earlier releases created each object and then
// applied it: the create left an Update entry owning every field of the
// first render, which no later apply could drop. One JSON patch of
// managedFields, guarded by the resourceVersion, fixes an object in place;
// live is updated with the result.
func (r *AntreaMonitoringReconciler) heal(ctx context.Context, gvk schema.GroupVersionKind, live client.Object) error {
	patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, sets.New(FieldOwner), FieldOwner)
	if err != nil || patch == nil {
		return err
	}
	if err := r.Patch(ctx, live, client.RawPatch(types.JSONPatchType, patch)); err != nil {
		return fmt.Errorf("healing the managedFields of %s %s: %w", gvk.Kind, klog.KObj(live), err)
	}
	logf.FromContext(ctx).Info("Healed object: its fields are owned by the operator's apply alone", "kind", gvk.Kind, "object", klog.KObj(live))
	return nil
}

// replace says whether the live object must be recreated: a
// ClusterRoleBinding's roleRef cannot be changed in place.
func replace(live, desired client.Object) bool {
	l, ok1 := live.(*rbacv1.ClusterRoleBinding)
	d, ok2 := desired.(*rbacv1.ClusterRoleBinding)
	return ok1 && ok2 && l.RoleRef != d.RoleRef
}

// ptrUID is the object's UID, as a delete precondition wants it.
func ptrUID(o client.Object) *types.UID { u := o.GetUID(); return &u }

// applyContent is the apply request body for obj: its fields without
// status, server-set metadata and nulls (a null in an apply removes a field).
func applyContent(obj client.Object) (map[string]any, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, klog.KObj(obj), err)
	}
	delete(u, "status")
	pruneNulls(u)
	return u, nil
}

// pruneNulls removes the null fields of m, at any depth.
func pruneNulls(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			pruneNulls(t)
		case []any:
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					pruneNulls(em)
				}
			}
		}
	}
}

// builtinTypes knows the schema of Kubernetes' own kinds; deducedTypes is
// for prometheus-operator's kinds, which are CRDs (lists atomic, as their
// CRDs declare them; maps see fillLeaves).
var (
	builtinTypes = applyconfigurations.NewTypeConverter(clientgoscheme.Scheme)
	deducedTypes = managedfields.NewDeducedTypeConverter()
)

// ownedFieldsEqual reports whether the fields the operator's apply owns in
// live hold exactly desired (compared as JSON values).
func ownedFieldsEqual(kind render.Kind, live client.Object, desired map[string]any) (bool, error) {
	var entry *metav1.ManagedFieldsEntry
	for i, mf := range live.GetManagedFields() {
		if mf.Manager == FieldOwner && mf.Operation == metav1.ManagedFieldsOperationApply && mf.Subresource == "" {
			entry = &live.GetManagedFields()[i]
		}
	}
	if entry == nil || entry.FieldsV1 == nil {
		return false, nil
	}
	set := &fieldpath.Set{}
	if err := set.FromJSON(entry.FieldsV1.GetRawReader()); err != nil {
		return false, fmt.Errorf("reading managedFields: %w", err)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live)
	if err != nil {
		return false, err
	}
	lu := &unstructured.Unstructured{Object: u}
	lu.SetGroupVersionKind(kind.GVK)
	tc := builtinTypes
	if kind.PrometheusOperator {
		tc = deducedTypes
	}
	tv, err := tc.ObjectToTyped(lu, typed.AllowDuplicates)
	if err != nil {
		return false, err
	}
	extracted, ok := tv.ExtractItems(set.Leaves()).AsValue().Unstructured().(map[string]any)
	if !ok {
		return false, errors.New("managed fields are not an object")
	}
	if kind.PrometheusOperator {
		fillLeaves(extracted, u, set)
	}
	return jsonEqual(extracted, withoutIdentity(desired))
}

// fillLeaves copies from live the whole value of every leaf of the managed
// field set reached by field names only. The deduced schema used for CRDs
// treats every map as granular, so ExtractItems returns an atomic map that
// the apply owns as a whole (a ServiceMonitor's spec.selector) as empty;
// owning a leaf means owning its whole value.
func fillLeaves(extracted, live map[string]any, set *fieldpath.Set) {
	set.Leaves().Iterate(func(p fieldpath.Path) {
		names := make([]string, 0, len(p))
		for _, pe := range p {
			if pe.FieldName == nil {
				return
			}
			names = append(names, *pe.FieldName)
		}
		v, found, err := unstructured.NestedFieldNoCopy(live, names...)
		if err != nil || !found {
			return
		}
		_ = unstructured.SetNestedField(extracted, runtime.DeepCopyJSONValue(v), names...)
	})
}

// withoutIdentity drops what managedFields never record: apiVersion, kind,
// and the object's name and namespace.
func withoutIdentity(desired map[string]any) map[string]any {
	out := make(map[string]any, len(desired))
	for k, v := range desired {
		if k != "apiVersion" && k != "kind" {
			out[k] = v
		}
	}
	if md, ok := desired["metadata"].(map[string]any); ok {
		m := make(map[string]any, len(md))
		for k, v := range md {
			if k != "name" && k != "namespace" {
				m[k] = v
			}
		}
		out["metadata"] = m
	}
	return out
}

// jsonEqual compares a and b as JSON values (so int64 and float64 numbers
// of the same value are equal).
func jsonEqual(a, b any) (bool, error) {
	var na, nb any
	for _, p := range []struct {
		in  any
		out *any
	}{{a, &na}, {b, &nb}} {
		raw, err := json.Marshal(p.in)
		if err != nil {
			return false, err
		}
		if err := json.Unmarshal(raw, p.out); err != nil {
			return false, err
		}
	}
	return reflect.DeepEqual(na, nb), nil
}
