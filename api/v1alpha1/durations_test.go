package v1alpha1

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		in      Duration
		want    time.Duration
		wantErr string
	}{
		{in: "30s", want: 30 * time.Second},
		{in: "1m30s", want: 90 * time.Second},
		{in: "0s", want: 0},
		{in: "1ms", want: time.Millisecond},
		{in: "15d", want: 15 * 24 * time.Hour},
		{in: "1y2w3d4h5m6s7ms", want: 365*24*time.Hour + 14*24*time.Hour + 3*24*time.Hour + 4*time.Hour + 5*time.Minute + 6*time.Second + 7*time.Millisecond},
		{in: "100y", want: MaxRetention},
		{in: "292y", want: 292 * 365 * 24 * time.Hour},
		{in: "300y", wantErr: "duration out of range"},
		{in: "300000y", wantErr: "duration out of range"},
		{in: "1h1d", wantErr: "not a valid duration string"}, // units out of order
		{in: "1.5h", wantErr: `unknown unit "."`},            // fractions are Go's, not Prometheus's
		{in: "30 seconds", wantErr: `unknown unit " seconds"`},
		{in: "garbage", wantErr: "not a valid duration string"},
		{in: "", wantErr: "empty duration string"},
	} {
		t.Run(string(tc.in), func(t *testing.T) {
			got, err := tc.in.Duration()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Duration(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Duration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestIntervalDuration(t *testing.T) {
	for _, tc := range []struct {
		in   Duration
		want time.Duration
	}{
		{"30s", 30 * time.Second},
		{"1m30s", 90 * time.Second},
		{"5s", 5 * time.Second},
		{"1h", time.Hour},
		{"0s", MinHealthCheckInterval},  // clamped up
		{"1ms", MinHealthCheckInterval}, // clamped up
		{"4s999ms", MinHealthCheckInterval},
		{"1h1s", MaxHealthCheckInterval},     // clamped down
		{"200y", MaxHealthCheckInterval},     // parses, clamped down
		{"300y", DefaultHealthCheckInterval}, // beyond time.Duration: the default, no overflow
		{"300000y", DefaultHealthCheckInterval},
		{"garbage", DefaultHealthCheckInterval},
		{"", DefaultHealthCheckInterval},
	} {
		t.Run(string(tc.in), func(t *testing.T) {
			if got := (HealthCheckSpec{Interval: tc.in}).IntervalDuration(); got != tc.want {
				t.Fatalf("IntervalDuration(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestSamplesWithinBounds checks that every sample in config/samples keeps to
// the bounds the API enforces (the envtest suite also dry-run applies them
// to a real API server).
func TestSamplesWithinBounds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "samples", "monitoring_*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	within := func(t *testing.T, field string, d Duration, lo, hi time.Duration) {
		t.Helper()
		if d == "" {
			return
		}
		got, err := d.Duration()
		if err != nil || got < lo || got > hi {
			t.Errorf("%s %q: %v, %v; want a duration from %v to %v", field, d, got, err, lo, hi)
		}
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var am AntreaMonitoring
			if err := yaml.UnmarshalStrict(raw, &am); err != nil {
				t.Fatal(err)
			}
			if errs := validation.IsDNS1035Label(am.Name + "-prometheus"); len(errs) > 0 {
				t.Errorf("metadata.name %q: %v", am.Name, errs)
			}
			within(t, "spec.prometheus.scrapeInterval", am.Spec.Prometheus.ScrapeInterval, MinScrapeInterval, MaxScrapeInterval)
			within(t, "spec.healthCheck.interval", am.Spec.HealthCheck.Interval, MinHealthCheckInterval, MaxHealthCheckInterval)
			if m := am.Spec.Prometheus.Managed; m != nil {
				within(t, "spec.prometheus.managed.retention", m.Retention, MinRetention, MaxRetention)
				if m.Storage != nil && m.Storage.Size.Sign() <= 0 {
					t.Errorf("spec.prometheus.managed.storage.size %s: want more than zero", m.Storage.Size.String())
				}
			}
		})
	}
}
