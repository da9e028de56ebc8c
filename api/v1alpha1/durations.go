package v1alpha1

import (
	"time"

	"github.com/prometheus/common/model"
)

// Bounds and defaults of the durations, as the CRD's validation rules
// enforce them (keep the two in step: the envtest suite checks the rules
// against these values).
const (
	// DefaultScrapeInterval is spec.prometheus.scrapeInterval's default.
	DefaultScrapeInterval = 30 * time.Second
	// MinScrapeInterval and MaxScrapeInterval bound spec.prometheus.scrapeInterval.
	MinScrapeInterval = time.Second
	MaxScrapeInterval = time.Hour

	// DefaultHealthCheckInterval is spec.healthCheck.interval's default.
	DefaultHealthCheckInterval = 30 * time.Second
	// MinHealthCheckInterval and MaxHealthCheckInterval bound spec.healthCheck.interval.
	MinHealthCheckInterval = 5 * time.Second
	MaxHealthCheckInterval = time.Hour

	// DefaultRetention is spec.prometheus.managed.retention's default (15d).
	DefaultRetention = 15 * 24 * time.Hour
	// MinRetention (one TSDB block) and MaxRetention (100y of 365 days)
	// bound spec.prometheus.managed.retention.
	MinRetention = 2 * time.Hour
	MaxRetention = 100 * 365 * 24 * time.Hour
)

// Duration parses d with Prometheus's own parser (model.ParseDuration), so
// it accepts exactly what Prometheus accepts: units y (365d), w, d, h, m, s
// and ms, largest first. It fails on an empty string, on anything else
// Prometheus refuses, and on a duration beyond time.Duration's range
// (about 292 years).
func (d Duration) Duration() (time.Duration, error) {
	md, err := model.ParseDuration(string(d))
	if err != nil {
		return 0, err
	}
	return time.Duration(md), nil
}

// IntervalDuration is spec.healthCheck.interval as a time.Duration: the
// default (30s) when it is empty or not a duration Prometheus parses, and
// otherwise clamped to [5s, 1h], the bounds the API enforces (an object
// admitted before they existed can hold any value). It never overflows and
// is never below 5s.
func (h HealthCheckSpec) IntervalDuration() time.Duration {
	d, err := h.Interval.Duration()
	if err != nil {
		return DefaultHealthCheckInterval
	}
	return min(max(d, MinHealthCheckInterval), MaxHealthCheckInterval)
}
