package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPortlessAgentPort(t *testing.T) {
	linux := func(node string) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "antrea-agent-" + node}, Spec: corev1.PodSpec{NodeName: node,
			Containers: []corev1.Container{{Name: "antrea-agent", Ports: []corev1.ContainerPort{{Name: "api", ContainerPort: 10350}}}, {Name: "antrea-ovs"}}}}
	}
	windows := func(node string) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "antrea-agent-windows-" + node}, Spec: corev1.PodSpec{NodeName: node,
			Containers: []corev1.Container{{Name: "antrea-agent"}, {Name: "antrea-ovs"}}}}
	}
	agents := map[string]agentInfo{"lin-1": {APIPort: 11111}, "win-1": {APIPort: 10350}, "win-2": {APIPort: 12000}, "win-3": {APIPort: 12000}}
	for _, tc := range []struct {
		name string
		pods []corev1.Pod
		want int32
	}{
		{"no Windows agent", []corev1.Pod{linux("lin-1")}, 0},
		{"a Windows agent without AntreaAgentInfo yet", []corev1.Pod{linux("lin-1"), windows("win-9")}, 0},
		{"the Windows agent's apiPort, not the Linux agent's", []corev1.Pod{linux("lin-1"), windows("win-1")}, 10350},
		{"the port most Windows agents report", []corev1.Pod{windows("win-1"), windows("win-2"), windows("win-3")}, 12000},
		{"the lowest on a tie", []corev1.Pod{windows("win-1"), windows("win-2")}, 10350},
	} {
		if got := portlessAgentPort(tc.pods, agents); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}
