package health

import (
	"testing"

	"k8s.io/client-go/rest"
)

// TestAccess: in cluster, Prometheus is dialled directly; from outside,
// through the API server's service and pod proxies.
func TestAccess(t *testing.T) {
	for _, tc := range []struct {
		name         string
		a            *Access
		service, pod string
	}{
		{"nil: in cluster", nil, "http://prom.monitoring.svc:9090", "http://10.0.0.7:9090"},
		{"in cluster", &Access{InCluster: true, Config: &rest.Config{Host: "https://api:6443"}}, "http://prom.monitoring.svc:9090", "http://10.0.0.7:9090"},
		{"outside", &Access{Config: &rest.Config{Host: "https://api:6443/"}},
			"https://api:6443/api/v1/namespaces/monitoring/services/http:prom:web/proxy",
			"https://api:6443/api/v1/namespaces/monitoring/pods/http:prom-0:9090/proxy"},
	} {
		svc, err := tc.a.Service("monitoring", "prom", "web", 9090)
		if err != nil || svc.BaseURL != tc.service {
			t.Errorf("%s: Service %v, %v; want %s", tc.name, svc, err, tc.service)
		}
		pod, err := tc.a.Pod("monitoring", "prom-0", "10.0.0.7", 9090)
		if err != nil || pod.BaseURL != tc.pod {
			t.Errorf("%s: Pod %v, %v; want %s", tc.name, pod, err, tc.pod)
		}
	}
}
