package promop

import (
	"testing"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func promPod(name, shard, ip string, ready bool, port int32) corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "monitoring", Name: name, Labels: map[string]string{NameLabel: "k8s", ShardLabel: shard}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}}}
	if port != 0 {
		p.Spec.Containers = []corev1.Container{{Name: "config-reloader", Ports: []corev1.ContainerPort{{Name: "reloader-web", ContainerPort: 8080}}},
			{Name: "prometheus", Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: port}}}}
	}
	return p
}

func TestReadyPodsByShard(t *testing.T) {
	got := ReadyPodsByShard([]corev1.Pod{
		promPod("prometheus-k8s-1", "0", "10.0.0.2", true, 9090),
		promPod("prometheus-k8s-0", "0", "10.0.0.1", true, 9090),
		promPod("prometheus-k8s-shard-1-0", "1", "10.0.0.3", false, 9090), // not ready
		promPod("prometheus-k8s-shard-1-1", "1", "10.0.0.4", true, 0),     // no web port declared
		promPod("prometheus-k8s-shard-2-0", "2", "", true, 9090),          // no IP yet
		promPod("stray", "x", "10.0.0.9", true, 9090),                     // no shard number
	}, DefaultPortName)
	if len(got) != 2 {
		t.Fatalf("shards %v, want 0 and 1", got)
	}
	if g := got[0]; len(g) != 2 || g[0].Name != "prometheus-k8s-0" || g[1].Name != "prometheus-k8s-1" || g[0].Port != 9090 {
		t.Errorf("shard 0: %+v, want both replicas sorted by name on port 9090", g)
	}
	if g := got[1]; len(g) != 1 || g[0].Name != "prometheus-k8s-shard-1-1" || g[0].Port != DefaultWebPort {
		t.Errorf("shard 1: %+v, want only the ready replica, on the default port", g)
	}
}

// The web port is found by the Prometheus's spec.portName (kube-prometheus-
// stack sets http-web), not by a guessed "web".
func TestReadyPodsByShardPortName(t *testing.T) {
	p := promPod("prometheus-kps-0", "0", "10.0.0.1", true, 0)
	p.Spec.Containers = []corev1.Container{{Name: "prometheus", Ports: []corev1.ContainerPort{
		{Name: "web", ContainerPort: 8080}, // a port of another meaning that happens to be called web
		{Name: "http-web", ContainerPort: 9091},
	}}}
	prom := FromPrometheus(&promv1.Prometheus{Spec: promv1.PrometheusSpec{CommonPrometheusFields: promv1.CommonPrometheusFields{PortName: "http-web"}}})
	if got := ReadyPodsByShard([]corev1.Pod{p}, PortName(&prom))[0]; len(got) != 1 || got[0].Port != 9091 {
		t.Errorf("pods %+v, want port 9091 (named http-web)", got)
	}
	if got := PortName(&Collector{}); got != "web" {
		t.Errorf("PortName of a Prometheus without spec.portName = %q, want prometheus-operator's default web", got)
	}
}
