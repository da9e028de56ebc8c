package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
)

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

// antreaMetricsPhase enables metrics in every conf of the ConfigMap Antrea
// reads (or restores them when no AntreaMonitoring asks any more) and
// rolls Antrea out, so it reads them (Antrea reads its conf only at
// start-up). Its condition is AntreaMetricsEnabled.
func (r *AntreaMonitoringReconciler) antreaMetricsPhase(ctx context.Context, s *scope) result {
	c, err := r.reconcileAntreaMetrics(ctx, s)
	return result{conditions: []metav1.Condition{c}, err: err}
}

func (r *AntreaMonitoringReconciler) reconcileAntreaMetrics(ctx context.Context, s *scope) (metav1.Condition, error) {
	a := s.antrea
	s.status.AntreaConfigMap = nil
	switch {
	case !a.watched:
		return metricsNamespaceNotWatched(r.AntreaNamespaces, a.namespace), nil
	case a.err != nil:
		return metricsUpdateFailed(a.err), a.err
	}
	s.status.AntreaConfigMap = &monitoringv1alpha1.ObjectReference{Namespace: a.namespace, Name: a.resolved.Name}
	if !a.resolved.Found {
		return metricsConfigMapNotFound(a.namespace, a.resolved), nil
	}
	targets := antrea.Targets(a.in, a.resolved.Name)
	want := metricsWanted(s.all, a.in, a.namespace, a.resolved.Name)
	outcome, err := r.syncConfigMaps(ctx, s.am, a.in, a.namespace, targets, want)
	prev := meta.FindStatusCondition(s.am.Status.Conditions, monitoringv1alpha1.ConditionAntreaMetricsEnabled)
	c := keepReapplied(prev, s.am.Generation, metricsCondition(s.am, a.namespace, outcome))
	return restartPending(c, s.fleet), err
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
		cm, plan, managedBy, err := r.writeConfigMap(ctx, in.ConfigMaps[cmName], ns, cmName, keys, want)
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
		pending, err := r.rollout(ctx, am, in, ns, cm, targets, want)
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

// writeConfigMap plans the edit on the gathered ConfigMap (cached, nil when
// absent) and, when it changes something, on a fresh read, which it writes
// with the read resourceVersion as precondition; on a conflict (someone
// else wrote in between) it reads again and re-plans, so their edit is
// never lost. When the plan re-enables reverted confs it also says who else
// manages the ConfigMap.
func (r *AntreaMonitoringReconciler) writeConfigMap(ctx context.Context, cached *corev1.ConfigMap, ns, name string, keys []string, want bool) (*corev1.ConfigMap, antrea.Plan, string, error) {
	if cached == nil {
		return nil, antrea.Plan{}, "", fmt.Errorf("reading ConfigMap %s/%s: %w", ns, name, apierrors.NewNotFound(corev1.Resource("configmaps"), name))
	}
	plan, err := planFor(cached, keys, want)
	if err != nil || !plan.Write {
		return cached, plan, "", err // the common, unchanged case: no API call
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
// returns the workloads left pending. Restoring (!enabled), the hash is the
// restored conf's (RestoreHash, the ConfigMap keeps none), and only the
// workloads the operator rolled out before (their template carries a hash)
// are rolled out again.
func (r *AntreaMonitoringReconciler) rollout(ctx context.Context, am *monitoringv1alpha1.AntreaMonitoring, in antrea.Inputs, ns string, cm *corev1.ConfigMap, targets []antrea.Target, enabled bool) ([]string, error) {
	hashes := antrea.WantedHashes(cm)
	if !enabled {
		hashes = antrea.RestoredHashes(cm, targetKeys(targets, cm.Name))
	}
	var pending []string
	for _, t := range targets {
		hash, ok := hashes[t.Key]
		if t.ConfigMap != cm.Name || !ok {
			continue
		}
		for _, w := range t.Workloads {
			tmpl := in.PodTemplate(w)
			if tmpl == nil || tmpl.Annotations[antrea.ConfigHashAnnotation] == hash || (!enabled && tmpl.Annotations[antrea.ConfigHashAnnotation] == "") {
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
