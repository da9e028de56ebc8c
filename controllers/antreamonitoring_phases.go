package controllers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// metricsResult is what the Antrea metrics phase found and did.
type metricsResult struct {
	condition metav1.Condition // without ObservedGeneration
	configMap *monitoringv1alpha1.ObjectReference
	// confs is Antrea's ConfigMap as read (from the cache), nil when not
	// found: its confs say which features, and so which metric families,
	// Antrea has.
	confs *corev1.ConfigMap
}

// gatherAntrea reads Antrea's ConfigMaps and workloads from the cache.
func (r *AntreaMonitoringReconciler) gatherAntrea(ctx context.Context, namespace string) (antrea.Inputs, error) {
	in := antrea.Inputs{ConfigMaps: map[string]*corev1.ConfigMap{}}
	var cms corev1.ConfigMapList
	if err := r.List(ctx, &cms, client.InNamespace(namespace)); err != nil {
		return in, fmt.Errorf("listing ConfigMaps in %s: %w", namespace, err)
	}
	for i := range cms.Items {
		in.ConfigMaps[cms.Items[i].Name] = &cms.Items[i]
	}
	var err error
	if in.Agent, err = getOptional[appsv1.DaemonSet](ctx, r.Client, namespace, antrea.AgentDaemonSet); err != nil {
		return in, err
	}
	if in.WindowsAgent, err = getOptional[appsv1.DaemonSet](ctx, r.Client, namespace, antrea.WindowsAgentDaemonSet); err != nil {
		return in, err
	}
	if in.Controller, err = getOptional[appsv1.Deployment](ctx, r.Client, namespace, antrea.ControllerDeployment); err != nil {
		return in, err
	}
	return in, nil
}

// getOptional reads an object that may not exist (nil, nil when absent).
func getOptional[T any, PT interface {
	*T
	client.Object
}](ctx context.Context, c client.Reader, namespace, name string) (PT, error) {
	obj := PT(new(T))
	if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading %s/%s: %w", namespace, name, err)
	}
	return obj, nil
}

// metricsWanted says whether any live AntreaMonitoring asks for metrics in
// the given ConfigMap: metrics stay enabled while any of them does.
func metricsWanted(all []monitoringv1alpha1.AntreaMonitoring, in antrea.Inputs, namespace, configMap string) bool {
	for i := range all {
		am := &all[i]
		if !am.MetricsWanted() || am.AntreaNamespace() != namespace {
			continue
		}
		own := in
		own.ConfigMapName = am.Spec.Antrea.ConfigMapName
		if antrea.ResolveConfigMap(own).Name == configMap {
			return true
		}
	}
	return false
}

// reconcileAntreaMetrics resolves Antrea's ConfigMap, enables metrics in
// every conf (or restores them when nobody asks any more) and rolls Antrea out.
func (r *AntreaMonitoringReconciler) reconcileAntreaMetrics(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, all []monitoringv1alpha1.AntreaMonitoring) (metricsResult, error) {
	ns := am.AntreaNamespace()
	if !r.watches(ns) {
		return metricsResult{condition: falseCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonNamespaceNotWatched,
			fmt.Sprintf("The operator watches Antrea in namespaces %s only; start it with --antrea-namespaces including %s.", strings.Join(r.AntreaNamespaces, ","), ns))}, nil
	}
	in, err := r.gatherAntrea(ctx, ns)
	if err != nil {
		return metricsResult{condition: falseCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonUpdateFailed, err.Error())}, err
	}
	in.ConfigMapName = am.Spec.Antrea.ConfigMapName
	res := antrea.ResolveConfigMap(in)
	ref := &monitoringv1alpha1.ObjectReference{Namespace: ns, Name: res.Name}
	if !res.Found {
		return metricsResult{configMap: ref, condition: falseCond(monitoringv1alpha1.ConditionAntreaMetricsEnabled, monitoringv1alpha1.ReasonConfigMapNotFound,
			fmt.Sprintf("ConfigMap %s/%s (%s) was not found; the operator waits for it to be created.", ns, res.Name, res.How))}, nil
	}
	targets := antrea.Targets(in, res.Name)
	want := metricsWanted(all, in, ns, res.Name)
	outcome, err := r.syncConfigMaps(ctx, am, in, ns, targets, want)
	prev := meta.FindStatusCondition(am.Status.Conditions, monitoringv1alpha1.ConditionAntreaMetricsEnabled)
	return metricsResult{configMap: ref, confs: in.ConfigMaps[res.Name], condition: keepReapplied(prev, am.Generation, metricsCondition(am, ns, outcome))}, err
}

// syncOutcome is what syncConfigMaps found across the target ConfigMaps.
type syncOutcome struct {
	effective map[string]bool // per "configmap/key"
	reverted  []string        // "configmap/key" found reverted and re-enabled
	managedBy string          // who else manages a reverted ConfigMap
	pending   []string        // workloads whose rollout is due but not allowed
	invalid   error           // a conf that cannot be used (nothing was written)
	failed    error           // an API error
}

// syncConfigMaps brings each target ConfigMap to the wanted state, then rolls
// out the workloads whose conf changed.
func (r *AntreaMonitoringReconciler) syncConfigMaps(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, in antrea.Inputs, ns string, targets []antrea.Target, want bool) (syncOutcome, error) {
	out := syncOutcome{effective: map[string]bool{}}
	for _, cmName := range targetConfigMaps(targets) {
		keys := targetKeys(targets, cmName)
		cm, plan, managedBy, err := r.writeConfigMap(ctx, ns, cmName, keys, want)
		var invalid *antrea.InvalidConfError
		switch {
		case errors.As(err, &invalid):
			out.invalid = err
			continue
		case err != nil:
			out.failed = err
			return out, err
		}
		eff, err := antrea.Effective(cm, keys)
		if err != nil {
			out.invalid = err
			continue
		}
		for k, v := range eff {
			out.effective[cmName+"/"+k] = v
		}
		if len(plan.Reverted) > 0 {
			for _, k := range plan.Reverted {
				out.reverted = append(out.reverted, cmName+"/"+k)
			}
			out.managedBy = managedBy
			r.Recorder.Eventf(am, nil, corev1.EventTypeWarning, monitoringv1alpha1.ReasonMetricsReapplied, "ReapplyAntreaConfig",
				"enablePrometheusMetrics was turned off again in %s of ConfigMap %s/%s by another writer%s; the operator re-applied it.",
				strings.Join(plan.Reverted, ", "), ns, cmName, withManager(out.managedBy))
		}
		pending, err := r.rollout(ctx, am, in, ns, cm, targets)
		out.pending = append(out.pending, pending...)
		if err != nil {
			out.failed = err
			return out, err
		}
	}
	return out, nil
}

func withManager(m string) string {
	if m == "" {
		return ""
	}
	return " (" + m + ")"
}

func targetConfigMaps(ts []antrea.Target) []string {
	var out []string
	for _, t := range ts {
		if !slices.Contains(out, t.ConfigMap) {
			out = append(out, t.ConfigMap)
		}
	}
	return out
}

func targetKeys(ts []antrea.Target, cm string) []string {
	var out []string
	for _, t := range ts {
		if t.ConfigMap == cm {
			out = append(out, t.Key)
		}
	}
	return out
}

// writeConfigMap plans the edit on a fresh read and writes it with the read
// resourceVersion as precondition; on a conflict (someone else wrote in
// between) it reads again and re-plans, so their edit is never lost. When the
// plan re-enables reverted confs it also says who else manages the ConfigMap.
func (r *AntreaMonitoringReconciler) writeConfigMap(ctx context.Context, ns, name string, keys []string, want bool) (*corev1.ConfigMap, antrea.Plan, string, error) {
	var cached corev1.ConfigMap
	if err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &cached); err != nil {
		return nil, antrea.Plan{}, "", fmt.Errorf("reading ConfigMap %s/%s: %w", ns, name, err)
	}
	plan, err := planFor(&cached, keys, want)
	if err != nil || !plan.Write {
		return &cached, plan, "", err // the common, unchanged case: no API call
	}
	cm := &corev1.ConfigMap{}
	var managedBy string
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, cm); err != nil {
			return err
		}
		if plan, err = planFor(cm, keys, want); err != nil || !plan.Write {
			return err
		}
		managedBy = antrea.ManagedBy(cm, FieldOwner, plan.Reverted)
		cm.Data, cm.Annotations = plan.Data, plan.Annotations
		return r.Update(ctx, cm, client.FieldOwner(FieldOwner))
	})
	if err != nil {
		var invalid *antrea.InvalidConfError
		if errors.As(err, &invalid) {
			return cm, plan, "", err
		}
		return nil, plan, "", fmt.Errorf("writing ConfigMap %s/%s: %w", ns, name, err)
	}
	if plan.Write {
		logf.FromContext(ctx).Info("Updated Antrea ConfigMap", "configMap", klog.KObj(cm), "enable", want, "changed", plan.Changed, "reverted", plan.Reverted)
	}
	return cm, plan, managedBy, nil
}

func planFor(cm *corev1.ConfigMap, keys []string, want bool) (antrea.Plan, error) {
	if want {
		return antrea.PlanEnable(cm, keys)
	}
	return antrea.PlanRestore(cm)
}

// rollout makes the pod template of each workload reading a conf of cm
// carry the conf's wanted hash, which restarts Antrea with the new conf. It
// writes only when the hash differs. When restarts are not allowed it
// returns the workloads left pending.
func (r *AntreaMonitoringReconciler) rollout(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, in antrea.Inputs, ns string, cm *corev1.ConfigMap, targets []antrea.Target) ([]string, error) {
	hashes := antrea.WantedHashes(cm)
	var pending []string
	for _, t := range targets {
		hash, ok := hashes[t.Key]
		if t.ConfigMap != cm.Name || !ok {
			continue
		}
		for _, w := range t.Workloads {
			tmpl := in.PodTemplate(w)
			if tmpl == nil || tmpl.Annotations[antrea.ConfigHashAnnotation] == hash {
				continue
			}
			if !am.RestartWanted() {
				pending = append(pending, w.Kind+"/"+w.Name)
				continue
			}
			if err := r.Apply(ctx, rolloutApplyConfiguration(ns, w, hash), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
				return pending, fmt.Errorf("rolling out %s %s/%s: %w", w.Kind, ns, w.Name, err)
			}
			logf.FromContext(ctx).Info("Rolled out Antrea to apply its new configuration", "kind", w.Kind, "workload", klog.KRef(ns, w.Name), "configHash", hash)
		}
	}
	return pending, nil
}

// rolloutApplyConfiguration is the one field the operator owns on Antrea's
// workloads: the config-hash annotation of the pod template.
func rolloutApplyConfiguration(ns string, w antrea.Workload, hash string) runtime.ApplyConfiguration {
	tmpl := corev1ac.PodTemplateSpec().WithAnnotations(map[string]string{antrea.ConfigHashAnnotation: hash})
	if w.Kind == "DaemonSet" {
		return appsv1ac.DaemonSet(w.Name, ns).WithSpec(appsv1ac.DaemonSetSpec().WithTemplate(tmpl))
	}
	return appsv1ac.Deployment(w.Name, ns).WithSpec(appsv1ac.DeploymentSpec().WithTemplate(tmpl))
}

// reconcileRBAC creates the operator's own ClusterRoles with the rules of
// Antrea's guide, owned by every live AntreaMonitoring, and repairs them
// when edited. Roles it did not create (such as the guide's prometheus and
// prometheus-antrea, made by hand) are never changed, owned or deleted.
func (r *AntreaMonitoringReconciler) reconcileRBAC(ctx context.Context, all []monitoringv1alpha1.AntreaMonitoring) (metav1.Condition, error) {
	t := monitoringv1alpha1.ConditionRBACReady
	err := r.releaseLegacyRoles(ctx)
	if err == nil {
		err = r.applyAll(ctx, render.ClusterRoles(owners(all)), sharedOwnership)
	}
	if err != nil {
		if c, ok := notOwnedCondition(t, err); ok {
			return c, nil
		}
		return falseCond(t, monitoringv1alpha1.ReasonClusterRolesFailed, err.Error()), err
	}
	return trueCond(t, monitoringv1alpha1.ReasonClusterRolesApplied, fmt.Sprintf(
		"ClusterRoles %s and %s (the operator's own, with the rules of Antrea's guide) are in place; roles the operator did not create, such as the guide's prometheus and prometheus-antrea, are left alone.",
		render.PrometheusClusterRole, render.PrometheusAntreaClusterRole)), nil
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
// the finalizer.
func (r *AntreaMonitoringReconciler) finalize(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, all []monitoringv1alpha1.AntreaMonitoring) error {
	if !controllerutil.ContainsFinalizer(am, Finalizer) {
		return nil
	}
	if ns := am.AntreaNamespace(); r.watches(ns) {
		if err := r.restoreAntrea(ctx, am, all, ns); err != nil {
			return fmt.Errorf("restoring Antrea's configuration: %w", err)
		}
	}
	if len(owners(all)) > 0 {
		if _, err := r.reconcileRBAC(ctx, all); err != nil {
			return fmt.Errorf("dropping this AntreaMonitoring from the ClusterRoles' owners: %w", err)
		}
	}
	patch := client.MergeFrom(am.DeepCopy())
	controllerutil.RemoveFinalizer(am, Finalizer)
	if err := r.Patch(ctx, am, patch); err != nil {
		return client.IgnoreNotFound(err)
	}
	logf.FromContext(ctx).Info("Removed finalizer after restoring Antrea's configuration")
	return nil
}
