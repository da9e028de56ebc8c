package v1alpha1

// Condition types.
const (
	// ConditionReady sums up the others: True when every other condition is True.
	ConditionReady = "Ready"
	// ConditionAntreaMetricsEnabled says whether enablePrometheusMetrics is on
	// in Antrea's agent and controller configuration.
	ConditionAntreaMetricsEnabled = "AntreaMetricsEnabled"
	// ConditionRBACReady says whether the ClusterRoles Prometheus needs exist.
	ConditionRBACReady = "RBACReady"
)

// Reasons of AntreaMetricsEnabled.
const (
	// ReasonMetricsEnabled: enablePrometheusMetrics is effectively true in every
	// conf (explicitly, or absent or commented out, which Antrea reads as true).
	ReasonMetricsEnabled = "MetricsEnabled"
	// ReasonMetricsEnabledRestartRequired: the operator turned metrics on, but
	// spec.antrea.restartOnChange is false, so Antrea applies it at its next restart.
	ReasonMetricsEnabledRestartRequired = "MetricsEnabledRestartRequired"
	// ReasonMetricsReapplied: someone reverted the operator's edit (a Helm
	// upgrade, another operator); the operator re-applied it. The message
	// names who manages the ConfigMap when its labels or managedFields show it.
	ReasonMetricsReapplied = "MetricsReapplied"
	// ReasonMetricsNotManaged: spec.antrea.enableMetrics is false, the operator
	// leaves Antrea's configuration alone; the status reports what it found.
	ReasonMetricsNotManaged = "MetricsNotManaged"
	// ReasonMetricsDisabled: enableMetrics is false and Antrea's metrics are off.
	ReasonMetricsDisabled = "MetricsDisabled"
	// ReasonConfigMapNotFound: Antrea's ConfigMap does not exist (yet). The
	// operator watches the namespace and recovers when it appears.
	ReasonConfigMapNotFound = "ConfigMapNotFound"
	// ReasonInvalidAntreaConfig: a conf is not valid YAML, is not a mapping, or
	// holds a non-boolean enablePrometheusMetrics. The ConfigMap is left untouched.
	ReasonInvalidAntreaConfig = "InvalidAntreaConfig"
	// ReasonNamespaceNotWatched: spec.antrea.namespace is outside the
	// namespaces the operator was started to watch (--antrea-namespaces).
	ReasonNamespaceNotWatched = "NamespaceNotWatched"
	// ReasonUpdateFailed: writing the ConfigMap or rolling out Antrea failed;
	// the operator retries with backoff.
	ReasonUpdateFailed = "UpdateFailed"
)

// Reasons of RBACReady.
const (
	// ReasonClusterRolesApplied: ClusterRoles prometheus and prometheus-antrea
	// exist with the rules Antrea's guide gives.
	ReasonClusterRolesApplied = "ClusterRolesApplied"
	// ReasonClusterRolesFailed: applying a ClusterRole failed (see message).
	ReasonClusterRolesFailed = "ClusterRolesFailed"
)

// Reasons of Ready.
const (
	// ReasonReady: every other condition is True.
	ReasonReady = "Ready"
	// ReasonNotReady: at least one condition is not True; the message lists them.
	ReasonNotReady = "NotReady"
)
