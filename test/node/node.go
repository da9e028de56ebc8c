package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
)

// The node's network, inside the suite's own network namespace (so these
// ranges never reach the machine's routing table).
const (
	Name        = "node-0"
	IP          = "10.88.0.10"
	PodCIDR     = "10.244.0.0/24"
	ServiceCIDR = "10.96.0.0/16"
	// APIServerServiceIP is the kubernetes Service's ClusterIP (the first
	// of ServiceCIDR).
	APIServerServiceIP = "10.96.0.1"
	// DNSServiceIP is where the cluster DNS answers (on the node's address).
	DNSServiceIP = IP
)

// Options shape the node.
type Options struct {
	// CRDDirs are installed with the control plane.
	CRDDirs []string
	// Images are image archives (docker or OCI tarballs) imported into
	// containerd's k8s.io namespace before the kubelet starts.
	Images []string
	// PauseImage is the sandbox image, one of Images.
	PauseImage string
	// Progress, when set, is told what happens, with the time it took.
	Progress func(string)
}

// Node is a running control plane with a real node.
type Node struct {
	Env    *envtest.Environment
	Config *rest.Config
	Client client.Client
	Kube   kubernetes.Interface
	// Dir holds the node's files (on a tmpfs of the suite's own).
	Dir string
	// Kubeconfig is an admin kubeconfig (system:masters).
	Kubeconfig string
	// CA is the API server's CA, which pods trust.
	CA []byte
	// Timings are how long each part took to start.
	Timings []Timing

	id       string
	procs    []*process
	dns      *clusterDNS
	progress func(string)
	mu       sync.Mutex
}

// Timing is how long one part of the node took to start.
type Timing struct {
	What string
	Took time.Duration
}

// Start brings the control plane and the node up. It must run inside
// Isolate (TestMain): it mounts tmpfs over /run, /var/lib and /var/log, and
// masks the sysctls a kubelet writes, in the suite's own namespaces.
func Start(ctx context.Context, o Options) (n *Node, err error) {
	if !Inside() {
		return nil, errors.New("node.Start runs only inside node.Isolate (call it from TestMain), so the machine's network, mounts and sysctls are never changed")
	}
	n = &Node{id: os.Getenv(envInside), progress: o.Progress}
	if n.progress == nil {
		n.progress = func(string) {}
	}
	defer func() {
		if err != nil {
			hold()
			n.Stop()
		}
	}()
	steps := []struct {
		what string
		do   func() error
	}{
		{"private folders and sysctl masks", n.privateFolders},
		{"node network", n.network},
		{"cgroups", n.cgroups},
		{"control plane (kube-apiserver, etcd)", func() error { return n.controlPlane(o) }},
		{"kube-controller-manager and kube-scheduler", func() error { return n.controllers(ctx) }},
		{"containerd and images", func() error { return n.containerd(ctx, o) }},
		{"cluster DNS", func() error {
			var err error
			n.dns, err = startDNS(n.Kube, net.JoinHostPort(DNSServiceIP, "53"))
			return err
		}},
		{"kubelet (Node Ready)", func() error { return n.kubelet(ctx) }},
		{"kube-proxy (kubernetes Service reachable)", func() error { return n.kubeProxy(ctx) }},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.do(); err != nil {
			return n, fmt.Errorf("starting the node: %s: %w", s.what, err)
		}
		n.Timings = append(n.Timings, Timing{s.what, time.Since(start)})
		n.progress(fmt.Sprintf("%s: %.1fs", s.what, time.Since(start).Seconds()))
	}
	return n, nil
}

// privateFolders puts tmpfs over the folders a node writes whatever its
// flags say (/var/lib/kubelet, /var/lib/cni, /var/log/pods, ...), and over
// /run, in the suite's private mount namespace: they go with it. The
// kubelet's kernel tunables are masked by files holding the values it
// wants, so it reads them and never writes the machine's sysctls.
func (n *Node) privateFolders() error {
	for _, d := range []string{"/run", "/var/lib", "/var/log"} {
		if err := mount("tmpfs", d, "-t", "tmpfs", "-o", "mode=755"); err != nil {
			return err
		}
	}
	n.Dir = "/run/amo-node"
	for _, d := range []string{"tmp", "masks", "net.d", "log"} {
		if err := os.MkdirAll(filepath.Join(n.Dir, d), 0o755); err != nil {
			return err
		}
	}
	// envtest's etcd data, certificates and logs go to the tmpfs too.
	if err := os.Setenv("TMPDIR", filepath.Join(n.Dir, "tmp")); err != nil {
		return err
	}
	for key, value := range map[string]string{"vm/overcommit_memory": "1", "kernel/panic": "10", "kernel/panic_on_oops": "1"} {
		f := filepath.Join(n.Dir, "masks", strings.ReplaceAll(key, "/", "."))
		if err := os.WriteFile(f, []byte(value+"\n"), 0o644); err != nil {
			return err
		}
		if err := mount(f, filepath.Join("/proc/sys", key), "--bind"); err != nil {
			return err
		}
	}
	return nil
}

// network gives the namespace its loopback, the node's address on a veth
// pair (a dummy link is not available everywhere) with the default route,
// and forwarding (the namespace's own switch).
func (n *Node) network() error {
	cmds := [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "node0", "type", "veth", "peer", "name", "node0p"},
		{"link", "set", "node0p", "up"},
		{"address", "add", IP + "/24", "dev", "node0"},
		{"link", "set", "node0", "up"},
		{"route", "add", "default", "dev", "node0"},
	}
	for _, c := range cmds {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %w: %s", strings.Join(c, " "), err, out)
		}
	}
	return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
}

// cgroups creates the node's cgroup root in every hierarchy (the kubelet
// wants it to exist); Isolate removes it when the suite ends.
func (n *Node) cgroups() error {
	hierarchies, err := filepath.Glob("/sys/fs/cgroup/*/cgroup.procs")
	if err != nil {
		return err
	}
	if len(hierarchies) == 0 {
		return errors.New("no cgroup v1 hierarchy under /sys/fs/cgroup (this node runs the kubelet with cgroup v1 and the cgroupfs driver)")
	}
	for _, h := range hierarchies {
		d := filepath.Join(filepath.Dir(h), n.id)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if filepath.Base(filepath.Dir(h)) == "cpuset" {
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				v, err := os.ReadFile(filepath.Join(filepath.Dir(h), f))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(d, f), v, 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (n *Node) controlPlane(o Options) error {
	certs := filepath.Join(n.Dir, "pki")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		return err
	}
	ca, err := apiServerCerts(certs,
		[]net.IP{net.ParseIP(IP), net.ParseIP(APIServerServiceIP), net.ParseIP("127.0.0.1")},
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc." + ClusterDomain})
	if err != nil {
		return err
	}
	n.CA = ca
	n.Env = &envtest.Environment{CRDDirectoryPaths: o.CRDDirs, ErrorIfCRDPathMissing: true}
	api := n.Env.ControlPlane.GetAPIServer()
	api.CertDir = certs
	api.Address = IP
	api.CA = ca
	api.Configure().
		Set("advertise-address", IP).
		// envtest binds to its serving address's host, 127.0.0.1 whatever
		// SecureServing says; pods reach it through the node address. All
		// addresses are the suite's network namespace's own.
		Set("bind-address", "0.0.0.0").
		Set("service-cluster-ip-range", ServiceCIDR).
		// envtest turns the ServiceAccount admission off; pods need their tokens.
		Disable("disable-admission-plugins").
		Set("service-account-issuer", "https://kubernetes.default.svc."+ClusterDomain).
		Set("api-audiences", "https://kubernetes.default.svc."+ClusterDomain).
		Set("allow-privileged", "true")
	if n.Config, err = n.Env.Start(); err != nil {
		return err
	}
	if n.Client, err = client.New(n.Config, client.Options{Scheme: manager.Scheme()}); err != nil {
		return err
	}
	if n.Kube, err = kubernetes.NewForConfig(n.Config); err != nil {
		return err
	}
	admin, err := n.Env.AddUser(envtest.User{Name: "node-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		return err
	}
	n.Kubeconfig = filepath.Join(n.Dir, "admin.kubeconfig")
	return os.WriteFile(n.Kubeconfig, kc, 0o600)
}

func (n *Node) controllers(ctx context.Context) error {
	certs := n.Env.ControlPlane.GetAPIServer().CertDir
	if err := n.start("kube-controller-manager", Binary("kube-controller-manager"),
		"--kubeconfig="+n.Kubeconfig,
		"--service-account-private-key-file="+filepath.Join(certs, "sa-signer.key"),
		"--root-ca-file="+filepath.Join(certs, "ca.crt"),
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=0",
		"--controllers=*", "--concurrent-gc-syncs=5",
		"--node-monitor-grace-period=40s",
	); err != nil {
		return err
	}
	if err := n.start("kube-scheduler", Binary("kube-scheduler"),
		"--kubeconfig="+n.Kubeconfig, "--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port=0",
	); err != nil {
		return err
	}
	// The token controller answers: the default ServiceAccount appears.
	return poll(ctx, time.Minute, func() (bool, error) {
		_, err := n.Kube.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	}, n.logs("kube-controller-manager"))
}

// Socket is containerd's socket.
// Resolved says whether the cluster DNS answered a query for Service
// service in namespace ns with an address.
func (n *Node) Resolved(service, ns string) bool {
	return n.dns != nil && n.dns.Answered(service+"."+ns+".svc."+ClusterDomain)
}

func (n *Node) Socket() string { return filepath.Join(n.Dir, "containerd", "containerd.sock") }

func (n *Node) containerd(ctx context.Context, o Options) error {
	d := filepath.Join(n.Dir, "containerd")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	conf := fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = %[3]q
[plugins."io.containerd.internal.v1.opt"]
  path = %[4]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  # root here may lack CAP_SYS_RESOURCE: runc then cannot lower oom_score_adj
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %[6]q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[7]q
`, filepath.Join(d, "root"), filepath.Join(d, "state"), n.Socket(), filepath.Join(d, "opt"), o.PauseImage, filepath.Join(d, "runc"), filepath.Join(n.Dir, "net.d"))
	if err := os.WriteFile(filepath.Join(d, "config.toml"), []byte(conf), 0o644); err != nil {
		return err
	}
	cni := fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "amo-node",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}`, PodCIDR)
	if err := os.WriteFile(filepath.Join(n.Dir, "net.d", "10-amo-node.conflist"), []byte(cni), 0o644); err != nil {
		return err
	}
	if err := n.start("containerd", "containerd", "--config", filepath.Join(d, "config.toml")); err != nil {
		return err
	}
	if err := poll(ctx, 20*time.Second, func() (bool, error) {
		return exec.Command("ctr", "--address", n.Socket(), "version").Run() == nil, nil
	}, n.logs("containerd")); err != nil {
		return fmt.Errorf("containerd did not answer: %w", err)
	}
	for _, img := range o.Images {
		if out, err := exec.Command("ctr", "--address", n.Socket(), "-n", "k8s.io", "images", "import", "--all-platforms", img).CombinedOutput(); err != nil {
			return fmt.Errorf("importing %s into containerd: %w: %s", img, err, out)
		}
	}
	return nil
}

func (n *Node) kubelet(ctx context.Context) error {
	resolv := filepath.Join(n.Dir, "resolv.conf")
	// Pods get the cluster DNS only: the machine's resolver is never theirs.
	if err := os.WriteFile(resolv, []byte("nameserver "+DNSServiceIP+"\n"), 0o644); err != nil {
		return err
	}
	conf := fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /%s
containerRuntimeEndpoint: unix://%s
address: %s
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
clusterDNS: [%s]
clusterDomain: %s
resolvConf: %s
syncFrequency: 10s
fileCheckFrequency: 10s
failSwapOn: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: "1Mi", nodefs.available: "0%%", imagefs.available: "0%%", nodefs.inodesFree: "0%%"}
protectKernelDefaults: false
`, n.id, n.Socket(), IP, DNSServiceIP, ClusterDomain, resolv)
	cfg := filepath.Join(n.Dir, "kubelet.yaml")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return err
	}
	if err := n.start("kubelet", Binary("kubelet"),
		"--config="+cfg, "--kubeconfig="+n.Kubeconfig,
		"--node-ip="+IP, "--hostname-override="+Name,
	); err != nil {
		return err
	}
	return poll(ctx, 90*time.Second, func() (bool, error) {
		node, err := n.Kube.CoreV1().Nodes().Get(ctx, Name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // not registered yet: poll again
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	}, n.logs("kubelet"))
}

func (n *Node) kubeProxy(ctx context.Context) error {
	if err := n.start("kube-proxy", Binary("kube-proxy"),
		"--kubeconfig="+n.Kubeconfig, "--hostname-override="+Name,
		"--proxy-mode=nftables", "--cluster-cidr="+PodCIDR,
		// Replies of pod -> Service -> pod on the same bridge come back
		// through the node, without br_netfilter.
		"--masquerade-all",
		"--nodeport-addresses="+IP+"/32",
		// No conntrack sysctl is touched.
		"--conntrack-max-per-core=0", "--conntrack-tcp-timeout-established=0", "--conntrack-tcp-timeout-close-wait=0",
		"--metrics-bind-address=127.0.0.1:10249", "--healthz-bind-address=127.0.0.1:10256",
	); err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(n.CA)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	return poll(ctx, time.Minute, func() (bool, error) {
		resp, err := hc.Get("https://" + APIServerServiceIP + "/readyz")
		if err != nil {
			return false, nil //nolint:nilerr // not routed yet: poll again
		}
		_ = resp.Body.Close()
		return resp.StatusCode < 500, nil
	}, n.logs("kube-proxy"))
}

// Stop stops the node and the control plane. Processes, mounts and
// network go with the suite's namespaces; Isolate removes the cgroups.
func (n *Node) Stop() {
	if n == nil {
		return
	}
	if n.dns != nil {
		n.dns.Stop()
	}
	n.mu.Lock()
	procs := n.procs
	n.procs = nil
	n.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		if procs[i].name == "kubelet" {
			// Containers first, while containerd still runs.
			procs[i].stop()
			n.removeContainers()
			continue
		}
		procs[i].stop()
	}
	if n.Env != nil {
		_ = n.Env.Stop()
	}
}

// removeContainers stops and removes every pod sandbox through containerd.
func (n *Node) removeContainers() {
	out, err := exec.Command("ctr", "--address", n.Socket(), "-n", "k8s.io", "tasks", "ls", "-q").Output()
	if err != nil {
		return
	}
	for _, id := range strings.Fields(string(out)) {
		_ = exec.Command("ctr", "--address", n.Socket(), "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", id).Run()
	}
}

// hold keeps a failed node up for $AMO_NODE_HOLD (a duration), to look
// inside with nsenter --all --target <the suite's PID>.
func hold() {
	if d, err := time.ParseDuration(os.Getenv("AMO_NODE_HOLD")); err == nil {
		fmt.Fprintf(os.Stderr, "node: holding the failed node for %s (pid %d)\n", d, os.Getpid())
		time.Sleep(d)
	}
}

// Log returns the end of a component's log (kubelet, containerd, ...).
func (n *Node) Log(name string) string { return n.logs(name)() }

func (n *Node) logs(name string) func() string {
	return func() string {
		b, _ := os.ReadFile(filepath.Join(n.Dir, "log", name+".log"))
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		return fmt.Sprintf("%s's log ends:\n%s", name, b)
	}
}

// Binary finds a node binary: $NODE_BINARIES (set by make from
// hack/tools.sh node) or $KUBEBUILDER_ASSETS, else the name on PATH.
func Binary(name string) string {
	for _, env := range []string{"NODE_BINARIES", "KUBEBUILDER_ASSETS"} {
		if d := os.Getenv(env); d != "" {
			if p := filepath.Join(d, name); isFile(p) {
				return p
			}
		}
	}
	if name == "kube-controller-manager" {
		if p := os.Getenv("KUBE_CONTROLLER_MANAGER"); p != "" {
			return p
		}
	}
	return name
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

func mount(src, target string, args ...string) error {
	out, err := exec.Command("mount", append(args, src, target)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mount %s %s: %w: %s", src, target, err, out)
	}
	return nil
}

// poll calls f until it is done, the context ends or within passes; on a
// timeout the error carries what explain says.
func poll(ctx context.Context, within time.Duration, f func() (bool, error), explain func() string) error {
	deadline := time.Now().Add(within)
	for {
		done, err := f()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %s; %s", within, explain())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
