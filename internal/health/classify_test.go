package health

import "testing"

// The lastErrors a real Prometheus 3.16 wrote (TestClassifyRealPrometheus
// logs them), then what Go writes in the other cases of each class.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		lastError string
		want      ErrorClass
	}{
		// Observed.
		{"server returned HTTP status 401 Unauthorized", ClassUnauthorized},
		{"server returned HTTP status 403 Forbidden", ClassForbidden},
		{"server returned HTTP status 404 Not Found", ClassNotFound},
		{`Get "https://127.0.0.1:37649/metrics": tls: failed to verify certificate: x509: certificate is valid for example.com, *.example.com, not antrea.invalid`, ClassTLSName},
		{`Get "https://127.0.0.1:37649/metrics": tls: failed to verify certificate: x509: certificate signed by unknown authority`, ClassTLSAuthority},
		{`Get "http://127.0.0.1:34501/metrics": dial tcp 127.0.0.1:34501: connect: connection refused`, ClassRefused},
		{`Get "http://127.0.0.1:36691/metrics": context deadline exceeded`, ClassTimeout},

		// Go's other wordings of the same failures.
		{`Get "https://10.0.0.7:10350/metrics": tls: failed to verify certificate: x509: cannot validate certificate for 10.0.0.7 because it doesn't contain any IP SANs`, ClassTLSName},
		{`Get "https://10.0.0.7:10350/metrics": tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match antrea`, ClassTLSName},
		{`Get "https://10.0.0.7:10350/metrics": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-11-25T10:00:00Z is after 2026-01-01T00:00:00Z`, ClassTLSAuthority},
		{`Get "https://10.0.0.7:10350/metrics": net/http: request canceled (Client.Timeout exceeded while awaiting headers)`, ClassTimeout},
		{`Get "https://10.0.0.7:10350/metrics": dial tcp 10.0.0.7:10350: i/o timeout`, ClassTimeout},

		// Other.
		{"server returned HTTP status 500 Internal Server Error", ClassOther},
		{"server returned HTTP status 4010 Unheard Of", ClassOther},
		{"server returned HTTP status 401", ClassUnauthorized},
		{`Get "https://10.0.0.7:10350/metrics": dial tcp 10.0.0.7:10350: connect: no route to host`, ClassOther},
		{"body size limit exceeded", ClassOther},
		{"", ClassOther},
	} {
		if got := Classify(tc.lastError); got != tc.want {
			t.Errorf("Classify(%q) = %s, want %s", tc.lastError, got, tc.want)
		}
	}
}
