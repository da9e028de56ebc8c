package promop

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
)

// InvalidConfigurationReason is the reason of the Warning event
// prometheus-operator records on a monitor, rule or ScrapeConfig it leaves
// out of a Prometheus's configuration; the event relates to that
// Prometheus. It records the event whether or not its
// StatusForConfigurationResources feature gate writes status.bindings.
const InvalidConfigurationReason = "InvalidConfiguration"

// ConfigSecretKey is the generated configuration's key in the Secret
// Ref.ConfigSecret names, gzipped.
const ConfigSecretKey = "prometheus.yaml.gz"

// RuleFilesPrefix is the name prefix of the ConfigMaps
// (prometheus-<name>-rulefiles-<n>) holding Prometheus name's rule files.
func RuleFilesPrefix(name string) string { return "prometheus-" + name + "-rulefiles-" }

// RuleFilesLabel is the label whose value, the Prometheus's name, those
// ConfigMaps carry.
const RuleFilesLabel = "prometheus-name"

// RuleFileKey is the file a PrometheusRule becomes in those ConfigMaps.
func RuleFileKey(namespace, name, uid string) string {
	return fmt.Sprintf("%s-%s-%s.yaml", namespace, name, uid)
}

// JobOf says whether job is one prometheus-operator generates from the
// object kind namespace/name: serviceMonitor/<ns>/<name>/<endpoint>,
// podMonitor/<ns>/<name>/<endpoint> or scrapeConfig/<ns>/<name>. Kinds that
// become no job (PrometheusRule) never match.
func JobOf(job, kind, namespace, name string) bool {
	var prefix string
	switch kind {
	case "ServiceMonitor":
		prefix = "serviceMonitor/"
	case "PodMonitor":
		prefix = "podMonitor/"
	case "ScrapeConfig":
		return job == "scrapeConfig/"+namespace+"/"+name
	default:
		return false
	}
	return strings.HasPrefix(job, prefix+namespace+"/"+name+"/")
}

// GeneratedConfig is the configuration prometheus-operator generated, read
// from Secret s (prometheus-<name>), unzipped.
func GeneratedConfig(s *corev1.Secret) ([]byte, error) {
	gz, ok := s.Data[ConfigSecretKey]
	if !ok {
		return nil, fmt.Errorf("secret %s/%s has no %s", s.Namespace, s.Name, ConfigSecretKey)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("reading %s of secret %s/%s: %w", ConfigSecretKey, s.Namespace, s.Name, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("reading %s of secret %s/%s: %w", ConfigSecretKey, s.Namespace, s.Name, err)
	}
	return raw, nil
}

// GeneratedJobs lists the scrape jobs of the generated configuration in
// Secret s (prometheus-<name>).
func GeneratedJobs(s *corev1.Secret) ([]string, error) {
	raw, err := GeneratedConfig(s)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("parsing the configuration in secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	jobs := make([]string, 0, len(cfg.ScrapeConfigs))
	for _, j := range cfg.ScrapeConfigs {
		jobs = append(jobs, j.JobName)
	}
	return jobs, nil
}
