package v1alpha1

// The defaults the CRD sets (its +kubebuilder:default markers, which must
// be literals), as the spec holds them: code that applies a default to an
// object admitted before the default existed, or to an absent section,
// uses these, and a test holds the CRD's markers to them.
const (
	// DefaultAntreaNamespace is spec.antrea.namespace's default.
	DefaultAntreaNamespace = "kube-system"
	// DefaultMode is spec.prometheus.mode's default.
	DefaultMode = ModeAuto
	// DefaultScrapeIntervalSetting is spec.prometheus.scrapeInterval's
	// default (DefaultScrapeInterval).
	DefaultScrapeIntervalSetting Duration = "30s"
	// DefaultHealthCheckIntervalSetting is spec.healthCheck.interval's
	// default (DefaultHealthCheckInterval).
	DefaultHealthCheckIntervalSetting Duration = "30s"
	// DefaultManagedNamespace is spec.prometheus.managed.namespace's default.
	DefaultManagedNamespace = "monitoring"
	// DefaultPrometheusImage is spec.prometheus.managed.image's default.
	DefaultPrometheusImage = "quay.io/prometheus/prometheus:v2.46.0"
	// DefaultRetentionSetting is spec.prometheus.managed.retention's
	// default (DefaultRetention).
	DefaultRetentionSetting Duration = "15d"
)
