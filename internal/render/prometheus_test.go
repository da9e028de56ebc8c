package render

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	promv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testCA is a CA certificate as antrea-ca's ca.crt holds one.
var testCA = func() string {
	b, err := os.ReadFile(filepath.Join("testdata", "antrea-ca.crt"))
	if err != nil {
		panic(err)
	}
	return string(b)
}()

var owner = Owner{APIVersion: "monitoring.antrea.io/v1alpha1", Kind: "AntreaMonitoring", Name: "antrea", UID: types.UID("6d1f4a52-0000-4000-8000-000000000001")}

func managedDefaults() monitoringv1alpha1.ManagedPrometheus {
	return monitoringv1alpha1.ManagedPrometheus{Namespace: "monitoring", Image: "quay.io/prometheus/prometheus:v2.46.0", Retention: "15d"}
}

// goldenCases are one rendering per mode (and per notable option).
var goldenCases = []struct {
	name string
	in   Input
}{
	{"managed", Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "30s", Mode: monitoringv1alpha1.ModeManaged, Managed: managedDefaults(), Alerts: true, ControllerCA: testCA}},
	{"managed-pvc", Input{Owner: owner, AntreaNamespace: "antrea", ScrapeInterval: "1m", Mode: monitoringv1alpha1.ModeManaged, Dashboard: true, ControllerCA: testCA,
		Series: SeriesFor(monitoringv1alpha1.SeriesSpec{Profile: monitoringv1alpha1.SeriesAll, Drop: []monitoringv1alpha1.MetricName{"apiserver_request_duration_seconds", "go_gc_duration_seconds"}, SampleLimit: 20000}),
		Managed: func() monitoringv1alpha1.ManagedPrometheus {
			m := managedDefaults()
			m.Namespace, m.Image, m.Retention = "observability", "quay.io/prometheus/prometheus:v3.16.0", "30d"
			m.Storage = &monitoringv1alpha1.PrometheusStorage{Size: resource.MustParse("20Gi"), StorageClassName: "fast"}
			m.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2Gi")}}
			m.ExternalLabels = map[string]monitoringv1alpha1.ExternalLabelValue{"cluster": "prod-eu-1", "region": "eu-west"}
			m.RemoteWrite = []monitoringv1alpha1.RemoteWrite{
				{URL: "https://mimir.example.com/api/v1/push", Name: "mimir", BearerToken: &monitoringv1alpha1.SecretKey{Name: "mimir-token", Key: "token"},
					TLS:   &monitoringv1alpha1.RemoteWriteTLS{CA: &monitoringv1alpha1.SecretKey{Name: "mimir-ca", Key: "ca.crt"}, ServerName: "mimir.internal"},
					Queue: &monitoringv1alpha1.RemoteWriteQueue{Capacity: 20000, MaxShards: 50, MaxSamplesPerSend: 5000}},
				{URL: "http://thanos-receive.thanos.svc:19291/api/v1/receive", BasicAuth: &monitoringv1alpha1.BasicAuth{
					Username: monitoringv1alpha1.SecretKey{Name: "thanos.auth", Key: "user"}, Password: monitoringv1alpha1.SecretKey{Name: "thanos.auth", Key: "password"}},
					WriteRelabelConfigs: []monitoringv1alpha1.RelabelConfig{{SourceLabels: []string{"__name__"}, Regex: "antrea_agent_.+", Action: "keep"}}},
			}
			m.Alerting = &monitoringv1alpha1.ManagedAlerting{
				Services: []monitoringv1alpha1.AlertmanagerService{{Namespace: "observability", Name: "alertmanager-main", Port: "web"}},
				URLs:     []string{"https://alerts.example.com:9093/alertmanager"},
				BasicAuth: &monitoringv1alpha1.BasicAuth{Username: monitoringv1alpha1.SecretKey{Name: "am-auth", Key: "user"},
					Password: monitoringv1alpha1.SecretKey{Name: "am-auth", Key: "password"}},
			}
			return m
		}()}},
	{"scrapeconfig", Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "30s", Mode: monitoringv1alpha1.ModeScrapeConfig, Alerts: true, ControllerCA: testCA,
		ScrapeConfig: monitoringv1alpha1.ScrapeConfigTarget{Namespace: "prom", ServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "prom", Name: "prometheus-server"}}}},
	{"prometheus-operator", Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "30s", Mode: monitoringv1alpha1.ModePrometheusOperator, Alerts: true,
		Dashboard: true, ControllerCA: testCA, DashboardNamespace: "grafana",
		DashboardLabels: map[string]string{"grafana_dashboard": "antrea"}, DashboardAnnotations: map[string]string{"grafana_folder": "Antrea"},
		GrafanaOperator:        &monitoringv1alpha1.GrafanaOperatorDashboard{InstanceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"dashboards": "grafana"}}, Folder: "Antrea"},
		GrafanaDashboardServed: true,
		PrometheusOperator: PrometheusOperatorInput{Namespace: "monitoring", Labels: map[string]string{"release": "kube-prometheus-stack"}, EndpointSlice: true,
			PrometheusServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "kube-prometheus-stack-prometheus"}}}},
	{"prometheus-operator-scrapeconfig", Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "15s", Mode: monitoringv1alpha1.ModePrometheusOperator, InsecureSkipVerify: true,
		Series: SeriesFor(monitoringv1alpha1.SeriesSpec{Keep: []monitoringv1alpha1.MetricName{"workqueue_depth", "workqueue_queue_duration_seconds"}, Drop: []monitoringv1alpha1.MetricName{"antrea_agent_ovs_flow_count"}, SampleLimit: 5000}),
		PrometheusOperator: PrometheusOperatorInput{Namespace: "monitoring", UseScrapeConfig: true,
			PrometheusServiceAccount: monitoringv1alpha1.ObjectReference{Namespace: "monitoring", Name: "prometheus"}}}},
	{"managed-agent", Input{Owner: owner, AntreaNamespace: "kube-system", ScrapeInterval: "30s", Mode: monitoringv1alpha1.ModeManaged, Alerts: true, ControllerCA: testCA,
		Managed: func() monitoringv1alpha1.ManagedPrometheus {
			m := managedDefaults()
			m.Image, m.Agent = "quay.io/prometheus/prometheus:v3.16.0", true
			m.ExternalLabels = map[string]monitoringv1alpha1.ExternalLabelValue{"cluster": "edge-7"}
			m.RemoteWrite = []monitoringv1alpha1.RemoteWrite{{URL: "http://vminsert.vm.svc:8480/insert/0/prometheus/api/v1/write"}}
			return m
		}()}},
}

// TestGolden compares every rendering with its golden file (go test
// ./internal/render -update rewrites them) and writes each Prometheus
// configuration it contains beside it for promtool.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Prometheus(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got := toYAML(t, objs)
			golden(t, tc.name+".yaml", got)
			if cfg := prometheusConfigOf(t, objs); cfg != "" {
				golden(t, tc.name+".prometheus.yml", cfg)
			}
		})
	}
}

// TestJobsEqualSeedButDiscovery shows the jobs are Antrea's guide's in every
// field except the added discovery restriction (namespaces, selectors), the
// explicit scrape interval and TLS (TestScrapeJobTLS).
func TestJobsEqualSeedButDiscovery(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "seed-jobs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var seed []map[string]any
	if err := yaml.Unmarshal(raw, &seed); err != nil {
		t.Fatal(err)
	}
	out, err := ScrapeJobsYAML(ScrapeJobs("kube-system", "30s", "", 10350))
	if err != nil {
		t.Fatal(err)
	}
	var ours []map[string]any
	if err := yaml.Unmarshal([]byte(out), &ours); err != nil {
		t.Fatal(err)
	}
	for i, job := range ours {
		if job["scrape_interval"] != "30s" {
			t.Errorf("job %d: scrape_interval = %v", i, job["scrape_interval"])
		}
		delete(job, "scrape_interval")
		// TLS differs on purpose: TestScrapeJobTLS; so do the agents'
		// rules for a port-less (Windows) agent: TestPortlessAgent.
		delete(job, "tls_config")
		delete(seed[i], "tls_config")
		if job["job_name"] == AgentsJob {
			rules := job["relabel_configs"].([]any)
			job["relabel_configs"] = append(rules[:1:1], rules[3:]...)
		}
		for _, sd := range job["kubernetes_sd_configs"].([]any) {
			m := sd.(map[string]any)
			if !reflect.DeepEqual(m["namespaces"], map[string]any{"names": []any{"kube-system"}}) {
				t.Errorf("job %d: namespaces = %v", i, m["namespaces"])
			}
			delete(m, "namespaces")
			delete(m, "selectors")
			// The guide's role endpoints reads v1 Endpoints, deprecated
			// since Kubernetes 1.33: the controllers job reads EndpointSlices,
			// whose targets carry the same pod labels the rules read.
			if job["job_name"] == ControllersJob {
				if m["role"] != "endpointslice" {
					t.Errorf("controllers job: role = %v, want endpointslice", m["role"])
				}
				m["role"] = "endpoints"
			}
		}
	}
	if diff := cmp.Diff(seed, ours); diff != "" {
		t.Errorf("jobs differ from the guide's beyond discovery (-seed +ours):\n%s", diff)
	}
}

// TestScrapeJobTLS: the controller job verifies antrea-controller with the
// CA file and the name its certificate carries, unless verification is off;
// agents are never verified (one self-signed certificate per Node).
func TestScrapeJobTLS(t *testing.T) {
	for _, tc := range []struct {
		caFile     string
		controller TLSConfig
	}{
		{"/etc/prometheus/antrea-ca.crt", TLSConfig{CAFile: "/etc/prometheus/antrea-ca.crt", ServerName: "antrea.antrea.svc"}},
		{"", TLSConfig{InsecureSkipVerify: true}},
	} {
		got := map[string]TLSConfig{}
		for _, j := range ScrapeJobs("antrea", "30s", tc.caFile, 10350) {
			got[j.JobName] = j.TLSConfig
		}
		want := map[string]TLSConfig{ControllersJob: tc.controller, AgentsJob: {InsecureSkipVerify: true}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CA file %q: tls_config (-want +got):\n%s", tc.caFile, diff)
		}
	}
}

// TestControllerCA: a missing antrea-ca, or one without a certificate,
// blocks the apply with AntreaCANotFound; a good one is returned as is.
func TestControllerCA(t *testing.T) {
	cm := func(data string) *corev1.ConfigMap {
		return &corev1.ConfigMap{Data: map[string]string{AntreaCAConfigMapKey: data}}
	}
	for _, tc := range []struct {
		name    string
		cm      *corev1.ConfigMap
		blocked string
	}{
		{"missing", nil, "ConfigMap kube-system/antrea-ca, whose key ca.crt the controller job verifies antrea-controller's certificate with, does not exist"},
		{"empty", cm(""), "Key ca.crt of ConfigMap kube-system/antrea-ca holds no PEM certificate"},
		{"not a certificate", cm("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"), "holds no PEM certificate"},
		{"good", cm(testCA), ""},
	} {
		got, cond := ControllerCA(tc.cm, "kube-system")
		switch {
		case tc.blocked == "" && (cond != nil || got != testCA):
			t.Errorf("%s: got %v, want the CA", tc.name, cond)
		case tc.blocked != "" && (cond == nil || cond.Reason != monitoringv1alpha1.ReasonAntreaCANotFound || !strings.Contains(cond.Message, tc.blocked) || got != ""):
			t.Errorf("%s: got %+v, want AntreaCANotFound with %q", tc.name, cond, tc.blocked)
		}
	}
}

func TestScrapeJobSelectors(t *testing.T) {
	jobs := ScrapeJobs("antrea", "30s", "", 10350)
	want := map[string]KubernetesSD{
		ControllersJob: {Role: "endpointslice", Namespaces: &Namespaces{Names: []string{"antrea"}}, Selectors: []Selector{{Role: "endpointslice", Label: "app=antrea"}}},
		AgentsJob:      {Role: "pod", Namespaces: &Namespaces{Names: []string{"antrea"}}, Selectors: []Selector{{Role: "pod", Label: "app=antrea,component=antrea-agent"}}},
	}
	for _, j := range jobs {
		if diff := cmp.Diff([]KubernetesSD{want[j.JobName]}, j.KubernetesSDConfigs); diff != "" {
			t.Errorf("%s discovery (-want +got):\n%s", j.JobName, diff)
		}
		if j.RelabelConfigs[0].Regex != "antrea;"+map[string]string{ControllersJob: "antrea-controller", AgentsJob: "antrea-agent"}[j.JobName] {
			t.Errorf("%s keep rule = %+v", j.JobName, j.RelabelConfigs[0])
		}
	}
}

func TestManagedConfigChangeRollsOut(t *testing.T) {
	in := goldenCases[0].in
	a := deploymentOf(t, in)
	in.ScrapeInterval = "10s"
	b := deploymentOf(t, in)
	if a.Spec.Template.Annotations[ConfigHashAnnotation] == b.Spec.Template.Annotations[ConfigHashAnnotation] {
		t.Errorf("a changed prometheus.yml must change the pod template's config hash")
	}
	in.Managed.Image = "other:1"
	c := deploymentOf(t, in)
	if b.Spec.Template.Annotations[ConfigHashAnnotation] != c.Spec.Template.Annotations[ConfigHashAnnotation] {
		t.Errorf("the config hash must depend on the config only")
	}
}

// Every object of every mode is labelled, of a kind in the registry (which
// the cache, watches and pruning are built from), and owned by its
// AntreaMonitoring as controller, except retained kinds (the PVC), which
// carry no ownerReference so the garbage collector keeps them.
func TestEveryObjectIsLabelledOwnedAndRegistered(t *testing.T) {
	retained := 0
	for _, tc := range goldenCases {
		objs, err := Prometheus(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.GetLabels()[OwnerLabel] != "antrea" || o.GetLabels()[ManagedByLabel] != ManagedByValue {
				t.Errorf("%s: %T %s lacks the operator's labels: %v", tc.name, o, o.GetName(), o.GetLabels())
			}
			k, ok := KindFor(o.GetObjectKind().GroupVersionKind())
			if !ok {
				t.Errorf("%s: %T %s is of a kind missing from Kinds", tc.name, o, o.GetName())
			}
			refs := o.GetOwnerReferences()
			switch {
			case k.Retained:
				retained++
				if len(refs) != 0 {
					t.Errorf("%s: %T %s is retained but has owner references %v: the garbage collector would delete it", tc.name, o, o.GetName(), refs)
				}
			case len(refs) != 1 || refs[0].UID != owner.UID || refs[0].Controller == nil || !*refs[0].Controller:
				t.Errorf("%s: %T %s owner references = %v", tc.name, o, o.GetName(), refs)
			}
			if o.GetObjectKind().GroupVersionKind().Kind == "" {
				t.Errorf("%s: %T %s has no kind", tc.name, o, o.GetName())
			}
		}
	}
	if retained == 0 {
		t.Errorf("no golden case renders a PersistentVolumeClaim: the retained case is untested")
	}
	if _, err := Prometheus(Input{Mode: monitoringv1alpha1.ModeAuto}); err == nil {
		t.Errorf("rendering mode Auto must fail: it is resolved before rendering")
	}
	for _, cr := range ClusterRoles([]Owner{owner}) {
		if k, ok := KindFor(cr.GetObjectKind().GroupVersionKind()); !ok || !k.Shared {
			t.Errorf("ClusterRole %s: kind missing from Kinds or not shared", cr.GetName())
		}
	}
}

func TestPodMonitorUsesTokenSecret(t *testing.T) {
	objs, err := Prometheus(goldenCases[3].in)
	if err != nil {
		t.Fatal(err)
	}
	var pm *promv1.PodMonitor
	var token *corev1.Secret
	for _, o := range objs {
		switch v := o.(type) {
		case *promv1.PodMonitor:
			pm = v
		case *corev1.Secret:
			token = v
		}
	}
	if pm == nil || token == nil {
		t.Fatalf("PodMonitor or token Secret missing")
	}
	cred := pm.Spec.PodMetricsEndpoints[0].Authorization.Credentials
	if cred.Name != token.Name || token.Type != corev1.SecretTypeServiceAccountToken || token.Namespace != pm.Namespace {
		t.Errorf("PodMonitor credentials %s/%s do not point at the token Secret %s/%s (%s)", pm.Namespace, cred.Name, token.Namespace, token.Name, token.Type)
	}
	if pm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("PodMonitor lacks the user's labels: %v", pm.Labels)
	}
}

func deploymentOf(t *testing.T, in Input) *appsv1.Deployment {
	t.Helper()
	objs, err := Prometheus(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok {
			return d
		}
	}
	t.Fatal("no Deployment rendered")
	return nil
}

// toYAML renders objects for a golden file; the dashboard's JSON, checked
// by dashboard_test.go, is written as <DashboardJSON()>.
func toYAML(t *testing.T, objs []client.Object) string {
	t.Helper()
	var docs []string
	for _, o := range objs {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := sigsyaml.Marshal(elideDashboard(u))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	return strings.Join(docs, "---\n")
}

func elideDashboard(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = elideDashboard(x)
		}
	case []any:
		for i, x := range v {
			v[i] = elideDashboard(x)
		}
	case string:
		if v == DashboardJSON() {
			return "<DashboardJSON()>"
		}
	}
	return v
}

// prometheusConfigOf returns the Prometheus configuration an object set
// carries: the managed prometheus.yml, or the delivered jobs wrapped in a
// minimal configuration.
func prometheusConfigOf(t *testing.T, objs []client.Object) string {
	t.Helper()
	for _, o := range objs {
		cm, ok := o.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		if cfg, ok := cm.Data[PrometheusConfigKey]; ok {
			return cfg
		}
		if jobs, ok := cm.Data[ScrapeConfigsKey]; ok {
			return "scrape_configs:\n" + jobs
		}
	}
	return ""
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/render -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}
