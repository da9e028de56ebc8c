// Package nodeworld is what runs on the real node (test/node) for the
// in-cluster suite and make demo NODE=1: the images, built without a
// container engine, and the simulated Antrea deployed as Antrea deploys.
package nodeworld

import (
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/ociimage"
)

// EnvImages carries the built images from the machine's side to the
// isolated process (JSON).
const EnvImages = "AMO_NODE_IMAGES"

// Images are the archives the node imports and the names pods use.
type Images struct {
	Dir        string
	Pause      string
	Operator   string
	Prometheus string
	Antrea     string
	// prometheus-operator and its config reloader, as their images run.
	PrometheusOperator       string
	PrometheusConfigReloader string
}

// Archives are the image archives to import.
func (i *Images) Archives() []string {
	var out []string
	for _, n := range []string{"pause", "operator", "prometheus", "antrea", "prometheus-operator", "prometheus-config-reloader"} {
		if f := filepath.Join(i.Dir, n+".tar"); isFile(f) {
			out = append(out, f)
		}
	}
	return out
}

// Encode is the value of EnvImages.
func (i *Images) Encode() string {
	b, _ := json.Marshal(i)
	return string(b)
}

// DecodeImages reads EnvImages.
func DecodeImages(s string) (*Images, error) {
	if s == "" {
		return nil, errors.New(EnvImages + " is not set: the images are built before the process is isolated (node.Isolate)")
	}
	var i Images
	return &i, json.Unmarshal([]byte(s), &i)
}

// RepoRoot is the module's root.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// BuildImages builds, into dir, the images the node runs, from this
// checkout and the Prometheus binary make test builds ($PROMETHEUS), and
// prometheus-operator's when $PROMETHEUS_OPERATOR and
// $PROMETHEUS_CONFIG_RELOADER name its binaries:
//
//   - the operator, built as the Dockerfile builds it (static, -trimpath,
//     non-root 65532, CA certificates), with ociimage as make image does;
//   - Prometheus, named for what it is (localhost/prometheus:<version>),
//     laid out like the official image (entrypoint /bin/prometheus, user
//     nobody), with a chown for the init-chown-data step;
//   - the simulated Antrea (test/images/antrea) and the sandbox (pause).
func BuildImages(dir string) (*Images, error) {
	prom := os.Getenv("PROMETHEUS")
	if prom == "" {
		return nil, errors.New("PROMETHEUS is not set (make test builds it with hack/tools.sh prometheus)")
	}
	version, err := prometheusVersion(prom)
	if err != nil {
		return nil, err
	}
	promop, reloader := os.Getenv("PROMETHEUS_OPERATOR"), os.Getenv("PROMETHEUS_CONFIG_RELOADER")
	promopVersion := ""
	if promop != "" && reloader != "" {
		if promopVersion, err = moduleVersion(promop, "github.com/prometheus-operator/prometheus-operator"); err != nil {
			return nil, err
		}
	}
	images := &Images{
		Dir:        dir,
		Pause:      "localhost/pause:test",
		Operator:   "localhost/antrea-monitoring-operator:test",
		Prometheus: "localhost/prometheus:" + version,
		Antrea:     "localhost/antrea-simulated:test",
	}
	if promopVersion != "" {
		images.PrometheusOperator = "localhost/prometheus-operator:" + promopVersion
		images.PrometheusConfigReloader = "localhost/prometheus-config-reloader:" + promopVersion
	}
	bins := map[string]string{}
	for name, pkg := range map[string]string{"manager": ".", "pause": "./test/images/pause", "antrea": "./test/images/antrea", "chown": "./test/images/chown"} {
		bins[name] = filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bins[name], pkg)
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w: %s", pkg, err, out)
		}
	}
	specs := map[string]ociimage.Spec{
		"pause": {Name: images.Pause, Files: []ociimage.File{{Path: "/pause", Source: bins["pause"], Mode: 0o755}}, Entrypoint: []string{"/pause"}, User: "65535:65535"},
		"operator": {Name: images.Operator, Files: []ociimage.File{{Path: "/manager", Source: bins["manager"], Mode: 0o755}},
			Entrypoint: []string{"/manager"}, User: "65532:65532", CABundle: ociimage.CABundlePath},
		"prometheus": {Name: images.Prometheus, Files: []ociimage.File{
			{Path: "/bin/prometheus", Source: prom, Mode: 0o755},
			{Path: "/bin/chown", Source: bins["chown"], Mode: 0o755},
		}, Entrypoint: []string{"/bin/prometheus"}, User: "65534:65534", WorkingDir: "/prometheus"},
		// Laid out like quay.io/prometheus-operator's images.
		"prometheus-operator": {Name: images.PrometheusOperator, Files: []ociimage.File{{Path: "/bin/operator", Source: promop, Mode: 0o755}},
			Entrypoint: []string{"/bin/operator"}, User: "65534:65534"},
		"prometheus-config-reloader": {Name: images.PrometheusConfigReloader, Files: []ociimage.File{{Path: "/bin/prometheus-config-reloader", Source: reloader, Mode: 0o755}},
			Entrypoint: []string{"/bin/prometheus-config-reloader"}, User: "65534:65534"},
		"antrea": {Name: images.Antrea, Files: []ociimage.File{{Path: "/usr/local/bin/antrea", Source: bins["antrea"], Mode: 0o755}},
			Entrypoint: []string{"/usr/local/bin/antrea"}},
	}
	if promopVersion == "" {
		delete(specs, "prometheus-operator")
		delete(specs, "prometheus-config-reloader")
	}
	for name, s := range specs {
		img, err := ociimage.Build(s)
		if err != nil {
			return nil, fmt.Errorf("building image %s: %w", s.Name, err)
		}
		if err := ociimage.WriteArchive(filepath.Join(dir, name+".tar"), img); err != nil {
			return nil, fmt.Errorf("writing image %s: %w", s.Name, err)
		}
	}
	return images, nil
}

// prometheusVersion is the Prometheus release a binary built by go install
// is: its module version v0.3XX.Y is release v3.XX.Y.
func prometheusVersion(bin string) (string, error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("reading %s's build information: %w", bin, err)
	}
	m := regexp.MustCompile(`^v0\.(\d)(\d\d)\.(\d+)$`).FindStringSubmatch(info.Main.Version)
	if m == nil {
		return "", fmt.Errorf("%s's module version %q is no Prometheus 3 release", bin, info.Main.Version)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return fmt.Sprintf("v%d.%d.%s", major, minor, m[3]), nil
}

// moduleVersion is the version of module mod a binary was built from.
func moduleVersion(bin, mod string) (string, error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("reading %s's build information: %w", bin, err)
	}
	if info.Main.Path == mod {
		return info.Main.Version, nil
	}
	for _, d := range info.Deps {
		if d.Path == mod {
			return d.Version, nil
		}
	}
	return "", fmt.Errorf("%s was not built from %s", bin, mod)
}

// AntreaCRDDir holds the project's AntreaControllerInfo and AntreaAgentInfo CRDs.
func AntreaCRDDir() string {
	return filepath.Join(RepoRoot(), "test", "fixtures", "crds")
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
