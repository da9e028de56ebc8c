package render

import (
	"bytes"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// ServiceAccountTokenFile is the in-cluster path of a pod's ServiceAccount
// token, which Antrea's guide scrapes with.
const ServiceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// ControllerServerName is the name antrea-controller's self-signed
// certificate carries for its Service (it has no ...svc.cluster.local).
func ControllerServerName(antreaNamespace string) string { return "antrea." + antreaNamespace + ".svc" }

// Job names of Antrea's guide; in mode Managed and ScrapeConfig they are
// also the scrape pool names.
const (
	ControllersJob = "antrea-controllers"
	AgentsJob      = "antrea-agents"
)

// ScrapeJob is one Prometheus scrape_config (the fields the operator uses).
type ScrapeJob struct {
	JobName             string         `yaml:"job_name"`
	ScrapeInterval      string         `yaml:"scrape_interval,omitempty"`
	KubernetesSDConfigs []KubernetesSD `yaml:"kubernetes_sd_configs"`
	Scheme              string         `yaml:"scheme"`
	TLSConfig           TLSConfig      `yaml:"tls_config"`
	BearerTokenFile     string         `yaml:"bearer_token_file"`
	RelabelConfigs      []Relabel      `yaml:"relabel_configs"`
	// MetricRelabelConfigs keep the series profile's families (Series).
	MetricRelabelConfigs []Relabel `yaml:"metric_relabel_configs,omitempty"`
	SampleLimit          int32     `yaml:"sample_limit,omitempty"`
}

// WithSeries makes the jobs keep only the families s keeps.
func WithSeries(jobs []ScrapeJob, s Series) []ScrapeJob {
	for i := range jobs {
		jobs[i].MetricRelabelConfigs, jobs[i].SampleLimit = s.Relabelings(), s.SampleLimit()
	}
	return jobs
}

// KubernetesSD is a kubernetes_sd_config.
type KubernetesSD struct {
	Role       string      `yaml:"role"`
	Namespaces *Namespaces `yaml:"namespaces,omitempty"`
	Selectors  []Selector  `yaml:"selectors,omitempty"`
}

// Namespaces restricts discovery to some namespaces.
type Namespaces struct {
	Names []string `yaml:"names"`
}

// Selector restricts discovery to objects with some labels.
type Selector struct {
	Role  string `yaml:"role"`
	Label string `yaml:"label"`
}

// TLSConfig is a tls_config.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
}

// Relabel is a relabel_config.
type Relabel struct {
	SourceLabels []string `yaml:"source_labels,flow"`
	Action       string   `yaml:"action,omitempty"`
	Regex        string   `yaml:"regex,omitempty"`
	TargetLabel  string   `yaml:"target_label,omitempty"`
	Replacement  string   `yaml:"replacement,omitempty"`
}

// DefaultAgentAPIPort is antrea-agent's default apiPort.
const DefaultAgentAPIPort = 10350

// portlessAgent gives an agent container that declares no port (the
// Windows agent's: its DaemonSet declares none in any release, so pod
// discovery makes a port-less target of it) the address <pod IP>:<port>,
// bracketing an IPv6 address. Linux agents declare port api and keep
// theirs.
func portlessAgent(port int32) []Relabel {
	src := []string{"__meta_kubernetes_pod_container_port_number", "__meta_kubernetes_pod_ip"}
	return []Relabel{
		{SourceLabels: src, Regex: ";([^:]+)", TargetLabel: "__address__", Replacement: fmt.Sprintf("${1}:%d", port)},
		{SourceLabels: src, Regex: ";(.+:.+)", TargetLabel: "__address__", Replacement: fmt.Sprintf("[${1}]:%d", port)},
	}
}

// Antrea's labels, as its manifests set them. The Service antrea (and so its
// EndpointSlices) carries only app=antrea: the controller job must select on that.
const (
	AntreaAppSelector   = "app=antrea"
	AntreaAgentSelector = "app=antrea,component=antrea-agent"
)

// ScrapeJobs are Antrea's guide's two jobs, with discovery restricted to
// the Antrea namespace and Antrea's labels so Prometheus stops listing (and
// dropping) every pod and endpoint of the cluster. The guide's keep rule
// stays. The controller job verifies TLS with controllerCAFile (a copy of
// antrea-ca's ca.crt) and server name antrea.<namespace>.svc; with no CA
// file it skips verification, as the agents job always does (see
// agentsTLS).
//
// Agents whose container declares no port (Windows) are scraped on
// agentPort, the apiPort their AntreaAgentInfo reports.
func ScrapeJobs(antreaNamespace, interval, controllerCAFile string, agentPort int32) []ScrapeJob {
	controllerTLS := agentsTLS
	if controllerCAFile != "" {
		controllerTLS = TLSConfig{CAFile: controllerCAFile, ServerName: ControllerServerName(antreaNamespace)}
	}
	job := func(name, role, selector, container string, tls TLSConfig) ScrapeJob {
		return ScrapeJob{
			JobName:        name,
			ScrapeInterval: interval,
			KubernetesSDConfigs: []KubernetesSD{{
				Role:       role,
				Namespaces: &Namespaces{Names: []string{antreaNamespace}},
				Selectors:  []Selector{{Role: role, Label: selector}},
			}},
			Scheme:          "https",
			TLSConfig:       tls,
			BearerTokenFile: ServiceAccountTokenFile,
			RelabelConfigs: []Relabel{
				{SourceLabels: []string{"__meta_kubernetes_namespace", "__meta_kubernetes_pod_container_name"}, Action: "keep", Regex: antreaNamespace + ";" + container},
				{SourceLabels: []string{"__meta_kubernetes_pod_node_name", "__meta_kubernetes_pod_name"}, TargetLabel: "instance"},
			},
		}
	}
	agents := job(AgentsJob, "pod", AntreaAgentSelector, "antrea-agent", agentsTLS)
	agents.RelabelConfigs = slices.Insert(agents.RelabelConfigs, 1, portlessAgent(agentPort)...)
	// EndpointSlice discovery (Prometheus >= 2.21): v1 Endpoints are
	// deprecated since Kubernetes 1.33 and Prometheus warns about them.
	return []ScrapeJob{job(ControllersJob, "endpointslice", AntreaAppSelector, "antrea-controller", controllerTLS), agents}
}

// agentsTLS scrapes agents without verification: each agent signs its own
// certificate at start-up (for localhost only) and publishes it only in its
// Node's AntreaAgentInfo (apiCABundle, from v1.13), which any agent may
// write; a job has one CA, so verifying would take a job per Node, renewed
// at every agent restart, against a weak trust anchor.
var agentsTLS = TLSConfig{InsecureSkipVerify: true}

// PrometheusConfig is a whole prometheus.yml.
type PrometheusConfig struct {
	Global        GlobalConfig        `yaml:"global"`
	RuleFiles     []string            `yaml:"rule_files,omitempty"`
	ScrapeConfigs []ScrapeJob         `yaml:"scrape_configs"`
	RemoteWrite   []RemoteWriteConfig `yaml:"remote_write,omitempty"`
	Alerting      *AlertingConfig     `yaml:"alerting,omitempty"`
}

// GlobalConfig is prometheus.yml's global section.
type GlobalConfig struct {
	ScrapeInterval     string            `yaml:"scrape_interval"`
	EvaluationInterval string            `yaml:"evaluation_interval"`
	ExternalLabels     map[string]string `yaml:"external_labels,omitempty"`
}

// marshal renders YAML with two-space indentation.
func marshal(v any) (string, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("rendering YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ScrapeJobsYAML renders the jobs as a list, the additionalScrapeConfigs format.
func ScrapeJobsYAML(jobs []ScrapeJob) (string, error) { return marshal(jobs) }

// ScrapeConfigFileYAML renders jobs as a file scrape_config_files can list:
// a bare list, as additionalScrapeConfigs takes, is refused there.
func ScrapeConfigFileYAML(jobs []ScrapeJob) (string, error) {
	return marshal(struct {
		ScrapeConfigs []ScrapeJob `yaml:"scrape_configs"`
	}{jobs})
}
