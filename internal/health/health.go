// Package health asks Prometheus's HTTP API whether Antrea is scraped: the
// targets of the operator's scrape pools, and which of Antrea's metric
// families Prometheus holds. Answers are decoded as they arrive (stream.go),
// so their size is not bounded: a pool of 50,000 targets is over 100 MiB.
package health

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// MaxErrorLength bounds the lastError kept in status.
const MaxErrorLength = 512

// Client queries one Prometheus.
type Client struct {
	// HTTP is the client to use (the API server's, for its service proxy).
	HTTP *http.Client
	// BaseURL is Prometheus's root, for example http://127.0.0.1:9090 or
	// https://apiserver/api/v1/namespaces/monitoring/services/http:prometheus:web/proxy.
	BaseURL string
}

// familiesQuery asks, in one query, for the names of every Antrea series.
const familiesQuery = `group by (__name__) ({__name__=~"antrea_(agent|controller|proxy)_.+"})`

// MetricNames returns the names of the Antrea series Prometheus holds.
func (c *Client) MetricNames(ctx context.Context) ([]string, error) {
	var res struct {
		ResultType string       `json:"resultType"`
		Result     model.Vector `json:"result"`
	}
	if err := c.get(ctx, "/api/v1/query", url.Values{"query": {familiesQuery}}, func(dec *json.Decoder) error { return dec.Decode(&res) }); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(res.Result))
	for _, s := range res.Result {
		names = append(names, string(s.Metric[model.MetricNameLabel]))
	}
	return names, nil
}

// Missing returns the expected families none of whose series names
// (the family itself, or its _bucket, _sum and _count series) is present.
func Missing(expected, names []string) []string {
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	var missing []string
	for _, f := range expected {
		if !have[f] && !have[f+"_bucket"] && !have[f+"_sum"] && !have[f+"_count"] {
			missing = append(missing, f)
		}
	}
	sort.Strings(missing)
	return missing
}

// Summarize counts a pool's targets and keeps its most recent error, as
// Targets does while it decodes.
func Summarize(pool string, targets []promv1.ActiveTarget) monitoringv1alpha1.TargetHealth {
	acc := newAccumulator(pool)
	for _, t := range targets {
		acc.add(string(t.Labels[model.InstanceLabel]), healthOf(string(t.Health)), t.LastError, t.LastScrape)
	}
	return acc.report().Health
}

// SameHealth compares two pool lists ignoring lastScrape.
func SameHealth(a, b []monitoringv1alpha1.TargetHealth) bool {
	return slices.EqualFunc(a, b, func(x, y monitoringv1alpha1.TargetHealth) bool {
		x.LastScrape, y.LastScrape = nil, nil
		return x == y
	})
}

// Summary is "up/total" over all pools.
func Summary(pools []monitoringv1alpha1.TargetHealth) (up, total int32, s string) {
	for _, p := range pools {
		up += p.Up
		total += p.Up + p.Down + p.Unknown
	}
	return up, total, fmt.Sprintf("%d/%d", up, total)
}

// Alertmanagers are the Alertmanagers Prometheus sends alerts to (active)
// and those it discovered but does not use (dropped), by URL.
type Alertmanagers struct {
	Active, Dropped []string
}

// Alertmanagers asks Prometheus which Alertmanagers it sends alerts to
// (/api/v1/alertmanagers, Prometheus's own API type).
func (c *Client) Alertmanagers(ctx context.Context) (Alertmanagers, error) {
	var res promv1.AlertManagersResult
	if err := c.get(ctx, "/api/v1/alertmanagers", url.Values{}, func(dec *json.Decoder) error { return dec.Decode(&res) }); err != nil {
		return Alertmanagers{}, err
	}
	var out Alertmanagers
	for _, a := range res.Active {
		out.Active = append(out.Active, a.URL)
	}
	for _, a := range res.Dropped {
		out.Dropped = append(out.Dropped, a.URL)
	}
	sort.Strings(out.Active)
	sort.Strings(out.Dropped)
	return out, nil
}
