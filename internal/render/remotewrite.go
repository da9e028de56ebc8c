package render

import (
	"cmp"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// secretsPath is where the managed Prometheus's pod mounts each Secret its
// remote_write endpoints read credentials from: <secretsPath>/<name>/<key>
// (beside the ConfigMap's mount, not below it: the kubelet rewrites a
// ConfigMap volume in place, and a mount point inside it would not survive).
const secretsPath = "/etc/prometheus-secrets"

// RemoteWriteConfig is a remote_write entry of prometheus.yml.
type RemoteWriteConfig struct {
	URL                 string                `yaml:"url"`
	Name                string                `yaml:"name,omitempty"`
	Authorization       *AuthorizationConfig  `yaml:"authorization,omitempty"`
	BasicAuth           *BasicAuthConfig      `yaml:"basic_auth,omitempty"`
	TLSConfig           *TLSConfig            `yaml:"tls_config,omitempty"`
	WriteRelabelConfigs []WriteRelabel        `yaml:"write_relabel_configs,omitempty"`
	QueueConfig         *RemoteWriteQueueYAML `yaml:"queue_config,omitempty"`
}

// AuthorizationConfig sends a bearer token read from a file.
type AuthorizationConfig struct {
	CredentialsFile string `yaml:"credentials_file"`
}

// BasicAuthConfig sends a user name and password read from files.
type BasicAuthConfig struct {
	UsernameFile string `yaml:"username_file"`
	PasswordFile string `yaml:"password_file"`
}

// WriteRelabel is a write_relabel_config (the replacement may be empty).
type WriteRelabel struct {
	SourceLabels []string `yaml:"source_labels,flow,omitempty"`
	Regex        string   `yaml:"regex,omitempty"`
	Action       string   `yaml:"action,omitempty"`
	TargetLabel  string   `yaml:"target_label,omitempty"`
	Replacement  *string  `yaml:"replacement,omitempty"`
}

// RemoteWriteQueueYAML is a queue_config.
type RemoteWriteQueueYAML struct {
	Capacity          int32 `yaml:"capacity,omitempty"`
	MaxShards         int32 `yaml:"max_shards,omitempty"`
	MaxSamplesPerSend int32 `yaml:"max_samples_per_send,omitempty"`
}

// secretFile is where the pod reads key k.
func secretFile(k monitoringv1alpha1.SecretKey) string { return path.Join(secretsPath, k.Name, k.Key) }

// credentials render a bearer token, basic auth and TLS read from the
// mounted Secret keys.
func credentials(token *monitoringv1alpha1.SecretKey, basic *monitoringv1alpha1.BasicAuth, tls *monitoringv1alpha1.RemoteWriteTLS) (*AuthorizationConfig, *BasicAuthConfig, *TLSConfig) {
	var a *AuthorizationConfig
	var b *BasicAuthConfig
	var t *TLSConfig
	if token != nil {
		a = &AuthorizationConfig{CredentialsFile: secretFile(*token)}
	}
	if basic != nil {
		b = &BasicAuthConfig{UsernameFile: secretFile(basic.Username), PasswordFile: secretFile(basic.Password)}
	}
	if tls != nil {
		t = &TLSConfig{ServerName: tls.ServerName, InsecureSkipVerify: tls.InsecureSkipVerify}
		if tls.CA != nil {
			t.CAFile = secretFile(*tls.CA)
		}
	}
	return a, b, t
}

// remoteWrite renders spec.prometheus.managed.remoteWrite.
func remoteWrite(rws []monitoringv1alpha1.RemoteWrite) []RemoteWriteConfig {
	out := make([]RemoteWriteConfig, 0, len(rws))
	for _, rw := range rws {
		c := RemoteWriteConfig{URL: rw.URL, Name: rw.Name}
		c.Authorization, c.BasicAuth, c.TLSConfig = credentials(rw.BearerToken, rw.BasicAuth, rw.TLS)
		for _, r := range rw.WriteRelabelConfigs {
			c.WriteRelabelConfigs = append(c.WriteRelabelConfigs, WriteRelabel{SourceLabels: r.SourceLabels, Regex: r.Regex, Action: r.Action,
				TargetLabel: r.TargetLabel, Replacement: r.Replacement})
		}
		if q := rw.Queue; q != nil {
			c.QueueConfig = &RemoteWriteQueueYAML{Capacity: q.Capacity, MaxShards: q.MaxShards, MaxSamplesPerSend: q.MaxSamplesPerSend}
		}
		out = append(out, c)
	}
	return out
}

// AlertingConfig is prometheus.yml's alerting section.
type AlertingConfig struct {
	Alertmanagers []AlertmanagerConfig `yaml:"alertmanagers"`
}

// AlertmanagerConfig is one alertmanagers entry.
type AlertmanagerConfig struct {
	Scheme              string               `yaml:"scheme,omitempty"`
	PathPrefix          string               `yaml:"path_prefix,omitempty"`
	Authorization       *AuthorizationConfig `yaml:"authorization,omitempty"`
	BasicAuth           *BasicAuthConfig     `yaml:"basic_auth,omitempty"`
	TLSConfig           *TLSConfig           `yaml:"tls_config,omitempty"`
	StaticConfigs       []StaticConfig       `yaml:"static_configs,omitempty"`
	KubernetesSDConfigs []KubernetesSD       `yaml:"kubernetes_sd_configs,omitempty"`
	RelabelConfigs      []Relabel            `yaml:"relabel_configs,omitempty"`
}

// StaticConfig lists targets.
type StaticConfig struct {
	Targets []string `yaml:"targets"`
}

// alerting renders spec.prometheus.managed.alerting: one entry per URL
// (its host as the target, its path as the prefix), one per Service (its
// EndpointSlices' addresses on the named port).
func alerting(a *monitoringv1alpha1.ManagedAlerting) *AlertingConfig {
	if a == nil {
		return nil
	}
	auth := func(c AlertmanagerConfig) AlertmanagerConfig {
		c.Authorization, c.BasicAuth, c.TLSConfig = credentials(a.BearerToken, a.BasicAuth, a.TLS)
		return c
	}
	out := &AlertingConfig{}
	for _, raw := range a.URLs {
		u, err := url.Parse(raw)
		if err != nil { // refused at admission
			continue
		}
		out.Alertmanagers = append(out.Alertmanagers, auth(AlertmanagerConfig{Scheme: u.Scheme, PathPrefix: strings.TrimSuffix(u.Path, "/"),
			StaticConfigs: []StaticConfig{{Targets: []string{u.Host}}}}))
	}
	for _, svc := range a.Services {
		port := cmp.Or(svc.Port, "web")
		out.Alertmanagers = append(out.Alertmanagers, auth(AlertmanagerConfig{Scheme: cmp.Or(svc.Scheme, "http"), PathPrefix: svc.PathPrefix,
			KubernetesSDConfigs: []KubernetesSD{{Role: "endpointslice", Namespaces: &Namespaces{Names: []string{svc.Namespace}}}},
			RelabelConfigs: []Relabel{{SourceLabels: []string{"__meta_kubernetes_service_name", "__meta_kubernetes_endpointslice_port_name"},
				Action: "keep", Regex: svc.Name + ";" + port}}}))
	}
	return out
}

// mountedSecrets are the Secrets the remote_write endpoints and the
// Alertmanagers read, as volumes and mounts of the Prometheus container
// (only the keys used, so a Secret's other keys never reach the pod),
// sorted by name.
func mountedSecrets(m monitoringv1alpha1.ManagedPrometheus) ([]corev1.Volume, []corev1.VolumeMount) {
	keys := map[string]map[string]bool{}
	add := func(k *monitoringv1alpha1.SecretKey) {
		if k == nil {
			return
		}
		if keys[k.Name] == nil {
			keys[k.Name] = map[string]bool{}
		}
		keys[k.Name][k.Key] = true
	}
	credentials := func(token *monitoringv1alpha1.SecretKey, basic *monitoringv1alpha1.BasicAuth, tls *monitoringv1alpha1.RemoteWriteTLS) {
		add(token)
		if basic != nil {
			add(&basic.Username)
			add(&basic.Password)
		}
		if tls != nil {
			add(tls.CA)
		}
	}
	for _, rw := range m.RemoteWrite {
		credentials(rw.BearerToken, rw.BasicAuth, rw.TLS)
	}
	if a := m.Alerting; a != nil {
		credentials(a.BearerToken, a.BasicAuth, a.TLS)
	}
	var volumes []corev1.Volume
	var mounts []corev1.VolumeMount
	for i, name := range slices.Sorted(maps.Keys(keys)) {
		vol := "secret-" + string(rune('a'+i)) // volume names are DNS labels; Secret names may hold dots
		var items []corev1.KeyToPath
		for _, k := range slices.Sorted(maps.Keys(keys[name])) {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
		volumes = append(volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name, Items: items}}})
		mounts = append(mounts, corev1.VolumeMount{Name: vol, MountPath: path.Join(secretsPath, name), ReadOnly: true})
	}
	return volumes, mounts
}
