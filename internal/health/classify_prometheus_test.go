//go:build promtool

package health

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// TestClassifyRealPrometheus runs a real Prometheus (PROMETHEUS, the binary
// `hack/tools.sh prometheus` prints; `make test-promtool` sets it) scraping one
// loopback target per error class, reads the pools through Client.Targets,
// and checks that Classify puts each lastError Prometheus wrote in its
// class. It does not skip without PROMETHEUS: the classes are only as good
// as the strings they were checked against. It is behind the build tag
// promtool, with the tests that run promtool (`make test-promtool`).
//
// Prometheus is started with os/exec rather than test/fixtures, which
// imports this package (through its fake Antrea and the manager).
func TestClassifyRealPrometheus(t *testing.T) {
	bin := os.Getenv("PROMETHEUS")
	if bin == "" {
		t.Fatal("PROMETHEUS is not set: run 'make test-promtool', which builds prometheus (hack/tools.sh prometheus) and sets it, or `PROMETHEUS=$(hack/tools.sh prometheus) go test -tags promtool ./internal/health/`")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("PROMETHEUS=%s: %v: run 'make test-promtool', which builds prometheus (hack/tools.sh prometheus) and sets it", bin, err)
	}
	dir := t.TempDir()

	// 401, 403 and 404 as the API server (or Antrea's own server) answers
	// them, over TLS that verifies.
	status := func(code int, reason, message string) *httptest.Server {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_, _ = fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":%q,"reason":%q,"details":{},"code":%d}`, message, reason, code)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = fmt.Fprintln(w, "antrea_agent_local_pod_count 3")
	})
	unauthorized := status(http.StatusUnauthorized, "Unauthorized", "Unauthorized")
	forbidden := status(http.StatusForbidden, "Forbidden", `forbidden: User "system:serviceaccount:monitoring:prometheus" cannot get path "/metrics"`)
	notFound := status(http.StatusNotFound, "NotFound", "the server could not find the requested resource")
	// httptest's certificate names example.com, 127.0.0.1 and ::1. Its
	// handshakes fail on purpose: no need to log them.
	tlsServer := httptest.NewUnstartedServer(metrics)
	tlsServer.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsServer.StartTLS()
	t.Cleanup(tlsServer.Close)
	up := httptest.NewServer(metrics)
	t.Cleanup(up.Close)
	stop := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // far beyond scrape_timeout
		case <-time.After(30 * time.Second):
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(stop) }) // runs before slow.Close
	refused := freePort(t)            // nothing listens there

	serverCA := writePEM(t, dir, "server-ca.pem", unauthorized.Certificate().Raw)
	otherCA := writePEM(t, dir, "other-ca.pem", newCA(t))

	verified := map[string]any{"ca_file": serverCA}
	// One job per class, named after it; the job is the scrape pool.
	cases := []struct {
		class  ErrorClass
		scheme string
		addr   string
		tls    map[string]any
	}{
		{ClassUnauthorized, "https", hostPort(unauthorized), verified},
		{ClassForbidden, "https", hostPort(forbidden), verified},
		{ClassNotFound, "https", hostPort(notFound), verified},
		{ClassTLSName, "https", hostPort(tlsServer), map[string]any{"ca_file": serverCA, "server_name": "antrea.invalid"}},
		{ClassTLSAuthority, "https", hostPort(tlsServer), map[string]any{"ca_file": otherCA}},
		{ClassRefused, "http", refused, nil},
		{ClassTimeout, "http", hostPort(slow), nil},
	}
	pools := []string{"Up"}
	jobs := []map[string]any{staticJob("Up", "http", hostPort(up), nil)}
	for _, c := range cases {
		pools = append(pools, string(c.class))
		jobs = append(jobs, staticJob(string(c.class), c.scheme, c.addr, c.tls))
	}
	config, err := yaml.Marshal(map[string]any{
		"global":         map[string]any{"scrape_interval": "1s", "scrape_timeout": "500ms"},
		"scrape_configs": jobs,
	})
	if err != nil {
		t.Fatal(err)
	}
	prom := startPrometheus(t, bin, dir, string(config))
	c := &Client{HTTP: http.DefaultClient, BaseURL: prom}

	// Every pool once it has been scraped with an error (the Up pool: once up).
	reports := map[string]*PoolReport{}
	deadline := time.Now().Add(60 * time.Second)
	for pending := true; pending; {
		if time.Now().After(deadline) {
			t.Fatalf("not every pool scraped after 60s: %+v", reports)
		}
		time.Sleep(500 * time.Millisecond)
		pending = false
		for _, pool := range pools {
			r, err := c.Targets(t.Context(), pool)
			if err != nil {
				t.Fatalf("Targets(%s): %v", pool, err)
			}
			reports[pool] = r
			if r.Health.Up+r.Health.Down == 0 {
				pending = true
			}
		}
	}

	upReport := reports["Up"]
	upReport.Health.LastScrape = nil
	if diff := cmp.Diff(&PoolReport{Health: poolHealth("Up", 1, 0), Instances: map[string]bool{hostPort(up): true}, Errors: map[ErrorClass]int{}}, upReport); diff != "" {
		t.Errorf("Targets(Up) (-want +got):\n%s", diff)
	}
	for _, c := range cases {
		r := reports[string(c.class)]
		t.Logf("Prometheus lastError, %s: %q", c.class, r.Health.LastError)
		if got := Classify(r.Health.LastError); got != c.class {
			t.Errorf("Classify(%q) = %s, want %s", r.Health.LastError, got, c.class)
		}
		lastError := r.Health.LastError
		r.Health.LastScrape = nil
		want := &PoolReport{Health: poolHealth(string(c.class), 0, 1), Instances: map[string]bool{c.addr: false}, Errors: map[ErrorClass]int{c.class: 1}}
		want.Health.LastError = lastError
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("Targets(%s) (-want +got):\n%s", c.class, diff)
		}
	}
}

func poolHealth(pool string, up, down int32) monitoringv1alpha1.TargetHealth {
	return monitoringv1alpha1.TargetHealth{ScrapePool: pool, Up: up, Down: down}
}

func staticJob(name, scheme, addr string, tls map[string]any) map[string]any {
	j := map[string]any{"job_name": name, "scheme": scheme, "static_configs": []map[string]any{{"targets": []string{addr}}}}
	if tls != nil {
		j["tls_config"] = tls
	}
	return j
}

func hostPort(s *httptest.Server) string { return s.Listener.Addr().String() }

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// writePEM writes a DER certificate as PEM and returns its path.
func writePEM(t *testing.T, dir, name string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newCA returns a fresh self-signed CA certificate, DER-encoded, that
// signed nothing the test serves.
func newCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// startPrometheus runs Prometheus with config until the test ends and
// returns its URL once it is ready.
func startPrometheus(t *testing.T, bin, dir, config string) string {
	t.Helper()
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	cmd := exec.Command(bin, "--config.file="+configFile, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logFile.Close(); close(done) }()
	logs := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	url := "http://" + addr
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for {
		select {
		case <-done:
			t.Fatalf("prometheus exited:\n%s", logs())
		case <-ctx.Done():
			t.Fatalf("prometheus not ready after 60s:\n%s", logs())
		case <-time.After(200 * time.Millisecond):
		}
		if resp, err := http.Get(url + "/-/ready"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
	}
}
