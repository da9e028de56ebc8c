package controllers

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPortlessAgentPort(t *testing.T) {
	linux := func(node string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "antrea-agent-" + node}, Spec: corev1.PodSpec{NodeName: node,
			Containers: []corev1.Container{{Name: "antrea-agent", Ports: []corev1.ContainerPort{{Name: "api", ContainerPort: 10350}}}, {Name: "antrea-ovs"}}}}
	}
	windows := func(node string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "antrea-agent-windows-" + node}, Spec: corev1.PodSpec{NodeName: node,
			Containers: []corev1.Container{{Name: "antrea-agent"}, {Name: "antrea-ovs"}}}}
	}
	agents := map[string]agentInfo{"lin-1": {APIPort: 11111}, "win-1": {APIPort: 10350}, "win-2": {APIPort: 12000}, "win-3": {APIPort: 12000}}
	for _, tc := range []struct {
		name string
		pods []*corev1.Pod
		want int32
	}{
		{"no Windows agent", []*corev1.Pod{linux("lin-1")}, 0},
		{"a Windows agent without AntreaAgentInfo yet", []*corev1.Pod{linux("lin-1"), windows("win-9")}, 0},
		{"the Windows agent's apiPort, not the Linux agent's", []*corev1.Pod{linux("lin-1"), windows("win-1")}, 10350},
		{"the port most Windows agents report", []*corev1.Pod{windows("win-1"), windows("win-2"), windows("win-3")}, 12000},
		{"the lowest on a tie", []*corev1.Pod{windows("win-1"), windows("win-2")}, 10350},
	} {
		if got := portlessAgentPort(tc.pods, agents); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}

	// agentAPIPort reads the running agents gathered with the fleet: a
	// failed read of them fails it, a failed read of the AntreaAgentInfo
	// objects only when a port-less agent runs.
	boom := errors.New("boom")
	for _, tc := range []struct {
		name                string
		pods                []*corev1.Pod
		fleetErr, agentsErr error
		want                int32
		wantErr             error
	}{
		{"Linux agents", []*corev1.Pod{linux("lin-1")}, nil, boom, 0, nil},
		{"a Windows agent", []*corev1.Pod{linux("lin-1"), windows("win-2")}, nil, nil, 12000, nil},
		{"a Windows agent, its info unread", []*corev1.Pod{windows("win-2")}, nil, boom, 0, boom},
		{"the pods unread", nil, boom, nil, 0, boom},
	} {
		got, err := agentAPIPort(tc.pods, tc.fleetErr, agents, tc.agentsErr)
		if got != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("%s: agentAPIPort() = %d, %v; want %d, %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}
