package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PrometheusMode says which kind of Prometheus setup the operator serves.
// +kubebuilder:validation:Enum=Auto;Managed;ScrapeConfig;PrometheusOperator
type PrometheusMode string

const (
	// ModeAuto picks PrometheusOperator when the monitoring.coreos.com API
	// serves Prometheus objects, and Managed otherwise.
	ModeAuto PrometheusMode = "Auto"
	// ModeManaged means the operator runs a Prometheus of its own.
	ModeManaged PrometheusMode = "Managed"
	// ModeScrapeConfig means the user runs a plain Prometheus and receives scrape jobs.
	ModeScrapeConfig PrometheusMode = "ScrapeConfig"
	// ModePrometheusOperator means prometheus-operator (or kube-prometheus-stack)
	// runs Prometheus and receives ServiceMonitor/PodMonitor objects.
	ModePrometheusOperator PrometheusMode = "PrometheusOperator"
)

// AntreaSpec says where Antrea runs and what to change in its configuration.
// +kubebuilder:validation:XValidation:rule="has(self.configMapName) == has(oldSelf.configMapName)",message="spec.antrea.configMapName is immutable: delete this AntreaMonitoring (its changes to Antrea are restored) and create a new one for the other ConfigMap"
type AntreaSpec struct {
	// namespace is the namespace Antrea is installed in.
	// +optional
	// +kubebuilder:default=kube-system
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.antrea.namespace is immutable: delete this AntreaMonitoring (its changes to Antrea are restored) and create a new one for the other namespace"
	Namespace string `json:"namespace,omitempty"`

	// configMapName is the name of Antrea's ConfigMap (the one holding
	// antrea-agent.conf and antrea-controller.conf). Empty means discover it:
	// antrea-config, else the ConfigMap the antrea-controller Deployment names
	// in ANTREA_CONFIG_MAP_NAME or the antrea-agent DaemonSet mounts (releases
	// up to v1.6 name it antrea-config-<hash>).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.antrea.configMapName is immutable: delete this AntreaMonitoring (its changes to Antrea are restored) and create a new one for the other ConfigMap"
	ConfigMapName string `json:"configMapName,omitempty"`

	// enableMetrics makes the operator ensure enablePrometheusMetrics is true
	// in both antrea-agent.conf and antrea-controller.conf (and in the Windows
	// agent's conf when an antrea-agent-windows DaemonSet exists). false leaves
	// Antrea's configuration as it is, for clusters that manage it elsewhere
	// (for example through Antrea's Helm values). The operator never disables
	// metrics: while any AntreaMonitoring asks for them they stay enabled, and
	// the original value is restored when the last one is deleted.
	// +optional
	// +kubebuilder:default=true
	EnableMetrics *bool `json:"enableMetrics,omitempty"`

	// restartOnChange rolls out the antrea-agent DaemonSet and the
	// antrea-controller Deployment after the operator changed their conf, since
	// Antrea reads its configuration only at start-up. With false, the change
	// takes effect at Antrea's next restart.
	// +optional
	// +kubebuilder:default=true
	RestartOnChange *bool `json:"restartOnChange,omitempty"`

	// insecureSkipVerify makes Prometheus scrape antrea-controller without
	// verifying its serving certificate (insecure_skip_verify): anyone able
	// to intercept the traffic to the controller's api port can then read
	// the bearer token Prometheus sends. By default (false) the controller
	// job verifies the certificate with the CA Antrea publishes in ConfigMap
	// antrea-ca (key ca.crt) of the Antrea namespace and the server name
	// antrea.<namespace>.svc; the operator copies that CA to where the
	// Prometheus reads it and keeps the copy in sync when Antrea rotates its
	// certificate. Set true only for a controller that serves a certificate
	// antrea-ca does not sign (a user-supplied one without its CA there).
	// Agents are always scraped without verification: each agent signs its
	// own certificate, published only per Node (AntreaAgentInfo.apiCABundle,
	// from v1.13), writable by any agent, and a Prometheus job has one CA.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// Duration is a Prometheus duration: whole numbers with units, largest unit
// first and each unit at most once, such as 30s, 1m30s, 15d or 1y. Each field
// of this type says which units it takes and bounds it; the API server
// refuses the rest, and caps the digits of each number so no value can
// overflow. Everything admitted parses with Prometheus's own parser
// (Duration.Duration).
// +kubebuilder:validation:MinLength=2
// +kubebuilder:validation:MaxLength=32
type Duration string

// PrometheusSpec says which Prometheus setup scrapes Antrea, and how.
// +kubebuilder:validation:XValidation:rule="!has(self.managed) || !has(self.mode) || self.mode in ['Auto', 'Managed']",message="spec.prometheus.managed applies to mode Managed (or Auto) only"
// +kubebuilder:validation:XValidation:rule="!has(self.scrapeConfig) || (has(self.mode) && self.mode == 'ScrapeConfig')",message="spec.prometheus.scrapeConfig applies to mode ScrapeConfig only"
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'ScrapeConfig' || has(self.scrapeConfig)",message="mode ScrapeConfig needs spec.prometheus.scrapeConfig (the namespace to deliver the jobs to and your Prometheus's ServiceAccount)"
// +kubebuilder:validation:XValidation:rule="!has(self.prometheusOperator) || !has(self.mode) || self.mode in ['Auto', 'PrometheusOperator']",message="spec.prometheus.prometheusOperator applies to mode PrometheusOperator (or Auto) only"
type PrometheusSpec struct {
	// mode is the kind of Prometheus setup to serve: Auto (default) picks
	// PrometheusOperator when prometheus-operator's CRDs are installed and a
	// Prometheus object exists, and Managed otherwise; Managed runs a
	// Prometheus; ScrapeConfig hands scrape jobs to a plain Prometheus;
	// PrometheusOperator creates ServiceMonitor and PodMonitor objects.
	// +optional
	// +kubebuilder:default=Auto
	Mode PrometheusMode `json:"mode,omitempty"`

	// scrapeInterval is how often Prometheus scrapes Antrea (and evaluates
	// the alerting rules): from 1s to 1h, in units h, m, s and ms, for example
	// 30s or 1m30s.
	// +optional
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:XValidation:rule="self != '' && self.matches('^([0-9]{1,4}h)?([0-9]{1,6}m)?([0-9]{1,8}s)?([0-9]{1,11}ms)?$') && duration(self) >= duration('1s') && duration(self) <= duration('1h')",message="spec.prometheus.scrapeInterval must be a duration from 1s to 1h in units h, m, s and ms, for example 30s or 1m30s"
	ScrapeInterval Duration `json:"scrapeInterval,omitempty"`

	// series says which of the series Antrea serves Prometheus keeps from
	// each scrape, in every mode. By default (profile Essential) it keeps
	// Antrea's own families and the process basics, and drops the Go
	// runtime, API-server library, authn/authz and workqueue families
	// that make up most of what Antrea serves.
	// +optional
	// +kubebuilder:default={}
	Series SeriesSpec `json:"series,omitempty"`

	// managed configures the Prometheus the operator runs (mode Managed).
	// +optional
	Managed *ManagedPrometheus `json:"managed,omitempty"`

	// scrapeConfig says where to deliver scrape jobs for your own Prometheus
	// (mode ScrapeConfig).
	// +optional
	ScrapeConfig *ScrapeConfigTarget `json:"scrapeConfig,omitempty"`

	// prometheusOperator configures the objects made for prometheus-operator
	// (mode PrometheusOperator).
	// +optional
	PrometheusOperator *PrometheusOperatorTarget `json:"prometheusOperator,omitempty"`

	// url is where the operator reaches Prometheus's HTTP API to check scrape
	// health, for example http://prometheus.monitoring.svc:9090. Needed in
	// mode ScrapeConfig; in the other modes the operator finds Prometheus's
	// Service itself (through the API server's service proxy when it runs
	// outside the cluster) and url overrides it.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s/$.?#].[^\s]*$`
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getHostname() != ''",message="spec.prometheus.url must be an http or https URL with a host, for example http://prometheus.monitoring.svc:9090"
	URL string `json:"url,omitempty"`
}

// SeriesProfile names a set of metric families kept from each scrape.
// +kubebuilder:validation:Enum=Essential;All
type SeriesProfile string

// Series profiles.
const (
	// SeriesEssential keeps Antrea's own families (antrea_*), which the
	// shipped alerting rules, the dashboard and the status read, and the
	// process basics an admin watches Antrea's own memory and CPU with
	// (EssentialProcessFamilies).
	SeriesEssential SeriesProfile = "Essential"
	// SeriesAll keeps every series Antrea serves.
	SeriesAll SeriesProfile = "All"
)

// EssentialProcessFamilies are the families besides Antrea's own that
// profile Essential keeps: Antrea's CPU, memory, file descriptors, restarts
// and goroutines.
var EssentialProcessFamilies = []string{
	"process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds",
	"process_open_fds", "process_max_fds", "go_goroutines",
}

// MetricName is the name of a metric family as Antrea serves it, for
// example go_memstats_heap_inuse_bytes; a histogram's or summary's _bucket,
// _sum and _count series go with it.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=200
// +kubebuilder:validation:Pattern=`^[a-zA-Z_:][a-zA-Z0-9_:]*$`
type MetricName string

// SeriesSpec says which series Prometheus keeps from each scrape of Antrea.
type SeriesSpec struct {
	// profile is the set of families kept: Essential (default) keeps
	// Antrea's own families and the process basics; All keeps everything
	// Antrea serves (about 25 times as many series on antrea-controller).
	// +optional
	// +kubebuilder:default=Essential
	Profile SeriesProfile `json:"profile,omitempty"`
	// keep are families kept beyond the profile, for example
	// workqueue_depth.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Keep []MetricName `json:"keep,omitempty"`
	// drop are families dropped even when the profile or keep keeps them,
	// for example antrea_agent_ovs_flow_count. A dropped family the status
	// would expect is not reported missing.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Drop []MetricName `json:"drop,omitempty"`
	// sampleLimit fails a scrape that keeps more samples than this, after
	// the profile's filtering (Prometheus's sample_limit): a guard against
	// a runaway family. 0, the default, sets no limit.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000000
	SampleLimit int32 `json:"sampleLimit,omitempty"`
}

// HealthCheckSpec configures the scrape-health check.
type HealthCheckSpec struct {
	// enabled turns the check on; with false the TargetsHealthy condition is
	// not reported and Ready does not wait for it.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`
	// interval between two checks (never faster): from 5s to 1h, in units
	// h, m, s and ms, for example 30s or 2m.
	// +optional
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:XValidation:rule="self != '' && self.matches('^([0-9]{1,4}h)?([0-9]{1,6}m)?([0-9]{1,8}s)?([0-9]{1,11}ms)?$') && duration(self) >= duration('5s') && duration(self) <= duration('1h')",message="spec.healthCheck.interval must be a duration from 5s to 1h in units h, m, s and ms, for example 30s or 2m"
	Interval Duration `json:"interval,omitempty"`
}

// ManagedPrometheus configures the Prometheus the operator runs.
// +kubebuilder:validation:XValidation:rule="!(has(self.agent) && self.agent && has(self.alerting))",message="spec.prometheus.managed.alerting does not apply to an agent, which evaluates no rule: the remote store's ruler sends the alerts"
// +kubebuilder:validation:XValidation:rule="!has(self.agent) || !self.agent || (has(self.remoteWrite) && size(self.remoteWrite) > 0)",message="spec.prometheus.managed.agent needs spec.prometheus.managed.remoteWrite: an agent keeps nothing to query, so it must send its series somewhere"
type ManagedPrometheus struct {
	// namespace to run Prometheus in; created when missing.
	// +optional
	// +kubebuilder:default=monitoring
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`

	// image of Prometheus, an image reference
	// [registry[:port]/]path[:tag][@digest]; the default is the version
	// Antrea's guide validates.
	// +optional
	// +kubebuilder:default="quay.io/prometheus/prometheus:v2.46.0"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^(([a-zA-Z0-9]|[a-zA-Z0-9][-a-zA-Z0-9]*[a-zA-Z0-9])([.]([a-zA-Z0-9]|[a-zA-Z0-9][-a-zA-Z0-9]*[a-zA-Z0-9]))*([:][0-9]+)?/)?[a-z0-9]+(([.]|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([.]|_|__|-+)[a-z0-9]+)*)*([:][a-zA-Z0-9_][-a-zA-Z0-9_.]{0,127})?(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,})?$')",message="spec.prometheus.managed.image must be an image reference [registry[:port]/]path[:tag][@digest] without spaces, for example quay.io/prometheus/prometheus:v2.46.0"
	Image string `json:"image,omitempty"`

	// retention is how long Prometheus keeps samples: from 2h (one TSDB
	// block) to 100y, in units y (365d), w, d, h, m, s and ms, for example
	// 15d or 1y.
	// +optional
	// +kubebuilder:default="15d"
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]{1,3}y)?([0-9]{1,4}w)?([0-9]{1,5}d)?([0-9]{1,6}h)?([0-9]{1,8}m)?([0-9]{1,10}s)?([0-9]{1,13}ms)?$') && [self.findAll('[0-9]+(ms|[ywdhms])').map(p, int(p.findAll('[0-9]+')[0]) * (p.endsWith('ms') ? 1 : p.endsWith('s') ? 1000 : p.endsWith('m') ? 60000 : p.endsWith('h') ? 3600000 : p.endsWith('d') ? 86400000 : p.endsWith('w') ? 604800000 : 31536000000)).sum()].all(ms, ms >= 7200000 && ms <= 3153600000000)",message="spec.prometheus.managed.retention must be a duration from 2h to 100y in units y, w, d, h, m, s and ms, for example 15d or 1y"
	Retention Duration `json:"retention,omitempty"`

	// resources of the Prometheus container: limits and requests (no
	// negative quantity), for example {requests: {cpu: 500m, memory: 2Gi},
	// limits: {memory: 4Gi}}. claims are not supported.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.limits) || self.limits.all(k, type(self.limits[k]) == int ? self.limits[k] >= 0 : !self.limits[k].startsWith('-'))",message="spec.prometheus.managed.resources.limits must not be negative, for example {memory: 4Gi}"
	// +kubebuilder:validation:XValidation:rule="!has(self.requests) || self.requests.all(k, type(self.requests[k]) == int ? self.requests[k] >= 0 : !self.requests[k].startsWith('-'))",message="spec.prometheus.managed.resources.requests must not be negative, for example {cpu: 500m, memory: 2Gi}"
	// +kubebuilder:validation:XValidation:rule="!has(self.claims)",message="spec.prometheus.managed.resources.claims is not supported: the managed Prometheus pod has no resource claims; set limits and requests only"
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// storage for Prometheus's data: an emptyDir (lost when the pod is
	// replaced) when absent, a PersistentVolumeClaim of this size otherwise.
	// +optional
	Storage *PrometheusStorage `json:"storage,omitempty"`

	// externalLabels are added to every series and alert this Prometheus
	// sends out (remote write, Alertmanager, federation), for example
	// {cluster: prod-eu-1}: what tells one cluster's series from another's
	// in a shared store. None by default (the operator cannot know the
	// cluster's name); set a cluster label when you use remoteWrite.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-zA-Z_][a-zA-Z0-9_]{0,127}$') && !k.startsWith('__'))",message="spec.prometheus.managed.externalLabels: every key must be a Prometheus label name (letters, digits and '_', not starting with a digit or '__'), for example cluster"
	ExternalLabels map[string]ExternalLabelValue `json:"externalLabels,omitempty"`

	// alerting sends the alerts of the shipped rules to Alertmanagers; with
	// none, they fire into nothing. Condition AlertsDelivered says whether
	// Prometheus found an Alertmanager to send to.
	// +optional
	Alerting *ManagedAlerting `json:"alerting,omitempty"`

	// agent runs Prometheus in agent mode: it scrapes and remote-writes
	// only, with no local storage to query and no rule evaluation (the
	// rules stay in key antrea-rules.yaml of its ConfigMap, for the ruler
	// of the remote store). Needs remoteWrite. Health is then read from
	// the agent's targets API; missing metric families cannot be queried.
	// The flag follows the image's major version: --agent from
	// Prometheus 3, --enable-feature=agent before.
	// +optional
	Agent bool `json:"agent,omitempty"`

	// remoteWrite sends every series Prometheus keeps (after
	// spec.prometheus.series) to remote stores such as Thanos Receive,
	// Mimir, Cortex or VictoriaMetrics.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	RemoteWrite []RemoteWrite `json:"remoteWrite,omitempty"`
}

// ManagedAlerting says where the managed Prometheus sends its alerts.
// +kubebuilder:validation:XValidation:rule="(has(self.services) && size(self.services) > 0) || (has(self.urls) && size(self.urls) > 0)",message="spec.prometheus.managed.alerting needs services or urls, for example services: [{namespace: monitoring, name: alertmanager}]"
// +kubebuilder:validation:XValidation:rule="!(has(self.bearerToken) && has(self.basicAuth))",message="spec.prometheus.managed.alerting: set bearerToken or basicAuth, not both"
type ManagedAlerting struct {
	// services are Alertmanager Services, whose endpoints Prometheus
	// discovers (every replica of an Alertmanager cluster gets each alert).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=4
	Services []AlertmanagerService `json:"services,omitempty"`
	// urls of Alertmanagers reached directly, for example
	// https://alertmanager.example.com:9093 (a path is its path prefix).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.all(u, isURL(u) && url(u).getScheme() in ['http', 'https'] && url(u).getHostname() != '')",message="spec.prometheus.managed.alerting.urls must be http or https URLs with a host, for example http://alertmanager.monitoring.svc:9093"
	URLs []string `json:"urls,omitempty"`
	// bearerToken is a key of a Secret holding the token sent to every
	// Alertmanager.
	// +optional
	BearerToken *SecretKey `json:"bearerToken,omitempty"`
	// basicAuth are keys of Secrets holding the user name and password.
	// +optional
	BasicAuth *BasicAuth `json:"basicAuth,omitempty"`
	// tls verifies the Alertmanagers' certificates with a CA from a Secret
	// key (the system's roots otherwise), or not at all.
	// +optional
	TLS *RemoteWriteTLS `json:"tls,omitempty"`
}

// AlertmanagerService is an Alertmanager Service.
type AlertmanagerService struct {
	// namespace of the Service.
	// +required
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace"`
	// name of the Service.
	// +required
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// port is the name of the Service's port Alertmanager's API serves on.
	// +optional
	// +kubebuilder:default=web
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Port string `json:"port,omitempty"`
	// scheme is http (default) or https.
	// +optional
	// +kubebuilder:validation:Enum=http;https
	Scheme string `json:"scheme,omitempty"`
	// pathPrefix of Alertmanager's API, for example /alertmanager.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^/[-._~/a-zA-Z0-9]*$`
	PathPrefix string `json:"pathPrefix,omitempty"`
}

// ExternalLabelValue is the value of an external label.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
type ExternalLabelValue string

// RemoteWrite is one remote_write endpoint. Credentials come from keys of
// Secrets in the managed Prometheus's namespace, mounted into its pod:
// Prometheus re-reads them at every request, so a rotated Secret takes
// effect without a restart.
// +kubebuilder:validation:XValidation:rule="!(has(self.bearerToken) && has(self.basicAuth))",message="spec.prometheus.managed.remoteWrite: set bearerToken or basicAuth, not both"
type RemoteWrite struct {
	// url of the remote write endpoint, for example
	// http://thanos-receive.thanos.svc:19291/api/v1/receive.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",message="spec.prometheus.managed.remoteWrite[].url must be an http or https URL with a host, for example http://thanos-receive.thanos.svc:19291/api/v1/receive"
	URL string `json:"url"`
	// name of the queue in Prometheus's own metrics; derived from the URL
	// when empty.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9][-a-zA-Z0-9_.]*$`
	Name string `json:"name,omitempty"`
	// bearerToken is a key of a Secret holding the token sent as
	// "Authorization: Bearer".
	// +optional
	BearerToken *SecretKey `json:"bearerToken,omitempty"`
	// basicAuth are keys of Secrets holding the user name and password.
	// +optional
	BasicAuth *BasicAuth `json:"basicAuth,omitempty"`
	// tls verifies the endpoint's certificate with a CA from a Secret key
	// (the system's roots otherwise), or not at all.
	// +optional
	TLS *RemoteWriteTLS `json:"tls,omitempty"`
	// writeRelabelConfigs filter or rewrite the series sent to this
	// endpoint only (Prometheus's write_relabel_configs), for example
	// [{sourceLabels: [__name__], regex: "antrea_agent_.*", action: keep}].
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	WriteRelabelConfigs []RelabelConfig `json:"writeRelabelConfigs,omitempty"`
	// queue tunes the queue of samples in flight (Prometheus's
	// queue_config); its defaults suit most stores.
	// +optional
	Queue *RemoteWriteQueue `json:"queue,omitempty"`
}

// SecretKey selects a key of a Secret in the managed Prometheus's namespace.
type SecretKey struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
	// key in the Secret's data.
	// +required
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// BasicAuth are the Secret keys of a user name and password.
type BasicAuth struct {
	// username is the Secret key holding the user name.
	// +required
	Username SecretKey `json:"username"`
	// password is the Secret key holding the password.
	// +required
	Password SecretKey `json:"password"`
}

// RemoteWriteTLS configures TLS to a remote write endpoint.
type RemoteWriteTLS struct {
	// ca is the Secret key holding the PEM CA that signed the endpoint's
	// certificate.
	// +optional
	CA *SecretKey `json:"ca,omitempty"`
	// serverName is the name verified in the endpoint's certificate, when
	// it differs from the URL's host.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServerName string `json:"serverName,omitempty"`
	// insecureSkipVerify sends to the endpoint without verifying its
	// certificate: insecure, for tests only.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// RelabelConfig is one Prometheus relabelling rule.
type RelabelConfig struct {
	// sourceLabels are joined with ';' and matched against regex.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Pattern=`^[a-zA-Z_][a-zA-Z0-9_]*$`
	SourceLabels []string `json:"sourceLabels,omitempty"`
	// regex, RE2, anchored at both ends; (.*) by default.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Regex string `json:"regex,omitempty"`
	// action: keep, drop, replace (default), labeldrop or labelkeep.
	// +optional
	// +kubebuilder:validation:Enum=keep;drop;replace;labeldrop;labelkeep
	Action string `json:"action,omitempty"`
	// targetLabel that action replace writes.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_]*$`
	TargetLabel string `json:"targetLabel,omitempty"`
	// replacement that action replace writes ($1 by default).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Replacement *string `json:"replacement,omitempty"`
}

// RemoteWriteQueue is a remote write queue_config.
type RemoteWriteQueue struct {
	// capacity of each shard's buffer, in samples.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	Capacity int32 `json:"capacity,omitempty"`
	// maxShards is the most shards sending at once.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxShards int32 `json:"maxShards,omitempty"`
	// maxSamplesPerSend is the most samples in one request.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	MaxSamplesPerSend int32 `json:"maxSamplesPerSend,omitempty"`
}

// PrometheusStorage asks for a PersistentVolumeClaim.
type PrometheusStorage struct {
	// size of the claim, a quantity greater than zero, for example 20Gi.
	// +required
	// +kubebuilder:validation:XValidation:rule="isQuantity(string(self)) && quantity(string(self)).isGreaterThan(quantity('0'))",message="spec.prometheus.managed.storage.size must be a quantity greater than zero, for example 20Gi"
	Size resource.Quantity `json:"size"`
	// storageClassName of the claim, a DNS subdomain such as fast-ssd; the
	// cluster's default when empty.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	StorageClassName string `json:"storageClassName,omitempty"`
	// initChownData runs an init container (the Prometheus image, as root
	// with only the CHOWN and DAC_READ_SEARCH capabilities) that gives the
	// claim's files to Prometheus's user 65534 before it starts: volumes
	// that ignore fsGroup (hostPath, local, some NFS and CSI drivers) are
	// otherwise not writable and Prometheus crashes with "permission
	// denied". Default true; set false where Pod Security "restricted"
	// refuses root containers and the volume honours fsGroup.
	// +optional
	InitChownData *bool `json:"initChownData,omitempty"`
}

// ChownData reports whether the claim's files are given to Prometheus's
// user by an init container (spec.prometheus.managed.storage.initChownData,
// default true).
func (s *PrometheusStorage) ChownData() bool {
	return s != nil && (s.InitChownData == nil || *s.InitChownData)
}

// ScrapeConfigTarget says where a plain Prometheus gets its jobs.
type ScrapeConfigTarget struct {
	// namespace to create the Secret and ConfigMap holding
	// antrea-scrape-configs.yaml in (it must exist).
	// +required
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace"`
	// serviceAccount your Prometheus runs as; it is bound to the operator's
	// ClusterRoles antrea-monitoring:prometheus and
	// antrea-monitoring:prometheus-antrea (the rules of Antrea's guide).
	// +required
	ServiceAccount ObjectReference `json:"serviceAccount"`
}

// LabelValue is a Kubernetes label value.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`
type LabelValue string

// PrometheusOperatorTarget configures the prometheus-operator objects.
// +kubebuilder:validation:XValidation:rule="!has(self.prometheus) || !has(self.prometheusAgent)",message="spec.prometheus.prometheusOperator: set prometheus or prometheusAgent, not both (the monitors serve one collector)"
type PrometheusOperatorTarget struct {
	// prometheus is the Prometheus object that must select the monitors;
	// empty (and no prometheusAgent) means the only Prometheus in the
	// cluster, or, when there is none, the only PrometheusAgent.
	// +optional
	Prometheus *ObjectReference `json:"prometheus,omitempty"`
	// prometheusAgent is the PrometheusAgent object (monitoring.coreos.com/v1alpha1,
	// prometheus-operator v0.64 or later) that must select the monitors, instead
	// of a Prometheus: it scrapes and forwards by remote write, evaluates no
	// rules (the PrometheusRule is still made, for a ruler that selects it),
	// and its health is read from its pods' targets API.
	// +optional
	PrometheusAgent *ObjectReference `json:"prometheusAgent,omitempty"`
	// namespace of the monitors; the Prometheus (or PrometheusAgent) object's
	// namespace when empty.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`
	// labels added to the monitors so the Prometheus selects them, for
	// example release: kube-prometheus-stack.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 253 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="spec.prometheus.prometheusOperator.labels: every key must be a valid label key (an optional DNS prefix and a slash, then up to 63 letters, digits, '-', '_' or '.')"
	Labels map[string]LabelValue `json:"labels,omitempty"`
	// useScrapeConfig creates ScrapeConfig objects (monitoring.coreos.com/v1alpha1)
	// instead of a ServiceMonitor and a PodMonitor.
	// +optional
	UseScrapeConfig bool `json:"useScrapeConfig,omitempty"`
}

// AntreaMonitoringSpec is the desired monitoring of Antrea.
type AntreaMonitoringSpec struct {
	// antrea says where Antrea runs and how to enable its metrics.
	// +optional
	// +kubebuilder:default={}
	Antrea AntreaSpec `json:"antrea,omitempty"`

	// prometheus says which Prometheus setup scrapes Antrea.
	// +optional
	// +kubebuilder:default={}
	Prometheus PrometheusSpec `json:"prometheus,omitempty"`

	// healthCheck configures how the operator checks that Prometheus scrapes
	// Antrea.
	// +optional
	// +kubebuilder:default={}
	HealthCheck HealthCheckSpec `json:"healthCheck,omitempty"`

	// alerts configures Antrea's alerting rules.
	// +optional
	// +kubebuilder:default={}
	Alerts AlertsSpec `json:"alerts,omitempty"`

	// dashboard configures the Grafana dashboard.
	// +optional
	// +kubebuilder:default={}
	Dashboard DashboardSpec `json:"dashboard,omitempty"`
}

// AlertsSpec configures the alerting rules: Antrea agent or controller
// down, OVS flow operation errors, conntrack table nearly full, NetworkPolicy
// sync slow, and the scrape itself failing.
type AlertsSpec struct {
	// enabled ships the rules: a PrometheusRule in mode PrometheusOperator, a
	// rule file the managed Prometheus loads in mode Managed, and key
	// antrea-rules.yaml of the delivered ConfigMap in mode ScrapeConfig. On by
	// default: rules only evaluate (nothing notifies without an
	// Alertmanager), cost little, and are what makes monitoring useful.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`
}

// DashboardSpec configures the Grafana dashboard.
type DashboardSpec struct {
	// enabled ships the dashboard (a fleet view of the agents, controller,
	// OVS, conntrack, AntreaProxy, the scrape's health and Antrea's own
	// resources, with cluster, node and job variables) as a ConfigMap
	// labelled for Grafana's dashboard sidecar (labels), and as a
	// GrafanaDashboard with grafanaOperator. Off by default: it needs a
	// Grafana, and a ConfigMap nobody reads is clutter.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// namespace of the ConfigMap (the sidecar must watch it); by default the
	// namespace of the managed Prometheus, of the delivered jobs, or of the
	// monitors.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`
	// labels of the dashboard's ConfigMap: those Grafana's dashboard sidecar
	// selects (kube-prometheus-stack's sidecar.dashboards.label and
	// labelValue), such as grafana_dashboard: "antrea". When empty,
	// grafana_dashboard: "1", kube-prometheus-stack's default.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	Labels map[string]string `json:"labels,omitempty"`
	// annotations of the dashboard's ConfigMap, such as the sidecar's folder
	// annotation (grafana_folder: Antrea, with kube-prometheus-stack's
	// sidecar.dashboards.folderAnnotation set to grafana_folder).
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	Annotations map[string]string `json:"annotations,omitempty"`
	// grafanaOperator also delivers the dashboard as a grafana-operator
	// GrafanaDashboard (grafana.integreatly.org/v1beta1), in the
	// ConfigMap's namespace, for the Grafana objects instanceSelector picks.
	// +optional
	GrafanaOperator *GrafanaOperatorDashboard `json:"grafanaOperator,omitempty"`
}

// GrafanaOperatorDashboard configures the GrafanaDashboard.
type GrafanaOperatorDashboard struct {
	// instanceSelector selects the Grafana objects that import the
	// dashboard, such as {matchLabels: {dashboards: grafana}}. grafana-operator
	// does not let it change: to change it, remove grafanaOperator, then set
	// it again.
	// +required
	InstanceSelector metav1.LabelSelector `json:"instanceSelector"`
	// folder is the title of the Grafana folder the dashboard goes to, such
	// as Antrea; grafana-operator's default folder when empty.
	// +optional
	// +kubebuilder:validation:MaxLength=140
	Folder string `json:"folder,omitempty"`
	// allowCrossNamespaceImport lets Grafana objects of other namespaces
	// import the dashboard.
	// +optional
	AllowCrossNamespaceImport bool `json:"allowCrossNamespaceImport,omitempty"`
}

// ObjectReference names a namespaced object.
type ObjectReference struct {
	// namespace of the object, a DNS label such as monitoring.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace"`
	// name of the object, a DNS subdomain such as prometheus-server.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
}

// AntreaMonitoringStatus is the observed state of the monitoring of Antrea.
type AntreaMonitoringStatus struct {
	// observedGeneration is the generation of the spec this status was
	// computed from; it is written only when a reconcile completed.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Ready, AntreaMetricsEnabled, RBACReady, ModeResolved,
	// ScrapeConfigured, PrometheusReady (mode Managed) and TargetsHealthy;
	// their reasons are the constants documented in conditions.go and in
	// docs/troubleshooting.md.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// antreaConfigMap is the Antrea ConfigMap the operator resolved and edits.
	// +optional
	AntreaConfigMap *ObjectReference `json:"antreaConfigMap,omitempty"`

	// mode is the Prometheus mode in effect (Auto resolved).
	// +optional
	Mode PrometheusMode `json:"mode,omitempty"`

	// prometheus is the Prometheus the operator provisioned for or found:
	// the managed Deployment, or the prometheus-operator Prometheus object.
	// +optional
	Prometheus *ObjectReference `json:"prometheus,omitempty"`

	// prometheusKind is what status.prometheus names: Deployment (mode
	// Managed), Prometheus or PrometheusAgent (mode PrometheusOperator).
	// +optional
	// +kubebuilder:validation:Enum=Deployment;Prometheus;PrometheusAgent
	PrometheusKind string `json:"prometheusKind,omitempty"`

	// seriesProfile is the series profile in force (spec.prometheus.series),
	// with the number of families kept and dropped beyond it, for example
	// "Essential" or "Essential, +2 kept, -1 dropped".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SeriesProfile string `json:"seriesProfile,omitempty"`

	// targets is the scrape health of each of the operator's scrape pools,
	// as Prometheus reports it.
	// +optional
	// +listType=map
	// +listMapKey=scrapePool
	// +kubebuilder:validation:MaxItems=8
	Targets []TargetHealth `json:"targets,omitempty"`

	// targetsSummary is up/total over all pools, for example 3/3.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	TargetsSummary string `json:"targetsSummary,omitempty"`

	// missingMetrics lists the Antrea metric families that Prometheus does
	// not have although every target is up (at most 40). Only families this
	// Antrea serves are expected: those of its release (antreaVersion; the
	// families every release since v1.6.0 serves while it is unknown) and of
	// the features its configuration turns on, with at least one series from
	// start-up. A family that appears only once used (for example Node IPAM's)
	// is never missing, and neither is one listed in inactiveMetrics or one
	// spec.prometheus.series drops.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=40
	// +kubebuilder:validation:items:MaxLength=128
	MissingMetrics []string `json:"missingMetrics,omitempty"`

	// antreaVersion is the version antrea-controller reports in its
	// AntreaControllerInfo (crd.antrea.io), for example v2.7.0, or
	// v2.8.0-dev-<commit> for a development build. Empty while unknown:
	// Antrea's CRDs are not installed (yet) or no antrea-controller has
	// reported; it is learnt as soon as they are.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	AntreaVersion string `json:"antreaVersion,omitempty"`

	// agentVersions lists the distinct versions Antrea's agents report in
	// their AntreaAgentInfo, sorted, when any of them differs from
	// antreaVersion (during an upgrade, for example); empty when every agent
	// runs antreaVersion (at most 8).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MaxLength=64
	AgentVersions []string `json:"agentVersions,omitempty"`

	// inactiveMetrics lists the metric families this Antrea serves but holds
	// at zero because a feature they need is off in its configuration,
	// grouped by that feature: for example the conntrack families, which
	// need FlowExporter. Their series exist and read 0: they carry no data,
	// and are reported neither as missing nor as healthy (at most 8).
	// +optional
	// +listType=map
	// +listMapKey=condition
	// +kubebuilder:validation:MaxItems=8
	InactiveMetrics []InactiveMetrics `json:"inactiveMetrics,omitempty"`
}

// TargetHealth is the health of one scrape pool.
type TargetHealth struct {
	// scrapePool is Prometheus's name of the pool, for example antrea-agents
	// or podMonitor/monitoring/antrea-agents/0.
	// +required
	// +kubebuilder:validation:MaxLength=512
	ScrapePool string `json:"scrapePool"`
	// up is the number of targets whose last scrape succeeded.
	// +required
	Up int32 `json:"up"`
	// down is the number of targets whose last scrape failed.
	// +required
	Down int32 `json:"down"`
	// unknown is the number of targets not scraped yet.
	// +required
	Unknown int32 `json:"unknown"`
	// lastError is the most recent scrape error of the pool (truncated).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	LastError string `json:"lastError,omitempty"`
	// lastScrape is when a target of the pool was last scraped, as of the
	// last status change (refreshed at most every ten check intervals while
	// nothing else changes, so a healthy steady state writes rarely).
	// +optional
	LastScrape *metav1.Time `json:"lastScrape,omitempty"`
}

// AntreaMonitoring enables, scrapes and checks Antrea's Prometheus metrics.
// Its name is a DNS-1035 label of at most 52 characters (lowercase letters,
// digits and '-', starting with a letter), since the operator names a
// Service after it with the suffix -prometheus, and a Service name is a
// DNS-1035 label of at most 63. The rule checks new objects only, so one
// created before it can still be updated and deleted.
// +kubebuilder:object:root=true
// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() || (size(self.metadata.name) <= 52 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$'))",optionalOldSelf=true,message="metadata.name must be at most 52 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (the operator derives <name>-prometheus from it), for example antrea"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=amon
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.status.mode`
// +kubebuilder:printcolumn:name="Targets",type=string,JSONPath=`.status.targetsSummary`
// +kubebuilder:printcolumn:name="Antrea",type=string,JSONPath=`.status.antreaVersion`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AntreaMonitoring struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired monitoring.
	// +optional
	Spec AntreaMonitoringSpec `json:"spec,omitempty"`
	// status is what the operator observed.
	// +optional
	Status AntreaMonitoringStatus `json:"status,omitempty"`
}

// AntreaMonitoringList is a list of AntreaMonitoring.
// +kubebuilder:object:root=true
type AntreaMonitoringList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AntreaMonitoring `json:"items"`
}

// MetricsWanted reports whether this AntreaMonitoring asks for Antrea's
// metrics to be enabled (defaults applied).
func (m *AntreaMonitoring) MetricsWanted() bool {
	return m.DeletionTimestamp.IsZero() && (m.Spec.Antrea.EnableMetrics == nil || *m.Spec.Antrea.EnableMetrics)
}

// HealthCheckEnabled reports whether scrape health is checked (default true).
func (m *AntreaMonitoring) HealthCheckEnabled() bool {
	return m.Spec.HealthCheck.Enabled == nil || *m.Spec.HealthCheck.Enabled
}

// AlertsEnabled reports whether alerting rules are shipped (default true).
func (m *AntreaMonitoring) AlertsEnabled() bool {
	return m.Spec.Alerts.Enabled == nil || *m.Spec.Alerts.Enabled
}

// RestartWanted reports whether Antrea may be restarted after a conf change.
func (m *AntreaMonitoring) RestartWanted() bool {
	return m.Spec.Antrea.RestartOnChange == nil || *m.Spec.Antrea.RestartOnChange
}

// AntreaNamespace is spec.antrea.namespace with its default applied.
func (m *AntreaMonitoring) AntreaNamespace() string {
	if m.Spec.Antrea.Namespace == "" {
		return DefaultAntreaNamespace
	}
	return m.Spec.Antrea.Namespace
}

// InactiveMetrics are metric families Antrea serves but holds at zero
// because a feature they need is off.
type InactiveMetrics struct {
	// condition is what the families need, for example FlowExporter (the
	// flow exporter polls conntrack) or AntreaPolicy (Antrea-native policy).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	Condition string `json:"condition"`
	// families are the metric families concerned, sorted (at most 40).
	// +required
	// +listType=set
	// +kubebuilder:validation:MaxItems=40
	// +kubebuilder:validation:items:MaxLength=128
	Families []string `json:"families"`
	// message says which setting turns the condition on.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Message string `json:"message,omitempty"`
}
