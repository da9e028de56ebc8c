package nodeworld

import (
	"context"
	"fmt"
	"path"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

const (
	AntreaNamespace = "kube-system"
	AntreaConfigMap = "antrea-config"
	confDir         = "/etc/antrea"
)

// DeployAntrea runs the simulated Antrea as Antrea runs: ConfigMap
// antrea-config, Service antrea, the agent DaemonSet (hostNetwork, rolling update) and the
// controller Deployment (hostNetwork, Recreate), each pod reading its conf
// from the mounted ConfigMap at start-up; their ServiceAccounts may review
// tokens and access, publish antrea-ca and report their *Info objects.
func DeployAntrea(ctx context.Context, c client.Client, image, agentConf, controllerConf string) error {
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "antrea-simulated"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "create", "update", "patch"}},
			{APIGroups: []string{"crd.antrea.io"}, Resources: []string{"antreaagentinfos", "antreacontrollerinfos"}, Verbs: []string{"get", "create", "update", "patch"}},
		},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "antrea-simulated"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
	}
	objs := []client.Object{role}
	for _, sa := range []string{"antrea-agent", "antrea-controller"} {
		objs = append(objs, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: AntreaNamespace, Name: sa}})
		binding.Subjects = append(binding.Subjects, rbacv1.Subject{Kind: "ServiceAccount", Namespace: AntreaNamespace, Name: sa})
	}
	objs = append(objs, binding, fixtures.ConfigMap(AntreaNamespace, AntreaConfigMap, agentConf, controllerConf))

	agent := fixtures.AgentDaemonSet(AntreaNamespace, "antrea-agent", AntreaConfigMap)
	runAntrea(&agent.Spec.Template.Spec, image, "agent", "antrea-agent", fixtures.AgentKey, 10350)
	agent.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType}
	controller := fixtures.ControllerDeployment(AntreaNamespace, AntreaConfigMap, true)
	runAntrea(&controller.Spec.Template.Spec, image, "controller", "antrea-controller", fixtures.ControllerKey, 10349)
	// Antrea's controller holds a host port: the old pod goes before the new.
	controller.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	objs = append(objs, agent, controller, fixtures.AntreaService(AntreaNamespace))
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// runAntrea turns a fixture pod template into one the kubelet runs: the
// simulated Antrea image, its conf mounted at /etc/antrea, the downward
// API, host network.
func runAntrea(spec *corev1.PodSpec, image, component, serviceAccount, confKey string, port int32) {
	spec.ServiceAccountName = serviceAccount
	spec.HostNetwork = true
	spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	spec.TerminationGracePeriodSeconds = ptr.To[int64](2)
	c := &spec.Containers[0]
	c.Image, c.ImagePullPolicy = image, corev1.PullNever
	c.Args = []string{"-component", component, "-config", path.Join(confDir, confKey)}
	c.Ports = []corev1.ContainerPort{{Name: "api", ContainerPort: port, Protocol: corev1.ProtocolTCP}}
	c.VolumeMounts = []corev1.VolumeMount{{Name: "antrea-config", MountPath: confDir, ReadOnly: true}}
	field := func(name, p string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: p}}}
	}
	c.Env = append(c.Env, field("POD_NAMESPACE", "metadata.namespace"), field("POD_NAME", "metadata.name"), field("NODE_NAME", "spec.nodeName"))
	c.ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}},
		PeriodSeconds: 1,
	}
}
