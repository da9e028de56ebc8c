package health

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

func TestSummarize(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	targets := []promv1.ActiveTarget{
		{Health: promv1.HealthGood, LastScrape: t0.Add(3 * time.Second)},
		{Health: promv1.HealthBad, LastError: "old error", LastScrape: t0},
		{Health: promv1.HealthBad, LastError: "server returned HTTP status 403 Forbidden", LastScrape: t0.Add(2 * time.Second)},
		{Health: promv1.HealthUnknown},
	}
	got := Summarize("antrea-agents", targets)
	want := monitoringv1alpha1.TargetHealth{ScrapePool: "antrea-agents", Up: 1, Down: 2, Unknown: 1,
		LastError: "server returned HTTP status 403 Forbidden", LastScrape: &metav1.Time{Time: t0.Add(3 * time.Second)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize() (-want +got):\n%s", diff)
	}

	long := Summarize("p", []promv1.ActiveTarget{{Health: promv1.HealthBad, LastError: strings.Repeat("x", 2000)}})
	if len(long.LastError) != MaxErrorLength || !strings.HasSuffix(long.LastError, "...") {
		t.Errorf("lastError not bounded: %d bytes", len(long.LastError))
	}
	if empty := Summarize("p", nil); empty != (monitoringv1alpha1.TargetHealth{ScrapePool: "p"}) {
		t.Errorf("Summarize(nil) = %+v", empty)
	}
}

func TestMissing(t *testing.T) {
	expected := []string{"a_total", "b_latency_milliseconds", "c_ops_count", "d"}
	names := []string{"a_total", "b_latency_milliseconds_bucket", "b_latency_milliseconds_sum", "c_ops_count", "unrelated"}
	if diff := cmp.Diff([]string{"d"}, Missing(expected, names)); diff != "" {
		t.Errorf("Missing() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a_total", "b_latency_milliseconds", "c_ops_count", "d"}, Missing([]string{"d", "c_ops_count", "b_latency_milliseconds", "a_total"}, nil)); diff != "" {
		t.Errorf("every expected family is missing from nothing, sorted (-want +got):\n%s", diff)
	}
}

func TestSummaryAndSameHealth(t *testing.T) {
	pools := []monitoringv1alpha1.TargetHealth{{ScrapePool: "a", Up: 3}, {ScrapePool: "b", Up: 1, Down: 1, Unknown: 1}}
	up, total, s := Summary(pools)
	if up != 4 || total != 6 || s != "4/6" {
		t.Errorf("Summary() = %d, %d, %q", up, total, s)
	}
	later := []monitoringv1alpha1.TargetHealth{{ScrapePool: "a", Up: 3, LastScrape: &metav1.Time{Time: time.Now()}}, pools[1]}
	if !SameHealth(pools, later) {
		t.Errorf("SameHealth must ignore lastScrape")
	}
	changed := []monitoringv1alpha1.TargetHealth{pools[0], {ScrapePool: "b", Up: 2, Unknown: 1}}
	if SameHealth(pools, changed) {
		t.Errorf("SameHealth missed a change of counts")
	}
}

// TestAlertmanagers reads Prometheus's answer on its Alertmanagers.
func TestAlertmanagers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/alertmanagers" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"status":"success","data":{"activeAlertmanagers":[{"url":"http://10.0.0.2:9093/api/v2/alerts"},{"url":"http://10.0.0.1:9093/api/v2/alerts"}],"droppedAlertmanagers":[{"url":"http://10.0.0.9:9093/api/v2/alerts"}]}}`))
	}))
	defer srv.Close()
	got, err := (&Client{HTTP: srv.Client(), BaseURL: srv.URL}).Alertmanagers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Alertmanagers{Active: []string{"http://10.0.0.1:9093/api/v2/alerts", "http://10.0.0.2:9093/api/v2/alerts"}, Dropped: []string{"http://10.0.0.9:9093/api/v2/alerts"}}
	if !slices.Equal(got.Active, want.Active) || !slices.Equal(got.Dropped, want.Dropped) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
