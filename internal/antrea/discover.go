// Package antrea knows how Antrea is laid out in a cluster: which ConfigMap
// holds its configuration, which workloads read which conf, and how the
// operator records and plans its edits to that ConfigMap. Pure functions:
// the controller gathers the objects and applies the results.
package antrea

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Names Antrea's manifests use (v1.6 through v2.x).
const (
	DefaultConfigMapName  = "antrea-config"
	AgentDaemonSet        = "antrea-agent"
	WindowsAgentDaemonSet = "antrea-agent-windows"
	ControllerDeployment  = "antrea-controller"
	AgentConfKey          = "antrea-agent.conf"
	ControllerConfKey     = "antrea-controller.conf"
	// ConfigMapEnv is the antrea-controller's environment variable naming its ConfigMap.
	ConfigMapEnv = "ANTREA_CONFIG_MAP_NAME"
	// configVolume is the name of the volume Antrea mounts its ConfigMap as.
	configVolume = "antrea-config"
)

// Inputs are the objects of the Antrea namespace discovery looks at.
type Inputs struct {
	// ConfigMapName is spec.antrea.configMapName ("" to discover).
	ConfigMapName string
	// ConfigMaps are the namespace's ConfigMaps by name.
	ConfigMaps map[string]*corev1.ConfigMap
	// Agent, WindowsAgent and Controller are Antrea's workloads, nil when absent.
	Agent        *appsv1.DaemonSet
	WindowsAgent *appsv1.DaemonSet
	Controller   *appsv1.Deployment
}

// Resolution is the outcome of looking for Antrea's ConfigMap.
type Resolution struct {
	// Name is the ConfigMap found, or the one expected when Found is false.
	Name string
	// Found says whether that ConfigMap exists.
	Found bool
	// How says how the name was chosen, for messages.
	How string
}

// ResolveConfigMap finds Antrea's ConfigMap: the name given; else
// antrea-config; else the one the antrea-controller names in
// ANTREA_CONFIG_MAP_NAME or the antrea-agent mounts (releases up to v1.6
// name it antrea-config-<hash>); else the only antrea-config-* ConfigMap
// holding an agent conf.
func ResolveConfigMap(in Inputs) Resolution {
	exists := func(n string) bool { _, ok := in.ConfigMaps[n]; return ok }
	if in.ConfigMapName != "" {
		return Resolution{Name: in.ConfigMapName, Found: exists(in.ConfigMapName), How: "spec.antrea.configMapName"}
	}
	if exists(DefaultConfigMapName) {
		return Resolution{Name: DefaultConfigMapName, Found: true, How: "default name"}
	}
	if n := controllerConfigMap(in.Controller); n != "" {
		return Resolution{Name: n, Found: exists(n), How: fmt.Sprintf("%s of Deployment %s", ConfigMapEnv, ControllerDeployment)}
	}
	if n := mountedConfigMap(in.Agent); n != "" {
		return Resolution{Name: n, Found: exists(n), How: fmt.Sprintf("volume %s of DaemonSet %s", configVolume, AgentDaemonSet)}
	}
	var hashed []string
	for name, cm := range in.ConfigMaps {
		if _, ok := cm.Data[AgentConfKey]; ok && strings.HasPrefix(name, DefaultConfigMapName+"-") {
			hashed = append(hashed, name)
		}
	}
	sort.Strings(hashed)
	switch len(hashed) {
	case 0:
		return Resolution{Name: DefaultConfigMapName, How: "default name"}
	case 1:
		return Resolution{Name: hashed[0], Found: true, How: "only antrea-config-* ConfigMap"}
	default:
		return Resolution{Name: DefaultConfigMapName, How: fmt.Sprintf(
			"no workload references one of several candidates (%s); set spec.antrea.configMapName", strings.Join(hashed, ", "))}
	}
}

func controllerConfigMap(d *appsv1.Deployment) string {
	if d == nil {
		return ""
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == ConfigMapEnv && e.Value != "" {
				return e.Value
			}
		}
	}
	return ""
}

func mountedConfigMap(ds *appsv1.DaemonSet) string {
	if ds == nil {
		return ""
	}
	for _, v := range ds.Spec.Template.Spec.Volumes {
		if v.Name == configVolume && v.ConfigMap != nil {
			return v.ConfigMap.Name
		}
	}
	return ""
}

// Workload is an Antrea workload that reads a conf.
type Workload struct {
	// Kind is DaemonSet or Deployment.
	Kind string
	// Name of the workload.
	Name string
}

// PodTemplate returns the pod template of one of Antrea's workloads, or nil
// when that workload does not exist.
func (in Inputs) PodTemplate(w Workload) *corev1.PodTemplateSpec {
	switch {
	case w.Kind == "Deployment" && w.Name == ControllerDeployment && in.Controller != nil:
		return &in.Controller.Spec.Template
	case w.Kind == "DaemonSet" && w.Name == AgentDaemonSet && in.Agent != nil:
		return &in.Agent.Spec.Template
	case w.Kind == "DaemonSet" && w.Name == WindowsAgentDaemonSet && in.WindowsAgent != nil:
		return &in.WindowsAgent.Spec.Template
	}
	return nil
}

// Target is one conf of one ConfigMap and the workloads that read it.
type Target struct {
	ConfigMap string
	Key       string
	Workloads []Workload
}

// Targets lists the confs to edit: the agent's and the controller's in the
// main ConfigMap and, when an antrea-agent-windows DaemonSet exists, the
// agent conf of the ConfigMap it mounts. Deterministic order.
func Targets(in Inputs, main string) []Target {
	ts := []Target{
		{ConfigMap: main, Key: AgentConfKey, Workloads: []Workload{{Kind: "DaemonSet", Name: AgentDaemonSet}}},
		{ConfigMap: main, Key: ControllerConfKey, Workloads: []Workload{{Kind: "Deployment", Name: ControllerDeployment}}},
	}
	if in.WindowsAgent == nil {
		return ts
	}
	win := Workload{Kind: "DaemonSet", Name: WindowsAgentDaemonSet}
	for _, v := range in.WindowsAgent.Spec.Template.Spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		cm, ok := in.ConfigMaps[v.ConfigMap.Name]
		if !ok {
			continue
		}
		if _, ok := cm.Data[AgentConfKey]; !ok {
			continue
		}
		if cm.Name == main {
			ts[0].Workloads = append(ts[0].Workloads, win)
		} else {
			ts = append(ts, Target{ConfigMap: cm.Name, Key: AgentConfKey, Workloads: []Workload{win}})
		}
		break
	}
	return ts
}

// StaleTargets are the confs of a ConfigMap the operator once edited that
// Antrea no longer reads (replaced by another after an upgrade): restored
// on deletion, with no workload to roll out.
func StaleTargets(cm *corev1.ConfigMap) []Target {
	var ts []Target
	for _, k := range []string{AgentConfKey, ControllerConfKey} {
		if _, ok := cm.Data[k]; ok {
			ts = append(ts, Target{ConfigMap: cm.Name, Key: k})
		}
	}
	return ts
}
