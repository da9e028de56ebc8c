package health

// Merge adds b's targets to a (nil a starts a new report): the answers of
// the shards of one Prometheus, which scrape disjoint sets of targets.
func Merge(a, b *PoolReport) *PoolReport {
	if a == nil {
		return b
	}
	h := &a.Health
	h.Up += b.Health.Up
	h.Down += b.Health.Down
	h.Unknown += b.Health.Unknown
	if b.Health.LastScrape != nil && (h.LastScrape == nil || b.Health.LastScrape.After(h.LastScrape.Time)) {
		h.LastScrape = b.Health.LastScrape
		if b.Health.LastError != "" {
			h.LastError = b.Health.LastError
		}
	}
	if h.LastError == "" {
		h.LastError = b.Health.LastError
	}
	if a.Instances == nil {
		a.Instances = map[string]bool{}
	}
	for k, v := range b.Instances {
		a.Instances[k] = a.Instances[k] || v
	}
	if a.Errors == nil {
		a.Errors = map[ErrorClass]int{}
	}
	for k, v := range b.Errors {
		a.Errors[k] += v
	}
	a.NeverScraped += b.NeverScraped
	return a
}
