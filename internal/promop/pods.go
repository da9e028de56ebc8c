package promop

import (
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/kubectl/pkg/util/podutils"
)

// Labels prometheus-operator puts on the pods of a Prometheus.
const (
	// NameLabel holds the Prometheus object's name.
	NameLabel = "operator.prometheus.io/name"
	// ShardLabel holds the pod's shard number.
	ShardLabel = "operator.prometheus.io/shard"
)

// DefaultWebPort is the port prometheus-operator gives Prometheus's web
// container port, used when the pod declares no port of the Prometheus's
// port name.
const DefaultWebPort = 9090

// DefaultPortName is prometheus-operator's name for that port when the
// Prometheus sets no spec.portName (kube-prometheus-stack sets http-web).
const DefaultPortName = "web"

// PortName is the name of the collector's web port on its pods and
// governing Service.
func PortName(c *Collector) string {
	if c.Spec.PortName != "" {
		return c.Spec.PortName
	}
	return DefaultPortName
}

// Shards is the number of shards of a collector (1 when unset).
func Shards(c *Collector) int32 {
	if c.Spec.Shards != nil && *c.Spec.Shards > 1 {
		return *c.Spec.Shards
	}
	return 1
}

// Pod is a Prometheus pod that can answer: where its web port is.
type Pod struct {
	Namespace, Name, IP string
	Port                int32
}

// ReadyPodsByShard groups the running, ready pods of a Prometheus by the
// shard their label names, each group sorted by name (its replicas), each
// on its port named portName.
func ReadyPodsByShard(pods []corev1.Pod, portName string) map[int32][]Pod {
	out := map[int32][]Pod{}
	for _, p := range pods {
		n, err := strconv.ParseInt(p.Labels[ShardLabel], 10, 32)
		if err != nil || !p.DeletionTimestamp.IsZero() || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" || !podutils.IsPodReady(&p) {
			continue
		}
		out[int32(n)] = append(out[int32(n)], Pod{Namespace: p.Namespace, Name: p.Name, IP: p.Status.PodIP, Port: WebPort(p.Spec, portName)})
	}
	for _, group := range out {
		sort.Slice(group, func(i, j int) bool { return group[i].Name < group[j].Name })
	}
	return out
}

// WebPort is the Prometheus pod's port named portName (DefaultWebPort when
// none is).
func WebPort(spec corev1.PodSpec, portName string) int32 {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == portName {
				return p.ContainerPort
			}
		}
	}
	return DefaultWebPort
}
