package health

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// PoolReport is what Prometheus says about one scrape pool's targets.
type PoolReport struct {
	// Health counts the targets (up, down, unknown) and keeps the pool's
	// most recent lastError, raw as Prometheus wrote it (Classify tells its
	// class) and truncated to MaxErrorLength, and the most recent lastScrape.
	Health monitoringv1alpha1.TargetHealth
	// Instances maps each target's `instance` label to whether it is up.
	Instances map[string]bool
	// Errors counts down targets per error class.
	Errors map[ErrorClass]int
	// NeverScraped counts targets Prometheus has not scraped yet (health "unknown", zero lastScrape).
	NeverScraped int
}

// Targets returns what Prometheus says of the active targets of one scrape
// pool. It reads /api/v1/targets as it arrives, one target at a time, and
// keeps only the report: memory grows with the number of targets' instance
// names, not with the answer (Prometheus writes about 2 KiB per Kubernetes
// pod target, most of it discoveredLabels, which are skipped).
func (c *Client) Targets(ctx context.Context, pool string) (*PoolReport, error) {
	acc := newAccumulator(pool)
	err := c.get(ctx, "/api/v1/targets", url.Values{"state": {"active"}, "scrapePool": {pool}}, func(dec *json.Decoder) error {
		return decodeActiveTargets(dec, pool, acc)
	})
	if err != nil {
		return nil, err
	}
	return acc.report(), nil
}

// target is the part of one of Prometheus's active targets that Targets
// reads; every other field, discoveredLabels above all, is skipped by the
// decoder without being built.
type target struct {
	Labels struct {
		Instance string `json:"instance"`
	} `json:"labels"`
	ScrapePool string       `json:"scrapePool"`
	ScrapeURL  string       `json:"scrapeUrl"`
	Health     targetHealth `json:"health"`
	LastError  string       `json:"lastError"`
	LastScrape time.Time    `json:"lastScrape"`
}

// targetHealth is a target's health ("up", "down", "unknown"), decoded
// without allocating a string.
type targetHealth uint8

const (
	healthUnknown targetHealth = iota
	healthUp
	healthDown
)

// UnmarshalJSON reads "up" and "down"; anything else is unknown.
func (h *targetHealth) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' {
		b = b[1 : len(b)-1]
	}
	*h = healthOf(string(b))
	return nil
}

// healthOf reads Prometheus's health string.
func healthOf(s string) targetHealth {
	switch s {
	case "up":
		return healthUp
	case "down":
		return healthDown
	}
	return healthUnknown
}

// decodeActiveTargets reads the data of a targets answer, whose '{' is
// next, adding the active targets of pool to acc one at a time.
func decodeActiveTargets(dec *json.Decoder, pool string, acc *accumulator) error {
	if tok, err := dec.Token(); err != nil {
		return err
	} else if tok == nil { // "data": null
		return nil
	} else if tok != json.Delim('{') {
		return fmt.Errorf("not an object (starts with %v)", tok)
	}
	return walkObject(dec, func(key string) error {
		if key != "activeTargets" {
			return skip(dec) // droppedTargets (empty with state=active), droppedTargetCounts
		}
		tok, err := dec.Token()
		if err != nil || tok == nil {
			return err
		}
		if tok != json.Delim('[') {
			return fmt.Errorf("not an array (starts with %v)", tok)
		}
		var t target // reused: one allocation for the whole pool
		for dec.More() {
			t = target{}
			if err := dec.Decode(&t); err != nil {
				return err
			}
			// The scrapePool parameter filters already; a Prometheus or
			// proxy that ignored it must not mix the pools.
			if t.ScrapePool != pool {
				continue
			}
			instance := t.Labels.Instance
			if instance == "" {
				instance = t.ScrapeURL
			}
			acc.add(instance, t.Health, t.LastError, t.LastScrape)
		}
		_, err = dec.Token() // ']'
		return err
	})
}

// accumulator builds a PoolReport one target at a time.
type accumulator struct {
	r                       PoolReport
	lastScrape, lastErrorAt time.Time
}

func newAccumulator(pool string) *accumulator {
	return &accumulator{r: PoolReport{
		Health:    monitoringv1alpha1.TargetHealth{ScrapePool: pool},
		Instances: map[string]bool{},
		Errors:    map[ErrorClass]int{},
	}}
}

// add counts one target. An instance listed twice is up only if both are.
func (a *accumulator) add(instance string, health targetHealth, lastError string, lastScrape time.Time) {
	h := &a.r.Health
	up := health == healthUp
	switch health {
	case healthUp:
		h.Up++
	case healthDown:
		h.Down++
		a.r.Errors[Classify(lastError)]++
	default:
		h.Unknown++
		if lastScrape.IsZero() {
			a.r.NeverScraped++
		}
	}
	if was, seen := a.r.Instances[instance]; seen {
		up = up && was
	}
	a.r.Instances[instance] = up
	if lastScrape.After(a.lastScrape) {
		a.lastScrape = lastScrape
	}
	if lastError != "" && (h.LastError == "" || lastScrape.After(a.lastErrorAt)) {
		h.LastError, a.lastErrorAt = truncate(lastError, MaxErrorLength), lastScrape
	}
}

// report returns the report of the targets added so far.
func (a *accumulator) report() *PoolReport {
	r := a.r
	if !a.lastScrape.IsZero() {
		r.Health.LastScrape = &metav1.Time{Time: a.lastScrape.UTC().Truncate(time.Second)}
	}
	return &r
}

// truncate bounds s to max bytes, ending in "..." when cut, and never cuts
// a UTF-8 character in two.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
