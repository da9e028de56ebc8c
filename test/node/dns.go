package node

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ClusterDomain is the node's cluster domain.
const ClusterDomain = "cluster.local"

// clusterDNS answers, like a cluster's DNS, A queries for
// <service>.<namespace>.svc.cluster.local: the Service's ClusterIP, or the
// ready addresses of a headless Service's EndpointSlices. It serves only
// cluster.local, never forwards (the machine's resolver is never handed to
// pods), and reads the API server on each query.
type clusterDNS struct {
	kube kubernetes.Interface
	udp  net.PacketConn

	mu       sync.Mutex
	answered map[string]bool
}

func startDNS(kube kubernetes.Interface, addr string) (*clusterDNS, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	d := &clusterDNS{kube: kube, udp: pc, answered: map[string]bool{}}
	go d.serve()
	return d, nil
}

func (d *clusterDNS) Stop() { _ = d.udp.Close() }

// Answered says whether the DNS answered name (a Service's full name,
// <service>.<namespace>.svc.cluster.local) with an address.
func (d *clusterDNS) Answered(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.answered[name]
}

func (d *clusterDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.udp.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		if out, err := d.answer(buf[:n]); err == nil {
			_, _ = d.udp.WriteTo(out, from)
		}
	}
}

func (d *clusterDNS) answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	rcode, ips := d.resolve(q)
	if len(ips) > 0 {
		d.mu.Lock()
		d.answered[strings.TrimSuffix(q.Name.String(), ".")] = true
		d.mu.Unlock()
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RCode: rcode})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if err := b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 5}, dnsmessage.AResource{A: [4]byte(ip.To4())}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// resolve answers one question: NXDOMAIN for names it does not know.
func (d *clusterDNS) resolve(q dnsmessage.Question) (dnsmessage.RCode, []net.IP) {
	name := strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")
	rest, ok := strings.CutSuffix(name, ".svc."+ClusterDomain)
	if !ok {
		return dnsmessage.RCodeNameError, nil
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 2 {
		return dnsmessage.RCodeNameError, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	svc, err := d.kube.CoreV1().Services(parts[1]).Get(ctx, parts[0], metav1.GetOptions{})
	if err != nil {
		return dnsmessage.RCodeNameError, nil
	}
	if q.Type != dnsmessage.TypeA {
		return dnsmessage.RCodeSuccess, nil
	}
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		return dnsmessage.RCodeSuccess, []net.IP{net.ParseIP(svc.Spec.ClusterIP)}
	}
	slices, err := d.kube.DiscoveryV1().EndpointSlices(svc.Namespace).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc.Name})
	if err != nil {
		return dnsmessage.RCodeServerFailure, nil
	}
	var ips []net.IP
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			for _, a := range e.Addresses {
				if ip := net.ParseIP(a); ip != nil && ip.To4() != nil {
					ips = append(ips, ip)
				}
			}
		}
	}
	return dnsmessage.RCodeSuccess, ips
}
