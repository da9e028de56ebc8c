//go:build incluster

package incluster

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

const (
	promopNS         = "prometheus-operator"
	promNS           = "prom"
	promName         = "k8s"
	promSA           = "prometheus-k8s"
	promShards int32 = 2
)

var promopSelector = map[string]string{"app.kubernetes.io/name": "prometheus-operator"}

// installPrometheusOperatorCRDs installs the CRDs generated from the
// version of the prometheus-operator binary ($PROMETHEUS_OPERATOR_CRDS).
func installPrometheusOperatorCRDs() error {
	dir := os.Getenv("PROMETHEUS_OPERATOR_CRDS")
	if dir == "" {
		return fmt.Errorf("PROMETHEUS_OPERATOR_CRDS is not set (make test-incluster generates them with hack/tools.sh prometheus-operator-crds)")
	}
	_, err := envtest.InstallCRDs(world.Config, envtest.CRDInstallOptions{Paths: []string{dir}, ErrorIfPathMissing: true})
	return err
}

// deployPrometheusOperator runs the real prometheus-operator as a pod from
// its image, with the RBAC its own manifests grant (written here), its
// Prometheus pods' sidecar from the config reloader image.
func deployPrometheusOperator(ctx context.Context) error {
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{"monitoring.coreos.com"}, Resources: []string{"*"}, Verbs: []string{"*"}},
		{APIGroups: []string{"apps"}, Resources: []string{"statefulsets"}, Verbs: []string{"*"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}, Verbs: []string{"*"}},
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"services", "services/finalizers", "endpoints"}, Verbs: []string{"get", "create", "update", "delete"}},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "create", "list", "update", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"storage.k8s.io"}, Resources: []string{"storageclasses"}, Verbs: []string{"get"}},
	}
	labels := map[string]string{"app.kubernetes.io/name": "prometheus-operator"}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: promopNS, Name: "prometheus-operator", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName:            "prometheus-operator",
					TerminationGracePeriodSeconds: ptr.To[int64](2),
					SecurityContext:               &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65534)},
					Containers: []corev1.Container{{
						Name: "prometheus-operator", Image: images.PrometheusOperator, ImagePullPolicy: corev1.PullNever,
						Args:  []string{"--prometheus-config-reloader=" + images.PrometheusConfigReloader, "--log-level=info"},
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
					}},
				},
			},
		},
	}
	all := &metav1.LabelSelector{}
	_, promVersion, _ := strings.Cut(images.Prometheus, ":")
	prom := &promv1.Prometheus{
		ObjectMeta: metav1.ObjectMeta{Namespace: promNS, Name: promName},
		Spec: promv1.PrometheusSpec{
			CommonPrometheusFields: promv1.CommonPrometheusFields{
				Image:                           ptr.To(images.Prometheus),
				Version:                         promVersion,
				ServiceAccountName:              promSA,
				Shards:                          ptr.To(promShards),
				ScrapeInterval:                  "5s",
				ServiceMonitorSelector:          all,
				ServiceMonitorNamespaceSelector: all,
				PodMonitorSelector:              all,
				PodMonitorNamespaceSelector:     all,
			},
			EvaluationInterval:    "5s",
			RuleSelector:          all,
			RuleNamespaceSelector: all,
		},
	}
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: promopNS}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: promNS}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: promopNS, Name: "prometheus-operator"}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "prometheus-operator"}, Rules: rules},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "prometheus-operator"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "prometheus-operator"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: promopNS, Name: "prometheus-operator"}},
		},
		deploy,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: promNS, Name: promSA}},
		// Discovery for its Prometheus, as kube-prometheus-stack grants it
		// (the operator grants only Antrea's /metrics in this mode).
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: promSA}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"services", "endpoints", "pods"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list", "watch"}},
		}},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: promSA},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: promSA},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: promNS, Name: promSA}},
		},
		prom,
	}
	for _, o := range objs {
		if err := world.Client.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// targetsRequests is how many /api/v1/targets requests the Prometheus at
// ip:9090 answered, read from its own metrics: the suite never asks, so
// they are the operator's health checks.
func targetsRequests(ctx context.Context, ip string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(ip, "9090")+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, err
	}
	var n float64
	for _, m := range families["prometheus_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "handler" && l.GetValue() == "/api/v1/targets" {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n, nil
}
