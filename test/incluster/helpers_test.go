//go:build incluster

package incluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/nodeworld"
)

// helm runs the real Helm against the node's control plane.
func helm(args ...string) (string, error) {
	bin := os.Getenv("HELM")
	if bin == "" {
		return "", fmt.Errorf("HELM is not set (make test-incluster builds it with hack/tools.sh helm)")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+world.Kubeconfig, "HELM_CACHE_HOME="+filepath.Join(world.Dir, "helm"),
		"HELM_CONFIG_HOME="+filepath.Join(world.Dir, "helm"), "HELM_DATA_HOME="+filepath.Join(world.Dir, "helm"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// chartDir is the project's chart.
func chartDir() string {
	return filepath.Join(nodeworld.RepoRoot(), "charts", "antrea-monitoring-operator")
}

// podsOf lists the pods matching sel in ns, oldest first.
func podsOf(ctx context.Context, ns string, sel map[string]string) ([]corev1.Pod, error) {
	var l corev1.PodList
	if err := world.Client.List(ctx, &l, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: labels.SelectorFromSet(sel)}); err != nil {
		return nil, err
	}
	slices.SortFunc(l.Items, func(a, b corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	return l.Items, nil
}

// ready says whether a pod runs with every container ready.
func ready(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// readySince is when the pod became Ready.
func readySince(p *corev1.Pod) metav1.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.LastTransitionTime
		}
	}
	return metav1.Time{}
}

func names(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

// podLog is what the kubelet wrote of a container's output, read on the
// node (/var/log/pods), every restart included.
func podLog(p *corev1.Pod, container string) string {
	files, _ := filepath.Glob(filepath.Join("/var/log/pods", fmt.Sprintf("%s_%s_%s", p.Namespace, p.Name, p.UID), container, "*.log"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		b.Write(data)
	}
	return b.String()
}

// condition is the AntreaMonitoring's condition t (nil when absent).
func condition(am *monitoringv1alpha1.AntreaMonitoring, t string) *metav1.Condition {
	return meta.FindStatusCondition(am.Status.Conditions, t)
}

// process is a process of the node running binary (by its command line's
// first word), seen through /proc: its user and whether its root is
// read-only.
type process struct {
	PID          int
	UID, GID     string
	Groups       []string
	ReadOnlyRoot bool
}

// findProcess finds the processes whose executable's name is exe.
func findProcess(exe string) ([]process, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, err
	}
	var out []process
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		if filepath.Base(strings.SplitN(string(cmdline), "\x00", 2)[0]) != exe {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		p := process{PID: pid}
		status, err := os.ReadFile(filepath.Join(d, "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 2 && f[0] == "Uid:":
				p.UID = f[1]
			case len(f) >= 2 && f[0] == "Gid:":
				p.GID = f[1]
			case len(f) >= 1 && f[0] == "Groups:":
				p.Groups = f[1:]
			}
		}
		p.ReadOnlyRoot, err = rootReadOnly(filepath.Join(d, "mountinfo"))
		if err != nil {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// rootReadOnly reads a process's mountinfo: is its / mounted read-only?
func rootReadOnly(mountinfo string) (bool, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }()
	ro := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		// id parent major:minor root mountpoint options ...
		f := strings.Fields(s.Text())
		if len(f) > 5 && f[4] == "/" {
			ro = slices.Contains(strings.Split(f[5], ","), "ro") // the last mount on / wins
		}
	}
	return ro, s.Err()
}
