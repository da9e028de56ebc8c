package v1alpha1

import (
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
}

// PrometheusSpec says which Prometheus setup to provision for.
type PrometheusSpec struct {
	// mode is the kind of Prometheus setup to serve: Auto (default) picks
	// PrometheusOperator when prometheus-operator's API is served and Managed
	// otherwise; Managed runs a Prometheus; ScrapeConfig hands scrape jobs to a
	// plain Prometheus; PrometheusOperator creates ServiceMonitor and PodMonitor
	// objects.
	// +optional
	// +kubebuilder:default=Auto
	Mode PrometheusMode `json:"mode,omitempty"`
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
}

// ObjectReference names a namespaced object.
type ObjectReference struct {
	// namespace of the object.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`
	// name of the object.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// AntreaMonitoringStatus is the observed state of the monitoring of Antrea.
type AntreaMonitoringStatus struct {
	// observedGeneration is the generation of the spec this status was
	// computed from; it is written only when a reconcile completed.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Ready, AntreaMetricsEnabled and RBACReady; their reasons
	// are the constants documented in conditions.go.
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
}

// AntreaMonitoring enables, scrapes and checks Antrea's Prometheus metrics.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=amon
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.status.mode`
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

// RestartWanted reports whether Antrea may be restarted after a conf change.
func (m *AntreaMonitoring) RestartWanted() bool {
	return m.Spec.Antrea.RestartOnChange == nil || *m.Spec.Antrea.RestartOnChange
}

// AntreaNamespace is spec.antrea.namespace with its default applied.
func (m *AntreaMonitoring) AntreaNamespace() string {
	if m.Spec.Antrea.Namespace == "" {
		return "kube-system"
	}
	return m.Spec.Antrea.Namespace
}
