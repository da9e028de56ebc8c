package v1alpha1

// Annotation keys the operator writes on objects it edits or owns. Each is
// defined here once; every package uses these constants.
const (
	// ConfigHashAnnotation holds a rollout hash, in one of two formats by
	// the object it is on:
	//   - on Antrea's ConfigMap: a JSON object from conf key
	//     (antrea-agent.conf, ...) to the hash the workloads reading that
	//     conf must carry;
	//   - on a pod template (Antrea's DaemonSets and Deployment, the managed
	//     Prometheus's Deployment): the one hash the template was rolled out
	//     with. A template whose hash differs from the wanted one is rolled out.
	ConfigHashAnnotation = "monitoring.antrea.io/config-hash"
	// OriginalEnablePrometheusMetricsAnnotation (Antrea's ConfigMap) records,
	// per conf key, how enablePrometheusMetrics was held before the operator
	// changed it, so deletion restores it byte for byte; it also marks the
	// ConfigMaps the operator edited.
	OriginalEnablePrometheusMetricsAnnotation = "monitoring.antrea.io/original-enable-prometheus-metrics"
)
