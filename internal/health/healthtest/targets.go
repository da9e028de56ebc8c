// Package healthtest writes Prometheus's answers for the health package's
// tests and benchmarks.
package healthtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AgentPool is the pool of the generated targets: a PodMonitor's, as
// prometheus-operator names it.
const AgentPool = "podMonitor/kube-system/antrea-agent/0"

// Answer is a generated /api/v1/targets answer and what it holds.
type Answer struct {
	// Body is the answer, as Prometheus 3.16 writes it.
	Body []byte
	// Up, Down and Unknown count the targets by health; NeverScraped counts
	// the unknown ones with a zero lastScrape (here all of them).
	Up, Down, Unknown, NeverScraped int
	// Errors counts the down targets by the class (health.ErrorClass) of
	// their lastError.
	Errors map[string]int
	// Instances maps each instance label to whether the target is up.
	Instances map[string]bool
	// LastError is the most recent lastError; LastScrape the most recent lastScrape.
	LastError  string
	LastScrape time.Time
}

// ClassErrors are lastErrors Prometheus 3.16 wrote, one per class
// (observed by health's TestClassifyRealPrometheus), where {addr} and {ip}
// stand for the target's address and IP.
var ClassErrors = []struct{ Class, Text string }{
	{"Unauthorized", "server returned HTTP status 401 Unauthorized"},
	{"Forbidden", "server returned HTTP status 403 Forbidden"},
	{"NotFound", "server returned HTTP status 404 Not Found"},
	{"TLSName", `Get "https://{addr}/metrics": tls: failed to verify certificate: x509: certificate is valid for {ip}, not antrea.kube-system.svc`},
	{"TLSAuthority", `Get "https://{addr}/metrics": tls: failed to verify certificate: x509: certificate signed by unknown authority`},
	{"Refused", `Get "https://{addr}/metrics": dial tcp {addr}: connect: connection refused`},
	{"Timeout", `Get "https://{addr}/metrics": context deadline exceeded`},
}

// target is one active target as Prometheus's web/api/v1 writes it: the
// same fields in the same order; label sets are objects with sorted keys.
type target struct {
	DiscoveredLabels   map[string]string `json:"discoveredLabels"`
	Labels             map[string]string `json:"labels"`
	ScrapePool         string            `json:"scrapePool"`
	ScrapeURL          string            `json:"scrapeUrl"`
	GlobalURL          string            `json:"globalUrl"`
	LastError          string            `json:"lastError"`
	LastScrape         time.Time         `json:"lastScrape"`
	LastScrapeDuration float64           `json:"lastScrapeDuration"`
	Health             string            `json:"health"`
	ScrapeInterval     string            `json:"scrapeInterval"`
	ScrapeTimeout      string            `json:"scrapeTimeout"`
}

// AgentTargets is the answer to /api/v1/targets?state=active&scrapePool=
// AgentPool for n Antrea agents discovered with the pod role (32
// discoveredLabels and 6 labels each, about 2.1 KiB of JSON per target).
// Of every 50 targets, one is down (the classes of ClassErrors in turn),
// one not scraped yet, and the others up.
func AgentTargets(n int) Answer {
	a := Answer{Errors: map[string]int{}, Instances: make(map[string]bool, n)}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	b.WriteString(`{"status":"success","data":{"activeTargets":[`)
	for i := range n {
		node := fmt.Sprintf("node-%05d", i)
		pod := fmt.Sprintf("antrea-agent-%05x", i*7919%(1<<20))
		ip := fmt.Sprintf("172.%d.%d.%d", 16+i>>16, i>>8&0xff, i&0xff)
		addr := ip + ":10350"
		instance := node + ";" + pod
		t := target{
			DiscoveredLabels: map[string]string{
				"__address__":                            addr,
				"__always_scrape_classic_histograms__":   "false",
				"__convert_classic_histograms_to_nhcb__": "false",
				"__meta_kubernetes_namespace":            "kube-system",
				"__meta_kubernetes_pod_annotation_kubectl_kubernetes_io_default_container":        "antrea-agent",
				"__meta_kubernetes_pod_annotationpresent_kubectl_kubernetes_io_default_container": "true",
				"__meta_kubernetes_pod_container_id":                                              "containerd://" + strings.Repeat(fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15), 4),
				"__meta_kubernetes_pod_container_image":                                           "antrea/antrea-agent-ubuntu:v2.5.0",
				"__meta_kubernetes_pod_container_init":                                            "false",
				"__meta_kubernetes_pod_container_name":                                            "antrea-agent",
				"__meta_kubernetes_pod_container_port_name":                                       "api",
				"__meta_kubernetes_pod_container_port_number":                                     "10350",
				"__meta_kubernetes_pod_container_port_protocol":                                   "TCP",
				"__meta_kubernetes_pod_controller_kind":                                           "DaemonSet",
				"__meta_kubernetes_pod_controller_name":                                           "antrea-agent",
				"__meta_kubernetes_pod_host_ip":                                                   ip,
				"__meta_kubernetes_pod_ip":                                                        ip,
				"__meta_kubernetes_pod_label_app":                                                 "antrea",
				"__meta_kubernetes_pod_label_component":                                           "antrea-agent",
				"__meta_kubernetes_pod_labelpresent_app":                                          "true",
				"__meta_kubernetes_pod_labelpresent_component":                                    "true",
				"__meta_kubernetes_pod_name":                                                      pod,
				"__meta_kubernetes_pod_node_name":                                                 node,
				"__meta_kubernetes_pod_phase":                                                     "Running",
				"__meta_kubernetes_pod_ready":                                                     "true",
				"__meta_kubernetes_pod_uid":                                                       fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i, i&0xffff, i&0xfff, i&0xfff, i),
				"__metrics_path__":                                                                "/metrics",
				"__scheme__":                                                                      "https",
				"__scrape_interval__":                                                             "30s",
				"__scrape_native_histograms__":                                                    "false",
				"__scrape_timeout__":                                                              "10s",
				"job":                                                                             "kube-system/antrea-agent",
			},
			Labels: map[string]string{
				"container": "antrea-agent", "endpoint": "api", "instance": instance,
				"job": "kube-system/antrea-agent", "namespace": "kube-system", "pod": pod,
			},
			ScrapePool:     AgentPool,
			ScrapeURL:      "https://" + addr + "/metrics",
			GlobalURL:      "https://" + addr + "/metrics",
			ScrapeInterval: "30s",
			ScrapeTimeout:  "10s",
		}
		switch i % 50 {
		case 13: // discovered, never scraped
			t.Health = "unknown"
			a.Unknown++
			a.NeverScraped++
		case 7:
			e := ClassErrors[i/50%len(ClassErrors)]
			t.Health, t.LastError = "down", strings.NewReplacer("{addr}", addr, "{ip}", ip).Replace(e.Text)
			t.LastScrape = t0.Add(time.Duration(i) * time.Millisecond)
			t.LastScrapeDuration = 0.002
			a.Down++
			a.Errors[e.Class]++
			a.LastError = t.LastError
		default:
			t.Health = "up"
			t.LastScrape = t0.Add(time.Duration(i) * time.Millisecond)
			t.LastScrapeDuration = 0.012345678
			a.Up++
		}
		if t.LastScrape.After(a.LastScrape) {
			a.LastScrape = t.LastScrape
		}
		a.Instances[instance] = t.Health == "up"
		if i > 0 {
			b.WriteByte(',')
		}
		j, err := json.Marshal(t)
		if err != nil {
			panic(err) // strings and a time only
		}
		b.Write(j)
	}
	b.WriteString(`],"droppedTargets":[],"droppedTargetCounts":null}}`)
	a.Body = b.Bytes()
	return a
}
