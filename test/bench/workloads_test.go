//go:build envtest

package bench

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
)

// The cluster's own workloads beside Antrea in BenchmarkPrometheusScale
// (doc.go): every Node runs workloadPodsPerNode application pods, behind
// Services of workloadPodsPerService pods each, in workloadNamespaces
// namespaces. A real cluster runs far more (kubelet's default limit is 110
// pods a Node); these are few, as a floor.
const (
	workloadPodsPerNode    = 20
	workloadPodsPerService = 10
	workloadNamespaces     = 10
)

// createWorkloads creates those pods, running and ready on the Nodes of
// the simulated agents (node-<i>), and their Services; the cluster's
// kube-controller-manager fills the Services' Endpoints and
// EndpointSlices, as in any cluster. It returns how many pods it made.
func createWorkloads(b *testing.B, ctx context.Context, cfg *rest.Config, nodes int) int {
	b.Helper()
	cs := bulkClient(b, cfg)
	for i := range workloadNamespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("apps-%d", i)}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	pods := nodes * workloadPodsPerNode
	services := pods / workloadPodsPerService
	where := func(svc int) (string, string) {
		return fmt.Sprintf("apps-%d", svc%workloadNamespaces), fmt.Sprintf("svc-%04d", svc)
	}
	if err := parallel(ctx, services, func(s int) error {
		ns, name := where(s)
		_, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": name}},
			// Headless: the test API server's Service range holds 254 IPs.
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}, ClusterIP: corev1.ClusterIPNone,
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
		}, metav1.CreateOptions{})
		return err
	}); err != nil {
		b.Fatalf("creating the workloads' Services: %v", err)
	}
	if err := parallel(ctx, pods, func(i int) error {
		ns, svc := where(i / workloadPodsPerService)
		ip := fmt.Sprintf("10.%d.%d.%d", 64+i/65536, i/256%256, i%256)
		p, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%d", svc, i%workloadPodsPerService),
				Labels: map[string]string{"app": svc, "pod-template-hash": "7d9c5b6f4"}},
			Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%d", i%nodes), Containers: []corev1.Container{{
				Name: "app", Image: "registry.example/app:1.0",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9102}},
			}}},
		}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}, HostIP: "127.0.0.1",
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
		_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	}); err != nil {
		b.Fatalf("creating the workloads' pods: %v", err)
	}
	return pods
}
