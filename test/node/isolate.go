// Package node runs a real Kubernetes node for the in-cluster tests: a
// control plane (kube-apiserver, etcd, kube-controller-manager with all its
// controllers, kube-scheduler), containerd with runc, a kubelet, kube-proxy
// and a cluster DNS, all inside network, mount and PID namespaces the test
// creates, so the machine's routes, firewall, mounts and sysctls never
// change (Isolate proves it), and everything is gone when the suite ends.
package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// envInside names, in the isolated suite's environment, the node's ID (its
// cgroup root's name). Its presence says the process runs isolated.
const envInside = "AMO_NODE_ID"

// Isolate runs the suite (usually m.Run from TestMain) inside new network,
// mount and PID namespaces, and returns its exit code:
//
//   - first it checks the machine can run a node (Preflight), and returns 1
//     with what is missing if not;
//   - it records the machine's state (routes, links, addresses, firewall,
//     mounts, cgroups, the sysctls a kubelet sets, the host folders a kubelet
//     and the CNI plugins create), watches the routes and sysctls while the
//     suite runs, and compares everything afterwards: any difference makes
//     the suite fail and is printed;
//   - when the suite ends, its PID namespace takes every process it started
//     with it (containers and shims too), its mount namespace every mount,
//     and Isolate removes the node's cgroups.
//
// Inside, it just runs the suite.
func Isolate(run func() int) int {
	if Inside() {
		return run()
	}
	if err := Preflight(); err != nil {
		fmt.Fprintf(os.Stderr, "The real node cannot run on this machine: %v\n", err)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "real node: %v\n", err)
		return 1
	}
	id := fmt.Sprintf("amo-node-%d", os.Getpid())
	before := Snapshot()
	cmd := exec.Command("unshare", append([]string{"--net", "--mount", "--pid", "--fork", "--mount-proc", "--propagation", "private", "--", exe}, os.Args[1:]...)...) //nolint:gosec // the test binary itself
	cmd.Env = append(os.Environ(), envInside+"="+id)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "real node: starting the isolated suite: %v\n", err)
		return 1
	}
	during, polls, runErr := watchWhile(cmd, before)
	code := cmd.ProcessState.ExitCode()
	if runErr != nil && code == 0 {
		code = 1
	}
	if err := RemoveCgroups(id); err != nil {
		fmt.Fprintf(os.Stderr, "real node: %v\n", err)
		code = 1
	}
	after := Snapshot()
	changed := Compare(before, after)
	for _, k := range changed {
		fmt.Fprintf(os.Stderr, "real node: the machine's %s differs after the suite:\n%s\n", k, diff(before[k], after[k]))
	}
	if len(changed) > 0 || len(during) > 0 {
		return 1
	}
	fmt.Printf("real node: the machine is as before: %d routes, %d links, %d mounts, sysctls %s, firewall and host folders unchanged (routes and sysctls checked %d times while the suite ran)\n",
		lines(before["routes"]), lines(before["links"]), lines(before["mounts"]), strings.ReplaceAll(strings.TrimSpace(before["sysctls"]), "\n", ", "), polls)
	return code
}

// watchWhile waits for the isolated process, comparing the watched parts
// of the machine with before every half second; it returns the parts that
// changed meanwhile, how many times it looked and the wait's error.
func watchWhile(cmd *exec.Cmd, before map[string]string) ([]string, int, error) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var during []string
	for polls := 0; ; polls++ {
		select {
		case err := <-done:
			return during, polls, err
		case <-time.After(500 * time.Millisecond):
		}
		now := snapshotWatched()
		for _, k := range watched {
			if now[k] != before[k] && !slices.Contains(during, k) {
				during = append(during, k)
				fmt.Fprintf(os.Stderr, "real node: the machine's %s changed while the suite ran:\n%s\n", k, diff(before[k], now[k]))
			}
		}
	}
}

// Inside says whether this process runs isolated by Isolate.
func Inside() bool { return os.Getenv(envInside) != "" }

// Preflight says what the machine lacks to run a node: root, overlayfs,
// cgroups, namespaces, the commands of Debian's packages
// (hack/tools.sh node-packages installs them).
func Preflight() error {
	fs, _ := os.ReadFile("/proc/filesystems")
	missing := lacking(machine{
		euid:        os.Geteuid(),
		filesystems: fs,
		exists:      func(p string) bool { _, err := os.Stat(p); return err == nil },
		lookPath:    func(c string) bool { _, err := exec.LookPath(c); return err == nil },
	})
	if len(missing) > 0 {
		return fmt.Errorf("missing: %s", strings.Join(missing, "; "))
	}
	if out, err := exec.Command("unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", "true").CombinedOutput(); err != nil {
		return fmt.Errorf("new network, mount and PID namespaces are refused (%w: %s)", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// machine is what Preflight reads of the machine.
type machine struct {
	euid        int
	filesystems []byte
	exists      func(path string) bool
	lookPath    func(command string) bool
}

// lacking names, for the user, what the machine lacks to run a node.
func lacking(m machine) []string {
	var missing []string
	if m.euid != 0 {
		missing = append(missing, "root (the kubelet, containerd and the namespaces need it; run make test as root)")
	}
	if !bytes.Contains(m.filesystems, []byte("\toverlay\n")) {
		missing = append(missing, "overlayfs in the kernel (containerd's snapshotter)")
	}
	if !m.exists("/sys/fs/cgroup") {
		missing = append(missing, "cgroups mounted at /sys/fs/cgroup")
	}
	for _, c := range []string{"unshare", "ip", "containerd", "containerd-shim-runc-v2", "runc", "ctr", "nft"} {
		if !m.lookPath(c) {
			missing = append(missing, c+" (hack/tools.sh node-packages installs it)")
		}
	}
	if !m.exists("/usr/lib/cni/bridge") {
		missing = append(missing, "the CNI plugins in /usr/lib/cni (Debian's containernetworking-plugins)")
	}
	return missing
}

// The sysctls a kubelet sets (and the forwarding switches), read from
// the machine's namespace.
var hostSysctls = []string{"vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops", "net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding"}

// The host folders a kubelet, containerd and the CNI plugins create
// whatever their flags say.
var hostFolders = []string{"/var/lib/kubelet", "/var/lib/cni", "/var/log/containers", "/var/log/pods", "/etc/cni", "/opt/cni", "/opt/containerd", "/run/containerd", "/var/lib/containerd", "/run/netns"}

// watched are the parts of a snapshot watched while the suite runs.
var watched = []string{"routes", "sysctls"}

// Snapshot records the machine's state the node could change, by part.
func Snapshot() map[string]string {
	s := snapshotWatched()
	s["links"] = run("ip", "-o", "link", "show")
	s["addresses"] = run("ip", "-o", "address", "show")
	s["rules"] = run("ip", "rule", "show")
	s["nftables"] = run("nft", "list", "ruleset")
	s["iptables"] = stripCounters(run("iptables-save"))
	s["mounts"] = mounts()
	s["cgroups"] = cgroups()
	var folders []string
	for _, f := range hostFolders {
		if _, err := os.Stat(f); err == nil {
			folders = append(folders, f)
		}
	}
	s["host folders"] = strings.Join(folders, "\n")
	return s
}

func snapshotWatched() map[string]string {
	var b strings.Builder
	for _, k := range hostSysctls {
		v, err := os.ReadFile(filepath.Join("/proc/sys", k))
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "%s=%s\n", strings.ReplaceAll(k, "/", "."), strings.TrimSpace(string(v)))
	}
	return map[string]string{
		"routes":  run("ip", "-4", "route", "show", "table", "all") + run("ip", "-6", "route", "show", "table", "all"),
		"sysctls": b.String(),
	}
}

// Compare returns the parts of two snapshots that differ, sorted.
func Compare(before, after map[string]string) []string {
	var changed []string
	for k, v := range before {
		if after[k] != v {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return changed
}

func run(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return fmt.Sprintf("(%s: %v)", name, err)
	}
	return string(out)
}

// stripCounters drops iptables-save's packet counters and timestamps.
func stripCounters(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, ":") {
			if i := strings.LastIndex(l, " ["); i > 0 {
				l = l[:i]
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// mounts lists the machine's mount points (the fifth field of mountinfo).
func mounts() string {
	b, err := os.ReadFile("/proc/1/mountinfo")
	if err != nil {
		return err.Error()
	}
	var points []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 {
			points = append(points, f[4])
		}
	}
	sort.Strings(points)
	return strings.Join(points, "\n")
}

// cgroups lists the top-level cgroups of every hierarchy.
func cgroups() string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/*/")
	var out []string
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// RemoveCgroups removes cgroup root id (and everything under it) from every
// hierarchy, once the processes in it are gone (it waits up to 30 s).
func RemoveCgroups(id string) error {
	roots, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", id))
	if d := filepath.Join("/sys/fs/cgroup", id); isDir(d) {
		roots = append(roots, d)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, root := range roots {
		for {
			err := removeTree(root)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("removing the node's cgroup %s: %w", root, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

// removeTree removes a cgroup folder depth first (cgroup folders hold only
// the kernel's files, which go with their folder).
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func lines(s string) int { return strings.Count(strings.TrimSpace(s), "\n") + 1 }

// diff shows the lines only in a (-) and only in b (+).
func diff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	am, bm := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !bm[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !am[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
