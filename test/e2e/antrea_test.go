//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/test/fixtures"
)

// The simulated Antrea must answer as a real one does (see
// antrea-facts.md): the operator's health reporting and the scrape jobs'
// TLS settings are only as right as this simulation.
var _ = Describe("The simulated Antrea", Ordered, func() {
	const (
		// reader may get /metrics (and an unrouted path, to see routing's
		// 404); nobody has no binding. The operator's own binding comes and
		// goes with the AntreaMonitoring, so these are the test's own.
		reader, nobody = "antrea-e2e-reader", "antrea-e2e-nobody"
		unrouted       = "/no-such-route"
		serviceName    = "antrea." + fixtures.WorldAntreaNamespace + ".svc"
	)
	ctx := context.Background()
	var readerToken, nobodyToken string

	BeforeAll(func() {
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: reader},
			Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics", unrouted}, Verbs: []string{"get"}}}}
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: reader},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: reader},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: fixtures.WorldPrometheusNamespace, Name: reader}}}
		objs := []client.Object{role, binding}
		for _, name := range []string{reader, nobody} {
			objs = append(objs, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: fixtures.WorldPrometheusNamespace, Name: name}})
		}
		for _, o := range objs {
			Expect(world.Client.Create(ctx, o)).To(Succeed())
			DeferCleanup(func() { Expect(client.IgnoreNotFound(world.Client.Delete(ctx, o))).To(Succeed()) })
		}
		readerToken, nobodyToken = saToken(reader), saToken(nobody)
	})

	It("answers a request without a token as system:anonymous: 403 Forbidden, not 401", func() {
		for _, s := range []*fixtures.AntreaServer{world.Controller, world.Agents[0]} {
			st := expectStatus(Default, get(Default, s, "/metrics", ""), http.StatusForbidden, metav1.StatusReasonForbidden)
			Expect(st.Message).To(Equal(`forbidden: User "system:anonymous" cannot get path "/metrics"`), s.Component)
			Expect(st.Details).To(Equal(&metav1.StatusDetails{}))
		}
	})

	It("answers a token the TokenReview rejects with 401 Unauthorized", func() {
		for _, s := range []*fixtures.AntreaServer{world.Controller, world.Agents[0]} {
			st := expectStatus(Default, get(Default, s, "/metrics", "not-a-token"), http.StatusUnauthorized, metav1.StatusReasonUnauthorized)
			Expect(st.Message).To(Equal("Unauthorized"), s.Component)
		}
	})

	It("answers a valid token without get on /metrics with 403", func() {
		// A fresh token can be refused for a moment (as in Antrea's own e2e).
		Eventually(func(g Gomega) {
			st := expectStatus(g, get(g, world.Agents[0], "/metrics", nobodyToken), http.StatusForbidden, metav1.StatusReasonForbidden)
			g.Expect(st.Message).To(Equal(fmt.Sprintf(`forbidden: User "system:serviceaccount:%s:%s" cannot get path "/metrics"`, fixtures.WorldPrometheusNamespace, nobody)))
		}, 10*time.Second, 200*time.Millisecond).Should(Succeed())
	})

	It("serves antrea_ metrics to a token allowed to get /metrics, and 404 on a path it does not route", func() {
		for _, s := range []*fixtures.AntreaServer{world.Controller, world.Agents[0]} {
			// The world's conf has metrics off, and whether the operator's
			// edit is rolled out depends on the order the top-level
			// containers run in (Scrape health ends by deleting the
			// AntreaMonitoring, which restores the conf): this container
			// turns metrics on itself, again after any restart a rollout
			// makes, rather than depend on the operator.
			Eventually(func(g Gomega) {
				s.SetMetricsEnabled(true)
				a := get(g, s, "/metrics", readerToken)
				g.Expect(a.code).To(Equal(http.StatusOK), string(a.body))
				g.Expect(string(a.body)).To(MatchRegexp(`(?m)^antrea_\w+ 1$`))
			}, 90*time.Second, 200*time.Millisecond).Should(Succeed(), s.Component)
			expectNotFound(Default, get(Default, s, unrouted, readerToken))
		}
	})

	It("answers 404 on /metrics once metrics are disabled, still serving TLS on the same port, and 200 once re-enabled", func() {
		agent := world.Agents[0]
		DeferCleanup(agent.SetMetricsEnabled, true)
		agent.SetMetricsEnabled(false)
		// get verifies the agent's certificate: the apiserver still runs.
		expectNotFound(Default, get(Default, agent, "/metrics", readerToken))
		Expect(dialTLS(agent.Port(), agent.CABundle(), "localhost")).To(Succeed())
		// Authorization comes before routing: no token is still 403.
		expectStatus(Default, get(Default, agent, "/metrics", ""), http.StatusForbidden, metav1.StatusReasonForbidden)

		agent.SetMetricsEnabled(true)
		a := get(Default, agent, "/metrics", readerToken)
		Expect(a.code).To(Equal(http.StatusOK), string(a.body))
		Expect(string(a.body)).To(ContainSubstring("antrea_agent_"))
	})

	It("serves the controller's certificate for antrea."+fixtures.WorldAntreaNamespace+".svc, verified by antrea-ca, not for .cluster.local", func() {
		bundle := antreaCA(Default)
		certs := parseCerts(bundle)
		Expect(certs).To(HaveLen(2), "the serving certificate followed by the CA")
		Expect(certs[0].DNSNames).To(ConsistOf("antrea", serviceName))
		Expect(certs[0].IPAddresses).To(HaveLen(2))
		Expect(certs[0].IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1))).To(BeTrue(), "%v", certs[0].IPAddresses)
		Expect(certs[0].IPAddresses[1].Equal(net.IPv6loopback)).To(BeTrue(), "%v", certs[0].IPAddresses)
		Expect(certs[0].IsCA).To(BeFalse())
		Expect(certs[1].IsCA).To(BeTrue())
		Expect(bundle).To(Equal(world.Controller.CABundle()))

		port := world.Controller.Port()
		Expect(dialTLS(port, bundle, serviceName)).To(Succeed())
		Expect(dialTLS(port, bundle, "antrea")).To(Succeed())
		expectHostnameError(dialTLS(port, bundle, serviceName+".cluster.local"))
		expectUnknownAuthority(dialTLS(port, world.Config.CAData, serviceName))
	})

	It("serves each agent a self-signed certificate for localhost that the controller's CA does not verify", func() {
		for _, a := range world.Agents {
			Expect(parseCerts(a.CABundle())).To(ConsistOf(HaveField("DNSNames", []string{"localhost"})))
			Expect(dialTLS(a.Port(), a.CABundle(), "localhost")).To(Succeed())
			expectUnknownAuthority(dialTLS(a.Port(), antreaCA(Default), "localhost"))
		}
		expectUnknownAuthority(dialTLS(world.Agents[0].Port(), world.Agents[1].CABundle(), "localhost"))
	})

	It("serves a new certificate on the same port after RotateCA, verified by the republished antrea-ca and not by the old one", func() {
		old := antreaCA(Default)
		port := world.Controller.Port()
		Expect(world.Controller.RotateCA()).To(Succeed())
		Expect(world.Controller.PublishCA(ctx, world.Client)).To(Succeed())
		rotated := antreaCA(Default)
		Expect(rotated).NotTo(Equal(old))
		Expect(rotated).To(Equal(world.Controller.CABundle()))
		Expect(world.Controller.Port()).To(Equal(port))
		Expect(dialTLS(port, rotated, serviceName)).To(Succeed())
		expectUnknownAuthority(dialTLS(port, old, serviceName))
	})

	It("keeps its port and certificate across Stop and Start", func() {
		s := world.Controller
		port, bundle := s.Port(), s.CABundle()
		s.Stop()
		Expect(dialTLS(port, bundle, serviceName)).To(MatchError(ContainSubstring("connection refused")))
		Expect(s.Start()).To(Succeed())
		Expect(s.Port()).To(Equal(port))
		Expect(s.CABundle()).To(Equal(bundle))
		Expect(dialTLS(port, bundle, serviceName)).To(Succeed())
	})
})

// saToken requests a ten-minute token for a ServiceAccount of Prometheus's namespace.
func saToken(name string) string {
	tr, err := world.Kube.CoreV1().ServiceAccounts(fixtures.WorldPrometheusNamespace).CreateToken(context.Background(), name,
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)}}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	return tr.Status.Token
}

// answer is an HTTP answer, read whole.
type answer struct {
	code        int
	contentType string
	body        []byte
}

// get asks s for path with a bearer token ("" for none), verifying s's
// certificate with its own CA bundle.
func get(g Gomega, s *fixtures.AntreaServer, path, token string) answer {
	pool := x509.NewCertPool()
	g.Expect(pool.AppendCertsFromPEM(s.CABundle())).To(BeTrue())
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("https://127.0.0.1:%d%s", s.Port(), path), nil)
	g.Expect(err).NotTo(HaveOccurred())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return answer{code: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}
}

// expectStatus checks that a is a failed Kubernetes Status in JSON with
// the given code and reason.
func expectStatus(g Gomega, a answer, code int32, reason metav1.StatusReason) metav1.Status {
	g.Expect(a.code).To(Equal(int(code)), string(a.body))
	g.Expect(a.contentType).To(Equal("application/json"))
	var st metav1.Status
	g.Expect(json.Unmarshal(a.body, &st)).To(Succeed(), string(a.body))
	g.Expect(st.TypeMeta).To(Equal(metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}))
	g.Expect(st.Status).To(Equal(metav1.StatusFailure))
	g.Expect(st.Code).To(Equal(code))
	g.Expect(st.Reason).To(Equal(reason))
	return st
}

func expectNotFound(g Gomega, a answer) {
	st := expectStatus(g, a, http.StatusNotFound, metav1.StatusReasonNotFound)
	g.Expect(st.Message).To(Equal("the server could not find the requested resource"))
}

// antreaCA reads ca.crt of ConfigMap antrea-ca from the cluster.
func antreaCA(g Gomega) []byte {
	var cm corev1.ConfigMap
	key := types.NamespacedName{Namespace: fixtures.WorldAntreaNamespace, Name: fixtures.CAConfigMap}
	g.Expect(world.Client.Get(context.Background(), key, &cm)).To(Succeed())
	g.Expect(cm.Labels).To(HaveKeyWithValue("app", "antrea"))
	g.Expect(cm.Data).To(HaveKey(fixtures.CAConfigMapKey))
	return []byte(cm.Data[fixtures.CAConfigMapKey])
}

func parseCerts(bundle []byte) []*x509.Certificate {
	var certs []*x509.Certificate
	for block, rest := pem.Decode(bundle); block != nil; block, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(block.Bytes)
		Expect(err).NotTo(HaveOccurred())
		certs = append(certs, c)
	}
	return certs
}

// dialTLS makes a TLS handshake with the server on the loopback port,
// verifying it with bundle for serverName.
func dialTLS(port int, bundle []byte, serverName string) error {
	pool := x509.NewCertPool()
	Expect(pool.AppendCertsFromPEM(bundle)).To(BeTrue())
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second},
		Config: &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}}
	conn, err := d.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	return conn.Close()
}

func expectHostnameError(err error) {
	var hostErr x509.HostnameError
	Expect(errors.As(err, &hostErr)).To(BeTrue(), "want an x509 name error, got %v", err)
}

func expectUnknownAuthority(err error) {
	var authErr x509.UnknownAuthorityError
	Expect(errors.As(err, &authErr)).To(BeTrue(), "want an unknown authority error, got %v", err)
}
