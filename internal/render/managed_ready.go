package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// imageProblems are the waiting reasons of a container whose image the
// node cannot pull.
var imageProblems = []string{"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}

// startingReasons are the waiting reasons of a container on its way.
var startingReasons = []string{"ContainerCreating", "PodInitializing"}

// managedReady is the verdict on the managed Prometheus (PrometheusReady): OK once its
// Deployment is Available; otherwise what its pods say. An unschedulable
// pod, an image that cannot be pulled, a container that crashed (with the
// last line it wrote, which the kubelet keeps as its termination message)
// or a pod the ReplicaSet may not create is DeploymentUnavailable; a pod
// being scheduled, created or started is PrometheusStarting. The message
// names no pod and no count, so it stays the same from one loop to the next.
func managedReady(ref types.NamespacedName, d *appsv1.Deployment, pods []corev1.Pod, image string) Verdict {
	name := fmt.Sprintf("Deployment %s/%s", ref.Namespace, ref.Name)
	if d != nil {
		for _, dc := range d.Status.Conditions {
			if dc.Type == appsv1.DeploymentAvailable && dc.Status == corev1.ConditionTrue {
				return Verdict{OK: true, Reason: monitoringv1alpha1.ReasonDeploymentAvailable, Message: name + " is available."}
			}
		}
		for _, dc := range d.Status.Conditions {
			if dc.Type == appsv1.DeploymentReplicaFailure && dc.Status == corev1.ConditionTrue {
				return Verdict{Reason: monitoringv1alpha1.ReasonDeploymentUnavailable,
					Message: fmt.Sprintf("%s is not available: its pod cannot be created (%s): %s", name, dc.Reason, bounded(dc.Message))}
			}
		}
	}
	if problem := podProblem(pods, image); problem != "" {
		return Verdict{Reason: monitoringv1alpha1.ReasonDeploymentUnavailable,
			Message: fmt.Sprintf("%s is not available: %s", name, problem)}
	}
	return Verdict{Reason: monitoringv1alpha1.ReasonPrometheusStarting,
		Message: name + " is starting."}
}

// podProblem is what is wrong with the newest pod that has a problem, or "".
func podProblem(pods []corev1.Pod, image string) string {
	pods = slices.Clone(pods)
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return b.CreationTimestamp.Compare(a.CreationTimestamp.Time) })
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				return fmt.Sprintf("its pod cannot be scheduled: %s", bounded(c.Message))
			}
		}
		for _, cs := range slices.Concat(p.Status.InitContainerStatuses, p.Status.ContainerStatuses) {
			if msg := containerProblem(cs, image); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// containerProblem says what is wrong with one container, or "".
func containerProblem(cs corev1.ContainerStatus, image string) string {
	who := "container " + cs.Name
	if w := cs.State.Waiting; w != nil && !slices.Contains(startingReasons, w.Reason) {
		if slices.Contains(imageProblems, w.Reason) {
			return fmt.Sprintf("%s cannot pull its image (%s): set spec.prometheus.managed.image (%s) to an image your nodes can pull.", who, w.Reason, image)
		}
		msg := fmt.Sprintf("%s is waiting (%s)", who, w.Reason)
		if last := terminated(cs.LastTerminationState.Terminated); last != "" {
			msg += "; it last " + last
		} else if w.Message != "" {
			msg += ": " + bounded(w.Message)
		}
		return msg + dataHint(cs)
	}
	if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
		return fmt.Sprintf("%s %s%s", who, terminated(t), dataHint(cs))
	}
	return ""
}

// terminated describes a failed termination: its exit code, reason and the
// last line the container wrote.
func terminated(t *corev1.ContainerStateTerminated) string {
	if t == nil || t.ExitCode == 0 {
		return ""
	}
	s := fmt.Sprintf("exited with code %d (%s)", t.ExitCode, t.Reason)
	if line := lastLogLine(t.Message); line != "" {
		s += ": " + line
	}
	return s
}

// dataHint explains a "permission denied" crash: the data volume ignores
// fsGroup.
func dataHint(cs corev1.ContainerStatus) string {
	for _, t := range []*corev1.ContainerStateTerminated{cs.State.Terminated, cs.LastTerminationState.Terminated} {
		if t != nil && strings.Contains(t.Message, "permission denied") {
			return "; the data volume is not writable by Prometheus's user 65534 (a volume that ignores fsGroup, such as hostPath): " +
				"keep spec.prometheus.managed.storage.initChownData true, or give the volume to 65534."
		}
	}
	return "."
}

var (
	logfmtErr  = regexp.MustCompile(`\berr="((?:[^"\\]|\\.)*)"`)
	logfmtMsg  = regexp.MustCompile(`\bmsg="((?:[^"\\]|\\.)*)"`)
	timestamps = regexp.MustCompile(`\b(?:ts|time)=\S+\s*`)
)

// lastLogLine is the last line of a termination message without what
// changes from one crash to the next (timestamps): for Prometheus's logfmt
// its msg and err, otherwise the line itself, bounded.
func lastLogLine(message string) string {
	lines := strings.Split(strings.TrimSpace(message), "\n")
	line := strings.TrimSpace(lines[len(lines)-1])
	var parts []string
	for _, re := range []*regexp.Regexp{logfmtMsg, logfmtErr} {
		if m := re.FindStringSubmatch(line); m != nil {
			parts = append(parts, m[1])
		}
	}
	if len(parts) > 0 {
		return bounded(strings.Join(parts, ": "))
	}
	return bounded(timestamps.ReplaceAllString(line, ""))
}

// bounded keeps a quoted message short enough for a condition.
func bounded(s string) string {
	const max = 300
	s = strings.TrimSpace(s)
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
