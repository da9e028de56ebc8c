package render

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// TestManagedReady: PrometheusReady says what the pod says; a crash is not
// an image problem, and a pod on its way is not a warning.
func TestManagedReady(t *testing.T) {
	ref := types.NamespacedName{Namespace: "monitoring", Name: "antrea-prometheus"}
	const image = "quay.io/prometheus/prometheus:v2.46.0"
	pod := func(age time.Duration, mutate func(*corev1.Pod)) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "antrea-prometheus-abc", CreationTimestamp: metav1.NewTime(time.Unix(1e9, 0).Add(-age))}}
		mutate(&p)
		return p
	}
	container := func(cs corev1.ContainerStatus) func(*corev1.Pod) {
		return func(p *corev1.Pod) { cs.Name = "prometheus"; p.Status.ContainerStatuses = []corev1.ContainerStatus{cs} }
	}
	// What Prometheus 2.46 wrote on a hostPath volume owned by root.
	const crashLog = `ts=2026-11-30T10:01:02.345Z caller=main.go:1087 level=info msg="Starting TSDB ..."
ts=2026-11-30T10:01:02.346Z caller=query_logger.go:93 level=error component=activeQueryTracker msg="Error opening query log file" file=/prometheus/queries.active err="open /prometheus/queries.active: permission denied"
`
	available := &appsv1.Deployment{Status: appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}}}
	for _, tc := range []struct {
		name    string
		d       *appsv1.Deployment
		pods    []corev1.Pod
		reason  string
		message string
	}{
		{"available", available, nil, monitoringv1alpha1.ReasonDeploymentAvailable, "Deployment monitoring/antrea-prometheus is available."},
		{"no Deployment yet", nil, nil, monitoringv1alpha1.ReasonPrometheusStarting, "Deployment monitoring/antrea-prometheus is starting."},
		{"creating its container", &appsv1.Deployment{}, []corev1.Pod{pod(0, container(corev1.ContainerStatus{
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}))},
			monitoringv1alpha1.ReasonPrometheusStarting, "Deployment monitoring/antrea-prometheus is starting."},
		{"crash-looping on a volume that ignores fsGroup", &appsv1.Deployment{}, []corev1.Pod{pod(0, container(corev1.ContainerStatus{
			RestartCount:         4,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", Message: crashLog}}}))},
			monitoringv1alpha1.ReasonDeploymentUnavailable,
			"Deployment monitoring/antrea-prometheus is not available: container prometheus is waiting (CrashLoopBackOff); it last exited with code 1 (Error): " +
				"Error opening query log file: open /prometheus/queries.active: permission denied; the data volume is not writable by Prometheus's user 65534 " +
				"(a volume that ignores fsGroup, such as hostPath): keep spec.prometheus.managed.storage.initChownData true, or give the volume to 65534."},
		{"an image that cannot be pulled", &appsv1.Deployment{}, []corev1.Pod{pod(0, container(corev1.ContainerStatus{
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}}}))},
			monitoringv1alpha1.ReasonDeploymentUnavailable,
			"Deployment monitoring/antrea-prometheus is not available: container prometheus cannot pull its image (ImagePullBackOff): set spec.prometheus.managed.image (quay.io/prometheus/prometheus:v2.46.0) to an image your nodes can pull."},
		{"unschedulable", &appsv1.Deployment{}, []corev1.Pod{pod(0, func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
				Message: "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims."}}
		})}, monitoringv1alpha1.ReasonDeploymentUnavailable,
			"Deployment monitoring/antrea-prometheus is not available: its pod cannot be scheduled: 0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims."},
		{"a pod the ReplicaSet may not create", &appsv1.Deployment{Status: appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentReplicaFailure,
			Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: `pods "antrea-prometheus-abc" is forbidden: violates PodSecurity "restricted:latest"`}}}}, nil,
			monitoringv1alpha1.ReasonDeploymentUnavailable,
			`Deployment monitoring/antrea-prometheus is not available: its pod cannot be created (FailedCreate): pods "antrea-prometheus-abc" is forbidden: violates PodSecurity "restricted:latest"`},
		{"the init step failed", &appsv1.Deployment{}, []corev1.Pod{pod(0, func(p *corev1.Pod) {
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "init-chown-data",
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", Message: "chown: /prometheus: Operation not permitted\n"}}}}
		})}, monitoringv1alpha1.ReasonDeploymentUnavailable,
			"Deployment monitoring/antrea-prometheus is not available: container init-chown-data exited with code 1 (Error): chown: /prometheus: Operation not permitted."},
		{"the newest pod decides", &appsv1.Deployment{}, []corev1.Pod{
			pod(time.Hour, container(corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}})),
			pod(0, container(corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error", Message: "bad flag\n"}}})),
		}, monitoringv1alpha1.ReasonDeploymentUnavailable,
			"Deployment monitoring/antrea-prometheus is not available: container prometheus is waiting (CrashLoopBackOff); it last exited with code 2 (Error): bad flag."},
	} {
		got := managedReady(ref, tc.d, tc.pods, image)
		want := Verdict{OK: tc.reason == monitoringv1alpha1.ReasonDeploymentAvailable, Reason: tc.reason, Message: tc.message}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
