package antrea

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func cms(names ...string) map[string]*corev1.ConfigMap {
	m := map[string]*corev1.ConfigMap{}
	for _, n := range names {
		m[n] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: n}, Data: map[string]string{AgentConfKey: "", ControllerConfKey: ""}}
	}
	return m
}

func controllerWithEnv(name string) *appsv1.Deployment {
	d := &appsv1.Deployment{}
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "antrea-controller", Env: []corev1.EnvVar{{Name: "POD_NAME"}, {Name: ConfigMapEnv, Value: name}}}}
	return d
}

func daemonSetMounting(volume, name string) *appsv1.DaemonSet {
	ds := &appsv1.DaemonSet{}
	ds.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: volume, VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}}
	return ds
}

func TestResolveConfigMap(t *testing.T) {
	tests := []struct {
		name string
		in   Inputs
		want Resolution
	}{
		{"spec name found", Inputs{ConfigMapName: "mine", ConfigMaps: cms("mine", "antrea-config")},
			Resolution{Name: "mine", Found: true, How: "spec.antrea.configMapName"}},
		{"spec name missing is not replaced by the default", Inputs{ConfigMapName: "mine", ConfigMaps: cms("antrea-config")},
			Resolution{Name: "mine", Found: false, How: "spec.antrea.configMapName"}},
		{"default name", Inputs{ConfigMaps: cms("antrea-config", "antrea-config-abc")},
			Resolution{Name: "antrea-config", Found: true, How: "default name"}},
		{"hashed name from the controller's env, among several", Inputs{ConfigMaps: cms("antrea-config-old", "antrea-config-new"), Controller: controllerWithEnv("antrea-config-new")},
			Resolution{Name: "antrea-config-new", Found: true, How: "ANTREA_CONFIG_MAP_NAME of Deployment antrea-controller"}},
		{"hashed name from the agent's volume", Inputs{ConfigMaps: cms("antrea-config-old", "antrea-config-new"), Agent: daemonSetMounting("antrea-config", "antrea-config-old")},
			Resolution{Name: "antrea-config-old", Found: true, How: "volume antrea-config of DaemonSet antrea-agent"}},
		{"agent volume with another name is ignored", Inputs{ConfigMaps: cms("antrea-config-x"), Agent: daemonSetMounting("other", "antrea-config-y")},
			Resolution{Name: "antrea-config-x", Found: true, How: "only antrea-config-* ConfigMap"}},
		{"referenced but absent", Inputs{ConfigMaps: cms(), Controller: controllerWithEnv("antrea-config-gone")},
			Resolution{Name: "antrea-config-gone", Found: false, How: "ANTREA_CONFIG_MAP_NAME of Deployment antrea-controller"}},
		{"nothing", Inputs{ConfigMaps: cms("coredns")},
			Resolution{Name: "antrea-config", Found: false, How: "default name"}},
		{"several unreferenced hashed names", Inputs{ConfigMaps: cms("antrea-config-b", "antrea-config-a")},
			Resolution{Name: "antrea-config", Found: false, How: "no workload references one of several candidates (antrea-config-a, antrea-config-b); set spec.antrea.configMapName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveConfigMap(tt.in); got != tt.want {
				t.Errorf("ResolveConfigMap() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	agent := Workload{Kind: "DaemonSet", Name: AgentDaemonSet}
	controller := Workload{Kind: "Deployment", Name: ControllerDeployment}
	win := Workload{Kind: "DaemonSet", Name: WindowsAgentDaemonSet}

	got := Targets(Inputs{ConfigMaps: cms("antrea-config")}, "antrea-config")
	want := []Target{
		{ConfigMap: "antrea-config", Key: AgentConfKey, Workloads: []Workload{agent}},
		{ConfigMap: "antrea-config", Key: ControllerConfKey, Workloads: []Workload{controller}},
	}
	assertTargets(t, "linux only", got, want)

	in := Inputs{ConfigMaps: cms("antrea-config", "antrea-windows-config"), WindowsAgent: daemonSetMounting("antrea-windows-config", "antrea-windows-config")}
	assertTargets(t, "windows ConfigMap", Targets(in, "antrea-config"), append(want[:2:2],
		Target{ConfigMap: "antrea-windows-config", Key: AgentConfKey, Workloads: []Workload{win}}))

	in = Inputs{ConfigMaps: cms("antrea-config"), WindowsAgent: daemonSetMounting("antrea-config", "antrea-config")}
	assertTargets(t, "windows sharing the ConfigMap", Targets(in, "antrea-config"), []Target{
		{ConfigMap: "antrea-config", Key: AgentConfKey, Workloads: []Workload{agent, win}},
		want[1],
	})

	in = Inputs{ConfigMaps: cms("antrea-config"), WindowsAgent: daemonSetMounting("x", "missing")}
	assertTargets(t, "windows ConfigMap absent", Targets(in, "antrea-config"), want)
}

func assertTargets(t *testing.T, name string, got, want []Target) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: Targets() = %+v, want %+v", name, got, want)
	}
	for i := range got {
		if got[i].ConfigMap != want[i].ConfigMap || got[i].Key != want[i].Key || len(got[i].Workloads) != len(want[i].Workloads) {
			t.Fatalf("%s: Targets()[%d] = %+v, want %+v", name, i, got[i], want[i])
		}
		for j := range got[i].Workloads {
			if got[i].Workloads[j] != want[i].Workloads[j] {
				t.Fatalf("%s: Targets()[%d] = %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}
}

func TestPodTemplate(t *testing.T) {
	agent := daemonSetMounting("antrea-config", "antrea-config")
	agent.Spec.Template.Annotations = map[string]string{"k": "agent"}
	in := Inputs{Agent: agent, Controller: controllerWithEnv("antrea-config")}
	if got := in.PodTemplate(Workload{Kind: "DaemonSet", Name: AgentDaemonSet}); got == nil || got.Annotations["k"] != "agent" {
		t.Errorf("PodTemplate(agent) = %+v", got)
	}
	if got := in.PodTemplate(Workload{Kind: "Deployment", Name: ControllerDeployment}); got != &in.Controller.Spec.Template {
		t.Errorf("PodTemplate(controller) is not the controller's template")
	}
	if got := in.PodTemplate(Workload{Kind: "DaemonSet", Name: WindowsAgentDaemonSet}); got != nil {
		t.Errorf("PodTemplate(absent windows agent) = %+v, want nil", got)
	}
}
