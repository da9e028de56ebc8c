package node

import (
	"strings"
	"testing"
)

func TestLackingSaysWhatIsMissing(t *testing.T) {
	ready := machine{
		euid:        0,
		filesystems: []byte("nodev\tproc\n\text4\nnodev\toverlay\n"),
		exists:      func(string) bool { return true },
		lookPath:    func(string) bool { return true },
	}
	if got := lacking(ready); len(got) != 0 {
		t.Fatalf("a machine with everything lacks %q", got)
	}
	user := ready
	user.euid = 1000
	noOverlay := ready
	noOverlay.filesystems = []byte("nodev\tproc\n\text4\n")
	noContainerd := ready
	noContainerd.lookPath = func(c string) bool { return !strings.HasPrefix(c, "containerd") }
	noCNI := ready
	noCNI.exists = func(p string) bool { return p != "/usr/lib/cni/bridge" }
	for name, tc := range map[string]struct {
		m    machine
		want []string
	}{
		"not root":       {user, []string{"root (the kubelet, containerd and the namespaces need it; run make test as root)"}},
		"no overlayfs":   {noOverlay, []string{"overlayfs in the kernel (containerd's snapshotter)"}},
		"no containerd":  {noContainerd, []string{"containerd (hack/tools.sh node-packages installs it)", "containerd-shim-runc-v2 (hack/tools.sh node-packages installs it)"}},
		"no CNI plugins": {noCNI, []string{"the CNI plugins in /usr/lib/cni (Debian's containernetworking-plugins)"}},
	} {
		if got := lacking(tc.m); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: lacking = %q, want %q", name, got, tc.want)
		}
	}
}
