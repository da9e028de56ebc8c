package render

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// TestChownDataOnAVolumeThatIgnoresFSGroup runs the rendered init step on
// a folder like a hostPath volume (root's, mode 0755, with data of an
// earlier run the kubelet's fsGroup never touched): before it, Prometheus's
// user cannot write there; after the init container's command, run as its
// user with only its capabilities (setpriv), it can. Needs root, as the
// kubelet does.
func TestChownDataOnAVolumeThatIgnoresFSGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test runs the init step as root with reduced capabilities: run it as root (make test does on the project's machines)")
	}
	m := ManagedDefaults(&monitoringv1alpha1.ManagedPrometheus{Storage: &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse("1Gi")}})
	inits := chownData(m)
	if len(inits) != 1 {
		t.Fatalf("storage with initChownData unset renders %d init containers, want 1", len(inits))
	}
	init := inits[0]
	if got := chownData(ManagedDefaults(&monitoringv1alpha1.ManagedPrometheus{Storage: &monitoringv1alpha1.PrometheusStorage{
		Size: resource.MustParse("1Gi"), InitChownData: ptr.To(false)}})); got != nil {
		t.Errorf("initChownData false renders %v", got)
	}
	if got := chownData(ManagedDefaults(nil)); got != nil {
		t.Errorf("an emptyDir (fsGroup applies) renders %v", got)
	}
	if init.VolumeMounts[0].Name != "data" || init.VolumeMounts[0].MountPath != prometheusDataPath || init.Command[len(init.Command)-1] != prometheusDataPath {
		t.Fatalf("the init step does not work on the data volume: %+v %v", init.VolumeMounts, init.Command)
	}

	parent, err := os.MkdirTemp("", "amo-hostpath-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(parent) })
	vol := filepath.Join(parent, "prometheus")
	for _, dir := range []string{parent, vol} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(vol, "wal"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vol, "wal", "00000000"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A block another user wrote, closed to others: chown -R must traverse it.
	chunks := filepath.Join(vol, "01J0BLOCK", "chunks")
	if err := os.MkdirAll(chunks, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(chunks, "000001"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(chunks, "000001"), chunks, filepath.Dir(chunks)} {
		if err := os.Chown(p, 1000, 1000); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, map[bool]os.FileMode{true: 0o600, false: 0o700}[strings.HasSuffix(p, "000001")]); err != nil {
			t.Fatal(err)
		}
	}
	// asPrometheus appends to file as Prometheus's user and group.
	asPrometheus := func(file string) error {
		u := strconv.FormatInt(PrometheusUser, 10)
		out, err := exec.Command("setpriv", "--reuid="+u, "--regid="+u, "--clear-groups", "--", "sh", "-c", "echo x >> "+file).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	if asPrometheus(filepath.Join(vol, "queries.active")) == nil {
		t.Fatal("Prometheus's user could write the root-owned folder before the init step: the test proves nothing")
	}

	// The init container's command, as its user, with only its capabilities.
	sc := init.SecurityContext
	if *sc.RunAsUser != 0 || *sc.AllowPrivilegeEscalation || sc.Capabilities.Drop[0] != "ALL" {
		t.Fatalf("init security context %+v", sc)
	}
	caps := "-all"
	for _, c := range sc.Capabilities.Add {
		caps += ",+" + strings.ToLower(string(c))
	}
	args := append([]string{"--bounding-set=" + caps, "--inh-caps=" + caps, "--"}, init.Command[:len(init.Command)-1]...)
	if out, err := exec.Command("setpriv", append(args, vol)...).CombinedOutput(); err != nil {
		t.Fatalf("the init step %v with capabilities %s failed: %v: %s", init.Command, caps, err, out)
	}
	for _, f := range []string{filepath.Join(vol, "queries.active"), filepath.Join(vol, "wal", "00000000"), filepath.Join(vol, "wal", "00000001"), filepath.Join(chunks, "000001")} {
		if err := asPrometheus(f); err != nil {
			t.Errorf("after the init step Prometheus's user cannot write %s: %v", f, err)
		}
	}
}
