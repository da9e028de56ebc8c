package render

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// In-cluster paths of a pod's ServiceAccount credentials, as Antrea's guide uses them.
const (
	ServiceAccountCAFile    = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
	ServiceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
)

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
	CAFile             string `yaml:"ca_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Relabel is a relabel_config.
type Relabel struct {
	SourceLabels []string `yaml:"source_labels,flow"`
	Action       string   `yaml:"action,omitempty"`
	Regex        string   `yaml:"regex,omitempty"`
	TargetLabel  string   `yaml:"target_label,omitempty"`
}

// Antrea's labels, as its manifests set them. The Service antrea (and so its
// Endpoints) carries only app=antrea: the controller job must select on that.
const (
	AntreaAppSelector   = "app=antrea"
	AntreaAgentSelector = "app=antrea,component=antrea-agent"
)

// ScrapeJobs are Antrea's guide's two jobs, with discovery restricted to
// the Antrea namespace and Antrea's labels so Prometheus stops listing (and
// dropping) every pod and endpoint of the cluster. The guide's keep rule stays.
func ScrapeJobs(antreaNamespace, interval string) []ScrapeJob {
	job := func(name, role, selector, container string) ScrapeJob {
		return ScrapeJob{
			JobName:        name,
			ScrapeInterval: interval,
			KubernetesSDConfigs: []KubernetesSD{{
				Role:       role,
				Namespaces: &Namespaces{Names: []string{antreaNamespace}},
				Selectors:  []Selector{{Role: role, Label: selector}},
			}},
			Scheme:          "https",
			TLSConfig:       TLSConfig{CAFile: ServiceAccountCAFile, InsecureSkipVerify: true},
			BearerTokenFile: ServiceAccountTokenFile,
			RelabelConfigs: []Relabel{
				{SourceLabels: []string{"__meta_kubernetes_namespace", "__meta_kubernetes_pod_container_name"}, Action: "keep", Regex: antreaNamespace + ";" + container},
				{SourceLabels: []string{"__meta_kubernetes_pod_node_name", "__meta_kubernetes_pod_name"}, TargetLabel: "instance"},
			},
		}
	}
	return []ScrapeJob{
		job(ControllersJob, "endpoints", AntreaAppSelector, "antrea-controller"),
		job(AgentsJob, "pod", AntreaAgentSelector, "antrea-agent"),
	}
}

// PrometheusConfig is a whole prometheus.yml.
type PrometheusConfig struct {
	Global        GlobalConfig `yaml:"global"`
	RuleFiles     []string     `yaml:"rule_files,omitempty"`
	ScrapeConfigs []ScrapeJob  `yaml:"scrape_configs"`
}

// GlobalConfig is prometheus.yml's global section.
type GlobalConfig struct {
	ScrapeInterval     string `yaml:"scrape_interval"`
	EvaluationInterval string `yaml:"evaluation_interval"`
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
