package v1alpha1

// Condition types.
const (
	// ConditionReady sums up the others: True when every other condition is True.
	ConditionReady = "Ready"
	// ConditionAntreaMetricsEnabled says whether enablePrometheusMetrics is on
	// in Antrea's agent and controller configuration.
	ConditionAntreaMetricsEnabled = "AntreaMetricsEnabled"
	// ConditionRBACReady says whether the operator's ClusterRoles, which
	// grant Prometheus what Antrea's guide asks for, exist.
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
	// ReasonRestartInProgress: the confs enable metrics, but Antrea pods
	// still run with the configuration from before the operator's edit
	// (created before the rollout's pod template); the message names them.
	ReasonRestartInProgress = "RestartInProgress"
	// ReasonMetricsNotManaged: spec.antrea.enableMetrics is false, the operator
	// leaves Antrea's configuration alone; the status reports what it found.
	ReasonMetricsNotManaged = "MetricsNotManaged"
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
	// ReasonClusterRolesApplied: the operator's own ClusterRoles
	// antrea-monitoring:prometheus and antrea-monitoring:prometheus-antrea
	// exist with the rules Antrea's guide gives its prometheus and
	// prometheus-antrea roles (roles of those names made by hand are left
	// alone).
	ReasonClusterRolesApplied = "ClusterRolesApplied"
	// ReasonClusterRolesFailed: applying a ClusterRole failed (see message).
	ReasonClusterRolesFailed = "ClusterRolesFailed"
	// ReasonObjectNotOwned (RBACReady, ScrapeConfigured): an object the
	// operator would create already exists and was not created by it (it
	// lacks the operator's labels). The operator never changes, adopts or
	// deletes such an object; the message names it. Rename or remove it.
	ReasonObjectNotOwned = "ObjectNotOwned"
)

// Reasons of Ready.
const (
	// ReasonReady: every other condition is True.
	ReasonReady = "Ready"
	// ReasonNotReady: at least one condition is not True; the message lists them.
	ReasonNotReady = "NotReady"
	// ReasonProgressing: the conditions not True are all on their way (the
	// managed Prometheus starting, a first scrape pending); the message
	// lists them. Not a warning.
	ReasonProgressing = "Progressing"
)

// Condition types of the Prometheus side.
const (
	// ConditionModeResolved says which Prometheus mode is in effect and why.
	ConditionModeResolved = "ModeResolved"
	// ConditionScrapeConfigured says whether the scrape jobs (or monitors) are
	// in place and would be picked up by the Prometheus.
	ConditionScrapeConfigured = "ScrapeConfigured"
	// ConditionPrometheusReady (mode Managed) says whether the managed
	// Prometheus Deployment is available.
	ConditionPrometheusReady = "PrometheusReady"
)

// Reasons of ModeResolved.
const (
	// ReasonModeExplicit: spec.prometheus.mode names the mode.
	ReasonModeExplicit = "ModeExplicit"
	// ReasonAutoFoundPrometheusOperator: mode Auto found prometheus-operator's CRDs
	// and a Prometheus object.
	ReasonAutoFoundPrometheusOperator = "AutoFoundPrometheusOperator"
	// ReasonOtherScraperFound (ModeResolved False, and ScrapeConfigured
	// False): mode Auto found no Prometheus object but another collector
	// scraping the cluster (a PrometheusAgent, a VictoriaMetrics VMAgent),
	// so it deploys no second scraper: the message names what it found and
	// the setting to choose. Nothing is applied until a mode is set.
	ReasonOtherScraperFound = "OtherScraperFound"
	// ReasonAutoNoPrometheusOperator: mode Auto found no prometheus-operator (CRDs or
	// Prometheus object missing), so the operator runs a Prometheus.
	ReasonAutoNoPrometheusOperator = "AutoNoPrometheusOperator"
)

// Reasons of ScrapeConfigured.
const (
	// ReasonScrapeApplied: the jobs or monitors are applied (and, for
	// prometheus-operator, selected by the Prometheus).
	ReasonScrapeApplied = "ScrapeApplied"
	// ReasonNotSelectedByPrometheus: the Prometheus object's selectors do not
	// select the monitors; the message names the labels or namespace missing.
	ReasonNotSelectedByPrometheus = "NotSelectedByPrometheus"
	// ReasonRejectedByPrometheusOperator: the Prometheus selects a monitor,
	// rule or ScrapeConfig but prometheus-operator did not accept it (its
	// status.bindings says Accepted=False; without bindings, its
	// InvalidConfiguration event, confirmed by the object's absence from the
	// configuration it generated), so it is left out of
	// Prometheus's configuration; the message has prometheus-operator's
	// reason and message (for example an empty token Secret).
	ReasonRejectedByPrometheusOperator = "RejectedByPrometheusOperator"
	// ReasonPrometheusNotFound: the referenced Prometheus object (or any, when
	// none is referenced) does not exist, or prometheus-operator's CRDs are missing.
	ReasonPrometheusNotFound = "PrometheusNotFound"
	// ReasonPrometheusOperatorTooOld: a prometheus-operator CRD is of a
	// release older than a field the operator writes needs (its
	// operator.prometheus.io/version, or the API server refusing the field);
	// the message names the CRD, its release, the field and the minimum, and
	// nothing is applied.
	ReasonPrometheusOperatorTooOld = "PrometheusOperatorTooOld"
	// ReasonAmbiguousPrometheus: several Prometheus objects exist and none is
	// named in spec.prometheus.prometheusOperator.prometheus.
	ReasonAmbiguousPrometheus = "AmbiguousPrometheus"
	// ReasonNamespaceNotFound: the namespace to deliver to does not exist.
	ReasonNamespaceNotFound = "NamespaceNotFound"
	// ReasonServiceAccountNotFound: the ServiceAccount to bind does not exist.
	ReasonServiceAccountNotFound = "ServiceAccountNotFound"
	// ReasonAntreaCANotFound: the controller job verifies TLS but ConfigMap
	// antrea-ca (key ca.crt), where antrea-controller publishes its CA, is
	// missing or holds no PEM certificate.
	ReasonAntreaCANotFound = "AntreaCANotFound"
	// ReasonApplyFailed: applying or pruning an object failed (see message).
	ReasonApplyFailed = "ApplyFailed"
)

// Reasons of PrometheusReady.
const (
	// ReasonDeploymentAvailable: the managed Prometheus Deployment is Available.
	ReasonDeploymentAvailable = "DeploymentAvailable"
	// ReasonDeploymentUnavailable: the managed Prometheus Deployment is not
	// Available and its pod says why (unschedulable, an image that cannot
	// be pulled, a crash and its last termination message, a pod the
	// ReplicaSet may not create): the message quotes it.
	ReasonDeploymentUnavailable = "DeploymentUnavailable"
	// ReasonPrometheusStarting: the managed Prometheus Deployment is not
	// Available yet and nothing is wrong: its pod is being scheduled,
	// created or is starting. Not a warning. TargetsHealthy is then Unknown
	// with the same reason.
	ReasonPrometheusStarting = "PrometheusStarting"
)

// ConditionTargetsHealthy says whether Prometheus scrapes every Antrea target.
const ConditionTargetsHealthy = "TargetsHealthy"

// Reasons of TargetsHealthy.
const (
	// ReasonTargetsUp: every target is up, and there is at least one.
	ReasonTargetsUp = "TargetsUp"
	// ReasonNoTargets: Prometheus has no active target in the operator's pools
	// (discovery finds no Antrea pod or endpoint, or the config is not loaded yet).
	ReasonNoTargets = "NoTargets"
	// ReasonTargetsDown: targets are down for different reasons; the message
	// counts each kind of error, status.targets has the last errors.
	ReasonTargetsDown = "TargetsDown"
	// ReasonTargetsMissing: fewer targets than Antrea runs pods: the message
	// names the pods (node;pod) Prometheus has no target for.
	ReasonTargetsMissing = "TargetsMissing"
	// ReasonPrometheusStarting (declared with PrometheusReady's reasons) is
	// also a reason of TargetsHealthy, Unknown: the managed Prometheus is
	// not available yet, so it is not asked; the check runs as soon as it
	// is available, not after a whole interval.

	// ReasonAntreaCAPropagating: the controller's certificate fails
	// verification against the CA Prometheus reads, but antrea-ca changed
	// less than two minutes ago:
	// antrea-controller restarted with a new self-signed CA or rotated it,
	// and Prometheus's mounted copy follows within the kubelet's sync period.
	ReasonAntreaCAPropagating = "AntreaCAPropagating"
	// ReasonScrapePending: Prometheus has the targets but has not scraped
	// them yet (a new Prometheus or configuration); checked again after one
	// scrape interval.
	ReasonScrapePending = "ScrapePending"
	// ReasonTokenRejected: Antrea answers 401: the bearer token Prometheus
	// sends is invalid or expired (TokenReview rejects it).
	ReasonTokenRejected = "TokenRejected"
	// ReasonMetricsForbidden: Antrea answers 403: the ServiceAccount
	// Prometheus scrapes as may not get the non-resource URL /metrics (or no
	// token is sent at all, and system:anonymous may not).
	ReasonMetricsForbidden = "MetricsForbidden"
	// ReasonMetricsDisabled: Antrea answers 404 on /metrics: the conf the
	// pods started with has enablePrometheusMetrics: false.
	ReasonMetricsDisabled = "MetricsDisabled"
	// ReasonTLSVerificationFailed: Antrea's certificate did not verify (a
	// name it does not carry, or a CA that did not sign it).
	ReasonTLSVerificationFailed = "TLSVerificationFailed"
	// ReasonConnectionRefused: nothing listens on Antrea's api port at the
	// target's address (the pod is not running there, or the port differs).
	ReasonConnectionRefused = "ConnectionRefused"
	// ReasonScrapeTimeout: scrapes outlive the scrape timeout (network
	// policy or firewall dropping packets, or an overloaded Antrea).
	ReasonScrapeTimeout = "ScrapeTimeout"
	// ReasonPrometheusUnreachable: the operator could not query Prometheus's API.
	ReasonPrometheusUnreachable = "PrometheusUnreachable"
	// ReasonNoTargetsAPI: what the operator asks answers 404 without
	// Prometheus's API (a collector without a targets API, such as Grafana
	// Alloy, or a wrong spec.prometheus.url): scrape health cannot be seen,
	// which is not a failed scrape (Unknown, never False).
	ReasonNoTargetsAPI = "NoTargetsAPI"
	// ReasonPrometheusURLNotSet: mode ScrapeConfig without spec.prometheus.url:
	// the operator does not know where your Prometheus is.
	ReasonPrometheusURLNotSet = "PrometheusURLNotSet"
)

// ConditionAlertsDelivered (mode Managed with spec.prometheus.managed.alerting,
// and mode PrometheusOperator while the rules are shipped)
// says whether Prometheus has an Alertmanager to send alerts to. It is
// informational: Ready does not wait for it.
const ConditionAlertsDelivered = "AlertsDelivered"

// Reasons of AlertsDelivered.
const (
	// ReasonAlertmanagersActive: Prometheus sends alerts to at least one
	// Alertmanager; the message names them.
	ReasonAlertmanagersActive = "AlertmanagersActive"
	// ReasonNoAlertmanager: Prometheus has no Alertmanager to send to (none configured, the
	// Service has no ready endpoint, or discovery dropped them all): the
	// shipped alerts fire into nothing.
	ReasonNoAlertmanager = "NoAlertmanager"
)

// ConditionCRDUpToDate says whether the AntreaMonitoring CRD the API server
// serves has every field of the one this operator was built with. Helm
// installs a chart's CRD once and never upgrades it: a field the served CRD
// lacks is pruned, silently, from what users write and from what the
// operator writes in status. It is informational: Ready does not wait for
// it.
const ConditionCRDUpToDate = "CRDUpToDate"

// Reasons of CRDUpToDate.
const (
	// ReasonCRDMatches: the served CRD has every field.
	ReasonCRDMatches = "CRDMatches"
	// ReasonCRDFieldsMissing: the served CRD lacks fields; the message names
	// them and how to upgrade the CRD.
	ReasonCRDFieldsMissing = "CRDFieldsMissing"
)

// ConditionDashboardDelivered (with spec.dashboard.enabled) says where the
// dashboard is and whether a Grafana can import it. It is informational:
// Ready does not wait for it.
const ConditionDashboardDelivered = "DashboardDelivered"

// Reasons of DashboardDelivered.
const (
	// ReasonDashboardDelivered: the ConfigMap (and the GrafanaDashboard, with
	// spec.dashboard.grafanaOperator) is in place; the message names them
	// and what selects them.
	ReasonDashboardDelivered = "DashboardDelivered"
	// ReasonGrafanaOperatorNotInstalled: spec.dashboard.grafanaOperator is
	// set but grafana-operator's GrafanaDashboard CRD is not served: no
	// GrafanaDashboard was made.
	ReasonGrafanaOperatorNotInstalled = "GrafanaOperatorNotInstalled"
	// ReasonNoMatchingGrafana: grafana-operator found no Grafana object
	// matching spec.dashboard.grafanaOperator.instanceSelector.
	ReasonNoMatchingGrafana = "NoMatchingGrafana"
)
