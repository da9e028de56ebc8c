// Package ssa makes live objects hold what a render wants through
// server-side apply alone, so the operator is each object's one field
// manager (operation Apply) and a later render that leaves a field out
// removes it. It compares the fields the operator's apply owns (its
// managedFields entry) with the render first, so an unchanged world makes
// no API call at all.
//
// It knows nothing of what is rendered: the caller says, through an
// Ownership, which live objects are its to change.
package ssa

import (
	"context"
	"fmt"
	"maps"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/csaupgrade"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// Ownership says whether a live object is the caller's to change. An
// object the operator would create that exists and is not its own is
// never changed, adopted or deleted.
type Ownership func(client.Object) bool

// NotOwnedError says an object the operator would create already exists and
// was not made by it (it lacks the operator's labels). The operator never
// changes, adopts or deletes such an object.
type NotOwnedError struct {
	Kind, Namespace, Name string
	// Label is the owner label the message names (Applier.OwnerLabel).
	Label string
}

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("%s %s exists and was not created by the operator (no label %s); the operator does not change or delete it: rename or remove it",
		e.Kind, klog.KRef(e.Namespace, e.Name), e.Label)
}

// Applier creates and repairs objects by server-side apply.
type Applier struct {
	// Client reads from the cache (which holds the operator's objects with
	// their managedFields) and writes to the API server.
	Client client.Client
	// APIReader reads the API server directly: only on the rare path where
	// an object missing from the cache turns out to exist (see create).
	APIReader client.Reader
	// Scheme makes the typed live object of a rendered object's kind.
	Scheme *runtime.Scheme
	// FieldOwner is the field manager of every apply, and the one whose
	// Apply entry is compared with the render.
	FieldOwner string
	// OwnerLabel is the label a NotOwnedError names.
	OwnerLabel string
}

// ApplyAll creates, or repairs, each object in turn (see Apply), and stops
// at the first error.
func (a *Applier) ApplyAll(ctx context.Context, objs []client.Object, owns Ownership) error {
	for _, obj := range objs {
		if err := a.Apply(ctx, obj, owns); err != nil {
			return err
		}
	}
	return nil
}

// DryRun sends, as a server-side dry run (nothing is stored), the apply
// Apply would make of each object in turn, and stops at the first error:
// the API server judges each as it would the real apply (a field its
// schema lacks, a validation rule), so a caller can refuse a whole batch
// before writing any of it. It makes no call for an object Apply would not
// apply: one that holds obj already, one owns rejects (Apply reports it),
// and a ClusterRoleBinding Apply would delete and create again (its new
// roleRef cannot be tried in place). One missing from the cache is tried
// as the apply that only creates; if it turns out to exist, it is left to
// Apply.
func (a *Applier) DryRun(ctx context.Context, objs []client.Object, owns Ownership) error {
	for _, obj := range objs {
		if err := a.dryRun(ctx, obj, owns); err != nil {
			return err
		}
	}
	return nil
}

// read reads obj's live object, from the cache, and renders what the
// operator wants of it (Content); err is the read's (NotFound when it is
// missing), or, with no live object, what kept it from reading.
func (a *Applier) read(ctx context.Context, obj client.Object) (schema.GroupVersionKind, client.Object, map[string]any, error) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	live, err := a.newObject(gvk, obj)
	if err != nil {
		return gvk, nil, nil, err
	}
	desired, err := Content(obj)
	if err != nil {
		return gvk, nil, nil, err
	}
	return gvk, live, desired, a.Client.Get(ctx, client.ObjectKeyFromObject(obj), live)
}

func (a *Applier) dryRun(ctx context.Context, obj client.Object, owns Ownership) error {
	gvk, live, desired, err := a.read(ctx, obj)
	if live == nil {
		return err
	}
	resourceVersion := ""
	switch {
	case apierrors.IsNotFound(err):
		resourceVersion = absentVersion
	case err != nil:
		return fmt.Errorf("reading %s %s: %w", gvk.Kind, klog.KObj(obj), err)
	case !owns(live) || replace(live, obj):
		return nil
	default:
		same, err := OwnedFieldsEqual(live, gvk, desired, a.FieldOwner)
		if err != nil {
			return fmt.Errorf("comparing %s %s with its render: %w", gvk.Kind, klog.KObj(obj), err)
		}
		if same {
			return nil
		}
	}
	err = a.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(applyBody(gvk, obj, desired, resourceVersion)),
		client.FieldOwner(a.FieldOwner), client.ForceOwnership, client.DryRunAll)
	if err == nil || resourceVersion == absentVersion && apierrors.IsConflict(err) {
		return nil
	}
	return fmt.Errorf("trying %s %s by a server-side dry run before applying anything: %w", gvk.Kind, klog.KObj(obj), err)
}

// Apply makes the live object hold obj, a typed object whose TypeMeta names
// its kind:
//   - missing (not in the cache): it is created by an apply that only
//     creates (see create), so an existing object the operator did not make
//     is never taken over (it is reported, not changed);
//   - present: a stale Update entry of the operator's own is healed (see
//     heal), then the fields the operator owns (its Apply entry in
//     managedFields) are compared with obj, and only a difference (someone
//     edited or removed them, or the render changed) makes it apply again,
//     forcing ownership back. Fields others added are left to them. A
//     ClusterRoleBinding whose roleRef changed is deleted and created again
//     (roleRef cannot be changed in place).
//
// A live object that owns rejects is reported as a *NotOwnedError.
func (a *Applier) Apply(ctx context.Context, obj client.Object, owns Ownership) error {
	gvk, live, desired, err := a.read(ctx, obj)
	if live == nil {
		return err
	}
	switch {
	case apierrors.IsNotFound(err):
		if live, err = a.create(ctx, gvk, obj, desired, owns); err != nil || live == nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("reading %s %s: %w", gvk.Kind, klog.KObj(obj), err)
	}
	if !owns(live) {
		return a.notOwned(gvk, obj)
	}
	if err := a.heal(ctx, gvk, live); err != nil {
		return err
	}
	same, err := OwnedFieldsEqual(live, gvk, desired, a.FieldOwner)
	if err != nil {
		return fmt.Errorf("comparing %s %s with its render: %w", gvk.Kind, klog.KObj(obj), err)
	}
	if same {
		return nil
	}
	if replace(live, obj) {
		if err := a.Client.Delete(ctx, live, client.Preconditions{UID: ptrUID(live)}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting %s %s to change an immutable field: %w", gvk.Kind, klog.KObj(obj), err)
		}
		_, err := a.create(ctx, gvk, obj, desired, owns)
		return err
	}
	return a.apply(ctx, gvk, obj, desired, "")
}

// newObject is an empty typed object of gvk, to read the live object into.
func (a *Applier) newObject(gvk schema.GroupVersionKind, obj client.Object) (client.Object, error) {
	o, err := a.Scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("rendered %s %s, a kind the scheme does not know: %w", gvk.Kind, klog.KObj(obj), err)
	}
	live, ok := o.(client.Object)
	if !ok {
		return nil, fmt.Errorf("rendered %s %s, a kind whose objects have no metadata", gvk.Kind, klog.KObj(obj))
	}
	return live, nil
}

func (a *Applier) notOwned(gvk schema.GroupVersionKind, obj client.Object) error {
	return &NotOwnedError{Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName(), Label: a.OwnerLabel}
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
func (a *Applier) create(ctx context.Context, gvk schema.GroupVersionKind, obj client.Object, desired map[string]any, owns Ownership) (client.Object, error) {
	err := a.apply(ctx, gvk, obj, desired, absentVersion)
	if err == nil {
		return nil, nil
	}
	if !apierrors.IsConflict(err) {
		return nil, err
	}
	// Not in the cache but on the server: someone else's object, or one the
	// cache has not seen yet. Only this rare path reads the API server.
	live, err := a.newObject(gvk, obj)
	if err != nil {
		return nil, err
	}
	if err := a.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", gvk.Kind, klog.KObj(obj), err)
	}
	if !owns(live) {
		return nil, a.notOwned(gvk, obj)
	}
	return live, nil
}

// apply server-side applies desired as obj's kind and name, forcing the
// operator's ownership of every field it sets. A resourceVersion, when not
// empty, is the apply's precondition (see absentVersion).
func (a *Applier) apply(ctx context.Context, gvk schema.GroupVersionKind, obj client.Object, desired map[string]any, resourceVersion string) error {
	u := applyBody(gvk, obj, desired, resourceVersion)
	if err := a.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(a.FieldOwner), client.ForceOwnership); err != nil {
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

// applyBody is the apply body of desired as obj's kind and name, with
// resourceVersion (when not empty) as its precondition. desired, which is
// compared with the live object afterwards, stays the render (a copy of
// the two levels the setters write is enough).
func applyBody(gvk schema.GroupVersionKind, obj client.Object, desired map[string]any, resourceVersion string) *unstructured.Unstructured {
	body := maps.Clone(desired)
	if md, ok := desired["metadata"].(map[string]any); ok {
		body["metadata"] = maps.Clone(md)
	}
	u := &unstructured.Unstructured{Object: body}
	u.SetGroupVersionKind(gvk)
	u.SetName(obj.GetName())
	u.SetNamespace(obj.GetNamespace())
	u.SetResourceVersion(resourceVersion)
	return u
}

// heal merges a stale Update entry of the operator's own into its Apply
// entry (client-go's csaupgrade, as kubectl does when it moves to
// server-side apply). Earlier releases created each object and then
// applied it: the create left an Update entry owning every field of the
// first render, which no later apply could drop. One JSON patch of
// managedFields, guarded by the resourceVersion, fixes an object in place;
// live is updated with the result.
func (a *Applier) heal(ctx context.Context, gvk schema.GroupVersionKind, live client.Object) error {
	patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, sets.New(a.FieldOwner), a.FieldOwner)
	if err != nil || patch == nil {
		return err
	}
	if err := a.Client.Patch(ctx, live, client.RawPatch(types.JSONPatchType, patch)); err != nil {
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
