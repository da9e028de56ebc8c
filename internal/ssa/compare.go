package ssa

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/applyconfigurations"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// Content is the apply request body for obj: its fields without status and
// nulls (a null in an apply removes a field; a fresh typed object's
// server-set metadata, such as creationTimestamp, is null).
func Content(obj client.Object) (map[string]any, error) {
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
// for the kinds of CRDs, such as prometheus-operator's, whose schema the
// operator does not carry (lists atomic, as CRDs declare them by default;
// maps see fillLeaves).
var (
	builtinTypes = applyconfigurations.NewTypeConverter(clientgoscheme.Scheme)
	deducedTypes = managedfields.NewDeducedTypeConverter()
)

// builtin says whether gvk is one of Kubernetes' own kinds, whose schema
// builtinTypes knows: any other kind is a CRD's.
func builtin(gvk schema.GroupVersionKind) bool { return clientgoscheme.Scheme.Recognizes(gvk) }

// OwnedFieldsEqual reports whether the fields fieldOwner's apply owns in
// live (its Apply entry in managedFields) hold exactly desired, an apply
// body such as Content returns (compared as JSON values; apiVersion, kind,
// name and namespace, which managedFields never record, are left out). live
// is of kind gvk (a typed object read from a cache often has no TypeMeta).
// Without such an entry nothing is owned: it reports false, so the caller
// applies.
func OwnedFieldsEqual(live client.Object, gvk schema.GroupVersionKind, desired map[string]any, fieldOwner string) (bool, error) {
	var entry *metav1.ManagedFieldsEntry
	for i, mf := range live.GetManagedFields() {
		if mf.Manager == fieldOwner && mf.Operation == metav1.ManagedFieldsOperationApply && mf.Subresource == "" {
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
	lu.SetGroupVersionKind(gvk)
	tc := builtinTypes
	if !builtin(gvk) {
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
	if !builtin(gvk) {
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
