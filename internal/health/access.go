package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// Access says how the operator reaches a Prometheus in the cluster: itself
// when it runs there, through the API server's proxy when it does not.
type Access struct {
	// InCluster: the operator runs in the cluster and dials Services and
	// pods directly.
	InCluster bool
	// Config is the API server's, for its service and pod proxy when not
	// in cluster.
	Config *rest.Config

	once     sync.Once
	proxy    *http.Client
	proxyErr error
}

// directClient dials Prometheus itself; one for all checks, so connections are reused.
var directClient = &http.Client{Timeout: 10 * time.Second}

// URL is a client for a Prometheus at a URL the user gave (spec.prometheus.url).
func URL(u string) *Client { return &Client{HTTP: directClient, BaseURL: u} }

func (a *Access) inCluster() bool {
	return a == nil || a.InCluster || a.Config == nil
}

// proxyClient is the API server's HTTP client, built once.
func (a *Access) proxyClient() (*http.Client, error) {
	a.once.Do(func() { a.proxy, a.proxyErr = rest.HTTPClientFor(a.Config) })
	return a.proxy, a.proxyErr
}

// Service reaches Prometheus through Service namespace/name: its DNS name
// and port in cluster, the API server's service proxy on the port's name
// from outside.
func (a *Access) Service(namespace, name, portName string, port int32) (*Client, error) {
	if a.inCluster() {
		return &Client{HTTP: directClient, BaseURL: fmt.Sprintf("http://%s.%s.svc:%d", name, namespace, port)}, nil
	}
	return a.proxied("services", namespace, name+":"+portName)
}

// Pod reaches one Prometheus pod: its IP in cluster, the API server's pod
// proxy from outside.
func (a *Access) Pod(namespace, name, ip string, port int32) (*Client, error) {
	if a.inCluster() {
		return &Client{HTTP: directClient, BaseURL: "http://" + net.JoinHostPort(ip, strconv.Itoa(int(port)))}, nil
	}
	return a.proxied("pods", namespace, name+":"+strconv.Itoa(int(port)))
}

// proxied reaches http://<target> of a Service or pod (resource) through
// the API server's proxy.
func (a *Access) proxied(resource, namespace, target string) (*Client, error) {
	hc, err := a.proxyClient()
	if err != nil {
		return nil, fmt.Errorf("building the API server's proxy client: %w", err)
	}
	return &Client{HTTP: hc, BaseURL: fmt.Sprintf("%s/api/v1/namespaces/%s/%s/http:%s/proxy",
		strings.TrimSuffix(a.Config.Host, "/"), namespace, resource, target)}, nil
}

// Shard is one shard of the Prometheus to ask: its replicas, asked in turn
// until one answers (replicas of a shard scrape the same targets, so one
// answer counts them once).
type Shard struct {
	// Name names the shard in errors ("" for an unsharded Prometheus).
	Name     string
	Replicas []*Client
}

// Ask asks every shard, the first of its replicas that answers, and returns
// one answer per shard.
func Ask[T any](shards []Shard, q func(*Client) (T, error)) ([]T, error) {
	out := make([]T, 0, len(shards))
	for _, s := range shards {
		var errs []error
		answered := false
		for _, c := range s.Replicas {
			a, err := q(c)
			if err == nil {
				out, answered = append(out, a), true
				break
			}
			errs = append(errs, err)
		}
		if !answered {
			err := errors.Join(errs...)
			if s.Name != "" {
				err = fmt.Errorf("%s: %w", s.Name, err)
			}
			return nil, err
		}
	}
	return out, nil
}

// Pool asks every shard for a pool and merges the answers: shards scrape
// disjoint targets.
func Pool(ctx context.Context, shards []Shard, pool string) (*PoolReport, error) {
	reports, err := Ask(shards, func(c *Client) (*PoolReport, error) { return c.Targets(ctx, pool) })
	if err != nil {
		return nil, err
	}
	var merged *PoolReport
	for _, rep := range reports {
		merged = Merge(merged, rep)
	}
	return merged, nil
}
