package health

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/health/healthtest"
)

// serve answers every request with code and body, and records the query.
func serve(t *testing.T, code int, body []byte) (*Client, *string) {
	t.Helper()
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.Path + "?" + r.URL.RawQuery
		w.WriteHeader(code)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return &Client{HTTP: srv.Client(), BaseURL: srv.URL + "/"}, &query
}

func TestTargets(t *testing.T) {
	// Keys in an unusual order, fields Targets does not read, a target of
	// another pool (a Prometheus that ignored scrapePool), an instance
	// listed twice, a target never scraped.
	body := `{"data":{"droppedTargets":[{"discoveredLabels":{"a":"b"}}],"activeTargets":[
	{"discoveredLabels":{"__address__":"10.0.0.1:10350","job":"x"},"labels":{"instance":"n1;agent-a","job":"antrea-agents"},"scrapePool":"antrea-agents","scrapeUrl":"https://10.0.0.1:10350/metrics","globalUrl":"https://10.0.0.1:10350/metrics","lastError":"","lastScrape":"2026-11-25T10:00:03.5Z","lastScrapeDuration":0.01,"health":"up","scrapeInterval":"30s","scrapeTimeout":"10s"},
	{"labels":{"instance":"n2;agent-b"},"scrapePool":"antrea-agents","lastError":"server returned HTTP status 401 Unauthorized","lastScrape":"2026-11-25T10:00:01Z","health":"down","extra":{"nested":[1,{"x":null}]}},
	{"health":"down","lastScrape":"2026-11-25T10:00:02Z","lastError":"Get \"https://10.0.0.3:10350/metrics\": context deadline exceeded","scrapePool":"antrea-agents","labels":{"instance":"n3;agent-c"}},
	{"labels":{"instance":"n3;agent-c"},"scrapePool":"antrea-agents","health":"up","lastScrape":"2026-11-25T10:00:02Z","lastError":""},
	{"labels":{"instance":"n4;agent-d"},"scrapePool":"antrea-agents","health":"unknown","lastScrape":"0001-01-01T00:00:00Z","lastError":""},
	{"labels":{},"scrapeUrl":"https://10.0.0.5:10350/metrics","scrapePool":"antrea-agents","health":"up","lastScrape":"2026-11-25T10:00:00Z"},
	{"labels":{"instance":"controller"},"scrapePool":"antrea-controllers","health":"down","lastError":"server returned HTTP status 403 Forbidden","lastScrape":"2026-11-25T10:00:09Z"}
	],"droppedTargetCounts":{"antrea-agents":3}},"status":"success","warnings":["w"]}`
	c, query := serve(t, http.StatusOK, []byte(body))
	got, err := c.Targets(t.Context(), "antrea-agents")
	if err != nil {
		t.Fatal(err)
	}
	if *query != "/api/v1/targets?scrapePool=antrea-agents&state=active" {
		t.Errorf("asked %s", *query)
	}
	want := &PoolReport{
		Health: monitoringv1alpha1.TargetHealth{ScrapePool: "antrea-agents", Up: 3, Down: 2, Unknown: 1,
			LastError:  `Get "https://10.0.0.3:10350/metrics": context deadline exceeded`,
			LastScrape: &metav1.Time{Time: time.Date(2026, 11, 25, 10, 0, 3, 0, time.UTC)}},
		Instances: map[string]bool{"n1;agent-a": true, "n2;agent-b": false, "n3;agent-c": false, "n4;agent-d": false,
			"https://10.0.0.5:10350/metrics": true},
		Errors:       map[ErrorClass]int{ClassUnauthorized: 1, ClassTimeout: 1},
		NeverScraped: 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Targets() (-want +got):\n%s", diff)
	}

	for _, empty := range []string{
		`{"status":"success","data":{"activeTargets":[],"droppedTargets":[],"droppedTargetCounts":null}}`,
		`{"status":"success","data":{"activeTargets":null}}`,
		`{"status":"success","data":null}`,
	} {
		c, _ := serve(t, http.StatusOK, []byte(empty))
		got, err := c.Targets(t.Context(), "p")
		if err != nil {
			t.Fatalf("%s: %v", empty, err)
		}
		if diff := cmp.Diff(&PoolReport{Health: monitoringv1alpha1.TargetHealth{ScrapePool: "p"}, Instances: map[string]bool{}, Errors: map[ErrorClass]int{}}, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", empty, diff)
		}
	}
}

func TestTargetsErrors(t *testing.T) {
	long := strings.Repeat("upstream connect error or disconnect/reset before headers. ", 10)
	for _, tc := range []struct {
		name string
		code int
		body string
		want string
	}{
		{"Prometheus's error", http.StatusBadRequest, `{"status":"error","errorType":"bad_data","error":"invalid parameter \"state\""}`,
			`GET /api/v1/targets: HTTP 400: invalid parameter "state"`},
		{"error status with 200", http.StatusOK, `{"status":"error","errorType":"internal","error":"boom"}`,
			`GET /api/v1/targets: HTTP 200: boom`},
		{"a proxy's text, first 200 bytes", http.StatusServiceUnavailable, "\n" + long,
			"GET /api/v1/targets: HTTP 503: " + strings.TrimSpace(("\n" + long)[:200])},
		{"an HTML page with 200", http.StatusOK, "<html><body>Sign in</body></html>",
			"GET /api/v1/targets: HTTP 200: <html><body>Sign in</body></html>"},
		{"the API server's Status", http.StatusNotFound, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"services \"prometheus\" not found","reason":"NotFound","code":404}`,
			`GET /api/v1/targets: HTTP 404: {"kind":"Status","apiVersion":"v1","status":"Failure","message":"services \"prometheus\" not found","reason":"NotFound","code":404}`},
		{"success with 500", http.StatusInternalServerError, `{"status":"success","data":{"activeTargets":[]}}`,
			`GET /api/v1/targets: HTTP 500: {"status":"success","data":{"activeTargets":[]}}`},
		{"empty", http.StatusBadGateway, "", "GET /api/v1/targets: HTTP 502: empty answer"},
		{"cut short", http.StatusOK, `{"status":"success","data":{"activeTargets":[{"labels":{"instance":"a"},"health":"up"},{"labels":`,
			"GET /api/v1/targets: HTTP 200: reading the answer: data: activeTargets: unexpected EOF"},
		{"activeTargets not a list", http.StatusOK, `{"status":"success","data":{"activeTargets":{}}}`,
			"GET /api/v1/targets: HTTP 200: reading the answer: data: activeTargets: not an array (starts with {)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := serve(t, tc.code, []byte(tc.body))
			got, err := c.Targets(t.Context(), "antrea-agents")
			if err == nil || err.Error() != tc.want {
				t.Errorf("Targets() = %+v, %v\nwant error %s", got, err, tc.want)
			}
		})
	}
}

// TestTargetsLargeAnswer: no size cap (the old reader stopped at 16 MiB,
// about 6,500 of these targets).
func TestTargetsLargeAnswer(t *testing.T) {
	a := healthtest.AgentTargets(60000)
	if len(a.Body) <= 16<<20 {
		t.Fatalf("the answer is %d bytes, not over 16 MiB", len(a.Body))
	}
	c, _ := serve(t, http.StatusOK, a.Body)
	got, err := c.Targets(t.Context(), healthtest.AgentPool)
	if err != nil {
		t.Fatal(err)
	}
	errs := map[ErrorClass]int{}
	for class, n := range a.Errors {
		errs[ErrorClass(class)] = n
	}
	want := &PoolReport{
		Health: monitoringv1alpha1.TargetHealth{ScrapePool: healthtest.AgentPool, Up: int32(a.Up), Down: int32(a.Down), Unknown: int32(a.Unknown),
			LastError: a.LastError, LastScrape: &metav1.Time{Time: a.LastScrape.Truncate(time.Second)}},
		Instances: a.Instances, Errors: errs, NeverScraped: a.NeverScraped,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Targets() of %d bytes (-want +got):\n%s", len(a.Body), diff)
	}
	if len(errs) != len(healthtest.ClassErrors) || a.Up+a.Down+a.Unknown != 60000 {
		t.Errorf("the answer does not hold every class: %v", errs)
	}
}
