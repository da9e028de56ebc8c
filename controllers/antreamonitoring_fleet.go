package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antrea"
)

// fleet is what Antrea runs in its namespace: what each pool is judged
// against. A pool with fewer targets than Antrea runs pods is not healthy.
type fleet struct {
	namespace string
	// running are the running, not terminating, pods by component label,
	// as the cache holds them (listed without a copy): read only.
	running map[string][]*corev1.Pod
	// desired is what the workloads ask for, by component: a DaemonSet's
	// desiredNumberScheduled, a Deployment's replicas.
	desired map[string]int32
	// stale are pods (namespace/name) started before their workload's pod
	// template got the operator's config hash: they run with the conf from
	// before the operator's edit (Antrea reads it only at start-up), until
	// they are gone (terminating ones included: a rollout deletes the old
	// pod first, and it runs until the kubelet has stopped it).
	stale []string
}

// gatherFleet reads Antrea's pods and workloads from the cache. The pods
// (one per Node) are listed without the cache's deep copy, the cost of a
// reconcile at thousands of Nodes: nothing may change them.
func (r *AntreaMonitoringReconciler) gatherFleet(ctx context.Context, ns string) (fleet, error) {
	f := fleet{namespace: ns, running: map[string][]*corev1.Pod{}, desired: map[string]int32{}}
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{"app": "antrea"}, client.UnsafeDisableDeepCopy); err != nil {
		return f, fmt.Errorf("listing Antrea's pods in %s: %w", ns, err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp.IsZero() {
			f.running[p.Labels["component"]] = append(f.running[p.Labels["component"]], p)
		}
	}
	var dss appsv1.DaemonSetList
	if err := r.List(ctx, &dss, client.InNamespace(ns)); err != nil {
		return f, fmt.Errorf("listing DaemonSets in %s: %w", ns, err)
	}
	var deps appsv1.DeploymentList
	if err := r.List(ctx, &deps, client.InNamespace(ns)); err != nil {
		return f, fmt.Errorf("listing Deployments in %s: %w", ns, err)
	}
	for _, ds := range dss.Items {
		f.desired[ds.Spec.Template.Labels["component"]] += ds.Status.DesiredNumberScheduled
		f.stale = append(f.stale, stalePods(pods.Items, ds.Spec.Selector, ds.Spec.Template)...)
	}
	for _, d := range deps.Items {
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		f.desired[d.Spec.Template.Labels["component"]] += replicas
		f.stale = append(f.stale, stalePods(pods.Items, d.Spec.Selector, d.Spec.Template)...)
	}
	sort.Strings(f.stale)
	return f, nil
}

// stalePods are the workload's pods whose config hash is not the one its
// template carries (pods copy their template's annotations when created),
// terminating or not.
func stalePods(pods []corev1.Pod, selector *metav1.LabelSelector, tmpl corev1.PodTemplateSpec) []string {
	hash := tmpl.Annotations[antrea.ConfigHashAnnotation]
	if hash == "" || selector == nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range pods {
		if sel.Matches(labels.Set(p.Labels)) && p.Annotations[antrea.ConfigHashAnnotation] != hash {
			out = append(out, p.Namespace+"/"+p.Name)
		}
	}
	return out
}

// expected is how many targets a component's pool should have.
func (f fleet) expected(component string) int {
	return max(len(f.running[component]), int(f.desired[component]))
}

// unscraped names the running pods of a component that no target's
// instance label (node;pod, as the jobs set it) stands for.
func (f fleet) unscraped(component string, instances map[string]bool) []string {
	var out []string
	for _, p := range f.running[component] {
		if !instances[p.Spec.NodeName+";"+p.Name] {
			out = append(out, fmt.Sprintf("%s (pod %s)", p.Spec.NodeName, p.Name))
		}
	}
	sort.Strings(out)
	return out
}

// listSome joins up to n items and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
